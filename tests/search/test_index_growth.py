"""The search index's reads and removals, written for a large index but proved on a small one.

On PostgreSQL a search reads the newest documents in order and only then asks
the GIN index for older matches (search/index.py); the window is shrunk here so
that a handful of documents crosses it. On SQLite a removal finds its document
through FTS5's own index on ``ref`` (migration 0017).
"""

from __future__ import annotations

import pytest

from yiwen.core.db import Database
from yiwen.search import index

WORDS = {True: "王者荣耀 点券 没到账", False: "和平精英 卡密 无效"}


def _add(database: Database, matching: list[bool]) -> None:
    with database.transaction() as db:
        for n, match in enumerate(matching, start=1):
            index.add(db, kind="message", ref=str(n), conversation_id=None, body=WORDS[match])


def _walk(database: Database, query: str, limit: int) -> list[str]:
    found: list[str] = []
    before = None
    with database.reading() as db:
        while True:
            hits = index.find(db, query, before=before, limit=limit + 1)
            found.extend(hit.ref for hit in hits[:limit])
            if len(hits) <= limit:
                return found
            before = hits[limit - 1].row
            assert len(found) < 100, "the cursor never ends"


@pytest.mark.parametrize("window", [1, 3, 4, 50])
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_pages_cross_from_the_newest_documents_to_the_older_ones_without_gaps(
    window: int, limit: int, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index, "RECENT_DOCUMENTS", window)
    # Matches are dense among the newest documents and sparse among the older ones.
    matching = [True, False, False, False, True, False, True, False, True, True, True]
    _add(database, matching)
    expected = [str(n) for n, match in reversed(list(enumerate(matching, start=1))) if match]
    assert _walk(database, "王者荣耀 点券", limit) == expected
    assert _walk(database, "无效", limit) == [
        str(n) for n, match in reversed(list(enumerate(matching, start=1))) if not match
    ]


def test_a_search_finds_nothing_when_no_document_has_every_word(database: Database) -> None:
    _add(database, [True, False, True])
    with database.reading() as db:
        assert index.find(db, "王者荣耀 卡密") == []


def test_removing_a_document_takes_out_its_words_and_nobody_elses(database: Database) -> None:
    _add(database, [True, True, True])
    with database.transaction() as db:
        index.add(db, kind="ticket", ref="2", conversation_id=None, body="王者荣耀 工单")
    with database.transaction() as db:
        index.remove(db, kind="message", ref="2")
    with database.reading() as db:
        hits = index.find(db, "王者荣耀")
    assert [(hit.kind, hit.ref) for hit in hits] == [
        ("ticket", "2"),
        ("message", "3"),
        ("message", "1"),
    ]


def test_a_query_for_a_documents_reference_does_not_match_the_reference(
    database: Database,
) -> None:
    # ``ref`` is indexed on SQLite so that removals find it; searches read only the words.
    with database.transaction() as db:
        index.add(db, kind="message", ref="9001", conversation_id=None, body="点券没到账")
        index.add(db, kind="message", ref="9002", conversation_id=None, body="订单 9001 没发货")
    with database.reading() as db:
        assert [hit.ref for hit in index.find(db, "9001")] == ["9002"]
