"""The Jira adapter on the `jira` library: sync, webhooks, versions and remote links."""
