"""Paste-ready replies for a ticket, in English or French, in the customer's time zone with
the zone named. Dates are written from tables, never from the server's locale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from rollout.dates import long_date
from rollout.support.fix_status.rule import FixStatus, Plan, Slot

# Cities of IANA zone names that French writes differently ("heure de Londres").
_FR_CITIES = {
    "London": "Londres",
    "Brussels": "Bruxelles",
    "Vienna": "Vienne",
    "Lisbon": "Lisbonne",
    "Warsaw": "Varsovie",
    "Moscow": "Moscou",
    "Athens": "Athènes",
    "Copenhagen": "Copenhague",
    "Algiers": "Alger",
    "Mexico City": "Mexico",
    "Singapore": "Singapour",
    "Montreal": "Montréal",
    "Quebec": "Québec",
    "Belgrade": "Belgrade",
    "Bucharest": "Bucarest",
    "Kyiv": "Kiev",
    "Cairo": "Le Caire",
    "Tokyo": "Tokyo",
    "Tunis": "Tunis",
}


def reply(status: FixStatus, locale: str, zone: str) -> str:
    """Short text for the customer about `status`, in `locale` (en|fr), times in `zone`."""
    writer = _FRENCH if locale == "fr" else _ENGLISH
    return writer[status.state](status, ZoneInfo(zone))


# ---- dates ------------------------------------------------------------------------------


def abbreviation(local: datetime) -> str:
    """The zone's abbreviation at `local` (EST, CET); numeric ones as UTC+04."""
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def city(zone: ZoneInfo, locale: str = "en") -> str:
    """`America/New_York` → `New York` (French: `Europe/London` → `Londres`)."""
    name = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return _FR_CITIES.get(name, name) if locale == "fr" else name


def _fr_zone(zone: ZoneInfo, local: datetime) -> str:
    if zone.key == "UTC":
        return "(UTC)"
    place = city(zone, "fr")
    of = "d'" if place[:1].lower() in "aeiouyéèêâîôû" else "de "
    return f"(heure {of}{place}, {abbreviation(local)})"


def en_moment(instant: datetime, zone: ZoneInfo) -> str:
    """`Saturday 14 November 2026, 09:45 EST`."""
    local = instant.astimezone(zone)
    return f"{long_date(local, 'en')}, {local:%H:%M} {abbreviation(local)}"


def fr_moment(instant: datetime, zone: ZoneInfo) -> str:
    """`samedi 14 novembre 2026 à 09:45 (heure de Paris, CET)`."""
    local = instant.astimezone(zone)
    return f"{long_date(local, 'fr')} à {local:%H:%M} {_fr_zone(zone, local)}"


def _times(first: datetime, last: datetime) -> str:
    # Clocks that change inside the window name both zones: 01:00 EDT–01:30 EST.
    if abbreviation(first) != abbreviation(last):
        return f"{first:%H:%M} {abbreviation(first)}–{last:%H:%M} {abbreviation(last)}"
    return f"{first:%H:%M}–{last:%H:%M}"


def en_window(slot: Slot, zone: ZoneInfo) -> str:
    """`the maintenance window on Saturday 12 December 2026, 09:00–11:00 EST`."""
    first, last = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    which = {"regular": "the maintenance window", "emergency": "an emergency maintenance window"}
    name = which.get(slot.kind, "a maintenance window")
    if first.date() == last.date():
        times = _times(first, last)
        suffix = "" if " " in times else f" {abbreviation(last)}"
        return f"{name} on {long_date(first, 'en')}, {times}{suffix}"
    return (
        f"{name} from {long_date(first, 'en')}, {first:%H:%M} {abbreviation(first)} "
        f"to {long_date(last, 'en')}, {last:%H:%M} {abbreviation(last)}"
    )


def fr_window(slot: Slot, zone: ZoneInfo) -> str:
    """`la fenêtre de maintenance du samedi 12 décembre 2026, 09:00–11:00 (heure de …)`."""
    first, last = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    regular = slot.kind == "regular"
    name = {
        "regular": "la fenêtre de maintenance",
        "emergency": "une fenêtre de maintenance d'urgence",
    }.get(slot.kind, "une fenêtre de maintenance")
    if first.date() == last.date():
        times = _times(first, last)
        place = _fr_zone(zone, last)
        if " " in times:  # both abbreviations already given: name the city alone
            place = "(UTC)" if zone.key == "UTC" else f"(heure de {city(zone, 'fr')})"
        return f"{name} {'du' if regular else 'le'} {long_date(first, 'fr')}, {times} {place}"
    return (
        f"{name} du {long_date(first, 'fr')}, {first:%H:%M} {_fr_zone(zone, first)} "
        f"au {long_date(last, 'fr')}, {last:%H:%M} {_fr_zone(zone, last)}"
    )


# ---- sentences --------------------------------------------------------------------------


def _en_next(plan: Plan | None, zone: ZoneInfo, *, again: bool = False) -> str:
    if plan is None or plan.window is None:
        return (
            "We will update this ticket with a new date."
            if again
            else "The date it reaches your production environment is not set yet."
        )
    if plan.late:
        return (
            f"It was due on your production environment in {en_window(plan.window, zone)}; "
            "we are confirming a new date."
        )
    verb = "It is due back on" if again else "It reaches"
    return f"{verb} your production environment in {en_window(plan.window, zone)}."


def _fr_next(plan: Plan | None, zone: ZoneInfo, *, again: bool = False) -> str:
    if plan is None or plan.window is None:
        return (
            "Nous mettrons ce ticket à jour avec une nouvelle date."
            if again
            else "La date de son déploiement sur votre environnement de production "
            "n'est pas encore fixée."
        )
    if plan.late:
        return (
            "Son déploiement sur votre environnement de production était prévu pendant "
            f"{fr_window(plan.window, zone)}. Nous confirmons une nouvelle date."
        )
    again_word = "de nouveau " if again else ""
    return (
        f"Il sera {again_word}déployé sur votre environnement de production pendant "
        f"{fr_window(plan.window, zone)}."
    )


def _en_planned(s: FixStatus, zone: ZoneInfo) -> str:
    plan = s.next
    release = plan.vehicle.name if plan else "?"
    if plan is None or plan.window is None:
        return (
            f"The fix for {s.bug} is part of release {release}. The date it reaches your "
            "production environment is not set yet; we will update this ticket when it is."
        )
    if plan.late:
        return f"The fix for {s.bug} is part of release {release}. {_en_next(plan, zone)}"
    return (
        f"The fix for {s.bug} is part of release {release}, which reaches your production "
        f"environment in {en_window(plan.window, zone)}."
    )


def _fr_planned(s: FixStatus, zone: ZoneInfo) -> str:
    plan = s.next
    release = plan.vehicle.name if plan else "?"
    if plan is None or plan.window is None:
        return (
            f"Le correctif de {s.bug} fait partie de la version {release}. La date de son "
            "déploiement sur votre environnement de production n'est pas encore fixée. "
            "Nous mettrons ce ticket à jour dès qu'elle le sera."
        )
    if plan.late:
        return f"Le correctif de {s.bug} fait partie de la version {release}. " + _fr_next(
            plan, zone
        )
    return (
        f"Le correctif de {s.bug} fait partie de la version {release}, qui sera déployée sur "
        f"votre environnement de production pendant {fr_window(plan.window, zone)}."
    )


def _en_hotfix(s: FixStatus, zone: ZoneInfo) -> str:
    plan = s.next
    if plan is None or plan.window is None:
        return (
            f"A hotfix for {s.bug} is being prepared for your production environment; "
            "we will update this ticket with its date."
        )
    if plan.late:
        return f"A hotfix for {s.bug} is on its way. {_en_next(plan, zone)}"
    return (
        f"A hotfix for {s.bug} reaches your production environment in "
        f"{en_window(plan.window, zone)}."
    )


def _fr_hotfix(s: FixStatus, zone: ZoneInfo) -> str:
    plan = s.next
    if plan is None or plan.window is None:
        return (
            f"Un correctif urgent pour {s.bug} est en préparation pour votre environnement de "
            "production. Nous mettrons ce ticket à jour avec sa date."
        )
    if plan.late:
        return f"Un correctif urgent pour {s.bug} est en cours. " + _fr_next(plan, zone)
    return (
        f"Un correctif urgent pour {s.bug} sera déployé sur votre environnement de production "
        f"pendant {fr_window(plan.window, zone)}."
    )


def _en_preview(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"The fix for {s.bug} has been on your preview environment since "
        f"{en_moment(s.since, zone)}. {_en_next(s.next, zone)}"
    )


def _fr_preview(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"Le correctif de {s.bug} est disponible sur votre environnement de préproduction "
        f"depuis le {fr_moment(s.since, zone)}. {_fr_next(s.next, zone)}"
    )


def _en_deployed(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"The fix for {s.bug} has been live on your production environment since "
        f"{en_moment(s.since, zone)}."
    )


def _fr_deployed(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"Le correctif de {s.bug} est déployé sur votre environnement de production depuis le "
        f"{fr_moment(s.since, zone)}."
    )


def _en_rolled_back(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"The fix for {s.bug} was rolled back from your production environment on "
        f"{en_moment(s.since, zone)}. {_en_next(s.next, zone, again=True)}"
    )


def _fr_rolled_back(s: FixStatus, zone: ZoneInfo) -> str:
    return (
        f"Le correctif de {s.bug} a été retiré de votre environnement de production le "
        f"{fr_moment(s.since, zone)}. {_fr_next(s.next, zone, again=True)}"
    )


_Writer = Callable[["FixStatus", ZoneInfo], str]
_ENGLISH: dict[str, _Writer] = {
    "not_planned": lambda s, _z: (
        f"The fix for {s.bug} is not planned in a release yet. "
        "We will update this ticket when it is."
    ),
    "planned": _en_planned,
    "in_preview": _en_preview,
    "deployed": _en_deployed,
    "hotfix_scheduled": _en_hotfix,
    "rolled_back": _en_rolled_back,
    "wont_fix": lambda s, _z: (
        f"{s.bug} was closed without a change to the product, so no fix will be deployed "
        "for it. Please reply to this ticket if it still affects you."
    ),
}
_FRENCH: dict[str, _Writer] = {
    "not_planned": lambda s, _z: (
        f"Le correctif de {s.bug} n'est pas encore planifié dans une version. "
        "Nous mettrons ce ticket à jour dès qu'il le sera."
    ),
    "planned": _fr_planned,
    "in_preview": _fr_preview,
    "deployed": _fr_deployed,
    "hotfix_scheduled": _fr_hotfix,
    "rolled_back": _fr_rolled_back,
    "wont_fix": lambda s, _z: (
        f"{s.bug} a été clôturé sans modification du produit. Aucun correctif ne sera donc "
        "déployé. Répondez à ce ticket si le problème vous affecte toujours."
    ),
}
