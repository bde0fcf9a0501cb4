"""The knowledge base: help-center articles, their search index and the bot's answers.

Articles ship as Markdown files in ``articles/``; admins edit them through the
API, which writes overrides under ``<data_dir>/kb/`` so that an upgrade never
overwrites a shop's own wording.
"""
