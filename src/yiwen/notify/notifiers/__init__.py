"""Concrete notifiers; only :mod:`yiwen.notify.registry` (used by the wiring) imports them."""
