"""Full bot turns per second on one core: NLU + SOP + demo-shop lookup + database writes.

Customers report problems on real demo orders (missing keys, failed pushes,
refund questions, status lookups) in fresh conversations; each timed turn is
what happens after a customer's message commits: ``BotRunner.run_turn``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import percentile
from yiwen.bot.nlu import warm_up
from yiwen.bot.simulate.runner import Simulation

TURNS = 300
OPENERS = (
    "订单{no} 付款了卡密没收到",
    "查一下订单{no}的状态",
    "订单{no}的退款什么时候到账",
    "{no} 卡密提示已被使用",
)
CASES = ("delivered_ok", "topup_delivered", "refund_pending", "push_failed", "key_used")


def run() -> dict[str, float]:
    warm_up()
    with tempfile.TemporaryDirectory(prefix="yiwen-bench-bot-") as directory:
        simulation = Simulation(Path(directory), seed=5, orders=3000)
        try:
            return _measure(simulation)
        finally:
            simulation.close()


def _measure(simulation: Simulation) -> dict[str, float]:
    orders = [o for case in CASES for o in simulation.pools.get(case, [])]
    prepared = []
    for index in range(TURNS):
        order = orders[index % len(orders)]
        conversation_id = simulation.start_for_bench(order)
        text = OPENERS[index % len(OPENERS)].format(no=order.order_no)
        prepared.append((conversation_id, simulation.store_message(conversation_id, text)))
    latencies: list[float] = []
    started = time.perf_counter()
    for conversation_id, message_id in prepared:
        t0 = time.perf_counter()
        simulation.runner.run_turn(conversation_id, message_id)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {
        "turns": len(latencies),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


if __name__ == "__main__":
    print(run())
