"""Paste-ready replies for a ticket, in English or French, in the customer's time zone with
the zone named. The words come from the gettext catalogue (`rollout/i18n.py`), dates from
tables, never from the server's locale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from gettext import NullTranslations
from zoneinfo import ZoneInfo

from rollout.dates import LOCALES, long_date
from rollout.i18n import N_, translations
from rollout.support.fix_status.rule import FixStatus, Plan, Slot

# Cities of IANA zone names that French writes differently ("heure de Londres"); the
# catalogue holds their French names, and only these are looked up.
_CITIES = frozenset(
    {
        # Translators: cities of time zones, named in replies.
        N_("London"),
        N_("Brussels"),
        N_("Vienna"),
        N_("Lisbon"),
        N_("Warsaw"),
        N_("Moscow"),
        N_("Athens"),
        N_("Copenhagen"),
        N_("Algiers"),
        N_("Mexico City"),
        N_("Singapore"),
        N_("Montreal"),
        N_("Quebec"),
        N_("Bucharest"),
        N_("Kyiv"),
        N_("Cairo"),
    }
)
# Languages whose replies name the zone's city after a time ("heure de Paris"). English gives
# the abbreviation alone, and a translation may not add a placeholder its English msgid lacks,
# so the city phrase is a message of its own, asked for in these languages only.
_CITY_NAMED = frozenset({"fr"})


@dataclass(frozen=True)
class _Reader:
    """Whom a reply is written for: their language's catalogue and their zone."""

    locale: str
    t: NullTranslations
    zone: ZoneInfo

    def _(self, message: str, **words: str) -> str:
        """`message` in the reader's language, its placeholders filled from `words` (as `_()`
        in the templates)."""
        return self.t.gettext(message) % words


def reply(status: FixStatus, locale: str, zone: str) -> str:
    """Short text for the customer about `status`, in `locale` (en|fr), times in `zone`."""
    locale = locale if locale in LOCALES else "en"
    return _REPLIES[status.state](status, _Reader(locale, translations(locale), ZoneInfo(zone)))


# ---- dates ------------------------------------------------------------------------------


def abbreviation(local: datetime) -> str:
    """The zone's abbreviation at `local` (EST, CET); numeric ones as UTC+04."""
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def city(zone: ZoneInfo, t: NullTranslations) -> str:
    """`America/New_York` → `New York`, in French `Europe/London` → `Londres`."""
    name = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return t.gettext(name) if name in _CITIES else name


def _zone(r: _Reader, local: datetime, *, abbreviated: bool = True) -> str:
    """The zone after a time: `EST`, in French `(heure de Paris, CET)`; without the
    abbreviation (a span that already gave both) nothing, in French `(heure de Paris)`."""
    if r.locale not in _CITY_NAMED:
        return abbreviation(local) if abbreviated else ""
    if r.zone.key == "UTC":
        return "(UTC)"
    place = city(r.zone, r.t)
    if not abbreviated:
        # Translators: after times that name their abbreviations already.
        return r._("(%(city)s time)", city=place)
    if place[:1].lower() in "aeiouyéèêâîôû":  # French elides: "heure d'Auckland"
        # Translators: the zone after a time, in replies to tickets.
        message = r.t.pgettext("city starting with a vowel", "(%(city)s time, %(abbreviation)s)")
    else:
        # Translators: the zone after a time, in replies to tickets.
        message = r.t.gettext("(%(city)s time, %(abbreviation)s)")
    return message % {"city": place, "abbreviation": abbreviation(local)}


def moment(instant: datetime, r: _Reader) -> str:
    """`Saturday 14 November 2026, 09:45 EST`, `samedi 14 novembre 2026 à 09:45 (heure de
    Paris, CET)`."""
    local = instant.astimezone(r.zone)
    date, time = long_date(local, r.locale), f"{local:%H:%M}"
    return r._("%(date)s, %(time)s %(zone)s", date=date, time=time, zone=_zone(r, local))


def _times(first: datetime, last: datetime) -> str:
    # Clocks that change inside the window name both zones: 01:00 EDT–01:30 EST.
    if abbreviation(first) != abbreviation(last):
        return f"{first:%H:%M} {abbreviation(first)}–{last:%H:%M} {abbreviation(last)}"
    return f"{first:%H:%M}–{last:%H:%M}"


def window(slot: Slot, r: _Reader) -> str:
    """`the maintenance window on Saturday 12 December 2026, 09:00–11:00 EST`, `la fenêtre de
    maintenance du samedi 12 décembre 2026, 09:00–11:00 (heure de …)`."""
    first, last = slot.starts_at.astimezone(r.zone), slot.ends_at.astimezone(r.zone)
    if first.date() == last.date():
        times = _times(first, last)
        zone = _zone(r, last, abbreviated=" " not in times)
        words = {"date": long_date(first, r.locale), "hours": f"{times} {zone}".rstrip()}
        if slot.kind == "regular":
            return r._("the maintenance window on %(date)s, %(hours)s", **words)
        if slot.kind == "emergency":
            return r._("an emergency maintenance window on %(date)s, %(hours)s", **words)
        return r._("a maintenance window on %(date)s, %(hours)s", **words)
    words = {
        "start": f"{long_date(first, r.locale)}, {first:%H:%M} {_zone(r, first)}",
        "end": f"{long_date(last, r.locale)}, {last:%H:%M} {_zone(r, last)}",
    }
    if slot.kind == "regular":
        return r._("the maintenance window from %(start)s to %(end)s", **words)
    if slot.kind == "emergency":
        return r._("an emergency maintenance window from %(start)s to %(end)s", **words)
    return r._("a maintenance window from %(start)s to %(end)s", **words)


# ---- sentences --------------------------------------------------------------------------


def _next(plan: Plan | None, r: _Reader) -> str:
    if plan is None or plan.window is None:
        return r._("The date it reaches your production environment is not set yet.")
    if plan.late:
        return _late(plan, r)
    return r._(
        "It reaches your production environment in %(window)s.", window=window(plan.window, r)
    )


def _next_again(plan: Plan | None, r: _Reader) -> str:
    if plan is None or plan.window is None:
        return r._("We will update this ticket with a new date.")
    if plan.late:
        return _late(plan, r)
    return r._(
        "It is due back on your production environment in %(window)s.",
        window=window(plan.window, r),
    )


def _late(plan: Plan, r: _Reader) -> str:
    return r._(
        "It was due on your production environment in %(window)s; we are confirming a new date.",
        window=window(plan.window, r),
    )


def _not_planned(s: FixStatus, r: _Reader) -> str:
    return r._(
        "The fix for %(bug)s is not planned in a release yet. "
        "We will update this ticket when it is.",
        bug=s.bug,
    )


def _planned(s: FixStatus, r: _Reader) -> str:
    plan = s.next
    release = plan.vehicle.name if plan else "?"
    if plan is None or plan.window is None:
        return r._(
            "The fix for %(bug)s is part of release %(release)s. The date it reaches your "
            "production environment is not set yet; we will update this ticket when it is.",
            bug=s.bug,
            release=release,
        )
    if plan.late:
        return r._(
            "The fix for %(bug)s is part of release %(release)s. %(next)s",
            bug=s.bug,
            release=release,
            next=_late(plan, r),
        )
    return r._(
        "The fix for %(bug)s is part of release %(release)s, which reaches your production "
        "environment in %(window)s.",
        bug=s.bug,
        release=release,
        window=window(plan.window, r),
    )


def _hotfix_scheduled(s: FixStatus, r: _Reader) -> str:
    plan = s.next
    if plan is None or plan.window is None:
        return r._(
            "A hotfix for %(bug)s is being prepared for your production environment; "
            "we will update this ticket with its date.",
            bug=s.bug,
        )
    if plan.late:
        return r._("A hotfix for %(bug)s is on its way. %(next)s", bug=s.bug, next=_late(plan, r))
    return r._(
        "A hotfix for %(bug)s reaches your production environment in %(window)s.",
        bug=s.bug,
        window=window(plan.window, r),
    )


def _in_preview(s: FixStatus, r: _Reader) -> str:
    return r._(
        "The fix for %(bug)s has been on your preview environment since %(since)s. %(next)s",
        bug=s.bug,
        since=moment(s.since, r),
        next=_next(s.next, r),
    )


def _deployed(s: FixStatus, r: _Reader) -> str:
    return r._(
        "The fix for %(bug)s has been live on your production environment since %(since)s.",
        bug=s.bug,
        since=moment(s.since, r),
    )


def _rolled_back(s: FixStatus, r: _Reader) -> str:
    return r._(
        "The fix for %(bug)s was rolled back from your production environment on %(since)s. "
        "%(next)s",
        bug=s.bug,
        since=moment(s.since, r),
        next=_next_again(s.next, r),
    )


def _wont_fix(s: FixStatus, r: _Reader) -> str:
    return r._(
        "%(bug)s was closed without a change to the product, so no fix will be deployed for "
        "it. Please reply to this ticket if it still affects you.",
        bug=s.bug,
    )


_REPLIES: dict[str, Callable[[FixStatus, _Reader], str]] = {
    "not_planned": _not_planned,
    "planned": _planned,
    "in_preview": _in_preview,
    "deployed": _deployed,
    "hotfix_scheduled": _hotfix_scheduled,
    "rolled_back": _rolled_back,
    "wont_fix": _wont_fix,
}
