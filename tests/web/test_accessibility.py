"""Every page of the demo passes axe-core at desktop and phone sizes: no critical or serious
violation (moderate ones, such as a missing landmark around a notice, are left as advice)."""

from __future__ import annotations

import pytest

from tests.web.accessibility import assert_accessible
from tests.web.demo_pages import PUBLIC, STAFF, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_every_demo_page_passes_axe(browser, live_server, demo, size):
    context = browser.new_context(viewport=SIZES[size])
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
    """The sweep above would pass blindly if axe never ran: show it a violation."""
    from tests.web.accessibility import accessibility_problems

    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/maintenance", wait_until="networkidle")
        page.evaluate("() => document.body.append(document.createElement('button'))")
        assert any("button-name" in problem for problem in accessibility_problems(page))
    finally:
        page.close()
