"""The Telegram front: residents chat with the assistant from their phones, and livestream hosts
relay viewers' questions in batches. Started with `python -m channels.telegram`."""
