"""The printed report: a table of measurements, ratios, then floors with PASS/FAIL."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 62


@dataclass(frozen=True)
class Floor:
    name: str
    measured: float | None
    limit: float
    below: bool  # True: must be < limit; False: must be ≥ limit
    unit: str = ""

    @property
    def passed(self) -> bool:
        if self.measured is None:
            return False
        check: Callable[[float, float], bool] = operator.lt if self.below else operator.ge
        return check(self.measured, self.limit)

    def line(self) -> str:
        sign = "<" if self.below else "≥"
        got = "n/a" if self.measured is None else f"{self.measured:,.2f}{self.unit}"
        if self.measured is not None and math.isinf(self.measured):
            got = "never (>1% unshown)"
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"  {self.name:<{WIDTH - 12}} {got:>14}  ({sign} {self.limit:g}{self.unit})  {verdict}"
        )


@dataclass
class Report:
    title: str
    sections: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)
    floors: list[Floor] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def section(self, title: str) -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        self.sections.append((title, rows))
        return rows

    @property
    def passed(self) -> bool:
        return not self.failures and all(f.passed for f in self.floors)

    def render(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        for title, rows in self.sections:
            if not rows:
                continue
            lines += ["", title, "-" * len(title)]
            lines += [f"  {label:<{WIDTH}} {value:>12}  {unit}" for label, value, unit in rows]
        if self.failures:
            lines += ["", "stages that failed", "------------------"]
            lines += [f"  {failure}" for failure in self.failures]
        lines += ["", "floors", "------"]
        lines += [floor.line() for floor in self.floors]
        verdict = "all floors pass" if self.passed else "some floors FAIL"
        lines += ["", verdict + " (benchmarks never gate CI; --strict makes this exit 1)"]
        return "\n".join(lines)


def rate(value: float) -> str:
    return f"{value:,.0f}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    return "never" if math.isinf(seconds) else f"{seconds * 1000:,.1f}"
