"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from suqiu_queue.server import models
from suqiu_queue.server.migrate import alembic_config, current_revision, head_revision, upgrade


def test_upgraded_schema_matches_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
    assert differences == [], "models and migrations disagree; add a migration:\n" + "\n".join(map(str, differences))


def test_the_migrated_database_is_at_the_heads_with_its_triggers(migrated_engine: Engine) -> None:
    tables = set(inspect(migrated_engine).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    heads = set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    assert set((current_revision(migrated_engine) or "").split(",")) == heads
    assert set((head_revision() or "").split(",")) == heads

    # Upgrading again is harmless (every `suqiu server` start does it).
    upgrade(migrated_engine)
    assert set((current_revision(migrated_engine) or "").split(",")) == heads

    # The append-only triggers are not part of the models, so compare_metadata cannot miss them.
    with migrated_engine.connect() as connection:
        if migrated_engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            ).all()
            assert {r[0] for r in rows} == {"audit_log_no_update", "audit_log_no_delete"}
        else:
            rows = connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            ).all()
            assert {r[0] for r in rows} == {"audit_log_no_change", "audit_log_no_truncate"}
