"""The axe-core check itself (tests/web/accessibility.py). Every demo page is checked at
desktop and at phone size on the visit that checks its Content-Security-Policy
(test_browser_policy.py); forms and dialogs are checked in their own browser tests."""

from __future__ import annotations

import pytest

from tests.web.accessibility import accessibility_problems

pytestmark = pytest.mark.browser


def test_the_check_fails_on_a_page_with_an_unlabelled_button(browser, live_server):
    """The sweep would pass blindly if axe never ran: show it a violation."""
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/maintenance", wait_until="networkidle")
        page.evaluate("() => document.body.append(document.createElement('button'))")
        assert any("button-name" in problem for problem in accessibility_problems(page))
    finally:
        page.close()
