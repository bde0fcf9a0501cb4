"""Notifications: the transactional outbox, the rules that fill it, the notifiers that empty it."""
