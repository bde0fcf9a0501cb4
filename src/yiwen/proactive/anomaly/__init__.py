"""Anomaly detection: per-minute counts per series, a seasonal baseline each, alarms."""
