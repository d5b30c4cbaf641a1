"""Dates written out in the two languages customers read, English and French."""

from __future__ import annotations

from datetime import date, datetime

LOCALES = ("en", "fr")
_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
}
_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}


# The abbreviations pages use, CLDR's (what a browser's Intl writes, so the page script agrees).
_SHORT_DAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
}
_SHORT_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}


def long_date(local: datetime, locale: str) -> str:
    """`Saturday 12 December 2026`, or `samedi 12 décembre 2026` (the first is `1er`)."""
    day = "1er" if locale == "fr" and local.day == 1 else str(local.day)
    return f"{_DAYS[locale][local.weekday()]} {day} {_MONTHS[locale][local.month - 1]} {local.year}"


def month_and_year(day: date, locale: str) -> str:
    """`December 2026`, or `décembre 2026`."""
    return f"{_MONTHS[locale][day.month - 1]} {day.year}"


def weekday_names(locale: str) -> tuple[str, ...]:
    """The days of the week, Monday first: `Monday`…, or `lundi`…."""
    return tuple(_DAYS[locale])


def short_date(local: datetime, locale: str) -> str:
    """`Sat 12 Dec 2026`, or `sam. 12 déc. 2026`: no zero padding, whatever the server locale."""
    return f"{day_and_month(local, locale)} {local.year}"


def day_and_month(local: datetime, locale: str) -> str:
    """`Sat 12 Dec`, or `sam. 12 déc.`, where the year goes without saying."""
    weekday, month = _SHORT_DAYS[locale][local.weekday()], _SHORT_MONTHS[locale][local.month - 1]
    return f"{weekday} {local.day} {month}"
