"""Run every benchmark and print the figures (``make bench``). Not part of the tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    bench_bot,
    bench_connectors,
    bench_inbox,
    bench_ingest,
    bench_kb,
    bench_kpis,
    bench_nlu,
    bench_outbox,
    bench_routing,
    bench_sla,
    bench_vs_helpdesk,
    bench_ws_load,
)


def main() -> None:
    results = {
        "message ingest (HTTP, SQLite)": bench_ingest.run(),
        "inbox listing (HTTP, SQLite)": bench_inbox.run(),
        "SLA sweep over 100k open tickets (SQLite)": bench_sla.run(),
        "KPI reports (100k tickets, a year)": bench_kpis.run(),
        "knowledge-base retrieval (search / answer_for)": bench_kb.run(),
        "routing: assignment decisions (200 agents online, SQLite)": bench_routing.run(),
        "NLU understand() (one core, after warm-up)": bench_nlu.run(),
        "bot: full turns (NLU + SOP + demo shop + DB writes, one core)": bench_bot.run(),
        "notify outbox: deliveries per second (one worker, SQLite)": bench_outbox.run(),
        "shop connectors: dujiaoka on MariaDB (10k orders), signed HTTP": bench_connectors.run(),
        "side by side with django-helpdesk (SQLite and PostgreSQL)": bench_vs_helpdesk.run(),
        "WebSocket load: 5,000 customers, 20 agents, 2 app processes (PostgreSQL, Redis, nginx)": (
            bench_ws_load.run()
        ),
    }
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
