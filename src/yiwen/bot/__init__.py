"""The bot: understands the first message, acts through SOPs, hands off the rest."""
