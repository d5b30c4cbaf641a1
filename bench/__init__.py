"""Benchmarks; each runs as `python -m bench.<name>`."""

from rollout import events, handlers

# Benches call use cases without an app: they hand over the event table as the app does.
events.use_handlers(handlers.HANDLERS)
