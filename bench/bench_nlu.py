"""NLU throughput and latency: understand() calls per second, p50/p99, on one core after warm-up.

Also the cold cost a process pays once: training the intent model from the data files.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from bench.common import percentile
from yiwen.core.clock import SHANGHAI

MESSAGES = (
    "在吗",
    "卡没到",
    "昨天晚上8点用支付宝付了五十块，订单K3F9ZQ2M8TX1B7RA卡密还没收到",
    "卡密 X7K2P-9QW3E-LM4RT 显示已被使用，退款！",
    "訂單20261121143015123456退款什麼時候到",
    "我手机13812345678，帮我查查订单，邮箱abc@qq.com",
    "再不处理我就去12315投诉你们",
    "工单YW20261122-000123有人跟进吗",
    "王者荣耀点券多少钱，支持微信吗",
    "客服你好，我前天下午三点二十用vx付了128块买了两张steam充值卡，到现在一张都没收到，"
    "订单号P8D2MX7Q4LZ9N3WC，麻烦尽快处理一下，急用，谢谢🙏",
)
ROUNDS = 500


def run() -> dict[str, float]:
    if not hasattr(os, "sched_setaffinity"):
        return _measure()
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        return _measure()
    finally:
        os.sched_setaffinity(0, cores)


def _measure() -> dict[str, float]:
    from yiwen.bot.nlu import understand
    from yiwen.bot.nlu.model import train

    now = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
    t0 = time.perf_counter()
    train()
    training_s = time.perf_counter() - t0
    for text in MESSAGES:  # warm-up: the process's model, jieba, OpenCC
        understand(text, now)
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for text in MESSAGES:
            t = time.perf_counter()
            understand(text, now)
            latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    return {
        "calls": float(len(latencies)),
        "calls_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "training_s": round(training_s, 2),
    }


if __name__ == "__main__":
    print(run())
