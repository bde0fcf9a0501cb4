"""Email: IMAP in, SMTP out channel adapter."""
