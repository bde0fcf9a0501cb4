"""Proactive service: anomalies, incidents, announcements, notices and proactive care."""
