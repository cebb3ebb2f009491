"""Account linking: one member behind a Telegram and a Discord account, via a one-time code."""
