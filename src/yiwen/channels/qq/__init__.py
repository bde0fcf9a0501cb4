"""QQ through OneBot v11 channel adapter."""
