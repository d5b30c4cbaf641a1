"""A stand-in Jira on loopback serving the documented REST payloads (Atlassian's REST v2/v3
reference), so the real `jira` library is exercised end to end.

Serves serverInfo (Cloud or Server), myself, field, issue, search (startAt/maxResults/total,
Server only, as Cloud has retired it), search/jql (nextPageToken/isLast, Cloud only),
project versions, version create/read/update, remote links and application links; answers
401 to wrong credentials with Jira's error body, and replays scripted faults (any status,
e.g. 429 with Retry-After) for requests matching a method and path.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

EMAIL, TOKEN, PAT = "bot@example.com", "cloud-api-token", "server-pat"
JQL = re.compile(
    r'^project\s*=\s*"?(?P<project>[A-Z][A-Z0-9_]*)"?'
    r'(?:\s+AND\s+updated\s*>=\s*"(?P<since>\d{4}-\d{2}-\d{2} \d{2}:\d{2})")?'
    r"\s+ORDER BY\s+(?P<order>.+)$",
    re.IGNORECASE,
)
CATEGORY = {
    "new": {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "name": "In Progress",
        "colorName": "yellow",
    },
    "done": {"id": 3, "key": "done", "name": "Done", "colorName": "green"},
}


def jira_time(instant: datetime) -> str:
    """Jira's timestamp format: 2026-11-22T10:15:30.000+0000."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def make_issue(
    key: str,
    updated: datetime,
    *,
    summary: str | None = None,
    status: str = "To Do",
    category: str = "new",
    priority: str | None = "Medium",
    severity: str | None = None,
    fix_versions: tuple[str, ...] = (),
    resolution: str | None = None,
    note: str | None = None,
) -> dict:
    """An issue as GET /rest/api/2/issue/{key} returns it (fields trimmed to the ones used)."""
    project = key.rsplit("-", 1)[0]
    number = key.rsplit("-", 1)[1]
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog",
        "id": str(10000 + int(number)),
        "self": f"/rest/api/2/issue/{10000 + int(number)}",
        "key": key,
        "fields": {
            "summary": summary or f"Bug {key}",
            "status": {
                "self": "/rest/api/2/status/1",
                "description": "",
                "name": status,
                "id": "1",
                "statusCategory": CATEGORY[category],
            },
            "priority": {"name": priority, "id": "3"} if priority else None,
            "resolution": {"name": resolution, "id": "10001"} if resolution else None,
            "fixVersions": [
                {"id": str(20000 + i), "name": v, "archived": False, "released": False}
                for i, v in enumerate(fix_versions)
            ],
            "updated": jira_time(updated),
            "project": {"id": "10000", "key": project, "name": f"Project {project}"},
            "issuetype": {"name": "Bug", "id": "10004"},
            "customfield_10050": {"value": severity, "id": "10100"} if severity else None,
            "customfield_10051": note,
        },
    }


@dataclass
class Fault:
    method: str
    path: re.Pattern
    status: int
    times: int
    headers: dict
    body: dict | None
    skip: int = 0  # matching requests let through before the fault starts


@dataclass
class JiraStub:
    deployment: str = "Cloud"  # or "Server"
    user_zone: str = "UTC"
    cloud_page_max: int = 100  # search/jql with more than id/key; up to 5000 otherwise
    server_page_max: int = 1000  # jira.search.views.default.max
    issues: dict[str, dict] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # not yet in the search index
    projects: set[str] = field(default_factory=lambda: {"ED", "OPS"})
    versions: dict[int, dict] = field(default_factory=dict)
    links: dict[str, list[dict]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, dict]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    url: str = ""
    _ids: int = 30000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- scripting --------------------------------------------------------------------

    def add(self, *issues: dict) -> None:
        for issue in issues:
            self.issues[issue["key"]] = issue

    def fail(
        self, method: str, path: str, status: int, *, times=1, skip=0, headers=None, body=None
    ) -> None:
        """After `skip` matching requests, the next `times` ones matching `method` and the
        `path` regex get `status` (with Jira's error body unless `body` is given)."""
        self.faults.append(
            Fault(method, re.compile(path), status, times, dict(headers or {}), body, skip)
        )

    def requests_to(self, path_part: str, method: str = "GET") -> list[dict]:
        return [q for m, p, q in self.log if m == method and path_part in p]

    # ---- serving ----------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.log.append((request.method, request.path, request.args.to_dict(flat=False)))
            self.times.append(time.monotonic())
            response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.method == request.method
                and fault.path.search(request.path)
            ):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                body = fault.body or {"errorMessages": [f"stub fault {fault.status}"], "errors": {}}
                return _json(body, fault.status, fault.headers)
        if not self._authorised(request.headers.get("Authorization", "")):
            return _error(
                401, "You are not authenticated. Authentication required to perform this operation."
            )
        path = re.sub(r"^/rest/api/[23]/", "/", request.path)
        for pattern, method, handler in ROUTES:
            match = re.fullmatch(pattern, path)
            if match and method == request.method:
                return handler(self, request, **match.groupdict())
        return _error(404, f"no route {request.method} {request.path}")

    def _authorised(self, header: str) -> bool:
        if self.deployment == "Cloud":
            expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
            return header == f"Basic {expected}"
        return header == f"Bearer {PAT}"

    def server_info(self, request):
        cloud = self.deployment == "Cloud"
        return _json(
            {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
                "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 15],
                "deploymentType": self.deployment,
                "buildNumber": 100289 if cloud else 9120015,
                "buildDate": "2026-11-20T00:00:00.000+0000",
                "serverTime": jira_time(datetime.now(UTC)),
                "scmInfo": "0d3c4b7a",
                "serverTitle": "Jira",
            }
        )

    def myself(self, request):
        return _json(
            {
                "accountId": "5b10a2844c20165700ede21g",
                "emailAddress": EMAIL,
                "displayName": "Rollout bot",
                "active": True,
                "timeZone": self.user_zone,
            }
        )

    def fields(self, request):
        return _json(
            [
                {"id": "summary", "name": "Summary", "custom": False, "clauseNames": ["summary"]},
                {"id": "updated", "name": "Updated", "custom": False, "clauseNames": ["updated"]},
                {
                    "id": "customfield_10050",
                    "name": "Severity",
                    "custom": True,
                    "clauseNames": ["cf[10050]", "Severity"],
                    "schema": {
                        "type": "option",
                        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
                        "customId": 10050,
                    },
                },
                {
                    "id": "customfield_10051",
                    "name": "Customer note",
                    "custom": True,
                    "clauseNames": ["cf[10051]", "Customer note"],
                    "schema": {
                        "type": "string",
                        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
                        "customId": 10051,
                    },
                },
            ]
        )

    def issue(self, request, key):
        if key not in self.issues:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        wanted = _fields(request)
        return _json(_trim(self.issues[key], wanted))

    def _matching(self, request) -> tuple[list[dict], list[str]] | Response:
        match = JQL.match((request.args.get("jql") or "").strip())
        if not match or match["project"] not in self.projects:
            return _error(400, f"Error in the JQL Query: cannot read {request.args.get('jql')!r}")
        since = None
        if match["since"]:
            local = datetime.strptime(match["since"], "%Y-%m-%d %H:%M")
            since = local.replace(tzinfo=ZoneInfo(self.user_zone)).astimezone(UTC)
        found = [
            issue
            for key, issue in self.issues.items()
            if key.startswith(match["project"] + "-")
            and key not in self.hidden
            and (since is None or _updated(issue) >= since)
        ]
        by_key = lambda i: (i["key"].rsplit("-", 1)[0], int(i["key"].rsplit("-", 1)[1]))  # noqa: E731
        if match["order"].strip().lower().startswith("updated"):
            found.sort(key=lambda i: (_updated(i), by_key(i)))
        else:
            found.sort(key=by_key)
        return found, _fields(request)

    def search(self, request):
        if self.deployment == "Cloud":
            return _error(
                410, "The requested API has been removed. Please use /rest/api/3/search/jql."
            )
        result = self._matching(request)
        if isinstance(result, Response):
            return result
        found, wanted = result
        start = int(request.args.get("startAt", 0))
        size = min(int(request.args.get("maxResults", 50)), self.server_page_max)
        page = found[start : start + size]
        return _json(
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "issues": [_trim(i, wanted) for i in page],
            }
        )

    def search_jql(self, request):
        if self.deployment != "Cloud":
            return _error(404, "null for uri: /rest/api/2/search/jql")
        result = self._matching(request)
        if isinstance(result, Response):
            return result
        found, wanted = result
        token = request.args.get("nextPageToken")
        start = int(base64.urlsafe_b64decode(token).decode().split(":")[1]) if token else 0
        cap = 5000 if set(wanted) <= {"id", "key"} else self.cloud_page_max
        size = min(int(request.args.get("maxResults", 50)), cap)
        page = found[start : start + size]
        body = {"issues": [_trim(i, wanted) for i in page], "isLast": start + size >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = base64.urlsafe_b64encode(
                f"after:{start + size}".encode()
            ).decode()
        return _json(body)

    def project_versions(self, request, project):
        if project not in self.projects:
            return _error(404, f"No project could be found with key '{project}'.")
        return _json([v for v in self.versions.values() if v["projectKey"] == project])

    def create_version(self, request):
        data = json.loads(request.get_data() or b"{}")
        project = data.get("project")
        if project not in self.projects:
            return _json(
                {"errorMessages": [], "errors": {"project": "Project must be specified."}}, 400
            )
        if any(
            v["name"] == data.get("name") and v["projectKey"] == project
            for v in self.versions.values()
        ):
            return _json(
                {
                    "errorMessages": [],
                    "errors": {"name": "A version with this name already exists in this project."},
                },
                400,
            )
        self._ids += 1
        version = {
            "self": f"{self.url}/rest/api/2/version/{self._ids}",
            "id": str(self._ids),
            "name": data["name"],
            "archived": bool(data.get("archived")),
            "released": bool(data.get("released")),
            "projectKey": project,
            "projectId": 10000,
        }
        for key in ("description", "releaseDate", "startDate"):
            if data.get(key) is not None:
                version[key] = data[key]
        self.versions[self._ids] = version
        return _json(version, 201)

    def version(self, request, id):
        version = self.versions.get(int(id))
        if version is None:
            return _error(404, f"Could not find version for id '{id}'")
        if request.method == "PUT":
            version.update(json.loads(request.get_data() or b"{}"))
        return _json(version)

    def remote_links(self, request, key):
        if key not in self.issues:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        links = self.links.setdefault(key, [])
        if request.method == "GET":
            return _json(links)
        data = json.loads(request.get_data() or b"{}")
        if not (data.get("object") or {}).get("url") or not data["object"].get("title"):
            return _json({"errorMessages": [], "errors": {"title": "'title' is required."}}, 400)
        for link in links:
            if data.get("globalId") and link.get("globalId") == data["globalId"]:
                link.update(data)  # documented: same globalId updates the existing link
                return _json({"id": link["id"], "self": link["self"]}, 200)
        self._ids += 1
        link = {
            "id": self._ids,
            "self": f"{self.url}/rest/api/2/issue/{key}/remotelink/{self._ids}",
        } | data
        links.append(link)
        return _json({"id": link["id"], "self": link["self"]}, 201)

    def remote_link(self, request, key, id):
        links = self.links.get(key, [])
        link = next((lk for lk in links if str(lk["id"]) == id), None)
        if link is None:
            return _error(404, "Remote link not found")
        if request.method == "DELETE":
            links.remove(link)
            return Response(status=204)
        return _json(link)

    def application_links(self, request):
        return _json({"list": []})


def _updated(issue: dict) -> datetime:
    return datetime.fromisoformat(issue["fields"]["updated"])


def _fields(request) -> list[str]:
    wanted: list[str] = []
    for raw in request.args.getlist("fields"):
        wanted += [f for f in raw.split(",") if f]
    return wanted or ["*all"]


def _trim(issue: dict, wanted: list[str]) -> dict:
    if "*all" in wanted:
        return issue
    return issue | {"fields": {k: v for k, v in issue["fields"].items() if k in wanted}}


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers=headers or {},
        content_type="application/json;charset=UTF-8",
    )


def _error(status: int, message: str) -> Response:
    return _json({"errorMessages": [message], "errors": {}}, status)


ROUTES = [
    ("/serverInfo", "GET", JiraStub.server_info),
    ("/myself", "GET", JiraStub.myself),
    ("/field", "GET", JiraStub.fields),
    ("/issue/(?P<key>[A-Z][A-Z0-9_]*-\\d+)", "GET", JiraStub.issue),
    ("/search", "GET", JiraStub.search),
    ("/search/jql", "GET", JiraStub.search_jql),
    ("/project/(?P<project>[A-Z0-9_]+)/versions", "GET", JiraStub.project_versions),
    ("/version", "POST", JiraStub.create_version),
    ("/version/(?P<id>\\d+)", "GET", JiraStub.version),
    ("/version/(?P<id>\\d+)", "PUT", JiraStub.version),
    ("/issue/(?P<key>[A-Z][A-Z0-9_]*-\\d+)/remotelink", "GET", JiraStub.remote_links),
    ("/issue/(?P<key>[A-Z][A-Z0-9_]*-\\d+)/remotelink", "POST", JiraStub.remote_links),
    ("/issue/(?P<key>[A-Z][A-Z0-9_]*-\\d+)/remotelink/(?P<id>\\d+)", "GET", JiraStub.remote_link),
    (
        "/issue/(?P<key>[A-Z][A-Z0-9_]*-\\d+)/remotelink/(?P<id>\\d+)",
        "DELETE",
        JiraStub.remote_link,
    ),
    ("/rest/applinks/latest/listApplicationlinks", "GET", JiraStub.application_links),
]


class running:
    """`with running(JiraStub()) as stub:` serves it on a loopback port."""

    def __init__(self, stub: JiraStub):
        self.stub = stub

    def __enter__(self) -> JiraStub:
        self.server = make_server("127.0.0.1", 0, self.stub, threaded=True)
        self.stub.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        return self.stub

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
