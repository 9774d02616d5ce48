"""Run alembic to a revision on a test database (the migration tests: down, insert old-style rows, up)."""

from bot.db import alembic_config


def migrate(engine, revision: str, step) -> None:
    """`step` is alembic.command.upgrade or downgrade, run on `engine`'s own connection."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)
