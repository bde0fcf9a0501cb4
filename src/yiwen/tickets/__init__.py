"""Tickets: numbers, categories, the status machine, evidence, the public timeline and CSAT."""
