"""Move a test database along the migration chain (a test of one migration's upgrade from real rows)."""

from alembic import command

from bot.db import alembic_config


def _step(engine, revision: str, step) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def downgrade_to(engine, revision: str) -> None:
    """The schema as `revision` left it (the rows the downgrades keep)."""
    _step(engine, revision, command.downgrade)


def upgrade_to_head(engine) -> None:
    _step(engine, "head", command.upgrade)
