"""The figures of one report row. Every rate and percentile carries the count it rests on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from yiwen.analytics.percentiles import Spread


@dataclass
class Ratio:
    """``count`` of ``n`` cases; the rate is ``None`` when there were no cases."""

    n: int = 0
    count: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.count / self.n, 4) if self.n else None


@dataclass
class Csat:
    n: int = 0
    score_total: int = 0
    satisfied: int = 0

    @property
    def average(self) -> float | None:
        return round(self.score_total / self.n, 2) if self.n else None

    @property
    def satisfied_rate(self) -> float | None:
        return round(self.satisfied / self.n, 4) if self.n else None


@dataclass
class Backlog:
    """Tickets open at the end of the period; ``by_status`` only on the totals row."""

    n: int = 0
    by_status: dict[str, int] | None = None


@dataclass
class Figures:
    tickets_created: int = 0
    first_response_time: Spread = field(default_factory=Spread)
    resolution_time: Spread = field(default_factory=Spread)
    first_contact_resolution: Ratio = field(default_factory=Ratio)
    reopen: Ratio = field(default_factory=Ratio)
    sla_first_response: Ratio = field(default_factory=Ratio)
    sla_resolution: Ratio = field(default_factory=Ratio)
    csat: Csat = field(default_factory=Csat)
    bot_containment: Ratio = field(default_factory=Ratio)
    backlog: Backlog = field(default_factory=Backlog)


@dataclass
class Group:
    key: str | None
    label: str
    figures: Figures


@dataclass
class Report:
    first: date
    last: date
    group_by: str | None
    agent_id: str | None
    generated_at: datetime
    totals: Figures
    groups: list[Group]
