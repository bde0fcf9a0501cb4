"""KPIs for supervisors and agents: definitions in docs/metrics.md, computed in SQL."""
