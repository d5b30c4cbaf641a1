"""The event table: every event published reaches someone, or says why not; the events
module stays a leaf so any capability can publish without an import circle."""

from __future__ import annotations

import inspect
import subprocess
import sys

from rollout import events, handlers


def event_classes() -> list[type]:
    return [
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if cls.__module__ == events.__name__ and cls is not events.Context
    ]


def test_every_event_has_a_handler_or_says_why_it_has_none():
    for event in event_classes():
        assert event in handlers.HANDLERS, f"{event.__name__} is missing from the table"
        chain = handlers.HANDLERS[event]
        assert bool(chain) != (event in handlers.WITHOUT_HANDLERS), event.__name__


def test_the_table_names_only_events_of_the_events_module():
    assert set(handlers.HANDLERS) == set(event_classes())


def test_a_handler_that_may_refuse_runs_before_any_that_writes():
    for event, chain in handlers.HANDLERS.items():
        refusing = [handler in handlers.MAY_REFUSE for handler in chain]
        assert refusing == sorted(refusing, reverse=True), event.__name__


def test_events_are_frozen_values():
    for event in event_classes():
        params = getattr(event, "__dataclass_params__", None)
        assert params is not None and params.frozen, event.__name__
        assert hasattr(event, "__slots__"), event.__name__


def test_the_events_module_imports_no_other_project_module():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, rollout.events; print(*sorted(m for m in sys.modules if m.startswith("
            "'rollout.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == ["rollout.events"]
