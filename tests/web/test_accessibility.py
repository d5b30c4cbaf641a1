"""Every page of the demo passes axe-core at phone size: no critical or serious violation
(moderate ones, such as a missing landmark around a notice, are left as advice). The desktop
size is checked on the same visit as the Content-Security-Policy (test_browser_policy.py)."""

from __future__ import annotations

import pytest

from tests.web.accessibility import PHONE, accessibility_problems, assert_accessible
from tests.web.demo_pages import PUBLIC, STAFF, sign_in

pytestmark = pytest.mark.browser


def test_every_demo_page_passes_axe_on_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        for path in PUBLIC:
            page.goto(live_server.url + path.format(**demo), wait_until="networkidle")
            assert_accessible(page)
        sign_in(context, live_server.url)
        for path in STAFF:
            page.goto(live_server.url + path.format(**demo), wait_until="networkidle")
            assert_accessible(page)
    finally:
        context.close()


def test_the_check_fails_on_a_page_with_an_unlabelled_button(browser, live_server):
    """The sweeps would pass blindly if axe never ran: show it a violation."""
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/maintenance", wait_until="networkidle")
        page.evaluate("() => document.body.append(document.createElement('button'))")
        assert any("button-name" in problem for problem in accessibility_problems(page))
    finally:
        page.close()
