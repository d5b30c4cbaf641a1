"""GET /metrics as Prometheus scrapes it: only with the metrics token or on the separate
address, requests by route template, what the outbox, Jira and the planner hold, deliveries,
feed answers, and several processes adding up."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from werkzeug.test import Client

from channels.email import SmtpSender
from rollout.jira.models import JiraPush, JiraPushStatus, JiraSyncState
from rollout.notifications import Channel, Notification, NotificationStatus, Topic
from rollout.windows import Window
from tests import conftest
from tests.conftest import NOW, settings_from_env
from tests.factories import make_customer, make_policy, make_region
from tests.notifications.conftest import BASE_URL, add_contact, smtp_settings
from tests.notifications.servers import free_port, smtp_server
from tests.notifications.test_triggers import change, make_window
from tests.notifications.test_workers import seed
from web import create_app, metrics
from web.cli import cli
from web.settings import SettingsError
from web.worker import Worker, run

TOKEN = "metrics-token-0123456789"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


def scrape(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def watched(session_factory, clock, tmp_path):
    """A test client of the app with METRICS_TOKEN set, and a way to scrape it."""
    settings = dataclasses.replace(conftest.test_settings(), metrics_token=TOKEN)
    app = create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )
    app.config.update(TESTING=True)
    client = app.test_client()

    def scraped() -> dict[tuple[str, frozenset], float]:
        response = client.get("/metrics", headers=SCRAPER)
        assert response.status_code == 200
        return scrape(response.text)

    client.scrape = scraped
    client.app = app
    return client


# ---- who may scrape -------------------------------------------------------------------------


def test_metrics_are_not_there_at_all_without_a_metrics_token(client):
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404
    assert response.status_code == client.get("/no-such-page").status_code


def test_a_missing_or_wrong_token_gets_401_and_the_right_one_the_metrics(watched):
    missing = watched.get("/metrics")
    wrong = watched.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
    strange = watched.get("/metrics", headers={"Authorization": "Bearer é"})
    assert [missing.status_code, wrong.status_code, strange.status_code] == [401, 401, 401]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "rollout_" not in missing.text + wrong.text
    right = watched.get("/metrics", headers=SCRAPER)
    assert right.status_code == 200
    assert right.content_type.startswith("text/plain; version=0.0.4")
    assert right.headers["Cache-Control"] == "no-store"
    assert "# TYPE rollout_requests_total counter" in right.text


def test_the_separate_address_answers_metrics_without_a_token_and_nothing_else(app):
    listener = Client(metrics.listener(app))
    answered = listener.get("/metrics")
    assert answered.status_code == 200
    assert value(scrape(answered.get_data(as_text=True)), "rollout_database_up") == 1
    assert listener.get("/").status_code == 404
    assert listener.get("/api/v1/windows").status_code == 404
    assert listener.post("/metrics").status_code == 405


def test_a_short_token_or_a_missing_directory_stops_start_up_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="METRICS_TOKEN must be at least 16"):
        settings_from_env(tmp_path, {"METRICS_TOKEN": "secret"})
    with pytest.raises(SettingsError, match="PROMETHEUS_MULTIPROC_DIR must be an existing"):
        settings_from_env(tmp_path, {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "nowhere")})
    settings = settings_from_env(tmp_path, {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    assert settings.metrics_dir == tmp_path
    assert TOKEN not in repr(settings_from_env(tmp_path, {"METRICS_TOKEN": TOKEN}))


def test_a_metrics_address_that_is_not_host_and_port_is_refused():
    result = CliRunner().invoke(cli, ["serve", "--metrics-bind", "9100"])
    assert result.exit_code == 2
    assert "give HOST:PORT, e.g. 127.0.0.1:9100" in result.output


# ---- what is counted ----------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status_never_by_path(watched, session):
    before = watched.scrape()
    for window_id in (999, 998, 997):
        watched.get(f"/api/v1/windows/{window_id}")
    watched.get("/healthz")
    watched.get("/wp-admin/setup.php")
    watched.get("/.env")
    after = watched.scrape()

    def grew(**labels):
        return value(after, "rollout_requests_total", **labels) - value(
            before, "rollout_requests_total", **labels
        )

    assert grew(route="/api/v1/windows/<window_id>", method="GET", status="404") == 3
    assert grew(route="/healthz", method="GET", status="200") == 1
    assert grew(route="(unmatched)", method="GET", status="404") == 2
    assert not any("999" in str(labels) for _, labels in after)
    count = ("rollout_request_duration_seconds_count", "/healthz")
    assert value(after, count[0], route=count[1], method="GET") >= 1


def test_outbox_rows_and_the_oldest_due_one_are_read_from_the_database(watched, session):
    make_region(session)
    customer = make_customer(session)

    def notice(n: int, channel: Channel, status: NotificationStatus, **times):
        times.setdefault("next_attempt_at", NOW)
        session.add(
            Notification(
                message_id=f"m{n}",
                event="window.announced",
                topic=Topic.MAINTENANCE,
                channel=channel,
                customer_id=customer.id,
                recipient=f"contact:{n}",
                address=f"c{n}@acme.test",
                dedupe_key=f"k{n}",
                payload={},
                status=status,
                due_at=NOW - timedelta(hours=1),
                created_at=NOW,
                updated_at=NOW,
                **times,
            )
        )

    email, webhook = Channel.EMAIL, Channel.WEBHOOK
    pending, sending = NotificationStatus.PENDING, NotificationStatus.SENDING
    notice(1, email, pending, next_attempt_at=NOW - timedelta(minutes=30))
    notice(2, email, pending, next_attempt_at=NOW - timedelta(minutes=5))
    notice(3, email, pending, next_attempt_at=NOW + timedelta(hours=1))  # not due yet
    notice(4, webhook, NotificationStatus.DELIVERED)
    # Claimed by a worker that died: due again since its lease ran out two minutes ago.
    notice(5, webhook, sending, locked_until=NOW - timedelta(minutes=2))
    notice(6, webhook, sending, locked_until=NOW + timedelta(minutes=1))  # still held
    session.flush()

    samples = watched.scrape()
    outbox = "rollout_outbox_notifications"
    assert value(samples, outbox, channel="email", status="pending") == 3
    assert value(samples, outbox, channel="webhook", status="delivered") == 1
    assert value(samples, outbox, channel="webhook", status="sending") == 2
    assert (outbox, frozenset({"channel": "email", "status": "dead"}.items())) in samples
    oldest = "rollout_outbox_oldest_due_age_seconds"
    assert value(samples, oldest, channel="email") == 30 * 60
    assert value(samples, oldest, channel="webhook") == 2 * 60


def test_jira_sync_lag_and_the_push_queue_are_read_from_the_database(watched, session):
    session.add_all(
        [
            JiraSyncState(project="OPS", synced_through=NOW - timedelta(minutes=10)),
            JiraSyncState(project="WEB", last_error="401 Unauthorized"),
            *(
                JiraPush(
                    action="create_version",
                    payload={},
                    status=status,
                    next_attempt_at=NOW,
                    created_at=NOW,
                )
                for status in ("pending", "pending", "failed", "done")
            ),
        ]
    )
    session.flush()
    samples = watched.scrape()
    assert value(samples, "rollout_jira_sync_lag_seconds", project="OPS") == 600
    assert value(samples, "rollout_jira_sync_lag_seconds", project="WEB") == math.inf
    last = value(samples, "rollout_jira_sync_last_success_timestamp_seconds", project="OPS")
    assert last == (NOW - timedelta(minutes=10)).timestamp()
    assert value(samples, "rollout_jira_sync_failing", project="WEB") == 1
    assert value(samples, "rollout_jira_sync_failing", project="OPS") == 0
    pushes = {s: value(samples, "rollout_jira_pushes", status=s) for s in JiraPushStatus}
    assert pushes == {"pending": 2, "failed": 1, "done": 1}


def test_each_policys_horizon_is_its_furthest_window_to_come(watched, session):
    make_region(session)
    policy = make_policy(session)
    ended = make_policy(
        session,
        title="Old rule",
        cron="0 3 * * 0",
        active_from=(NOW - timedelta(days=60)).date(),
        active_until=(NOW - timedelta(days=1)).date(),
    )
    furthest = session.scalar(
        select(func.max(Window.starts_at)).where(Window.policy_id == policy.id)
    )
    samples = watched.scrape()
    horizon = value(samples, "rollout_policy_horizon_seconds", policy=str(policy.id), region="us")
    assert horizon == (furthest - NOW).total_seconds()
    assert 17 * 30 * 86400 < horizon < 19 * 31 * 86400  # the default 18 months
    assert ("rollout_policy_horizon_seconds", str(ended.id)) not in {
        (name, dict(labels).get("policy")) for name, labels in samples
    }


def test_deliveries_are_counted_by_outcome_after_a_worker_pass(
    watched, session, session_factory, clock
):
    make_region(session, "us")
    customer = make_customer(session, "acme", "us")
    add_contact(session, customer, "ops@acme.test")
    add_contact(session, customer, "oncall@acme.test", name="On call")
    change(session, make_window(session, start=NOW + timedelta(days=3)), "announce")
    clock.advance(minutes=5)
    before = watched.scrape()
    with smtp_server() as (inbox, port):
        inbox.script.append("451 4.3.0 try again later")  # the first message waits
        worker = Worker(
            sessions=session_factory,
            clock=clock,
            base_url=BASE_URL,
            email=SmtpSender(smtp_settings(port), public_url=BASE_URL),
            name="metrics-test",
        )
        try:
            run(worker, once=True)
        finally:
            worker.close()
    after = watched.scrape()

    def grew(outcome):
        labels = {"channel": "email", "outcome": outcome}
        return value(after, "rollout_deliveries_total", **labels) - value(
            before, "rollout_deliveries_total", **labels
        )

    assert (grew("delivered"), grew("retry")) == (1, 1)
    assert inbox.count == 1


def test_feed_renders_and_304s_are_told_apart(watched, session):
    make_region(session)
    make_policy(session)
    before = watched.scrape()
    first = watched.get("/calendars/maintenance.ics")
    watched.get("/calendars/maintenance.ics", headers={"If-None-Match": first.headers["ETag"]})
    watched.get("/calendars/maintenance.ics", headers={"If-None-Match": first.headers["ETag"]})
    watched.get("/calendars/maintenance.ics")
    after = watched.scrape()

    def grew(answer):
        return value(after, "rollout_feed_responses_total", answer=answer) - value(
            before, "rollout_feed_responses_total", answer=answer
        )

    assert (grew("rendered"), grew("not_modified"), grew("cached")) == (1, 2, 1)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_outage_leaves_its_figures_out_but_metrics_still_answer(kind, tmp_path):
    unreachable = {
        "sqlite": "sqlite:////nonexistent-directory/rollout.db",
        "postgresql": "postgresql+psycopg://rollout:s3cret@127.0.0.1:1/rollout",
    }[kind]
    settings = dataclasses.replace(conftest.test_settings(unreachable), metrics_token=TOKEN)
    app = create_app(settings, instance_path=tmp_path / "instance")
    try:
        client = app.test_client()
        client.get("/healthz")
        response = client.get("/metrics", headers=SCRAPER)
    finally:
        app.extensions["rollout.engine"].dispose()
    assert response.status_code == 200
    samples = scrape(response.text)
    assert value(samples, "rollout_database_up") == 0
    assert value(samples, "rollout_requests_total", route="/healthz", method="GET", status="200")
    assert "rollout_outbox_notifications" not in response.text
    assert "s3cret" not in response.text


# ---- several processes --------------------------------------------------------------------------


def test_web_processes_and_a_worker_sharing_a_directory_add_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'rollout.db'}"
    conftest._migrate(url)
    seed(url, contacts=2)
    directory = tmp_path / "metrics"
    directory.mkdir()
    first, second, listen = free_port(), free_port(), free_port()
    with smtp_server() as (inbox, smtp_port):
        env = os.environ | {
            "DATABASE_URL": url,
            "SECRET_KEY": "metrics-test",
            "PUBLIC_URL": BASE_URL,
            "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(directory),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": "Rollout <maintenance@rollout.test>",
        }

        def rollout(*args: str) -> subprocess.Popen:
            command = [sys.executable, "-m", "web.cli", *args]
            with (tmp_path / f"{args[0]}-{len(processes)}.log").open("w") as log:
                return subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)

        processes: list[subprocess.Popen] = []
        processes.append(rollout("serve", "--port", str(first)))
        processes.append(
            rollout("serve", "--port", str(second), "--metrics-bind", f"127.0.0.1:{listen}")
        )
        processes.append(rollout("worker", "--once"))
        try:
            assert processes[2].wait(timeout=90) == 0, (tmp_path / "worker-2.log").read_text()
            for port in (first, second, listen):
                _wait_for(port)
            for port, times in ((first, 3), (second, 2)):
                for _ in range(times):
                    assert requests.get(f"http://127.0.0.1:{port}/api/v1/regions").ok

            scraped = requests.get(f"http://127.0.0.1:{first}/metrics", headers=SCRAPER)
            both = scrape(scraped.text)
            regions = {"route": "/api/v1/regions", "method": "GET", "status": "200"}
            assert value(both, "rollout_requests_total", **regions) == 5
            assert value(both, "rollout_processes", role="web") == 2
            assert value(both, "rollout_processes", role="worker") == 0  # it has finished
            delivered = {"channel": "email", "outcome": "delivered"}
            assert value(both, "rollout_deliveries_total", **delivered) == inbox.count == 2

            # The separate address answers without a token; the main ports still refuse.
            alone = scrape(requests.get(f"http://127.0.0.1:{listen}/metrics").text)
            assert value(alone, "rollout_requests_total", **regions) == 5
            for port in (first, second):
                assert requests.get(f"http://127.0.0.1:{port}/metrics").status_code == 401

            # A killed process leaves what it counted, but is no longer counted as running.
            processes[1].send_signal(signal.SIGKILL)
            processes[1].wait(timeout=10)
            after = requests.get(f"http://127.0.0.1:{first}/metrics", headers=SCRAPER)
            left = scrape(after.text)
            assert value(left, "rollout_processes", role="web") == 1
            assert value(left, "rollout_requests_total", **regions) == 5
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=10)


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
