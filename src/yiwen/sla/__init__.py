"""SLA: policies, business calendars, clocks, escalation, compensation and honest closing."""
