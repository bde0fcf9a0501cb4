"""Scheduled KPI reports by email and CSV/XLSX exports."""
