"""Jira's domain side: bugs mirrored from Jira (`bugs`, `models`) and the changes Rollout owes
Jira (`push`). The adapter on the `jira` library is `jira_sync/`; its CLI and worker are
`web/jira_cli.py` and `web/jira_worker.py`."""

from rollout.jira import models  # noqa: F401  (every table, for `rollout.schema`)
