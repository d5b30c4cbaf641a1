"""Fix status as a pure rule over releases, hotfixes and deployments, and the replies it
writes in English and French in the customer's zone, across DST edges (no database; the
use cases are in test_fix_status_use_cases.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout.jira.models import Bug, StatusCategory
from rollout.support.fix_status.rule import (
    BugFacts,
    Carrier,
    FixState,
    FixStatus,
    Plan,
    Slot,
    Step,
    Vehicle,
    derive_fix_status,
)
from rollout.support.replies import reply
from tests.conftest import NOW

ACME, GLOBEX = 1, 2
BUG = BugFacts("OPS-1")
# Second Saturdays 09:00-11:00 America/New_York: Dec 12 2026 (EST), Jan 9 2027.
DEC = Slot(datetime(2026, 12, 12, 14, tzinfo=UTC), datetime(2026, 12, 12, 16, tzinfo=UTC))
JAN = Slot(datetime(2027, 1, 9, 14, tzinfo=UTC), datetime(2027, 1, 9, 16, tzinfo=UTC))
NOV = Slot(datetime(2026, 11, 14, 14, tzinfo=UTC), datetime(2026, 11, 14, 16, tzinfo=UTC))
R12 = Vehicle("release", "2026.12")


def step(customer, env, status, window=None, finished=None, *, at=None) -> Step:
    """A deployment in `window`, or with no window at `at` (undated when neither is given);
    an outcome other than scheduled is reported 45 minutes after the start."""
    when = window.starts_at if window else at
    if finished is None and status != "scheduled" and when is not None:
        finished = when + timedelta(minutes=45)
    return Step(customer, env, status, window, when, finished)


def release(*steps, version="2026.12", status="rolling_out", keys=("OPS-1",)) -> Carrier:
    return Carrier(Vehicle("release", version), status, frozenset(keys), steps=tuple(steps))


def hotfix(number, *steps, customers=(), status="scheduled", key="OPS-1") -> Carrier:
    return Carrier(
        Vehicle("hotfix", str(number)), status, frozenset({key}), frozenset(customers), steps
    )


def status(carriers, customer=ACME, bug=BUG) -> FixStatus:
    return derive_fix_status(bug, customer, carriers, now=NOW)


# ---- the rule ----------------------------------------------------------------------------


def test_a_bug_nothing_carries_is_not_planned_even_when_done_in_jira():
    assert status([]).state == FixState.NOT_PLANNED
    done = BugFacts("OPS-1", done=True, resolution="Fixed")
    assert status([], bug=done).state == FixState.NOT_PLANNED


def test_a_release_naming_the_bug_with_a_production_wave_ahead_is_planned_for_that_window():
    carriers = [
        release(step(ACME, "preview", "scheduled", NOV), step(ACME, "production", "scheduled", DEC))
    ]
    found = status(carriers)
    assert found.state == FixState.PLANNED
    assert found.next == Plan(R12, DEC)


def test_a_fix_version_naming_the_release_ties_the_bug_to_it():
    carriers = [release(step(ACME, "production", "scheduled", DEC), keys=())]
    assert status(carriers).state == FixState.NOT_PLANNED
    tied = BugFacts("OPS-1", fix_versions=("2026.12",))
    assert status(carriers, bug=tied).next == Plan(R12, DEC)


def test_a_draft_release_is_planned_without_a_date():
    found = status([release(status="draft")])
    assert found == FixStatus("OPS-1", FixState.PLANNED, R12, None, Plan(R12))


def test_on_preview_says_since_when_and_what_comes_next():
    done_at = NOV.starts_at + timedelta(minutes=40)
    carriers = [
        release(
            step(ACME, "preview", "succeeded", NOV, done_at),
            step(ACME, "production", "scheduled", DEC),
        )
    ]
    found = status(carriers)
    assert found == FixStatus("OPS-1", FixState.IN_PREVIEW, R12, done_at, Plan(R12, DEC))


def test_live_on_production_is_deployed_since_the_first_success_and_beats_wont_fix():
    live_at = DEC.starts_at + timedelta(minutes=50)
    carriers = [
        release(step(ACME, "production", "succeeded", DEC, live_at)),
        hotfix(3, step(ACME, "production", "succeeded", JAN)),
    ]
    wont = BugFacts("OPS-1", done=True, resolution="Won't Fix")
    assert status(carriers, bug=wont) == FixStatus("OPS-1", FixState.DEPLOYED, R12, live_at)


def test_one_release_gives_each_customer_its_own_truth():
    carriers = [
        release(
            step(ACME, "production", "succeeded", NOV),
            step(GLOBEX, "preview", "succeeded", NOV),
            step(GLOBEX, "production", "scheduled", JAN),
        )
    ]
    assert status(carriers, ACME).state == FixState.DEPLOYED
    assert status(carriers, GLOBEX).state == FixState.IN_PREVIEW
    # A customer the release's waves left out (added after planning): no date for it yet.
    assert status(carriers, 3).next == Plan(R12)


def test_a_hotfix_ahead_of_the_release_is_what_the_customer_hears_about():
    emergency = Slot(
        datetime(2026, 11, 23, 14, tzinfo=UTC), datetime(2026, 11, 23, 15, tzinfo=UTC), "emergency"
    )
    carriers = [
        release(step(ACME, "production", "scheduled", JAN)),
        hotfix(7, step(ACME, "production", "scheduled", emergency)),
    ]
    found = status(carriers)
    assert found.state == FixState.HOTFIX_SCHEDULED
    assert found.next == Plan(Vehicle("hotfix", "7"), emergency)


def test_another_customers_patch_never_shows():
    patch = hotfix(
        9,
        step(GLOBEX, "preview", "succeeded", NOV),
        step(GLOBEX, "production", "succeeded", NOV),
        # Even a deployment row wrongly pointing at acme's environment is not acme's fix.
        step(ACME, "production", "succeeded", NOV),
        customers=[GLOBEX],
    )
    assert status([patch], GLOBEX).state == FixState.DEPLOYED
    assert status([patch], ACME) == FixStatus("OPS-1", FixState.NOT_PLANNED)


def test_a_hotfix_for_everyone_names_no_customers():
    everyone = hotfix(4, step(ACME, "production", "scheduled", DEC))
    assert status([everyone]).state == FixState.HOTFIX_SCHEDULED


def test_a_hotfix_naming_another_bug_does_not_carry_this_one():
    other = hotfix(5, step(ACME, "production", "succeeded", NOV), customers=[ACME], key="OPS-2")
    assert status([other]) == FixStatus("OPS-1", FixState.NOT_PLANNED)


def test_an_outcome_without_a_time_counts_from_its_scheduled_start():
    # Outcomes are reported with a time; a row without one reads as of its window.
    untimed = Step(ACME, "production", "succeeded", DEC, DEC.starts_at, None)
    assert status([release(untimed)]).since == DEC.starts_at


def test_a_bugs_facts_are_read_from_its_jira_fields():
    bug = Bug(
        key="OPS-1",
        status_category=StatusCategory.DONE,
        resolution="Won't Fix",
        fix_versions=["2026.12"],
    )
    assert BugFacts.of(bug) == BugFacts("OPS-1", True, "Won't Fix", ("2026.12",))
    open_bug = Bug(key="OPS-2", status_category=StatusCategory.IN_PROGRESS, fix_versions=None)
    assert BugFacts.of(open_bug) == BugFacts("OPS-2")


def test_a_hotfix_awaiting_approval_or_cancelled_is_not_counted():
    waiting = hotfix(5, step(ACME, "production", "scheduled", DEC), status="awaiting_approval")
    cancelled = hotfix(6, step(ACME, "production", "scheduled", DEC), status="cancelled")
    assert status([waiting, cancelled]).state == FixState.NOT_PLANNED


def test_a_cancelled_release_plans_nothing_but_what_it_deployed_stays_live():
    cancelled = release(
        step(ACME, "production", "scheduled", DEC),
        step(GLOBEX, "production", "succeeded", NOV),
        status="cancelled",
    )
    assert status([cancelled], ACME).state == FixState.NOT_PLANNED
    assert status([cancelled], GLOBEX).state == FixState.DEPLOYED


def test_a_production_rollback_is_rolled_back_with_the_next_try_if_there_is_one():
    back_at = DEC.starts_at + timedelta(hours=3)
    rolled = release(
        step(ACME, "preview", "succeeded", NOV),
        step(ACME, "production", "rolled_back", DEC, back_at),
    )
    assert status([rolled]) == FixStatus("OPS-1", FixState.ROLLED_BACK, R12, back_at, None)
    retry = hotfix(8, step(ACME, "production", "scheduled", JAN))
    assert status([rolled, retry]).next == Plan(Vehicle("hotfix", "8"), JAN)


def test_a_release_whose_window_passed_unreported_is_planned_late():
    later = NOW + timedelta(days=30)
    found = derive_fix_status(
        BUG, ACME, [release(step(ACME, "production", "scheduled", DEC))], now=later
    )
    assert found.next == Plan(R12, DEC, late=True)
    in_progress = release(step(ACME, "production", "in_progress", DEC))
    assert derive_fix_status(BUG, ACME, [in_progress], now=later).next.late is False


@pytest.mark.parametrize(
    "resolution",
    ["Won't Fix", "Won\u2019t Do", "Declined", "Cannot Reproduce", "works as designed"],
)
def test_closed_without_a_change_is_wont_fix(resolution):
    bug = BugFacts("OPS-1", done=True, resolution=resolution)
    assert status([], bug=bug) == FixStatus("OPS-1", FixState.WONT_FIX)


def test_a_resolution_on_an_open_bug_is_not_wont_fix():
    assert status([], bug=BugFacts("OPS-1", resolution="Won't Fix")).state == FixState.NOT_PLANNED


def at(now: datetime, carriers: list[Carrier]) -> FixStatus:
    return derive_fix_status(BUG, ACME, carriers, now=now)


def test_a_hotfix_and_a_release_in_one_window_the_customer_hears_of_the_hotfix():
    both = [
        release(step(ACME, "production", "scheduled", DEC)),
        hotfix(3, step(ACME, "production", "scheduled", DEC)),
    ]
    for carriers in (both, both[::-1]):
        found = status(carriers)
        assert (found.state, found.next) == (
            FixState.HOTFIX_SCHEDULED,
            Plan(Vehicle("hotfix", "3"), DEC),
        )
    assert reply(found, "en", NY).startswith("A hotfix for OPS-1 reaches your production")


def test_a_failed_production_deployment_is_still_ahead_and_late_once_its_window_passed():
    failed = [release(step(ACME, "production", "failed", DEC))]
    assert at(DEC.starts_at + timedelta(minutes=50), failed).next == Plan(R12, DEC)
    found = at(DEC.ends_at + timedelta(days=1), failed)
    assert (found.state, found.next) == (FixState.PLANNED, Plan(R12, DEC, late=True))
    assert reply(found, "en", NY) == (
        "The fix for OPS-1 is part of release 2026.12. It was due on your production "
        "environment in the maintenance window on Saturday 12 December 2026, 09:00–11:00 EST; "
        "we are confirming a new date."
    )


def test_a_customer_added_after_a_release_was_scheduled_reads_planned_without_a_date():
    scheduled = release(step(GLOBEX, "production", "scheduled", DEC), status="scheduled")
    found = status([scheduled], ACME)
    assert found == FixStatus("OPS-1", FixState.PLANNED, R12, None, Plan(R12))
    assert reply(found, "en", NY) == (
        "The fix for OPS-1 is part of release 2026.12. The date it reaches your production "
        "environment is not set yet; we will update this ticket when it is."
    )


@pytest.mark.parametrize("closed", ["cancelled", "completed"])
def test_a_closed_release_that_never_had_a_wave_for_the_customer_is_not_planned(closed):
    other = release(step(GLOBEX, "production", "succeeded", NOV), status=closed)
    assert status([other], ACME) == FixStatus("OPS-1", FixState.NOT_PLANNED)


def test_after_two_rollbacks_the_reply_gives_the_latest_rollbacks_date():
    first = release(step(ACME, "production", "rolled_back", DEC, DEC.ends_at))
    second = hotfix(8, step(ACME, "production", "rolled_back", JAN, JAN.ends_at))
    for carriers in ([first, second], [second, first]):
        found = status(carriers)
        assert (found.state, found.vehicle, found.since) == (
            FixState.ROLLED_BACK,
            Vehicle("hotfix", "8"),
            JAN.ends_at,
        )
    assert "rolled back from your production environment on Saturday 9 January 2027, 11:00 EST" in (
        reply(found, "en", NY)
    )


def test_on_preview_since_gives_the_first_preview_date():
    # The rule promises the day the fix first reached preview, whichever carrier took it.
    early = hotfix(2, step(ACME, "preview", "succeeded", NOV, NOV.ends_at))
    late = release(step(ACME, "preview", "succeeded", DEC, DEC.ends_at))
    for carriers in ([early, late], [late, early]):
        found = at(JAN.starts_at, carriers)
        assert (found.state, found.vehicle, found.since) == (
            FixState.IN_PREVIEW,
            Vehicle("hotfix", "2"),
            NOV.ends_at,
        )
    assert "preview environment since Saturday 14 November 2026, 11:00 EST" in (
        reply(found, "en", NY)
    )


def test_an_unreported_window_is_not_late_while_it_runs_and_late_from_its_exact_end():
    waiting = [release(step(ACME, "production", "scheduled", DEC))]
    assert at(DEC.starts_at + timedelta(hours=1), waiting).next == Plan(R12, DEC)
    assert at(DEC.ends_at - timedelta(microseconds=1), waiting).next == Plan(R12, DEC)
    assert at(DEC.ends_at, waiting).next == Plan(R12, DEC, late=True)


def test_a_deployment_without_a_window_is_late_from_its_scheduled_instant():
    when = DEC.starts_at
    waiting = [release(step(ACME, "production", "scheduled", at=when))]
    assert at(when - timedelta(microseconds=1), waiting).next == Plan(R12)
    assert at(when, waiting).next == Plan(R12, late=True)
    # The earliest date wins, with or without a window.
    sooner = hotfix(4, step(ACME, "production", "scheduled", at=NOW + timedelta(days=8)))
    windowed = release(step(ACME, "production", "scheduled", JAN), version="2027.01")
    assert at(NOW, [windowed, *waiting, sooner]).next == Plan(Vehicle("hotfix", "4"))
    assert at(NOW, [windowed, *waiting]).next == Plan(R12)


def test_an_undated_production_deployment_is_planned_without_a_date_after_any_dated_one():
    undated_release = release(step(ACME, "production", "scheduled"))
    found = status([undated_release])
    assert found == FixStatus("OPS-1", FixState.PLANNED, R12, None, Plan(R12))
    undated_hotfix = hotfix(3, step(ACME, "production", "failed"))
    for carriers in ([undated_release, undated_hotfix], [undated_hotfix, undated_release]):
        found = status(carriers)
        assert found == FixStatus(
            "OPS-1", FixState.HOTFIX_SCHEDULED, Vehicle("hotfix", "3"), None, Plan(found.vehicle)
        )
    assert reply(found, "en", NY) == (
        "A hotfix for OPS-1 is being prepared for your production environment; we will "
        "update this ticket with its date."
    )
    dated = release(step(ACME, "production", "scheduled", JAN), version="2027.01")
    assert status([undated_hotfix, dated]).next == Plan(Vehicle("release", "2027.01"), JAN)


# ---- the replies -------------------------------------------------------------------------

NY, PARIS = "America/New_York", "Europe/Paris"


def planned_in(window: Slot, vehicle: Vehicle = R12) -> FixStatus:
    state = FixState.HOTFIX_SCHEDULED if vehicle.kind == "hotfix" else FixState.PLANNED
    return FixStatus("KEY-1", state, vehicle, None, Plan(vehicle, window))


def test_the_planned_reply_reads_as_the_product_brief_says():
    assert reply(planned_in(DEC), "en", NY) == (
        "The fix for KEY-1 is part of release 2026.12, which reaches your production "
        "environment in the maintenance window on Saturday 12 December 2026, 09:00–11:00 EST."
    )
    assert reply(planned_in(DEC), "fr", PARIS) == (
        "Le correctif de KEY-1 fait partie de la version 2026.12, qui sera déployée sur votre "
        "environnement de production pendant la fenêtre de maintenance du samedi 12 décembre "
        "2026, 15:00–17:00 (heure de Paris, CET)."
    )


@pytest.mark.parametrize(
    ("zone", "window", "expected"),
    [
        # New York in summer and across the November fall-back (two abbreviations).
        (
            "America/New_York",
            (datetime(2026, 7, 11, 13), 2),
            "Saturday 11 July 2026, 09:00–11:00 EDT",
        ),
        (
            "America/New_York",
            (datetime(2026, 11, 1, 5), 2),
            "Sunday 1 November 2026, 01:00 EDT–02:00 EST",
        ),
        # Dublin: Irish Standard Time in summer, GMT in winter, and the repeated 01:30.
        ("Europe/Dublin", (datetime(2026, 7, 11, 8), 2), "Saturday 11 July 2026, 09:00–11:00 IST"),
        (
            "Europe/Dublin",
            (datetime(2026, 12, 12, 9), 2),
            "Saturday 12 December 2026, 09:00–11:00 GMT",
        ),
        (
            "Europe/Dublin",
            (datetime(2026, 10, 25, 0, 30), 1),
            "Sunday 25 October 2026, 01:30 IST–01:30 GMT",
        ),
        # Sydney: daylight time starts inside the window; AEDT in December.
        (
            "Australia/Sydney",
            (datetime(2026, 10, 3, 15), 2),
            "Sunday 4 October 2026, 01:00 AEST–04:00 AEDT",
        ),
        (
            "Australia/Sydney",
            (datetime(2026, 12, 11, 22), 2),
            "Saturday 12 December 2026, 09:00–11:00 AEDT",
        ),
        (
            "Asia/Dubai",
            (datetime(2026, 12, 12, 5), 2),
            "Saturday 12 December 2026, 09:00–11:00 UTC+04",
        ),
        ("UTC", (datetime(2026, 12, 12, 14), 2), "Saturday 12 December 2026, 14:00–16:00 UTC"),
    ],
)
def test_window_dates_are_in_the_customers_zone_with_the_zone_named(zone, window, expected):
    start = window[0].replace(tzinfo=UTC)
    slot = Slot(start, start + timedelta(hours=window[1]))
    assert reply(planned_in(slot), "en", zone).endswith(f"window on {expected}.")


def test_a_window_crossing_midnight_for_the_reader_names_both_days():
    perth = reply(planned_in(DEC), "en", "Australia/Perth")
    assert perth.endswith(
        "in the maintenance window from Saturday 12 December 2026, 22:00 AWST "
        "to Sunday 13 December 2026, 00:00 AWST."
    )
    french = reply(planned_in(DEC), "fr", "Australia/Perth")
    assert french.endswith(
        "pendant la fenêtre de maintenance du samedi 12 décembre 2026, 22:00 (heure de Perth, "
        "AWST) au dimanche 13 décembre 2026, 00:00 (heure de Perth, AWST)."
    )


def test_french_dates_come_from_tables_with_the_first_of_the_month_and_city_names():
    live = FixStatus("KEY-1", FixState.DEPLOYED, R12, datetime(2027, 5, 1, 8, 5, tzinfo=UTC))
    assert reply(live, "fr", "Europe/London") == (
        "Le correctif de KEY-1 est déployé sur votre environnement de production depuis le "
        "samedi 1er mai 2027 à 09:05 (heure de Londres, BST)."
    )
    assert "(heure d'Auckland, NZST)" in reply(live, "fr", "Pacific/Auckland")
    assert reply(live, "en", "America/Chicago") == (
        "The fix for KEY-1 has been live on your production environment since "
        "Saturday 1 May 2027, 03:05 CDT."
    )


def test_every_state_has_a_reply_in_both_languages_naming_the_bug():
    since = NOV.starts_at
    states = [
        FixStatus("KEY-1", FixState.NOT_PLANNED),
        planned_in(DEC),
        FixStatus("KEY-1", FixState.PLANNED, R12, None, Plan(R12)),
        FixStatus("KEY-1", FixState.IN_PREVIEW, R12, since, Plan(R12, DEC)),
        FixStatus("KEY-1", FixState.IN_PREVIEW, R12, since, None),
        FixStatus("KEY-1", FixState.DEPLOYED, R12, since),
        planned_in(DEC, Vehicle("hotfix", "3")),
        FixStatus("KEY-1", FixState.ROLLED_BACK, R12, since, None),
        FixStatus("KEY-1", FixState.ROLLED_BACK, R12, since, Plan(R12, JAN)),
        FixStatus("KEY-1", FixState.WONT_FIX),
        FixStatus("KEY-1", FixState.PLANNED, R12, None, Plan(R12, DEC, late=True)),
    ]
    for found in states:
        for lang in ("en", "fr"):
            text = reply(found, lang, NY)
            assert "KEY-1" in text and text.endswith(".") and "\n" not in text
            assert "None" not in text and "?" not in text


def test_replies_for_each_state_say_what_an_agent_would():
    since = NOV.starts_at + timedelta(minutes=45)
    preview = FixStatus("KEY-1", FixState.IN_PREVIEW, R12, since, Plan(R12, DEC))
    assert reply(preview, "en", NY) == (
        "The fix for KEY-1 has been on your preview environment since Saturday 14 November "
        "2026, 09:45 EST. It reaches your production environment in the maintenance window on "
        "Saturday 12 December 2026, 09:00–11:00 EST."
    )
    assert reply(preview, "fr", PARIS).startswith(
        "Le correctif de KEY-1 est disponible sur votre environnement de préproduction depuis "
        "le samedi 14 novembre 2026 à 15:45 (heure de Paris, CET). Il sera déployé"
    )
    emergency = Slot(
        datetime(2026, 11, 23, 14, tzinfo=UTC), datetime(2026, 11, 23, 15, tzinfo=UTC), "emergency"
    )
    assert reply(planned_in(emergency, Vehicle("hotfix", "3")), "en", NY) == (
        "A hotfix for KEY-1 reaches your production environment in an emergency maintenance "
        "window on Monday 23 November 2026, 09:00–10:00 EST."
    )
    assert "une fenêtre de maintenance d'urgence le lundi 23 novembre 2026" in reply(
        planned_in(emergency, Vehicle("hotfix", "3")), "fr", PARIS
    )
    rolled = FixStatus("KEY-1", FixState.ROLLED_BACK, R12, since, None)
    assert reply(rolled, "en", NY) == (
        "The fix for KEY-1 was rolled back from your production environment on Saturday "
        "14 November 2026, 09:45 EST. We will update this ticket with a new date."
    )
    assert reply(FixStatus("KEY-1", FixState.NOT_PLANNED), "fr", PARIS) == (
        "Le correctif de KEY-1 n'est pas encore planifié dans une version. Nous mettrons ce "
        "ticket à jour dès qu'il le sera."
    )
