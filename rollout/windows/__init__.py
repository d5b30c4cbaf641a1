"""Maintenance windows: policies, planning, hand-made windows, changes and history."""

from rollout.windows.changes import (
    Change,
    allowed_changes,
    change_window,
    clear_of,
    create_window,
    get_window,
)
from rollout.windows.models import (
    MaintenancePolicy,
    Window,
    WindowAction,
    WindowKind,
    WindowRevision,
    WindowStatus,
)
from rollout.windows.planning import (
    create_policy,
    default_horizon,
    get_policy,
    list_policies,
    plan_policy,
    plan_windows,
    update_policy,
)
from rollout.windows.queries import PUBLIC, STAFF, Audience, WindowKey, list_windows, window_key

__all__ = [
    "PUBLIC",
    "STAFF",
    "Audience",
    "Change",
    "MaintenancePolicy",
    "Window",
    "allowed_changes",
    "WindowAction",
    "WindowKind",
    "WindowRevision",
    "WindowStatus",
    "change_window",
    "clear_of",
    "create_policy",
    "create_window",
    "default_horizon",
    "get_policy",
    "get_window",
    "list_policies",
    "list_windows",
    "window_key",
    "WindowKey",
    "plan_policy",
    "plan_windows",
    "update_policy",
]
