"""The pure wave proposal: preview first, a soak time, production region by region, around
freezes and customers' event plans. No database: targets, slots and freezes are plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.customers import EnvironmentKind
from rollout.errors import Conflict
from rollout.freezes import Freeze, FreezeScope, blocking
from rollout.releases.waves import Slot, Target, propose_waves
from rollout.scheduling import Span

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SOAK = timedelta(days=7)
PREVIEW, PRODUCTION = EnvironmentKind.PREVIEW, EnvironmentKind.PRODUCTION
US, EU = 1, 2


def targets(customer_id: int, slug: str, region_id: int) -> list[Target]:
    """A customer's preview and production environments."""
    return [
        Target(customer_id * 10 + n, customer_id, slug, region_id, kind)
        for n, kind in enumerate((PREVIEW, PRODUCTION))
    ]


def monthly(region_id: int, *, first: int = 1, months: int = 6, hour: int = 9) -> list[Slot]:
    """A two-hour window on day `first` of each month after NOW, ids region*100 + n."""
    slots = []
    for n in range(months):
        start = datetime(2026 + (11 + n) // 12, (11 + n) % 12 + 1, first, hour, tzinfo=UTC)
        slots.append(Slot(region_id * 100 + n, region_id, Span(start, start + timedelta(hours=2))))
    return slots


def slot(window_id: int, region_id: int, start: datetime, hours: int = 2) -> Slot:
    return Slot(window_id, region_id, Span(start, start + timedelta(hours=hours)))


def freeze(
    scope: FreezeScope,
    start: datetime,
    end: datetime,
    *,
    region_id: int | None = None,
    customer_id: int | None = None,
    title: str = "Freeze",
) -> Freeze:
    """A transient freeze, never stored."""
    return Freeze(
        scope=scope,
        region_id=region_id,
        customer_id=customer_id,
        title=title,
        starts_at=start,
        ends_at=end,
    )


def wave_of(waves, environment_id: int):
    (found,) = [w for w in waves if environment_id in {t.environment_id for t in w.targets}]
    return found


def test_preview_goes_first_in_each_regions_next_window():
    world = targets(1, "acme", US) + targets(2, "initech", EU)
    slots = {US: monthly(US), EU: monthly(EU, hour=14)}

    waves = propose_waves(world, slots, [], soak=SOAK, now=NOW)

    assert [(w.kind, w.region_id) for w in waves[:2]] == [(PREVIEW, US), (PREVIEW, EU)]
    assert waves[0].slot == slots[US][0] and waves[1].slot == slots[EU][0]
    assert {t.customer for t in waves[0].targets} == {"acme"}


def test_production_waits_the_soak_after_that_customers_preview_ends():
    # Windows every 5 days: the one right after the preview is inside the soak time.
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    slots = {
        US: [
            Slot(n, US, Span(start + timedelta(days=5 * n), start + timedelta(days=5 * n, hours=2)))
            for n in range(6)
        ]
    }

    waves = propose_waves(targets(1, "acme", US), slots, [], soak=SOAK, now=NOW)

    preview, production = waves
    assert preview.kind == PREVIEW and preview.slot.window_id == 0
    assert production.kind == PRODUCTION and production.slot.window_id == 2
    assert production.slot.span.start >= preview.slot.span.end + SOAK


def test_each_regions_production_sits_in_its_next_window_after_the_soak():
    world = targets(1, "acme", US) + targets(2, "initech", EU)
    slots = {US: monthly(US), EU: monthly(EU, first=3)}

    waves = propose_waves(world, slots, [], soak=SOAK, now=NOW)

    assert wave_of(waves, 11).slot == slots[US][1]
    assert wave_of(waves, 21).slot == slots[EU][1]
    assert [w.slot.span.start for w in waves] == sorted(w.slot.span.start for w in waves)


def test_a_customer_in_its_event_plan_moves_to_its_next_allowed_window_and_the_wave_says_why():
    world = targets(1, "acme", US) + targets(2, "globex", US)
    slots = {US: monthly(US)}
    launch = freeze(
        FreezeScope.CUSTOMER,
        slots[US][1].span.start - timedelta(days=1),
        slots[US][1].span.end + timedelta(days=1),
        customer_id=2,
        title="Globex launch",
    )

    waves = propose_waves(world, slots, [launch], soak=SOAK, now=NOW)

    assert wave_of(waves, 11).slot == slots[US][1]
    deferred = wave_of(waves, 21)
    assert deferred.slot == slots[US][2]
    assert deferred.deferred == ["globex moved past 'Globex launch'"]
    assert wave_of(waves, 11).deferred == []


def test_a_region_freeze_moves_only_that_regions_customers():
    world = targets(1, "acme", US) + targets(2, "initech", EU)
    slots = {US: monthly(US), EU: monthly(EU)}
    holiday = freeze(
        FreezeScope.REGION,
        slots[US][0].span.start,
        slots[US][0].span.end,
        region_id=US,
        title="US holiday",
    )

    waves = propose_waves(world, slots, [holiday], soak=SOAK, now=NOW)

    assert wave_of(waves, 10).slot == slots[US][1]
    assert wave_of(waves, 20).slot == slots[EU][0]


def test_a_global_freeze_moves_everyone():
    world = targets(1, "acme", US) + targets(2, "initech", EU)
    slots = {US: monthly(US), EU: monthly(EU)}
    year_end = freeze(
        FreezeScope.GLOBAL,
        slots[US][0].span.start - timedelta(days=1),
        slots[US][0].span.end + timedelta(days=1),
        title="Year-end freeze",
    )

    waves = propose_waves(world, slots, [year_end], soak=SOAK, now=NOW)

    assert {w.slot.window_id for w in waves if w.kind == PREVIEW} == {101, 201}
    assert all(w.deferred for w in waves if w.kind == PREVIEW)


def test_a_global_freeze_over_every_window_is_a_conflict_naming_the_windows():
    slots = {US: monthly(US)}
    forever = freeze(FreezeScope.GLOBAL, NOW, NOW + timedelta(days=3650))

    with pytest.raises(Conflict) as refused:
        propose_waves(targets(1, "acme", US), slots, [forever], soak=SOAK, now=NOW)
    assert refused.value.field == "windows"
    assert refused.value.message == (
        "every preview window for acme is frozen within the planned horizon"
    )


def test_no_window_at_all_is_a_conflict_naming_the_windows():
    with pytest.raises(Conflict) as refused:
        propose_waves(targets(1, "acme", US), {}, [], soak=SOAK, now=NOW)
    assert refused.value.field == "windows"
    assert refused.value.message == (
        "no preview window for acme after 2026-11-22 12:00Z within the planned horizon; "
        "plan further ahead with `rollout plan --until`"
    )


def test_no_window_after_the_soak_is_a_conflict_naming_the_windows():
    slots = {US: monthly(US, months=1)}

    with pytest.raises(Conflict) as refused:
        propose_waves(targets(1, "acme", US), slots, [], soak=SOAK, now=NOW)
    assert refused.value.field == "windows"
    assert refused.value.message.startswith("no production window for acme after 2026-12-08 11:00Z")


def test_a_customer_without_a_preview_environment_gets_production_a_soak_after_now():
    production_only = [t for t in targets(1, "acme", US) if t.kind == PRODUCTION]
    slots = {US: [slot(1, US, NOW + SOAK - timedelta(hours=1)), slot(2, US, NOW + SOAK)]}

    waves = propose_waves(production_only, slots, [], soak=SOAK, now=NOW)

    assert [(w.kind, w.slot.window_id) for w in waves] == [(PRODUCTION, 2)]


def test_slots_given_out_of_order_still_give_the_earliest_window():
    slots = {US: list(reversed(monthly(US)))}

    waves = propose_waves(targets(1, "acme", US), slots, [], soak=SOAK, now=NOW)

    assert [w.slot.window_id for w in waves] == [100, 101]


def test_windows_that_began_before_now_are_never_chosen():
    earlier = Slot(99, US, Span(NOW - timedelta(hours=1), NOW + timedelta(hours=1)))
    slots = {US: [earlier, *monthly(US)]}

    waves = propose_waves(targets(1, "acme", US), slots, [], soak=SOAK, now=NOW)

    assert waves[0].slot.window_id == 100


def test_a_production_window_starting_exactly_when_the_soak_ends_is_taken():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    preview = slot(1, US, start)
    at_soak_end = slot(2, US, preview.span.end + SOAK)
    slots = {US: [preview, at_soak_end, slot(3, US, at_soak_end.span.start + timedelta(days=1))]}

    waves = propose_waves(targets(1, "acme", US), slots, [], soak=SOAK, now=NOW)

    assert [(w.kind, w.slot.window_id) for w in waves] == [(PREVIEW, 1), (PRODUCTION, 2)]


def test_a_preview_window_starting_exactly_now_is_taken():
    slots = {US: [slot(1, US, NOW), *monthly(US)]}

    waves = propose_waves(targets(1, "acme", US), slots, [], soak=timedelta(0), now=NOW)

    assert [(w.kind, w.slot.window_id) for w in waves] == [(PREVIEW, 1), (PRODUCTION, 100)]


def test_a_preview_and_a_production_wave_at_the_same_instant_number_the_preview_first():
    # Both regions' windows start at the same instants; initech's launch pushes its preview
    # into the window where acme's production goes.
    world = targets(1, "acme", US) + targets(2, "initech", EU)
    slots = {US: monthly(US), EU: monthly(EU)}
    launch = freeze(
        FreezeScope.CUSTOMER,
        slots[EU][0].span.start,
        slots[EU][0].span.end,
        customer_id=2,
        title="Initech launch",
    )

    waves = propose_waves(world, slots, [launch], soak=SOAK, now=NOW)

    assert [(w.kind, w.region_id, w.slot.span.start) for w in waves[1:3]] == [
        (PREVIEW, EU, slots[EU][1].span.start),
        (PRODUCTION, US, slots[US][1].span.start),
    ]


def test_waves_of_two_regions_at_the_same_instant_are_numbered_by_region():
    world = targets(2, "initech", EU) + targets(1, "acme", US)
    slots = {EU: monthly(EU), US: monthly(US)}

    waves = propose_waves(world, slots, [], soak=SOAK, now=NOW)

    assert [(w.kind, w.region_id) for w in waves] == [
        (PREVIEW, US),
        (PREVIEW, EU),
        (PRODUCTION, US),
        (PRODUCTION, EU),
    ]


def test_a_customer_pushed_past_two_freezes_is_told_of_the_first_one():
    world = targets(1, "acme", US)
    slots = {US: monthly(US)}
    first, second = slots[US][0].span, slots[US][1].span
    audit = freeze(FreezeScope.CUSTOMER, first.start, first.end, customer_id=1, title="Audit")
    launch = freeze(FreezeScope.CUSTOMER, second.start, second.end, customer_id=1, title="Launch")

    waves = propose_waves(world, slots, [launch, audit], soak=SOAK, now=NOW)

    assert wave_of(waves, 10).slot == slots[US][2]
    assert wave_of(waves, 10).deferred == ["acme moved past 'Audit'"]


def test_of_two_freezes_over_one_window_the_note_names_the_first_given():
    world = targets(1, "acme", US) + targets(2, "globex", US)
    slots = {US: monthly(US)}
    first = slots[US][0].span
    launch = freeze(FreezeScope.CUSTOMER, first.start, first.end, customer_id=2, title="Launch")
    holiday = freeze(FreezeScope.REGION, first.start, first.end, region_id=US, title="Holiday")
    audit = freeze(FreezeScope.CUSTOMER, first.start, first.end, customer_id=1, title="Audit")

    waves = propose_waves(world, slots, [launch, holiday, audit], soak=SOAK, now=NOW)

    assert wave_of(waves, 10).deferred == [
        "acme moved past 'Holiday'",
        "globex moved past 'Launch'",
    ]


# --- property ---------------------------------------------------------------------------------

HOUR = timedelta(hours=1)


@st.composite
def worlds(draw):
    """Regions with non-overlapping windows (as planning guarantees) given in any order,
    customers with both environments, freezes of every scope, and a soak time."""
    region_ids = list(range(1, draw(st.integers(1, 3)) + 1))
    slots = {}
    for region_id in region_ids:
        starts = draw(st.lists(st.integers(-48, 24 * 150), min_size=0, max_size=8, unique=True))
        spans = []
        for hours in sorted(starts):
            start = NOW + hours * HOUR
            length = draw(st.integers(1, 6)) * HOUR
            if spans and start < spans[-1].end:
                continue
            spans.append(Span(start, start + length))
        region_slots = [Slot(region_id * 1000 + n, region_id, span) for n, span in enumerate(spans)]
        slots[region_id] = draw(st.permutations(region_slots))
    customers = draw(
        st.lists(st.sampled_from(region_ids), min_size=1, max_size=6).map(
            lambda regions: list(enumerate(regions, start=1))
        )
    )
    world = [t for cid, region in customers for t in targets(cid, f"c{cid}", region)]
    freezes = []
    for n in range(draw(st.integers(0, 4))):
        scope = draw(st.sampled_from(list(FreezeScope)))
        start = NOW + draw(st.integers(-48, 24 * 150)) * HOUR
        end = start + draw(st.integers(1, 24 * 30)) * HOUR
        freezes.append(
            freeze(
                scope,
                start,
                end,
                region_id=draw(st.sampled_from(region_ids))
                if scope == FreezeScope.REGION
                else None,
                customer_id=(
                    draw(st.sampled_from([c for c, _ in customers]))
                    if scope == FreezeScope.CUSTOMER
                    else None
                ),
                title=f"Freeze {n}",
            )
        )
    soak = timedelta(days=draw(st.integers(0, 14)))
    return world, slots, freezes, soak


def allowed(slot: Slot, target: Target, freezes: list[Freeze]) -> bool:
    return slot.span.start >= NOW and not blocking(
        freezes, slot.span, region_id=target.region_id, customer_id=target.customer_id
    )


def earliest_allowed(slots, target: Target, freezes, not_before: datetime):
    """Brute force: the first window of the target's region from `not_before` it may use, and
    the first freeze (in the order given) over the first one it may not."""
    later = sorted(
        (s for s in slots.get(target.region_id, []) if s.span.start >= not_before),
        key=lambda s: s.span.start,
    )
    for n, candidate in enumerate(later):
        if allowed(candidate, target, freezes):
            if n == 0:
                return candidate, None
            first_frozen = later[0].span
            return candidate, blocking(
                freezes, first_frozen, region_id=target.region_id, customer_id=target.customer_id
            )[0]
    return None, None


def can_be_planned(world, slots, freezes, soak) -> bool:
    """Brute force: every customer has an allowed preview and a production after the soak."""
    by_customer: dict[int, dict] = {}
    for target in world:
        by_customer.setdefault(target.customer_id, {})[target.kind] = target
    for pair in by_customer.values():
        preview, production = pair[PREVIEW], pair[PRODUCTION]
        region = slots.get(preview.region_id, [])
        if not any(
            allowed(p, preview, freezes)
            and any(
                allowed(q, production, freezes) and q.span.start >= p.span.end + soak
                for q in region
            )
            for p in region
        ):
            return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_proposal_is_the_earliest_that_keeps_freezes_order_and_soak_or_says_it_cannot(
    world_etc,
):
    world, slots, freezes, soak = world_etc
    try:
        waves = propose_waves(world, slots, freezes, soak=soak, now=NOW)
    except Conflict as refused:
        assert refused.field == "windows"
        assert not can_be_planned(world, slots, freezes, soak)
        return
    assert can_be_planned(world, slots, freezes, soak)

    placed = [(t, w) for w in waves for t in w.targets]
    assert sorted(t.environment_id for t, _ in placed) == sorted(t.environment_id for t in world)
    for target, wave in placed:
        assert wave.kind == target.kind and wave.region_id == target.region_id
        assert wave.slot in slots[target.region_id]
        assert allowed(wave.slot, target, freezes)
    slot_of = {(t.customer_id, t.kind): w.slot for t, w in placed}
    for customer_id in {t.customer_id for t in world}:
        preview, production = slot_of[customer_id, PREVIEW], slot_of[customer_id, PRODUCTION]
        assert production.span.start >= preview.span.end + soak
    numbered = [(w.slot.span.start, w.kind != PREVIEW, w.region_id) for w in waves]
    assert numbered == sorted(set(numbered))
    # Not just any allowed windows: the earliest, and the note names the first freeze passed.
    preview_end = {}
    for wave in sorted(waves, key=lambda w: w.kind != PREVIEW):
        notes = []
        for target in wave.targets:
            not_before = NOW if wave.kind == PREVIEW else preview_end[target.customer_id] + soak
            best, skipped = earliest_allowed(slots, target, freezes, not_before)
            assert wave.slot == best
            if skipped:
                notes.append(f"{target.customer} moved past {skipped.title!r}")
            if wave.kind == PREVIEW:
                preview_end[target.customer_id] = wave.slot.span.end
        assert wave.deferred == notes
