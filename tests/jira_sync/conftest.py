"""A stand-in Jira per test (Cloud or Server), and settings that point the real library at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jira_sync.client import JiraClient
from jira_sync.config import JiraSettings
from tests.jira_stub import EMAIL, PAT, TOKEN, JiraStub, running


def settings_for(stub: JiraStub, **overrides) -> JiraSettings:
    """Settings for `stub` as an operator would set them for that kind of Jira."""
    cloud = stub.deployment == "Cloud"
    fields = {
        "url": stub.url,
        "email": EMAIL if cloud else None,
        "api_token": TOKEN if cloud else None,
        "pat": None if cloud else PAT,
        "projects": ("ED",),
        "webhook_secret": "hook-secret",
        "severity_field": "customfield_10050",
        "note_field": "customfield_10051",
        "max_retry_wait_seconds": 5,
    }
    return JiraSettings(**(fields | overrides))


@pytest.fixture(params=["Cloud", "Server"])
def stub(request) -> Iterator[JiraStub]:
    """Jira Cloud and Jira Server/Data Center in turn, small pages so paging shows."""
    with running(JiraStub(deployment=request.param, cloud_page_max=3, server_page_max=3)) as s:
        yield s


@pytest.fixture
def cloud() -> Iterator[JiraStub]:
    with running(JiraStub(deployment="Cloud", cloud_page_max=3)) as s:
        yield s


@pytest.fixture
def server() -> Iterator[JiraStub]:
    with running(JiraStub(deployment="Server", server_page_max=3)) as s:
        yield s


class Sleeps(list):
    """A sleep that really sleeps and remembers how long it was asked to."""

    def __call__(self, seconds: float) -> None:
        import time

        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sleeps):
    opened = []

    def connect(stub: JiraStub, **overrides) -> JiraClient:
        client = JiraClient.connect(settings_for(stub, **overrides), sleep=sleeps)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()
