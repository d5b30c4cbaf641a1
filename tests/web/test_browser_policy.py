"""Every page of the demo in a real browser under the Content-Security-Policy: nothing is
blocked, no script fails, nothing fails to load; and, on the same visit, axe-core finds no
critical or serious violation at desktop size, nor once the window is narrowed to a phone's
(moderate ones, such as a missing landmark around a notice, are left as advice)."""

from __future__ import annotations

import pytest

from tests.web.accessibility import DESKTOP, PHONE, accessibility_problems
from tests.web.demo_pages import PUBLIC, STAFF, sign_in

pytestmark = pytest.mark.browser

# Recorded by the page itself: Chromium reports a blocked script or style this way.
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def visit(page, url: str) -> list[str]:
    """Open `url`, let its scripts run, and return what went wrong there."""
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    problems += page.evaluate("window.__violations")
    return problems


def test_every_page_runs_under_the_policy_and_passes_axe_at_desktop_and_phone_size(
    browser, live_server, demo
):
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport=DESKTOP)
    context.add_init_script(WATCH_POLICY)
    found = {}

    def check(path: str) -> None:
        page = context.new_page()
        # The policy's report first: axe, run afterwards, is the test's, not the page's.
        found[path] = visit(page, live_server.url + path.format(**demo))
        found[path] += accessibility_problems(page)
        # The pages adapt to width in CSS alone (no script reads it), so narrowing the window
        # lays the page out as a phone's browser would, without loading it again.
        page.set_viewport_size(PHONE)
        found[path] += [f"phone: {problem}" for problem in accessibility_problems(page)]
        page.close()

    try:
        for path in PUBLIC:
            check(path)
        sign_in(context, live_server.url)
        for path in STAFF:
            check(path)
    finally:
        context.close()
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_policy_watch_sees_an_inline_script_being_blocked(browser, live_server, demo):
    """The check above would pass blindly if violations went unseen: inject one."""
    context = browser.new_context()
    context.add_init_script(WATCH_POLICY)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/maintenance", wait_until="networkidle")
        page.evaluate(
            """() => {
              const s = document.createElement("script");
              s.textContent = "window.__ran = true";
              document.body.append(s);
            }"""
        )
        page.wait_for_function("() => window.__violations.length > 0")  # a function: no eval
        assert page.evaluate("window.__ran") is None
        assert page.evaluate("window.__violations")[0].startswith("script-src")
    finally:
        context.close()
