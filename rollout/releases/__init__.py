"""Releases, staged rollout waves, hotfixes and per-customer patches, and deployments."""

from rollout.releases.deployments import (
    EnvironmentState,
    environment_states,
    environments_with_fix,
    find_deployment,
    get_deployment,
    report_outcome,
    report_wave,
)
from rollout.releases.hotfixes import approve_hotfix, get_hotfix, list_hotfixes, request_hotfix
from rollout.releases.models import (
    Deployment,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    HotfixUrgency,
    ItemKind,
    Release,
    ReleaseItem,
    ReleaseStatus,
    Wave,
)
from rollout.releases.releases import (
    add_item,
    create_release,
    get_release,
    list_releases,
    public_items,
    update_release,
)
from rollout.releases.waves import move_wave, plan_release, propose_waves, region_dates

__all__ = [
    "Deployment",
    "DeploymentStatus",
    "EnvironmentState",
    "Hotfix",
    "HotfixStatus",
    "HotfixUrgency",
    "ItemKind",
    "Release",
    "ReleaseItem",
    "ReleaseStatus",
    "Wave",
    "add_item",
    "approve_hotfix",
    "create_release",
    "environment_states",
    "environments_with_fix",
    "find_deployment",
    "get_deployment",
    "get_hotfix",
    "get_release",
    "list_hotfixes",
    "list_releases",
    "move_wave",
    "plan_release",
    "propose_waves",
    "public_items",
    "region_dates",
    "report_outcome",
    "report_wave",
    "request_hotfix",
    "update_release",
]
