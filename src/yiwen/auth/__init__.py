"""Staff accounts, roles and permissions, sessions, CSRF and the audit log."""
