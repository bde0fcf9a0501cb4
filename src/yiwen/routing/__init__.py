"""Routing: queues, agent presence and capacity, assignment and queue estimates (issue 4)."""
