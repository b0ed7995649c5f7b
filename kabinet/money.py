"""Money is integer kopecks inside and a two-place decimal string of roubles in JSON."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^-?\d{1,9}(\.\d{1,2})?$")


class MoneyError(ValueError):
    """An amount that is not a valid sum of roubles."""


def parse_rub(value: str | int | float | Decimal) -> int:
    """'100', '100.5', '100.50', 100 → kopecks; anything else is a MoneyError."""
    if isinstance(value, bool):
        raise MoneyError("amount must be a number of roubles")
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value).strip()
    if not _AMOUNT.match(text):
        raise MoneyError("amount must be roubles with at most two decimal places, e.g. '100.00'")
    try:
        kopecks = Decimal(text) * 100
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise MoneyError("amount is not a number") from exc
    return int(kopecks)


def format_rub(kopecks: int) -> str:
    """Kopecks → '1234.50' (sign kept)."""
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole}.{part:02d}"
