"""Run every benchmark and print the figures (``make bench``). Not part of the tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_inbox, bench_ingest


def main() -> None:
    results = {
        "message ingest (HTTP, SQLite)": bench_ingest.run(),
        "inbox listing (HTTP, SQLite)": bench_inbox.run(),
    }
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
