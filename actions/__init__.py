"""Linli's custom actions for the Rasa action server (`rasa run actions --actions actions`)."""
