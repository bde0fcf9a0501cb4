"""Proactive service: anomaly detection, incidents, announcements, notices to affected customers and proactive care."""
