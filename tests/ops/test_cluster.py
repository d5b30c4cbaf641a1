"""The tested cluster (scripts/cluster): nginx with deploy/nginx.conf in front of three web
processes and two workers on one PostgreSQL, under a bounded load of mixed traffic."""

from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from rollout.customers import get_customer
from rollout.notifications import Notification, NotificationStatus
from rollout.notifications.contacts import new_contact
from tests.conftest import missing
from tests.ops.cluster import NGINX, Cluster, loopback_client, running_cluster
from web.settings import Settings
from web.worker import OUTCOMES_PER_COMMIT

CONTACTS = 2000
CONTACTS_BY_API = 20
RACERS = 6
RACES = 5
# The traffic stops after this long at most (the bound); the workers then have until
# DELIVERY_SECONDS to deliver what is left. Each email costs a worker about 15 ms of CPU.
LOAD_SECONDS = 60
DELIVERY_SECONDS = 180
# Each client pauses between requests: a steady load beside the workers, not a flood of them.
PAUSE = 0.05
PUBLIC_PATHS = [
    "/maintenance",
    "/releases",
    "/releases.atom",
    "/calendars/maintenance.ics",
    "/calendars/regions/us.ics",
    "/calendars/regions/eu.ics",
    "/api/v1/regions",
    "/api/v1/windows?region=us&from=2026-01-01&to=2028-01-01",
    "/api/v1/releases",
]
STAFF_PATHS = ["/staff/calendar", "/staff/notifications", "/support?q=ZD-4130", "/staff/releases"]
MAX_BODY_BYTES = Settings.max_body_bytes  # the default the cluster runs with
JSON = {"Content-Type": "application/json"}
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def cluster(fresh_postgres_url):
    if not NGINX.exists():
        missing("nginx (apt-get install nginx)")
    with running_cluster(database_url=fresh_postgres_url) as cluster:
        try:
            yield cluster
        finally:
            print(cluster.report())  # shown when the test fails


@dataclass
class Tally:
    """Every answer the load got, by status; anything 5xx or unanswered, named."""

    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    not_modified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, answer: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[answer.status_code] += 1
            if answer.status_code >= 500:
                self.failures.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
            self.not_modified += answer.status_code == 304
        return answer


class Load:
    """HTTP clients of the cluster through nginx (HTTPS, trusting its CA), counted in `tally`."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.tally = Tally()
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.started = time.monotonic()
        self.seconds = 0.0

    def halt(self) -> None:
        if not self.stop.is_set():
            self.seconds = time.monotonic() - self.started
            self.stop.set()

    def client(self, token: str | None = None) -> requests.Session:
        http = loopback_client(self.cluster.ca_file)
        if token:
            http.headers["Authorization"] = f"Bearer {token}"
        return http

    def call(self, http: requests.Session, method: str, path: str, **options):
        try:
            answer = http.request(method, self.cluster.url + path, timeout=30, **options)
        except requests.RequestException as exc:
            with self.tally.lock:
                self.tally.failures.append(f"{method} {path}: {exc}")
            raise
        return self.tally.record(method, path, answer)

    def in_background(self, target, *args) -> None:
        def guarded():
            try:
                target(*args)
            except Exception as exc:
                with self.tally.lock:
                    self.tally.failures.append(f"{target.__name__}: {exc!r}")

        thread = threading.Thread(target=guarded, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> None:
        self.halt()
        for thread in self.threads:
            thread.join(timeout=30)


def read_public_pages_and_feeds(load: Load) -> None:
    """A poller: pages, then feeds and API lists again with the validators it was given."""
    http = load.client()
    validators: dict[str, str] = {}
    while not load.stop.is_set():
        for path in PUBLIC_PATHS:
            headers = {"If-None-Match": validators[path]} if path in validators else {}
            answer = load.call(http, "GET", path, headers=headers)
            if answer.status_code == 200 and "ETag" in answer.headers:
                validators[path] = answer.headers["ETag"]
            load.stop.wait(PAUSE)


def sign_in(load: Load, email: str = "alice@example.com") -> requests.Session:
    http = load.client()
    form = load.call(http, "GET", "/staff/login")
    answer = load.call(
        http,
        "POST",
        "/staff/login",
        data={
            "email": email,
            "password": load.cluster.staff_password,
            "csrf_token": CSRF.search(form.text)[1],
        },
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return http


def browse_as_staff(load: Load, http: requests.Session, request_ids: list[str]) -> None:
    """Staff pages in one session; each request's id finds, in the logs, who served it."""
    while not load.stop.is_set():
        for path in STAFF_PATHS:
            request_id = f"staff-{uuid.uuid4().hex}"
            answer = load.call(
                http, "GET", path, headers={"X-Request-ID": request_id}, allow_redirects=False
            )
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
            request_ids.append(request_id)
            load.stop.wait(PAUSE)


def race_patches(load: Load, token: str) -> list[Counter]:
    """Rounds of RACERS extending one window with the revision they all read: one may win."""
    http = load.client(token)
    created = load.call(
        http,
        "POST",
        "/api/v1/windows",
        json={
            "title": "Storage migration",
            "region": "apac",
            "starts_at": "2027-06-15T02:00:00Z",
            "ends_at": "2027-06-15T03:00:00Z",
        },
    )
    assert created.status_code == 201, created.text
    window = created.json()

    def extend(barrier: threading.Barrier, revision: int, ends_at: str, statuses: Counter):
        racer = load.client(token)
        barrier.wait()
        answer = load.call(
            racer,
            "PATCH",
            f"/api/v1/windows/{window['id']}",
            json={"action": "extend", "revision": revision, "ends_at": ends_at, "reason": "race"},
        )
        statuses[answer.status_code] += 1

    rounds = []
    for n in range(1, RACES + 1):
        statuses: Counter = Counter()
        args = (
            threading.Barrier(RACERS),
            window["revision"] + n - 1,
            f"2027-06-15T03:{n * 5:02d}:00Z",
            statuses,
        )
        racers = [threading.Thread(target=extend, args=args) for _ in range(RACERS)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=30)
        rounds.append(statuses)
    return rounds


def add_contacts(cluster: Cluster, customer_slug: str, count: int) -> None:
    """The fast bulk path for most of the 2,000: one transaction, as an import would."""
    now = datetime.now(UTC)
    with cluster.sessions() as session:
        customer = get_customer(session, customer_slug)
        session.add_all(
            new_contact(
                customer,
                name=f"Bulk contact {n}",
                email=f"bulk{n}@bulk.example",
                subscriptions=["emergency_maintenance"],
                now=now,
            )
            for n in range(count)
        )
        session.commit()


def emergency_notices(cluster: Cluster) -> dict[str, tuple[str, str]]:
    """The emergency window's notices: message id → (status, address)."""
    with cluster.sessions() as session:
        rows = session.execute(
            select(Notification.message_id, Notification.status, Notification.address).where(
                Notification.event == "window.emergency"
            )
        )
        return {message_id: (status, address) for message_id, status, address in rows}


def held_claims(cluster: Cluster) -> dict[str, str]:
    """Notices claimed and not yet sent: message id → claim."""
    with cluster.sessions() as session:
        rows = session.execute(
            select(Notification.message_id, Notification.claim_token).where(
                Notification.status == NotificationStatus.SENDING
            )
        )
        return dict(rows.all())


@pytest.mark.long
def test_the_cluster_serves_a_mixed_load_without_errors_and_delivers_every_notification(cluster):
    load = Load(cluster)
    started = load.started
    pipeline = load.client(cluster.tokens["pipeline"])
    approver = load.client(cluster.tokens["second-approver"])

    # Public readers, a staff session and racing writers, all at once through nginx.
    staff = sign_in(load)
    request_ids: list[str] = []
    for _ in range(2):
        load.in_background(read_public_pages_and_feeds, load)
    load.in_background(browse_as_staff, load, staff, request_ids)
    race_rounds: list[Counter] = []
    load.in_background(lambda: race_rounds.extend(race_patches(load, cluster.tokens["pipeline"])))

    # One customer with 2,000 contacts: some through the API, the rest by the bulk path.
    created = load.call(
        pipeline,
        "POST",
        "/api/v1/customers",
        json={"slug": "bulk", "name": "Bulk Corp", "region": "us", "tier": "standard"},
    )
    assert created.status_code == 201, created.text
    for n in range(CONTACTS_BY_API):
        answer = load.call(
            pipeline,
            "POST",
            "/api/v1/customers/bulk/contacts",
            json={
                "name": f"API contact {n}",
                "email": f"api{n}@bulk.example",
                "subscriptions": ["emergency_maintenance"],
            },
        )
        assert answer.status_code == 201, answer.text
    add_contacts(cluster, "bulk", CONTACTS - CONTACTS_BY_API)

    # A body past MAX_BODY_BYTES reaches the app, which refuses it in JSON; one past nginx's
    # cap (twice that) is refused by nginx. Neither is a 5xx.
    for size, by in (
        (MAX_BODY_BYTES * 3 // 2, "application/json"),
        (MAX_BODY_BYTES * 3, "text/html"),
    ):
        body = b" " * size
        answer = load.call(pipeline, "POST", "/api/v1/customers", data=body, headers=JSON)
        assert (answer.status_code, answer.headers["Content-Type"].split(";")[0]) == (413, by)

    # A zero-day patch for it, approved by a second release manager: its emergency window.
    hotfix = load.call(
        pipeline,
        "POST",
        "/api/v1/hotfixes",
        json={
            "title": "Patch for CVE-2026-9999",
            "urgency": "zero_day",
            "customers": ["bulk"],
            "justification": "exploited in the wild",
        },
    )
    assert hotfix.status_code == 201, hotfix.text
    approved = load.call(
        approver, "POST", f"/api/v1/hotfixes/{hotfix.json()['id']}/approve", json={}
    )
    assert approved.status_code == 200, approved.text
    notices = emergency_notices(cluster)
    assert len(notices) == CONTACTS

    approved_at = time.monotonic()
    stop_load = threading.Timer(started + LOAD_SECONDS - approved_at, load.halt)
    stop_load.start()

    # A worker killed in the middle of its batch, and started again at once.
    expected = {f"<{message_id}@rollout.test>" for message_id in notices}
    while cluster.sink.count < 300 and time.monotonic() < started + DELIVERY_SECONDS:
        time.sleep(0.01)
    victim = cluster.workers[0]
    victim.stop(signal.SIGKILL)
    killed_at = datetime.now(UTC)
    held = held_claims(cluster)
    victim.start()

    # Everything delivered, the load running on meanwhile (up to its bound).
    while not expected <= set(cluster.sink.message_ids()):
        if time.monotonic() > started + DELIVERY_SECONDS:
            break
        time.sleep(0.2)
    delivered_in = time.monotonic() - approved_at
    stop_load.cancel()
    load.finish()

    received_ids = cluster.sink.message_ids()
    notices = emergency_notices(cluster)
    assert not load.tally.failures, load.tally.failures
    assert not server_errors_in_access_log(cluster)
    assert set(received_ids) >= expected, f"{len(expected - set(received_ids))} never arrived"
    assert all(status == NotificationStatus.DELIVERED for status, _ in notices.values())
    # At least once: a repeat carries the same Message-ID, and only what the killed worker
    # sent since it last recorded its outcomes can repeat.
    duplicates = len(received_ids) - len(set(received_ids))
    print(f"{len(received_ids)} messages, {duplicates} duplicate(s)")
    assert duplicates <= OUTCOMES_PER_COMMIT
    ids_by_recipient: dict[str, set[str]] = {}
    for message_id, recipients in cluster.sink.received:
        for recipient in recipients:
            ids_by_recipient.setdefault(recipient, set()).add(message_id)
    emergency_ids = [ids_by_recipient[address] & expected for _, address in notices.values()]
    assert len(emergency_ids) == CONTACTS and all(len(ids) == 1 for ids in emergency_ids)
    # The killed worker held a batch; those rows waited out its lease, then went out.
    assert held, "the worker died holding nothing: it was killed between batches"
    with cluster.sessions() as session:
        held_went_out = session.scalars(
            select(Notification.delivered_at).where(Notification.message_id.in_(held))
        ).all()
    assert max(held_went_out) >= killed_at + timedelta(seconds=5)

    # Races: one winner each round, 409 for the rest.
    assert race_rounds == [Counter({200: 1, 409: RACERS - 1})] * RACES
    # Feeds answered 304 to the validators they gave.
    assert load.tally.not_modified > 0

    # One staff session, served by every process; valid on each; ended on each by a sign-out.
    served_by = {
        process.name
        for process in cluster.web
        for request_id in request_ids
        if f"id={request_id}" in process.log.read_text()
    }
    assert served_by == {process.name for process in cluster.web}
    assert all(signed_in(cluster, process, staff) for process in cluster.web)
    calendar = load.call(staff, "GET", "/staff/calendar")
    load.call(staff, "POST", "/staff/logout", data={"csrf_token": CSRF.search(calendar.text)[1]})
    assert not any(signed_in(cluster, process, staff) for process in cluster.web)

    # A token revoked through one process is refused at once by every process.
    operator = load.client(cluster.tokens["operator"])
    made = load.call(
        operator, "POST", "/api/v1/tokens", json={"name": "short-lived", "role": "release_manager"}
    )
    assert made.status_code == 201, made.text
    doomed = made.json()["token"]
    assert {token_answer(cluster, p, doomed) for p in cluster.web} == {200}
    assert load.call(operator, "DELETE", f"/api/v1/tokens/{made.json()['id']}").status_code == 200
    # Refused by each process on its very next call, so within the second the issue asks.
    assert {token_answer(cluster, p, doomed) for p in cluster.web} == {401}

    # Metrics: not through nginx; any process answers the sum over all of them.
    metrics_token = {"Authorization": f"Bearer {cluster.metrics_token}"}
    assert load.call(load.client(), "GET", "/metrics", headers=metrics_token).status_code == 404
    answered = sum(answered_requests(process) for process in cluster.web)
    for process in cluster.web:
        metrics = scrape(cluster, process)
        assert metrics["processes"] == {"web": 3, "worker": 2}, process.name
        assert metrics["requests"] == answered, process.name
        # Every message the sink accepted was counted by its sender, repeats included, but
        # one a worker was killed between sending and counting.
        assert len(received_ids) - 1 <= metrics["delivered"] <= len(received_ids), process.name

    assert not [p.name for p in cluster.processes if "Traceback" in p.log.read_text()]
    print(
        f"{len(expected)} emergency emails delivered {delivered_in:.1f}s after the approval; "
        f"answers {dict(load.tally.statuses)} in {load.seconds:.1f}s of traffic"
    )


def signed_in(cluster: Cluster, process, staff: requests.Session) -> bool:
    """Whether `staff`'s cookie opens a staff page on this process, asked directly."""
    cookie = staff.cookies.get("session")
    answer = loopback_client().get(
        f"{cluster.backend(process)}/staff/calendar",
        headers={"Cookie": f"session={cookie}"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (200, 302, 303), answer.status_code
    return answer.status_code == 200


def token_answer(cluster: Cluster, process, token: str) -> int:
    """How this process, asked directly, answers an API call with `token`."""
    answer = loopback_client().get(
        f"{cluster.backend(process)}/api/v1/customers",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return answer.status_code


def scrape(cluster: Cluster, process) -> dict:
    """One process's /metrics: processes by role, requests answered (scrapes left out) and
    emails delivered."""
    answer = loopback_client().get(
        f"{cluster.backend(process)}/metrics",
        headers={"Authorization": f"Bearer {cluster.metrics_token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    found = {"processes": {}, "requests": 0, "delivered": 0}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "rollout_processes":
                found["processes"][labels["role"]] = sample.value
            elif sample.name == "rollout_requests_total" and labels["route"] != "/metrics":
                found["requests"] += sample.value
            elif sample.name == "rollout_deliveries_total" and labels["outcome"] == "delivered":
                found["delivered"] += sample.value
    return found


def answered_requests(process) -> int:
    """The requests a web process logged answering, scrapes of /metrics left out."""
    lines = process.log.read_text().splitlines()
    return sum(" rollout.requests " in line and " /metrics " not in line for line in lines)


def server_errors_in_access_log(cluster: Cluster) -> list[str]:
    lines = (cluster.directory / "logs" / "rollout.access.log").read_text().splitlines()
    return [line for line in lines if re.search(r'" 5\d\d ', line)]
