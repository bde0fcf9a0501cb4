"""The reference shop server of the HTTP contract (see ``server``)."""
