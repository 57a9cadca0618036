"""Servers and callers shared by the tests and the benchmarks (neither imports the other)."""
