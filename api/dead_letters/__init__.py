"""Writes the action server's outbox could not deliver because the backend refused them (4xx):
reported here so the worker console shows them and nobody's request is dropped silently."""
