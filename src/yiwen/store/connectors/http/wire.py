"""The protocol's dataclasses as JSON and back, checking every field on the way in.

Money travels as strings ("12.50"), times as ISO 8601 with an offset. A shop
answer that does not fit (a missing field, a status outside the protocol's
list, a naive time, a number where a string belongs) raises :class:`WireError`,
which the client reports as an unusable answer rather than guessing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

T = TypeVar("T")


class WireError(ValueError):
    """A JSON value does not have the shape the contract promises."""


def dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


def load(cls: type[T], data: Any, where: str = "$") -> T:
    """``data`` as a ``cls`` dataclass; WireError naming the first field that does not fit."""
    if not isinstance(data, dict):
        raise WireError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name not in data:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise WireError(f"{where}.{field.name}: missing")
            continue
        values[field.name] = _load(hints[field.name], data[field.name], f"{where}.{field.name}")
    return cls(**values)


def _load(hint: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _load(inner[0], data, where)
    if origin is typing.Literal:
        if data not in args:
            raise WireError(f"{where}: {data!r} is not one of {list(args)}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise WireError(f"{where}: expected a list")
        return tuple(_load(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
    if origin is dict:
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise WireError(f"{where}: expected an object of strings")
        return dict(data)
    if dataclasses.is_dataclass(hint):
        return load(hint, data, where)  # type: ignore[arg-type]
    if hint is Decimal:
        return _decimal(data, where)
    if hint is datetime:
        return _datetime(data, where)
    if hint is bool:
        if not isinstance(data, bool):
            raise WireError(f"{where}: expected true or false")
        return data
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise WireError(f"{where}: expected an integer")
        return data
    if hint is str:
        if not isinstance(data, str):
            raise WireError(f"{where}: expected a string")
        return data
    raise WireError(f"{where}: unsupported type {hint!r}")


def _decimal(data: Any, where: str) -> Decimal:
    if not isinstance(data, str):
        raise WireError(f'{where}: money must be a string such as "12.50"')
    try:
        amount = Decimal(data)
    except InvalidOperation:
        raise WireError(f"{where}: {data!r} is not an amount") from None
    if not amount.is_finite():
        raise WireError(f"{where}: {data!r} is not an amount")
    return amount


def _datetime(data: Any, where: str) -> datetime:
    if not isinstance(data, str):
        raise WireError(f"{where}: expected an ISO 8601 time")
    try:
        value = datetime.fromisoformat(data)
    except ValueError:
        raise WireError(f"{where}: {data!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise WireError(f"{where}: {data!r} has no UTC offset")
    return value
