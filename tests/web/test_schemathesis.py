"""Schemathesis with every check against a running app and the document it serves, as
`st run --checks all` does: examples, coverage, fuzzing and stateful phases, positive and
negative requests, as an administrator over the demo data. Seeded and bounded so it stays
short; on both databases, the coverage phase on PostgreSQL alone."""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.engine import Status, events, from_schema
from schemathesis.openapi.checks import RejectedPositiveData

from rollout import access
from rollout.demo import load_demo
from tests.conftest import NOW
from tests.factories import CONTEXT, bearer, make_token

SEED = 12
# The coverage phase (boundaries, each wrong type, undeclared methods) is deterministic and
# not bounded by this; fuzzing and stateful runs are.
MAX_EXAMPLES = 5
# The coverage phase sends the same ~2,700 requests to either database and is three quarters
# of a run. It runs on PostgreSQL, the production database and the stricter of the two at the
# boundaries it tries (NUL bytes, 4-byte integers); SQLite's run keeps the other phases.
PHASES_ON_SQLITE = ["examples", "fuzzing", "stateful"]

# Rules a JSON Schema cannot state: one field against another, or against what is stored
# or resolvable. A schema-valid request that breaks one is rightly refused, naming the field.
# Anything else refused on schema-valid input means the document is looser than validation.
BEYOND_A_SCHEMA = [
    re.compile(pattern)
    for pattern in (
        # one field needs another
        r"^name a region or a customer",
        r"^give ticket, or bug with customer",
        r"^name the customer whose fix status you want",
        r"^name the environment \(with its release or hotfix\) or the whole wave",
        r"^name the region \(or the customer\) the window is for",
        r"^name the release or the hotfix",
        r"^a whole wave is named by wave alone",
        r"^give the new (?:start|end)",  # a window's move or extension
        r"^give a region or a customer, not both",
        r"^only customer tokens belong to a customer",
        r"^a customer token needs the customer",
        r"is not one of region \S+'s windows",
        r"or already begun$",
        r"is not part of this rollout",
        r"is in region",
        r"^ask for at most 50 years",
        r"may last at most",
        r"^say why the freeze may be overridden",
        r"needs a justification",
        r"^say why you",
        r"must not be before",
        r"must (?:end|be) after",
        r"^This freeze covers \d+ planned window",  # covered: a choice once windows are found
        r"^Say why the planned windows may stay",
        r"^only a zero-day gets an emergency window",
        r"^the emergency start.* is in the past",
        r"^the expiry must be in the future",
        r"would already be over",
        r"reaches no customer in region",
        # a name that must exist: a stored row, an IANA zone, a host in DNS
        r"^no (?:region|customer|environment|release|hotfix|wave|window|bug) ",
        r"is not synced from Jira, and Jira is not configured",  # a bug to link
        r"^unknown time zone",
        r"does not resolve",
        r"webhooks go to public addresses only",
        r"^give an https:// URL",  # http only to an allowed (resolved) address
        # a grammar of its own
        r"^cron expression",
    )
]


def _beyond_a_schema(context, failure, case, response) -> bool:
    """Keep a failure unless it is schema-valid input refused by a rule listed above."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code not in (400, 422):
        return True
    try:
        message = json.loads(response.content)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return True
    return not any(rule.search(message) for rule in BEYOND_A_SCHEMA)


def findings(schema) -> list[str]:
    """Every failed check and engine error of one run, one line (and a curl) each."""
    found = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status == Status.FAILURE:
            for case_id, checks in event.recorder.checks.items():
                interaction = event.recorder.interactions.get(case_id)
                answer = interaction.response if interaction else None
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(
                            f"{event.label} [{check.name}] {failure.title}: {failure.message}\n"
                            f"    {check.failure_info.code_sample}\n"
                            f"    -> {answer.status_code if answer else '?'} "
                            f"{answer.content[:300] if answer else ''}"
                        )
        elif isinstance(event, events.NonFatalError):
            found.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return sorted(set(found))


def admin_tokens(sessions) -> type:
    """An auth provider sending an admin token; the run may revoke it (DELETE /tokens/{id}
    with its id), so a revoked one is replaced before the next request."""
    held: list[str] = []

    class AdminToken:
        def get(self, case, ctx) -> str:
            with sessions() as session:
                if not held or access.find_token(session, held[-1]).revoked_at is not None:
                    held.append(make_token(session, "admin"))
                    session.commit()
            return held[-1]

        def set(self, case, token: str, ctx) -> None:
            case.headers = {**(case.headers or {}), **bearer(token)}

    return AdminToken


@pytest.fixture
def api(live_server, database_url):
    with live_server.sessions() as session:
        load_demo(session, now=NOW, context=CONTEXT)
        session.commit()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    schema.auth(refresh_interval=None)(admin_tokens(live_server.sessions))
    schema.config.seed = SEED
    schema.config.generation.update(
        modes=list(GenerationMode), max_examples=MAX_EXAMPLES, deterministic=True
    )
    if database_url.startswith("sqlite"):
        schema.config.phases.update(phases=PHASES_ON_SQLITE)
    schema.hook("filter_failure")(_beyond_a_schema)
    return schema


# Schemathesis asks Hypothesis for a repr of each generated case; a long body only warns.
@pytest.mark.long
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_schemathesis_with_every_check_finds_nothing(api):
    found = findings(api)
    assert not found, f"{len(found)} findings:\n" + "\n".join(found)
