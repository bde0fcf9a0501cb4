"""Incidents: what the detector flagged, for supervisors to acknowledge, act on and resolve."""
