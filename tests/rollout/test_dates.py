"""Dates written out from our tables read as Babel's CLDR data writes them, so the emails and
replies agree with pages that format dates with Babel (no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date

from rollout.dates import LOCALES, long_date, short_date


def test_long_dates_match_cldr_for_every_day_of_four_years_in_each_language():
    first = date(2024, 1, 1)  # four years from a leap year: every day, month and weekday
    for offset in range(4 * 366):
        day = datetime.combine(first + timedelta(days=offset), datetime.min.time())
        for locale in LOCALES:
            # French writes the first of the month as an ordinal, which CLDR leaves to us.
            ordinal = locale == "fr" and day.day == 1
            pattern = "EEEE '1er' MMMM y" if ordinal else "EEEE d MMMM y"
            assert long_date(day, locale) == format_date(day, pattern, locale=locale)


def test_short_dates_match_cldr_abbreviations_for_every_day_of_four_years_in_each_language():
    first = date(2024, 1, 1)
    for offset in range(4 * 366):
        day = datetime.combine(first + timedelta(days=offset), datetime.min.time())
        for locale in LOCALES:
            assert short_date(day, locale) == format_date(day, "EEE d MMM y", locale=locale)
