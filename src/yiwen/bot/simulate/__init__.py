"""Simulated customer traffic against the demo shop, to measure the bot (``yiwen bot simulate``)."""
