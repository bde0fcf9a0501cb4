"""Telegram Bot API channel adapter."""
