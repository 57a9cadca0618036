"""The phone-line bridge (speech in, speech out) — built in the voice hotline issues."""
