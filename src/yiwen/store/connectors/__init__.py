"""Concrete store connectors; only :mod:`yiwen.store.registry` imports them."""
