"""The search index: one row per message or ticket, written with it, read by word.

SQLite keeps the words in an FTS5 table; PostgreSQL in a plain table whose
words become a ``tsvector`` through ``array_to_tsvector`` (the words are already
cut by jieba, so PostgreSQL's own parser, which depends on the server's locale
for Chinese, never sees them). Both return the newest matches first: FTS5
walks its index in row order; PostgreSQL's GIN index cannot, so ``find`` reads
the newest documents in order before it asks the GIN index (``_find_postgres``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwen.search.terms import index_terms, query_terms

# Tables this module owns outside the ORM's metadata (the FTS5 shadow tables
# share the prefix); the migration drift check leaves them alone.
TABLE_PREFIX = "search_"
KINDS = ("message", "ticket")
# On PostgreSQL: how many of the newest documents a search reads in order before it
# turns to the word index (see ``_find_postgres``); about 6 ms when none matches.
RECENT_DOCUMENTS = 10_000
_TSVECTOR = "array_to_tsvector(string_to_array(terms, ' '))"


@dataclass(frozen=True)
class IndexHit:
    row: int
    kind: str
    ref: str
    conversation_id: str | None


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def add(db: Session, *, kind: str, ref: str, conversation_id: str | None, body: str) -> None:
    """Index ``body`` for the message or ticket ``ref`` (nothing when it has no words)."""
    terms = index_terms(body)
    if not terms:
        return
    table = "search_fts" if _dialect(db) == "sqlite" else "search_documents"
    # On the session's connection, not through the session: the row needs nothing the
    # session holds unflushed, and a flush before each insert (one per message in the
    # message pipeline's batch) cost more than the insert.
    db.connection().execute(
        text(
            f"INSERT INTO {table} (terms, kind, ref, conversation_id) "
            "VALUES (:terms, :kind, :ref, :conversation_id)"
        ),
        {"terms": terms, "kind": kind, "ref": ref, "conversation_id": conversation_id},
    )


def remove(db: Session, *, kind: str, ref: str) -> None:
    remove_all(db, kind=kind, refs=[ref])


def remove_all(db: Session, *, kind: str, refs: Sequence[str]) -> None:
    """Take these documents out of the index: one statement run for every ref
    (executemany), so a conversation's messages leave in one round of the driver."""
    if not refs:
        return
    if _dialect(db) == "sqlite":
        # ``ref`` is an indexed FTS5 column (migration 0017): found through the index, not
        # by reading every row's unindexed columns.
        db.execute(
            text(
                "DELETE FROM search_fts WHERE rowid IN "
                "(SELECT rowid FROM search_fts WHERE search_fts MATCH :ref) AND kind = :kind"
            ),
            [{"ref": f"ref : {_phrase(ref)}", "kind": kind} for ref in refs],
        )
        return
    db.execute(
        text("DELETE FROM search_documents WHERE kind = :kind AND ref = :ref"),
        [{"kind": kind, "ref": ref} for ref in refs],
    )


def _prefixable(term: str) -> bool:
    """Codes typed in part (an order number's first characters) match by prefix."""
    return len(term) >= 3 and term.isascii() and term.isalnum()


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts5_query(terms: list[str]) -> str:
    """Every word in the ``terms`` column (the indexed ``ref`` column is not searched)."""
    words = " ".join(_phrase(t) + ("*" if _prefixable(t) else "") for t in terms)
    return f"terms : ({words})"


def _tsquery(terms: list[str]) -> str:
    return " & ".join(f"'{t}'" + (":*" if _prefixable(t) else "") for t in terms)


def find(
    db: Session,
    query: str,
    *,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[IndexHit]:
    """Rows matching every word of ``query``, newest first, below the cursor ``before``."""
    terms = query_terms(query)
    if not terms:
        return []
    if _dialect(db) == "sqlite":
        sql = (
            "SELECT rowid, kind, ref, conversation_id FROM search_fts "
            "WHERE search_fts MATCH :q"
            + (" AND kind = :kind" if kind else "")
            + (" AND rowid < :before" if before is not None else "")
            + " ORDER BY rowid DESC LIMIT :limit"
        )
        params = {"q": _fts5_query(terms), "kind": kind, "before": before, "limit": limit}
        return _hits(db.execute(text(sql), params).all())
    return _find_postgres(db, terms, kind=kind, before=before, limit=limit)


def _hits(rows: Sequence[Sequence[Any]]) -> list[IndexHit]:
    return [IndexHit(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


def _find_postgres(
    db: Session, terms: list[str], *, kind: str | None, before: int | None, limit: int
) -> list[IndexHit]:
    """The newest matches in two steps, so that neither a common nor a rare word costs more
    at ten million documents than at ten thousand.

    A GIN index finds a word's documents but not in order: for a word in one
    message of sixteen it handed 600k rows over to be sorted (22 s at 1M
    tickets). Walking the documents newest first and testing each finds a common
    word's page in a few hundred rows, but read the whole table for an order
    number (20 s). So the newest ``RECENT_DOCUMENTS`` ids are walked in order
    first, and only when they hold less than a page is the GIN index asked for
    the older matches, which are then few: the word is in fewer than one
    document in 500. A word between the two (a few hundredths of a percent of
    ten million documents) still costs in proportion to its matches.
    """
    upper = before if before is not None else _next_id(db)
    floor = max(0, upper - RECENT_DOCUMENTS)
    of_kind = " AND kind = :kind" if kind else ""
    params: dict[str, object] = {
        "q": _tsquery(terms),
        "kind": kind,
        "upper": upper,
        "floor": floor,
        "window": RECENT_DOCUMENTS,
        "limit": limit,
    }
    # Each word must occur in the text: a LIKE is several times cheaper than building the
    # tsvector, which then decides (whole words, prefixes) for the few rows left.
    contains = "".join(f"terms LIKE :w{n} AND " for n in range(len(terms)))
    params.update({f"w{n}": f"%{_like_escaped(term)}%" for n, term in enumerate(terms)})
    # The inner LIMIT fences the walk: the planner may not push the word test into the
    # subquery and trade the ordered walk for the GIN index. The walk stops at a page.
    recent = db.execute(
        text(
            "SELECT id, kind, ref, conversation_id FROM ("
            "SELECT id, kind, ref, conversation_id, terms FROM search_documents "
            "WHERE id >= :floor AND id < :upper ORDER BY id DESC LIMIT :window) AS newest "
            f"WHERE {contains}{_TSVECTOR} @@ CAST(:q AS tsquery){of_kind} "
            "ORDER BY id DESC LIMIT :limit"
        ),
        params,
    ).all()
    if len(recent) >= limit or floor == 0:
        return _hits(recent)
    # MATERIALIZED keeps the planner on the GIN index (matches, then sorted) rather than a
    # walk down the primary key that would read every older document for a rare word.
    # Parallel workers took 40-60 ms to start for the five rows of an order number.
    db.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    older = db.execute(
        text(
            "WITH matches AS MATERIALIZED (SELECT id, kind, ref, conversation_id "
            f"FROM search_documents WHERE {_TSVECTOR} @@ CAST(:q AS tsquery) AND id < :floor"
            f"{of_kind}) SELECT * FROM matches ORDER BY id DESC LIMIT :limit"
        ),
        {**params, "limit": limit - len(recent)},
    ).all()
    db.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))
    return _hits([*recent, *older])


def _like_escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_id(db: Session) -> int:
    newest = db.execute(text("SELECT max(id) FROM search_documents")).scalar()
    return int(newest or 0) + 1
