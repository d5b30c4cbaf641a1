"""The rollout board's chart, drawn on the server as SVG: no script, no library, and its
numbers also given as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from web.pages.display import day_text

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28  # room for the axes' labels


@dataclass(frozen=True)
class DoneChart:
    """Environments done by the end of each day, as a step line over a plot's box."""

    points: str  # an SVG polyline's points
    total: int
    done: int
    first_day: str
    last_day: str
    days: list[tuple[str, int]]  # (day, done by its end), the numbers as text

    width = WIDTH
    height = HEIGHT
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    @property
    def summary(self) -> str:
        """What the chart shows, in a sentence, for a screen reader."""
        return (
            f"{self.done} of {self.total} environments done by {self.last_day}; "
            f"the first done on {self.first_day}."
        )


def done_chart(done_by_day: list[tuple[date, int]], total: int) -> DoneChart | None:
    """The chart of `done_by_day` (cumulative, by day) against `total`; None before any."""
    if not done_by_day or total <= 0:
        return None
    first = done_by_day[0][0]
    last = max(done_by_day[-1][0], first + timedelta(days=1))
    span = (last - first).days

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span

    def y(done: int) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * done / total

    steps = [(x(first), y(0))]
    before = 0
    for day, done in done_by_day:
        steps += [(x(day), y(before)), (x(day), y(done))]
        before = done
    steps.append((x(last), y(before)))
    return DoneChart(
        points=" ".join(f"{a:.1f},{b:.1f}" for a, b in steps),
        total=total,
        done=before,
        first_day=day_text(first),
        last_day=day_text(last),
        days=[(day_text(day), done) for day, done in done_by_day],
    )
