"""How many agents an hour's contacts need: Erlang C, and Erlang A when customers give up.

Erlang C (M/M/n): contacts arrive at rate λ, each takes an agent the average
handle time (AHT, rate μ = 1/AHT); the offered load is a = λ·AHT Erlangs. With n
agents (n > a) an arrival waits with probability C(n, a) and the share answered
within T is

    SL(n) = 1 − C(n, a) · exp(−(n − a) · T / AHT).

C(n, a) comes from Erlang B's recurrence (``yiwen.routing.estimate``, which the
queue's wait estimate shares): no factorials or powers, so it stays exact at
hundreds of agents. The agents needed are the fewest n with SL(n) ≥ the target.

Erlang A (M/M/n+M) adds patience: a waiting customer gives up after an
exponential time of mean P (rate θ = 1/P). The queue is stable for any n, and
fewer agents meet a target because the impatient leave. Its service level is
the share of all arrivals *answered* within T (those who gave up count as not
answered): an arrival finding k ≥ n in the system has m = k − n ahead of it;
the number ahead falls at rate nμ + mθ (served or gone), from 0 it is taken at
rate nμ, and all along it gives up itself at rate θ. That small chain, started
from the arrival-seen distribution, is solved exactly with a sparse matrix
exponential (scipy), so no approximation of the abandonment is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson  # type: ignore[import-untyped]

from yiwen.routing.estimate import erlang_c

# No plan asks for more than this many agents in an hour; beyond it the input is nonsense.
MAX_AGENTS = 5000
# States of the Erlang A chain beyond which the arrival-seen probability is below this.
TAIL = 1e-12


@dataclass(frozen=True)
class Demand:
    """One hour's work: arrivals per hour, the average handle time, the promise to keep."""

    arrivals_per_hour: float
    handle_seconds: float
    target_seconds: float
    service_level: float  # e.g. 0.8: 80 % answered within target_seconds

    @property
    def load(self) -> float:
        """Offered load in Erlangs: the agents busy on average if nobody ever waited."""
        return self.arrivals_per_hour * self.handle_seconds / 3600.0


def service_level_c(agents: int, demand: Demand) -> float:
    """Erlang C: the share answered within the target with ``agents`` (0 when overloaded)."""
    load = demand.load
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    waiting = erlang_c(agents, load)
    decay = math.exp(-(agents - load) * demand.target_seconds / demand.handle_seconds)
    return max(0.0, 1.0 - waiting * decay)


def agents_erlang_c(demand: Demand) -> int:
    """The fewest agents whose Erlang C service level reaches the target (0 without work)."""
    load = demand.load
    if load <= 0:
        return 0
    agents = math.floor(load) + 1  # the fewest for which the queue is stable
    while service_level_c(agents, demand) < demand.service_level:
        agents += 1
        if agents > MAX_AGENTS:
            raise ValueError("demand beyond any staffing plan")
    return agents


def _arrival_seen(agents: int, demand: Demand, patience_seconds: float) -> np.ndarray:
    """P(an arrival finds k in the system), k = 0…K: M/M/n+M's stationary law (PASTA)."""
    service = 1.0 / demand.handle_seconds
    abandon = 1.0 / patience_seconds
    arrival = demand.arrivals_per_hour / 3600.0
    weights = [1.0]
    total = 1.0
    k = 0
    # Beyond n the death rate grows by θ per customer, so the tail falls off quickly.
    while True:
        k += 1
        rate = min(k, agents) * service + max(k - agents, 0) * abandon
        weights.append(weights[-1] * arrival / rate)
        total += weights[-1]
        if k > agents and weights[-1] < TAIL * total:
            break
        if k > agents + 100_000:
            raise ValueError("queue too long to evaluate")
    found = np.array(weights)
    normalised: np.ndarray = found / found.sum()
    return normalised


def service_level_a(agents: int, demand: Demand, patience_seconds: float) -> float:
    """Erlang A: the share of all arrivals answered within the target."""
    if demand.arrivals_per_hour <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    seen = _arrival_seen(agents, demand, patience_seconds)
    answered_at_once = float(seen[:agents].sum())
    ahead = seen[agents:]  # ahead[m]: the arrival queues behind m others
    if ahead.size == 0 or ahead.sum() <= 0:
        return answered_at_once
    service = 1.0 / demand.handle_seconds
    abandon = 1.0 / patience_seconds
    # Rate at which the number ahead falls from m (m = 0: the arrival is taken).
    moves = agents * service + np.arange(ahead.size) * abandon
    return answered_at_once + _answered_within(ahead, moves, abandon, demand.target_seconds)


def _answered_within(start: np.ndarray, moves: np.ndarray, abandon: float, seconds: float) -> float:
    """P(taken within ``seconds``) for the tagged arrival's chain, by uniformization.

    The chain moves m → m − 1 at ``moves[m]`` (from 0 it is answered) and is
    lost at rate θ from every state. With Λ the fastest total rate, the state
    after ``seconds`` is a Poisson(Λ·t) mixture of steps of the discrete chain
    I + Q/Λ: only vector arithmetic, exact to the Poisson tail left out.
    """
    fastest = float(moves.max() + abandon)
    expected = fastest * seconds
    steps = math.ceil(expected + 10 * math.sqrt(expected) + 20)
    weights = poisson.pmf(np.arange(steps + 1), expected)
    stay = 1 - (moves + abandon) / fastest
    move = moves / fastest
    state = start.copy()
    answered = 0.0  # P(answered by step k)
    total = 0.0
    for weight in weights:
        total += weight * answered
        answered += state[0] * move[0]
        shifted = np.zeros_like(state)
        shifted[:-1] = state[1:] * move[1:]
        state = state * stay + shifted
    return total


def agents_erlang_a(demand: Demand, patience_seconds: float) -> int:
    """The fewest agents whose Erlang A service level reaches the target.

    Never more than Erlang C asks for (patience only helps), and usually one or
    two fewer, so the search steps down from Erlang C's answer; the service
    level grows with every agent, so the first agent count that misses the
    target ends it.
    """
    if demand.arrivals_per_hour <= 0 or demand.load <= 0:
        return 0
    agents = agents_erlang_c(demand)
    while agents > 1 and service_level_a(agents - 1, demand, patience_seconds) >= (
        demand.service_level
    ):
        agents -= 1
    return agents
