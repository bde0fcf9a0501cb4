"""Erlang C against values computed by hand and published, and the properties it must keep."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwen.routing.estimate import (
    erlang_b,
    erlang_c,
    mean_wait_new_arrival,
    wait_at_position,
)


def erlang_c_closed_form(servers: int, load: Fraction) -> Fraction:
    """The textbook formula in exact arithmetic, to check the recurrence against."""
    top = load**servers / math.factorial(servers) * Fraction(servers) / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: P(wait) = ρ
        (2, 1.0, 1 / 3),  # by hand: B(2,1) = 1/5, C = 2·(1/5) / (2 − 1·4/5)
        (3, 2.0, 4 / 9),  # by hand: (8/6 · 3) / (1 + 2 + 2 + 4)
        (11, 10.0, 0.6821),  # the call-centre example: 100 calls / 30 min × 180 s, 11 agents
    ],
)
def test_erlang_c_matches_known_values(servers: int, load: float, expected: float) -> None:
    assert erlang_c(servers, load) == pytest.approx(expected, abs=5e-5)


def test_erlang_b_matches_the_hand_computed_blocking() -> None:
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_mean_wait_of_a_new_arrival_is_c_over_c_mu_minus_lambda() -> None:
    # Two slots, a handle time of 6 min (μ = 1/6) and 1 arrival per 6 min: a = 1, C = 1/3,
    # W_q = (1/3) / (2/6 − 1/6) = 2 minutes.
    assert mean_wait_new_arrival(2, 1 / 6, 1 / 6) == pytest.approx(2.0)
    # The call-centre example: W_q = 0.6821 · 180 s / (11 − 10) ≈ 122.8 s.
    assert mean_wait_new_arrival(11, 100 / 1800, 1 / 180) == pytest.approx(122.8, abs=0.1)


def test_an_overloaded_queue_has_no_finite_mean_wait() -> None:
    assert mean_wait_new_arrival(2, 2 / 6, 1 / 6) is None
    assert erlang_c(2, 2.0) == 1.0


def test_the_wait_at_a_position_counts_the_slots_that_must_free_up() -> None:
    # Two busy slots of 6 minutes: the third in line waits for three completions at 2/6 a minute.
    assert wait_at_position(3, 0, 2, 1 / 6) == pytest.approx(9.0)
    assert wait_at_position(1, 1, 2, 1 / 6) == 0.0
    assert wait_at_position(3, 1, 2, 1 / 6) == pytest.approx(6.0)


@given(
    servers=st.integers(min_value=1, max_value=40),
    utilisation=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100)),
)
def test_the_recurrence_agrees_with_the_closed_form(servers: int, utilisation: Fraction) -> None:
    load = utilisation * servers
    assert erlang_c(servers, float(load)) == pytest.approx(
        float(erlang_c_closed_form(servers, load)), rel=1e-9
    )


@given(
    servers=st.integers(min_value=1, max_value=500),
    load=st.floats(min_value=0, max_value=600, allow_nan=False),
)
def test_the_probability_of_waiting_is_a_probability(servers: int, load: float) -> None:
    assert 0.0 <= erlang_c(servers, load) <= 1.0


@given(
    servers=st.integers(min_value=1, max_value=200),
    load=st.floats(min_value=0.01, max_value=150, allow_nan=False),
)
def test_more_servers_never_make_waiting_likelier(servers: int, load: float) -> None:
    assert erlang_c(servers + 1, load) <= erlang_c(servers, load) + 1e-12


@given(servers=st.integers(min_value=1, max_value=300))
def test_waiting_becomes_certain_as_the_load_reaches_the_servers(servers: int) -> None:
    assert erlang_c(servers, servers * (1 - 1e-9)) == pytest.approx(1.0, abs=1e-5)
    assert erlang_c(servers, servers * 0.999) > erlang_c(servers, servers * 0.9)


def test_large_teams_do_not_overflow() -> None:
    value = erlang_c(2000, 1950.0)
    assert 0.0 < value < 1.0
