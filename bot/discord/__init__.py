"""Discord adapter (discord.py 2.x): slash commands, persistent buttons, gateway events.

Translates only: Discord objects become `core.events`, `core.replies` become Discord API calls.
"""
