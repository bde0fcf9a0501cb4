"""Conversations and messages from every channel, and the realtime hub that streams them."""
