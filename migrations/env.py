"""Alembic environment: runs on the connection handed in by bot.db.migrate, or on DATABASE_URL.

From the command line (`alembic upgrade head`, which reads alembic.ini) the database is the one
the bot uses: DATABASE_URL from the environment or `.env`, as every `rapk` command reads it
(alembic.ini's sqlalchemy.url is not used for that).
"""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    if config.config_file_name is None:  # bot.db.alembic_config: the URL it was given
        return config.get_main_option("sqlalchemy.url")
    from bot.config import ConfigError
    from bot.config import load_settings

    try:
        return load_settings().database_url
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    from bot.db import make_engine

    connectable = make_engine(database_url(), poolclass=pool.NullPool)
    with connectable.connect() as conn:
        _migrate(conn)


def _migrate(connection) -> None:
    """Run the migrations in one transaction. On SQLite with foreign keys off while they run (batch mode
    rebuilds a table by copy, drop and rename, which the checks would refuse or rewrite, as SQLite's own
    ALTER TABLE procedure says), then checked before the commit: a broken reference fails the migration.
    The pragma only takes effect outside a transaction; the engine turns it back on when the connection
    goes back to its pool (bot.db.make_engine)."""
    from bot.db import FOREIGN_KEYS_OFF

    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        ours = not connection.in_transaction()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.info[FOREIGN_KEYS_OFF] = True  # bot.db.make_engine turns them back on at checkin
        if ours:  # the pragma began SQLAlchemy's transaction on the caller's behalf: end it (nothing to keep)
            connection.commit()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken references, first: {broken[0]}")


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
