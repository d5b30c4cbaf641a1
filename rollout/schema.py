"""Every model imported once, so `Base.metadata` is the whole schema; and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from rollout import (  # noqa: F401
    access,
    audit,
    customers,
    feeds,
    freezes,
    jira,
    notifications,
    releases,
    signin_links,
    support,
    throttle,
    windows,
)
from rollout.db import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = Base.metadata


def alembic_config(url: str) -> Config:
    """An Alembic config for the database at `url`, without an alembic.ini on disk."""
    # Imported when used: Alembic is a sixth of `import web`, which every `rollout` pays.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the database up to the newest schema."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
