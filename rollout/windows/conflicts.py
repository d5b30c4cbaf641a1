"""What is wrong with the windows a planner looks at: several releases stacked in one window,
versions going out of order, a freeze or a customer's event plan over a window, and windows
of a region overlapping. A pure rule over frozen values; `rollout/calendar.py` builds them."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import groupby
from typing import Any

from rollout.scheduling import Span, overlaps


class ConflictKind(StrEnum):
    STACKED_RELEASES = "stacked_releases"
    VERSION_ORDER = "version_order"
    FREEZE = "freeze"
    EVENT_PLAN = "event_plan"
    OVERLAP = "overlap"


@dataclass(frozen=True)
class Conflict:
    kind: ConflictKind
    text: str  # a sentence for the planner


@dataclass(frozen=True)
class WindowFacts:
    """A window as the rule sees it; `key` is its id, or any unique key for a projected one."""

    key: Hashable
    title: str
    region_id: int
    customer_id: int | None  # set for a window made for one customer alone
    cancelled: bool
    span: Span
    freeze_overridden: bool = False  # planned inside a freeze on purpose, with a reason


@dataclass(frozen=True)
class WaveFacts:
    """One release wave in a window: which release, which tier, and where and when."""

    window_key: Hashable
    region_id: int
    starts_at: datetime  # the window's start
    release_id: int
    version: str
    tier: str  # preview or production


@dataclass(frozen=True)
class FreezeFacts:
    """A freeze; `region_id` is the region of the customer for a customer's one."""

    title: str
    span: Span
    region_id: int | None  # None: everyone
    customer_id: int | None = None
    customer_name: str = ""
    event_plan: bool = False


def version_key(version: str) -> tuple:
    """Sort key of a release version: 2026.9 < 2026.10 < 2026.10.1, and 4.2-rc.1 < 4.2."""
    number, _, pre = version.partition("-")
    parts = tuple(int(p) for p in number.split(".") if p.isdigit())
    padded = parts + (0,) * (3 - len(parts))
    if not pre:
        return (padded, 1, ())
    # A pre-release sorts before its release; numbers before words, as semantic versioning.
    return (padded, 0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))


def find_conflicts(
    windows: Iterable[WindowFacts],
    waves: Iterable[WaveFacts],
    freezes: Iterable[FreezeFacts],
    *,
    now: datetime,
) -> dict[Hashable, list[Conflict]]:
    """Each window's conflicts, by window key. A window that is cancelled or already over has
    none: nothing can be done about it. `waves` may hold waves of windows not in `windows`,
    which the version order is checked against."""
    windows, waves, freezes = list(windows), list(waves), list(freezes)
    open_windows = [w for w in windows if not w.cancelled and w.span.end > now]
    found: dict[Hashable, list[Conflict]] = {w.key: [] for w in windows}
    for window in open_windows:
        found[window.key] += _freezes_over(window, freezes)
    for key, problems in _overlapping(open_windows).items():
        found[key] += problems
    wanted = {w.key for w in open_windows}
    by_window: dict[Hashable, list[WaveFacts]] = defaultdict(list)
    for wave in waves:
        by_window[wave.window_key].append(wave)
    for key in wanted:
        versions = sorted({w.version for w in by_window.get(key, [])}, key=version_key)
        if len(versions) > 1:
            found[key].append(
                Conflict(
                    ConflictKind.STACKED_RELEASES,
                    f"{len(versions)} releases in one window: {', '.join(versions)}",
                )
            )
    for key, problems in _out_of_order(waves, wanted).items():
        found[key] += problems
    # The same clash can come from two waves of one release (say, two customer groups).
    return {key: list(dict.fromkeys(problems)) for key, problems in found.items()}


def lies_over(freeze: FreezeFacts, window: WindowFacts) -> bool:
    """Whether `freeze` lies over `window`: everyone's, its region's, or a customer's own
    plan, which binds that customer's windows and touches the windows of its region."""
    if not overlaps(freeze.span, window.span):
        return False
    if freeze.customer_id is not None:
        return freeze.region_id == window.region_id and window.customer_id in (
            None,
            freeze.customer_id,
        )
    return freeze.region_id in (None, window.region_id)


def _freezes_over(window: WindowFacts, freezes: list[FreezeFacts]) -> list[Conflict]:
    problems = []
    for freeze in freezes:
        if not lies_over(freeze, window):
            continue
        if freeze.customer_id is not None:
            what = "event plan" if freeze.event_plan else "freeze"
            problems.append(
                Conflict(
                    ConflictKind.EVENT_PLAN,
                    f"{freeze.customer_name} is in its {what} “{freeze.title}”: "
                    "its deployments wait for a later window",
                )
            )
        elif not window.freeze_overridden:
            problems.append(Conflict(ConflictKind.FREEZE, f"inside the freeze “{freeze.title}”"))
    return problems


def _overlapping(windows: list[WindowFacts]) -> dict[Hashable, list[Conflict]]:
    """Windows of one region that overlap; two customers' own windows may."""
    found: dict[Hashable, list[Conflict]] = defaultdict(list)
    by_region: dict[int, list[WindowFacts]] = defaultdict(list)
    for window in windows:
        by_region[window.region_id].append(window)
    for region in by_region.values():
        region.sort(key=lambda w: w.span)
        for n, first in enumerate(region):
            for second in region[n + 1 :]:
                if second.span.start >= first.span.end:
                    break
                if None not in (first.customer_id, second.customer_id) and (
                    first.customer_id != second.customer_id
                ):
                    continue
                found[first.key].append(
                    Conflict(ConflictKind.OVERLAP, f"overlaps the window “{second.title}”")
                )
                found[second.key].append(
                    Conflict(ConflictKind.OVERLAP, f"overlaps the window “{first.title}”")
                )
    return found


def _inversions(lane: list[WaveFacts], keys: dict) -> list[tuple[WaveFacts, WaveFacts]]:
    """The pairs (later, earlier) of `lane` where `later` has the higher version and starts
    no later, in the lane's order of `later` then of `earlier`. Walked from the latest start
    back with the versions already passed kept sorted, so only the pairs out of order are
    visited, not every pair: the live releases' waves are many at scale, their clashes few."""
    by_start = sorted(range(len(lane)), key=lambda n: lane[n].starts_at, reverse=True)
    passed: list[tuple[Any, int]] = []  # (version key, index), sorted
    pairs = []
    for _, same_start in groupby(by_start, key=lambda n: lane[n].starts_at):
        tied = list(same_start)
        for m in tied:
            insort(passed, (keys[lane[m].version], m))
        for m in tied:
            below = bisect_left(passed, (keys[lane[m].version],))
            pairs += [(m, e) for _, e in passed[:below]]
    return [(lane[m], lane[e]) for m, e in sorted(pairs)]


def _out_of_order(waves: list[WaveFacts], wanted: set[Hashable]) -> dict[Hashable, list[Conflict]]:
    """A later version in the same or an earlier window than an earlier version, in one region
    and tier: both windows are flagged, each saying which wave it clashes with."""
    found: dict[Hashable, list[Conflict]] = defaultdict(list)
    lanes: dict[tuple[int, str], list[WaveFacts]] = defaultdict(list)
    for wave in waves:
        lanes[(wave.region_id, wave.tier)].append(wave)
    keys = {wave.version: version_key(wave.version) for wave in waves}
    for lane in lanes.values():
        for later, earlier in _inversions(lane, keys):
            if later.release_id == earlier.release_id:
                continue
            if later.window_key == earlier.window_key:
                if later.window_key in wanted:
                    found[later.window_key].append(
                        Conflict(
                            ConflictKind.VERSION_ORDER,
                            f"{later.version} {later.tier} is in the same window as "
                            f"{earlier.version} {earlier.tier}, which it should follow",
                        )
                    )
                continue
            if later.window_key in wanted:
                found[later.window_key].append(
                    Conflict(
                        ConflictKind.VERSION_ORDER,
                        f"{later.version} {later.tier} comes before "
                        f"{earlier.version} {earlier.tier}, which is in a later window",
                    )
                )
            if earlier.window_key in wanted:
                found[earlier.window_key].append(
                    Conflict(
                        ConflictKind.VERSION_ORDER,
                        f"{earlier.version} {earlier.tier} comes after "
                        f"{later.version} {later.tier}, which is in an earlier window",
                    )
                )
    return found
