"""Full-text search over conversations and tickets, for staff.

Chinese has no spaces, so text is cut into words with the bot's jieba tokenizer
(and its domain dictionary) before it reaches the database's own full-text
engine: FTS5 on SQLite, a GIN-indexed ``tsvector`` with the ``simple``
configuration on PostgreSQL. The index is a table of its own, written in the
same transaction as the message or ticket it describes.
"""
