"""Customers and their channel identities: one person, many ways to reach us."""
