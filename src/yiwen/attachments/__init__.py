"""Uploaded files (message attachments, ticket evidence), stored by content hash outside the DB."""
