"""Splitting dujiaoka's install dump: semicolons inside quoted strings stay in their statement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.store.dujiaoka.fixtures import INSTALL_SQL
from yiwen.store.connectors.dujiaoka.schema import split_statements


def test_the_install_dump_splits_into_whole_statements() -> None:
    statements = split_statements(INSTALL_SQL.read_text())
    creates = [s for s in statements if s.startswith("CREATE TABLE")]
    assert {s.split("`")[1] for s in creates} >= {"orders", "goods", "carmis", "coupons", "pays"}
    assert all(
        s.split()[0] in {"SET", "DROP", "CREATE", "BEGIN", "INSERT", "COMMIT"} for s in statements
    )
    (template,) = [s for s in statements if s.startswith("INSERT INTO `emailtpls` VALUES (2,")]
    assert template.endswith("NULL)")  # the HTML's own semicolons did not cut it


@given(st.lists(st.text(alphabet="ab;'\\ \n", max_size=12), min_size=1, max_size=5))
def test_quoted_text_survives_splitting(values: list[str]) -> None:
    quoted = ["'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values]
    dump = "-- a comment; with a semicolon\n" + "".join(f"SELECT {q};\n" for q in quoted)
    assert split_statements(dump) == [f"SELECT {q}" for q in quoted]
