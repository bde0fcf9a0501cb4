"""Complaints found on outside platforms (12315, 黑猫投诉, app stores), worked as urgent tickets."""
