"""The calendar's conflict rule over plain values: no database, `now` pinned."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import product

from rollout.scheduling import Span
from rollout.windows.conflicts import (
    ConflictKind,
    FreezeFacts,
    WaveFacts,
    WindowFacts,
    _out_of_order,
    find_conflicts,
    version_key,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
JAN = datetime(2027, 1, 9, 14, 0, tzinfo=UTC)
US, EU = 1, 2
ACME = 10


def window(key, starts_at=DEC, *, region=US, customer=None, cancelled=False, **fields):
    return WindowFacts(
        key=key,
        title=f"Window {key}",
        region_id=region,
        customer_id=customer,
        cancelled=cancelled,
        span=Span(starts_at, starts_at + timedelta(hours=2)),
        **fields,
    )


def wave(window_key, version, tier="preview", *, starts_at=DEC, region=US, release=None):
    release = release or int(version.replace(".", ""))
    return WaveFacts(window_key, region, starts_at, release, version, tier)


def freeze(title="Holiday freeze", *, region=None, customer=None, event_plan=False):
    return FreezeFacts(
        title=title,
        span=Span(DEC - timedelta(days=1), DEC + timedelta(days=1)),
        region_id=region,
        customer_id=customer,
        customer_name="Acme" if customer else "",
        event_plan=event_plan,
    )


def kinds(found, key):
    return [c.kind for c in found[key]]


def test_one_release_per_window_in_version_order_raises_nothing():
    found = find_conflicts(
        [window(1), window(2, JAN)],
        [
            wave(1, "2026.12"),
            wave(2, "2026.12", "production", starts_at=JAN),
            wave(2, "2027.01", starts_at=JAN),
        ],
        [],
        now=NOW,
    )
    # Window 2 holds two releases (that is its one conflict), but in order.
    assert kinds(found, 1) == []
    assert kinds(found, 2) == [ConflictKind.STACKED_RELEASES]


def test_three_releases_stacked_in_inverted_order_are_flagged_on_their_window():
    found = find_conflicts(
        [window(1)],
        [
            wave(1, "2026.10", "production"),
            wave(1, "2027.02"),
            wave(1, "2026.12"),
        ],
        [],
        now=NOW,
    )
    texts = [c.text for c in found[1]]
    assert texts[0] == "3 releases in one window: 2026.10, 2026.12, 2027.02"
    assert texts[1:] == [
        "2027.02 preview is in the same window as 2026.12 preview, which it should follow"
    ]


def test_a_later_version_in_an_earlier_window_flags_both_windows():
    found = find_conflicts(
        [window(1), window(2, JAN)],
        [wave(1, "2027.01"), wave(2, "2026.12", starts_at=JAN)],
        [],
        now=NOW,
    )
    assert [c.text for c in found[1]] == [
        "2027.01 preview comes before 2026.12 preview, which is in a later window"
    ]
    assert [c.text for c in found[2]] == [
        "2026.12 preview comes after 2027.01 preview, which is in an earlier window"
    ]


def test_versions_are_compared_as_numbers_not_text():
    assert version_key("2026.9") < version_key("2026.10") < version_key("2026.10.1")
    assert version_key("4.2-rc.1") < version_key("4.2-rc.2") < version_key("4.2")
    found = find_conflicts(
        [window(1), window(2, JAN)],
        [wave(1, "2026.9"), wave(2, "2026.10", starts_at=JAN)],
        [],
        now=NOW,
    )
    assert found == {1: [], 2: []}


def test_order_is_per_region_and_tier():
    found = find_conflicts(
        [window(1), window(2, JAN, region=EU)],
        [
            wave(1, "2027.01"),
            wave(2, "2026.12", starts_at=JAN, region=EU),  # another region
            wave(1, "2026.10", "production"),  # another tier
        ],
        [],
        now=NOW,
    )
    assert kinds(found, 1) == [ConflictKind.STACKED_RELEASES]
    assert kinds(found, 2) == []


def test_a_wave_outside_the_period_still_counts_for_the_order():
    found = find_conflicts(
        [window(1)], [wave(1, "2027.01"), wave(99, "2026.12", starts_at=JAN)], [], now=NOW
    )
    assert kinds(found, 1) == [ConflictKind.VERSION_ORDER]
    assert 99 not in found


def test_a_freeze_over_a_planned_window_is_flagged_and_over_a_cancelled_one_is_not():
    found = find_conflicts(
        [window(1), window(2, cancelled=True), window(3, region=EU)],
        [],
        [freeze(region=US)],
        now=NOW,
    )
    assert [c.text for c in found[1]] == ["inside the freeze “Holiday freeze”"]
    assert found[2] == [] and found[3] == []


def test_a_window_planned_inside_a_freeze_on_purpose_is_not_flagged():
    found = find_conflicts([window(1, freeze_overridden=True)], [], [freeze()], now=NOW)
    assert found[1] == []


def test_a_customers_event_plan_flags_its_regions_windows_and_its_own_only():
    found = find_conflicts(
        [
            window(1),
            window(2, DEC + timedelta(hours=3), customer=ACME),
            window(3, DEC + timedelta(hours=6), customer=11),
            window(4, region=EU),
        ],
        [],
        [freeze("Acme launch", region=US, customer=ACME, event_plan=True)],
        now=NOW,
    )
    assert [c.text for c in found[1]] == [
        "Acme is in its event plan “Acme launch”: its deployments wait for a later window"
    ]
    assert kinds(found, 2) == [ConflictKind.EVENT_PLAN]
    assert found[3] == [] and found[4] == []


def test_overlapping_windows_of_a_region_are_flagged_but_two_customers_own_are_not():
    later = DEC + timedelta(hours=1)
    found = find_conflicts(
        [
            window(1),
            window(2, later),
            window(3, customer=ACME, region=EU),
            window(4, customer=11, region=EU),
            window(5, region=US, starts_at=DEC + timedelta(hours=2)),  # touches, no overlap
        ],
        [],
        [],
        now=NOW,
    )
    assert [c.text for c in found[1]] == ["overlaps the window “Window 2”"]
    assert [c.text for c in found[2]] == [
        "overlaps the window “Window 1”",
        "overlaps the window “Window 5”",
    ]
    assert found[3] == [] and found[4] == []


def test_windows_already_over_have_nothing_left_to_fix():
    found = find_conflicts(
        [window(1)],
        [wave(1, "2026.12"), wave(1, "2027.01")],
        [freeze()],
        now=DEC + timedelta(days=1),
    )
    assert found[1] == []


def test_version_order_clashes_are_every_pair_out_of_order_in_the_pairs_own_order():
    # The walk visits only the pairs out of order; this is every pair of each lane in turn,
    # as the rule reads, over starts and versions that tie, releases with two waves, two
    # lanes, and windows not asked for.
    rng = random.Random(14)
    for _ in range(100):
        waves = [
            WaveFacts(
                rng.randint(0, 9),
                rng.choice((US, EU)),
                DEC + timedelta(days=rng.randint(0, 4)),
                release := rng.randint(1, 6),
                f"2026.{release}{rng.choice(('', '.1'))}",
                rng.choice(("preview", "production")),
            )
            for _ in range(rng.randint(0, 14))
        ]
        wanted = set(rng.sample(range(10), 7))
        lanes = defaultdict(list)
        for wave in waves:
            lanes[(wave.region_id, wave.tier)].append(wave)
        expected = defaultdict(list)
        for later, earlier in (pair for lane in lanes.values() for pair in product(lane, lane)):
            if later.release_id == earlier.release_id:
                continue
            if not (
                later.starts_at <= earlier.starts_at
                and version_key(later.version) > version_key(earlier.version)
            ):
                continue
            pair = f"{later.version} {later.tier}", f"{earlier.version} {earlier.tier}"
            if later.window_key == earlier.window_key:
                if later.window_key in wanted:
                    expected[later.window_key].append(("same", *pair))
                continue
            if later.window_key in wanted:
                expected[later.window_key].append(("before", *pair))
            if earlier.window_key in wanted:
                expected[earlier.window_key].append(("after", *pair))
        found = _out_of_order(waves, wanted)
        assert {key: len(clashes) for key, clashes in found.items()} == {
            key: len(pairs) for key, pairs in expected.items()
        }
        for key, pairs in expected.items():
            for clash, (how, later, earlier) in zip(found[key], pairs, strict=True):
                first, second = (earlier, later) if how == "after" else (later, earlier)
                assert clash.text.startswith(first) and second in clash.text
                assert ("same window" in clash.text) == (how == "same")
