"""What the fronts, the voice bridge and the backend share without importing each other:
the Rasa REST client, livestream batches, personal-number rules and the shared settings.
Imports nothing of the project (checked by `make lint`)."""
