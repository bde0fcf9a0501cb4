"""Yiwen (一问): after-sales customer service for virtual-goods shops."""

__version__ = "0.1.0"
