"""Fixtures the web tests share."""

from tests.web.demo_pages import demo  # noqa: F401 (a fixture, found by name)
