"""Alembic migrations: an empty database upgrades, downgrades to nothing and upgrades again."""

from __future__ import annotations

import importlib
import pkgutil

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import pipeline.store
from pipeline.store import migrate
from pipeline.store.schema import metadata

TABLES = {"calls", "reports", "events", "check_results", "flags", "coaching_items", "redactions"}


def declared_metadata():
    """The store's metadata with every table module of the package imported."""
    for module in pkgutil.iter_modules(pipeline.store.__path__):
        importlib.import_module(f"pipeline.store.{module.name}")
    return metadata


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def schema_drift(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, declared_metadata())


def test_upgrade_downgrade_upgrade(engine):
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert table_names(engine) == set(declared_metadata().tables)
    assert TABLES <= table_names(engine)
    migrate.downgrade(engine, revision="base")
    assert migrate.current_revision(engine) is None
    assert table_names(engine) == set()
    migrate.upgrade(engine)
    assert table_names(engine) == set(declared_metadata().tables)


def test_migrations_build_exactly_the_declared_schema(engine):
    migrate.upgrade(engine)
    assert schema_drift(engine) == []


def test_migrations_ship_inside_the_package():
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert migrate.MIGRATIONS_DIR.parent.name == "pipeline"
    assert migrate.head_revision() == sorted(
        path.name.split("_")[0] for path in (migrate.MIGRATIONS_DIR / "versions").glob("0*.py"))[-1]
