"""Proactive care: telling a customer about a stuck order before they have to ask."""
