"""The embedded demo shop: a 发卡 shop with its own database, suppliers and failure injection.

``shop`` is the shop's system of record, ``connector`` the StoreConnector Yiwen
talks to, and ``generator`` fills the shop with realistic orders.
"""
