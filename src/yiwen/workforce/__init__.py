"""Workforce planning (contact forecast, Erlang staffing) and the public service-commitment page."""
