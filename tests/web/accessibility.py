"""axe-core, served from the tests' node_modules, run in the page a test has open."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import missing

AXE = Path(__file__).parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
# What a test may never let through; "moderate" and "minor" are advice, not failures.
BLOCKING = ("critical", "serious")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@cache
def _axe_source() -> str:
    return AXE.read_text()


def accessibility_problems(page) -> list[str]:
    """The critical and serious axe-core violations on the page as it stands, one line each."""
    if not AXE.exists():
        missing("axe-core (make tests/js/node_modules/.installed)")
    # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy does not
    # govern, so the pages keep their policy while they are checked.
    if not page.evaluate("typeof axe === 'object'"):  # once per document: a long script
        page.evaluate(_axe_source())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page) -> None:
    """Fail naming each critical or serious violation on the page, with where it is."""
    problems = accessibility_problems(page)
    if problems:
        pytest.fail(f"{page.url}:\n  " + "\n  ".join(problems), pytrace=False)
