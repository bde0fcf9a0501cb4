"""Serve the reference shop on loopback: a demo shop in a SQLite file behind the contract."""

from __future__ import annotations

import argparse

import uvicorn

from yiwen.core.clock import SystemClock
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import seed_demo_shop
from yiwen.store.connectors.http.reference.server import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="reference_shop.db", help="the SQLite file of the shop")
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=200, help="orders to generate if empty")
    args = parser.parse_args()
    clock = SystemClock()
    shop = DemoStoreConnector.open(f"sqlite:///{args.db}", clock)
    if not shop.example_orders():
        seed_demo_shop(shop, orders=args.orders)
    uvicorn.run(create_app(shop, {args.key_id: args.secret}), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
