"""The dujiaoka (独角数卡) connector: reads the shop's MySQL/MariaDB database directly.

``connector`` is the StoreConnector, ``mapping`` turns dujiaoka's columns into
the protocol's shapes, ``reader`` holds the read queries, ``ledger`` keeps
Yiwen's own idempotency records and resend counts (dujiaoka has no place for
them), ``writes`` the optional writes behind a separate account, ``schema`` loads
an install dump and ``generator`` fills a database with realistic rows.
"""
