"""The search index: one row per message or ticket, written with it, read by word.

SQLite keeps the words in an FTS5 table; PostgreSQL in a plain table whose
words become a ``tsvector`` through ``array_to_tsvector`` (the words are already
cut by jieba, so PostgreSQL's own parser, which depends on the server's locale
for Chinese, never sees them). Both return the newest matches first, walking
the index in row order, so a page costs the same at ten thousand rows as at a
million.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwen.search.terms import index_terms, query_terms

# Tables this module owns outside the ORM's metadata (the FTS5 shadow tables
# share the prefix); the migration drift check leaves them alone.
TABLE_PREFIX = "search_"
KINDS = ("message", "ticket")


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
    db.execute(
        text(
            f"INSERT INTO {table} (terms, kind, ref, conversation_id) "
            "VALUES (:terms, :kind, :ref, :conversation_id)"
        ),
        {"terms": terms, "kind": kind, "ref": ref, "conversation_id": conversation_id},
    )


def remove(db: Session, *, kind: str, ref: str) -> None:
    table = "search_fts" if _dialect(db) == "sqlite" else "search_documents"
    db.execute(
        text(f"DELETE FROM {table} WHERE kind = :kind AND ref = :ref"),
        {"kind": kind, "ref": ref},
    )


def _prefixable(term: str) -> bool:
    """Codes typed in part (an order number's first characters) match by prefix."""
    return len(term) >= 3 and term.isascii() and term.isalnum()


def _fts5_query(terms: list[str]) -> str:
    return " ".join(f'"{t}"' + ("*" if _prefixable(t) else "") for t in terms)


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
    params: dict[str, object] = {"limit": limit, "kind": kind, "before": before}
    if _dialect(db) == "sqlite":
        params["q"] = _fts5_query(terms)
        sql = (
            "SELECT rowid, kind, ref, conversation_id FROM search_fts "
            "WHERE search_fts MATCH :q"
            + (" AND kind = :kind" if kind else "")
            + (" AND rowid < :before" if before is not None else "")
            + " ORDER BY rowid DESC LIMIT :limit"
        )
    else:
        params["q"] = _tsquery(terms)
        sql = (
            "SELECT id, kind, ref, conversation_id FROM search_documents "
            "WHERE array_to_tsvector(string_to_array(terms, ' ')) @@ CAST(:q AS tsquery)"
            + (" AND kind = :kind" if kind else "")
            + (" AND id < :before" if before is not None else "")
            + " ORDER BY id DESC LIMIT :limit"
        )
    rows = db.execute(text(sql), params).all()
    return [IndexHit(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]
