"""Retention: old closed conversations are archived (transcript + files), later purged.

Nothing happens on a fresh install: an administrator enables a policy. Tickets,
their timeline, CSAT, bot outcomes and the audit log are never touched, so KPIs
of an archived period stay exactly what they were.
"""
