"""Customer channels (WeChat, WeCom, QQ, Telegram, email): in by webhook or poll, out by outbox."""
