"""Telegram channels sold by Star subscription invite links (issue #5)."""
