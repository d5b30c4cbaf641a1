"""How the pages write times and histories: always in a named zone, never a bare clock time,
in the page's language (dates from the tables of `rollout/dates.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext

from rollout.dates import day_and_month, short_date
from rollout.i18n import N_
from rollout.windows import Window, WindowAction, WindowRevision
from web.i18n import page_language

# What happened to a window, said of the window (French agrees with "la fenêtre").
_VERBS = {
    WindowAction.CREATED: N_("Scheduled"),
    WindowAction.ANNOUNCED: N_("Announced"),
    WindowAction.STARTED: N_("Started"),
    WindowAction.COMPLETED: N_("Completed"),
    WindowAction.CANCELLED: N_("Cancelled"),
    WindowAction.SKIPPED: N_("Skipped"),
    WindowAction.REPLANNED: N_("Replanned"),
    WindowAction.MOVED: N_("Moved"),
    WindowAction.EXTENDED: N_("Extended"),
}


@dataclass(frozen=True)
class HistoryLine:
    """One change to a window, as a sentence."""

    at: datetime
    text: str
    reason: str
    actor: str | None


def day_text(value: datetime) -> str:
    """`Sat 12 Dec 2026`, or `sam. 12 déc. 2026` on a French page."""
    return short_date(value, page_language())


def span_text(start: datetime, end: datetime, zone_name: str) -> str:
    """`Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)`; both days when it spans two."""
    zone = ZoneInfo(zone_name)
    first, last = start.astimezone(zone), end.astimezone(zone)
    text = f"{day_text(first)}, {first:%H:%M}"
    if first.tzname() != last.tzname():
        text += f" {first.tzname()}"
    if first.date() == last.date():
        text += f"–{last:%H:%M}"
    else:
        text += f" – {day_text(last)}, {last:%H:%M}"
    text += f" {last.tzname()}"
    return text if zone_name == "UTC" else f"{text} ({zone_name})"


def utc_iso(value: datetime) -> str:
    """`2026-12-12T14:00:00Z`, what a `<time datetime>` attribute and the page script read."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_and_utc(value: datetime, zone_name: str) -> str:
    """`Mon 7 Dec, 17:00 America/New_York (22:00 UTC)`: what a region's people read, and the
    instant everyone can compare (with its day when the UTC day differs)."""
    local, utc = value.astimezone(ZoneInfo(zone_name)), value.astimezone(UTC)
    utc_day = f"{day_and_month(utc, page_language())}, "
    return (
        f"{day_and_month(local, page_language())}, {local:%H:%M} {zone_name} "
        f"({'' if utc.date() == local.date() else utc_day}{utc:%H:%M} UTC)"
    )


def local_input(value: datetime, zone_name: str) -> datetime:
    """`value` as the naive wall time a datetime-local input shows in `zone_name`."""
    return value.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None, second=0, microsecond=0)


def history(window: Window, *, staff: bool) -> list[HistoryLine]:
    """Every revision of `window` as a sentence; the public get no actors or internal notes."""
    lines, previous = [], None
    for revision in window.revisions:
        lines.append(
            HistoryLine(
                at=revision.at,
                text=_sentence(revision, previous, window.timezone),
                reason=revision.reason if staff else revision.public_reason,
                actor=revision.actor if staff else None,
            )
        )
        previous = revision
    return lines


def cancel_note(window: Window) -> str:
    """`Skipped: <reason>` or `Cancelled: <reason>`, from a cancelled window's last revision."""
    last = window.revisions[-1] if window.revisions else None
    if last is None or last.action not in (WindowAction.CANCELLED, WindowAction.SKIPPED):
        return gettext("Cancelled")
    verb = gettext(_VERBS[last.action])
    return gettext("%(verb)s: %(reason)s", verb=verb, reason=last.reason) if last.reason else verb


def _sentence(revision: WindowRevision, previous: WindowRevision | None, zone: str) -> str:
    span = span_text(revision.starts_at, revision.ends_at, zone)
    if previous is not None and revision.action in (WindowAction.MOVED, WindowAction.REPLANNED):
        was = span_text(previous.starts_at, previous.ends_at, zone)
        return gettext("Moved from %(was)s to %(span)s", was=was, span=span)
    if previous is not None and revision.action == WindowAction.EXTENDED:
        was = _clock(previous.ends_at, zone)
        return gettext("Extended to %(span)s, was until %(was)s", span=span, was=was)
    if revision.action == WindowAction.CREATED:
        return gettext("Scheduled for %(span)s", span=span)
    return gettext(_VERBS[revision.action])


def _clock(value: datetime, zone: str) -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{day_text(local)}, {local:%H:%M} {local.tzname()}"
