"""Linli's custom actions for the Rasa action server (`python -m actions.server`)."""
