"""Money is Decimal yuan with two places (or integer fen at the edges), never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_yuan(value: Decimal | int | str) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def yuan_to_fen(amount: Decimal) -> int:
    return int(to_yuan(amount) * 100)
