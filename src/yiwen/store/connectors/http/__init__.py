"""The signed JSON-over-HTTPS connector (docs/connector-http.md): any shop can implement it.

``signing`` signs and verifies requests, ``wire`` turns the protocol's shapes
into JSON and back (refusing garbage), ``client`` is the StoreConnector, and
``reference`` a complete shop server speaking the contract, storing its data in
SQLite (the demo shop's database).
"""
