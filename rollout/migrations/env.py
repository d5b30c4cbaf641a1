"""Alembic environment: runs on the connection `rollout.schema.migrate` hands over."""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from rollout.schema import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # Called as `alembic` on a URL: no pool outlives the command.
        engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
