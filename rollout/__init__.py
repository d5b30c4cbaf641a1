"""Rollout's domain: maintenance windows, freezes, customers, releases, fix status."""
