"""Every page of the demo in a real browser under the Content-Security-Policy: nothing is
blocked, no script fails, nothing fails to load; and, on the same visit, axe-core finds no
critical or serious violation at desktop size, nor once the window is narrowed to a phone's
(moderate ones, such as a missing landmark around a notice, are left as advice). A page's
markup, scripts and styles are the same on either database, so the browser visits them on
PostgreSQL; on SQLite each page is fetched and must answer."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import DATABASES
from tests.web.accessibility import DESKTOP, PHONE, accessibility_problems
from tests.web.demo_pages import ADMIN, PASSWORD, PUBLIC, STAFF, sign_in

ON_POSTGRESQL = [name for name in DATABASES if name == "postgresql"]
ON_THE_OTHERS = [name for name in DATABASES if name != "postgresql"]
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')

# Recorded by the page itself: Chromium reports a blocked script or style this way.
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def open_all(context, urls: list[str]) -> list[tuple]:
    """Start loading every url in a page of its own, all at once: the browser loads them side
    by side while the test checks the first. Each page comes with its problems so far."""
    opened = []
    for url in urls:
        page = context.new_page()
        problems: list[str] = []
        page.on(
            "console", lambda m, p=problems: m.type == "error" and p.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e, p=problems: p.append(f"script error: {e}"))
        response = page.goto(url, wait_until="commit")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        opened.append((page, problems))
    return opened


def checked(page, problems: list[str]) -> list[str]:
    """What went wrong on `page` once its scripts have run, then what axe finds there."""
    page.wait_for_load_state("networkidle")
    # The policy's report first: axe, run afterwards, is the test's, not the page's.
    problems += page.evaluate("window.__violations")
    problems += accessibility_problems(page)
    # The pages adapt to width in CSS alone (no script reads it), so narrowing the window
    # lays the page out as a phone's browser would, without loading it again.
    page.set_viewport_size(PHONE)
    problems += [f"phone: {problem}" for problem in accessibility_problems(page)]
    page.close()
    return problems


@pytest.mark.long
@pytest.mark.browser
@pytest.mark.parametrize("database_url", ON_POSTGRESQL, indirect=True)
def test_every_page_runs_under_the_policy_and_passes_axe_at_desktop_and_phone_size(
    browser, live_server, demo
):
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport=DESKTOP)
    context.add_init_script(WATCH_POLICY)
    found = {}
    try:
        for paths in (PUBLIC, STAFF):
            if paths is STAFF:
                sign_in(context, live_server.url)
            urls = [live_server.url + path.format(**demo) for path in paths]
            for path, (page, problems) in zip(paths, open_all(context, urls), strict=True):
                found[path] = checked(page, problems)
    finally:
        context.close()
    assert {path: problems for path, problems in found.items() if problems} == {}


@pytest.mark.parametrize("database_url", ON_THE_OTHERS, indirect=True)
def test_every_page_the_browser_visits_answers_on_the_other_databases(live_server, demo):
    http = requests.Session()
    for path in PUBLIC:
        answer = http.get(live_server.url + path.format(**demo), timeout=30)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    form = http.get(f"{live_server.url}/staff/login", timeout=30).text
    signed_in = http.post(
        f"{live_server.url}/staff/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": CSRF.search(form)[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303, signed_in.text
    for path in STAFF:
        answer = http.get(live_server.url + path.format(**demo), timeout=30)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"


@pytest.mark.browser
def test_the_policy_watch_sees_an_inline_script_being_blocked(browser, live_server):
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
