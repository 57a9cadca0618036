"""The fronts residents write from (Telegram, WeChat): thin adapters over Rasa."""
