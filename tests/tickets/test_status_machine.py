"""The status machine: only listed transitions happen, whatever order agents click in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwen.core.errors import Conflict
from yiwen.tickets.status import STATUSES, TRANSITIONS, check_transition


@given(st.lists(st.sampled_from(STATUSES), max_size=30))
@settings(max_examples=300)
def test_a_walk_of_requested_statuses_only_takes_allowed_steps(requests: list[str]) -> None:
    current = "new"
    for target in requests:
        try:
            check_transition(current, target)
        except Conflict:
            assert target not in TRANSITIONS[current]
        else:
            assert target in TRANSITIONS[current]
            current = target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "closed"),
        ("open", "new"),
        ("closed", "resolved"),
        ("resolved", "pending_supplier"),
        ("open", "open"),
    ],
)
def test_illegal_transitions_are_refused(current: str, target: str) -> None:
    with pytest.raises(Conflict) as refused:
        check_transition(current, target)
    assert refused.value.code == "illegal_status_transition"


def test_every_status_can_reach_closed() -> None:
    for start in STATUSES:
        frontier, seen = [start], {start}
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert "closed" in seen or start == "closed"
