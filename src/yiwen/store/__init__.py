"""The shop behind the support desk: the StoreConnector protocol, its registry and connectors."""
