"""Alembic environment for the callcoach store.

The store runs migrations itself (``pipeline.store.migrate``) and hands its open connection in
``config.attributes["connection"]``, so no ``alembic.ini`` is needed in the working folder.
Offline mode (``--sql``) renders SQL for the URL in ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pipeline.store.schema import metadata


def _configure(**options: object) -> None:
    context.configure(target_metadata=metadata, compare_type=True,
                      render_as_batch=True,  # SQLite alters tables by copying them
                      **options)


def run_offline() -> None:
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True,
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as owned:
        _configure(connection=owned)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
