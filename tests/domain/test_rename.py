"""Renames (issue 15 item 4): the name shown changes, the name as printed stays the merge key (migration 0008).

The end-to-end rename and re-import through the bot: tests/handlers/test_admin_target_fixes.py.
"""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.admin import AdminError
from bot.domain.plan_import.store import save_plan
from bot.domain.rename import rename_item
from models import Aksi
from models import Kegiatan
from tests.support.migrations import downgrade_to
from tests.support.migrations import upgrade_to_head
from tests.support.plans import parse_lines
from tests.support.plans import seed_lines

WHO = {"actor_label": "admin"}


def _plan(engine):
    with unit_of_work(engine) as session:
        return save_plan(parse_lines(seed_lines()), session=session).plan_id


def _kegiatan(session, plan_id, seq):
    return session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.seq == seq)).one()


def test_rename_refusals_leave_the_plan_as_it_was(engine):
    plan_id = _plan(engine)
    for raw, code in (("", "rename_empty"), ("x" * 1001, "too_long"), ("Pendidikan Penjurangan Struktural",
                                                                      "name_unchanged"),
                      ("pendidikan dan pelatihan  TEKNIS", "name_taken")):
        with pytest.raises(AdminError) as info, unit_of_work(engine) as session:
            rename_item("k", _kegiatan(session, plan_id, 2).id, raw, session=session, reason="typo", **WHO)
        assert info.value.code == code, raw
    with pytest.raises(AdminError) as info, unit_of_work(engine) as session:
        rename_item("k", _kegiatan(session, plan_id, 2).id, "Baru", session=session, reason=" ", **WHO)
    assert info.value.code == "reason_required"
    with pytest.raises(AdminError) as info, unit_of_work(engine) as session:
        rename_item("x", 1, "Baru", session=session, reason="r", **WHO)
    assert info.value.code == "unknown_item"
    with unit_of_work(engine) as session:
        assert _kegiatan(session, plan_id, 2).name == "Pendidikan Penjurangan Struktural"


def test_a_renamed_aksi_keeps_its_name_through_a_reimport_and_follows_a_new_printing(engine):
    plan_id = _plan(engine)
    with unit_of_work(engine) as session:
        aksi = session.exec(select(Aksi).where(Aksi.kegiatan_id == _kegiatan(session, plan_id, 8).id,
                                               Aksi.no == 1)).one()
        rename_item("a", aksi.id, "Perencanaan dan Persiapan Diklat", session=session, reason="lebih jelas", **WHO)
        aksi_id = aksi.id
    with unit_of_work(engine) as session:
        save_plan(parse_lines(seed_lines()), session=session)  # the same signed file
    with unit_of_work(engine) as session:
        aksi = session.get(Aksi, aksi_id)
        assert (aksi.name, aksi.printed_name) == ("Perencanaan dan Persiapan Diklat", "Perencanaan dan Persiapan")
    # A kegiatan renamed to what a corrected document later prints is matched by that name: no duplicate.
    with unit_of_work(engine) as session:
        rename_item("k", _kegiatan(session, plan_id, 2).id, "Pendidikan Penjenjangan Struktural", session=session,
                    reason="typo", **WHO)
        kegiatan_id = _kegiatan(session, plan_id, 2).id
    corrected = [line.replace("Penjurangan", "Penjenjangan") for line in seed_lines()]
    with unit_of_work(engine) as session:
        result = save_plan(parse_lines(corrected), session=session)
        assert not result.removed
    with unit_of_work(engine) as session:
        kegiatan = session.get(Kegiatan, kegiatan_id)
        assert (kegiatan.name, kegiatan.printed_name) == ("Pendidikan Penjenjangan Struktural",) * 2
        assert len(session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id)).all()) == 45


def test_migration_fills_the_printed_names_of_stored_plans(engine):
    """0008 adds the printed names and fills them with the names, on SQLite and PostgreSQL; down and up again."""
    downgrade_to(engine, "0007")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO agency (id, name) VALUES (1, 'BKD')"))
            conn.execute(sa.text("INSERT INTO plan (id, agency_id, year, title, source_name) VALUES (1, 1, 2020, '', '')"))
            conn.execute(sa.text("INSERT INTO goal (id, plan_id, seq, no, name) VALUES (1, 1, 1, '1', 'G')"))
            conn.execute(sa.text("INSERT INTO program (id, plan_id, goal_id, seq, no, name) VALUES (1, 1, 1, 1, '1', 'P')"))
            conn.execute(sa.text("INSERT INTO kegiatan (id, plan_id, program_id, seq, no, name, budget_raw, "
                                 "source_line) VALUES (1, 1, 1, 1, '1', 'Pendidikan Penjurangan', '', 0)"))
            conn.execute(sa.text("INSERT INTO aksi (id, kegiatan_id, no, name, indicator, indicator_kind, mode, "
                                 "source_line) VALUES (1, 1, 1, 'Persiapan', '', 'positive', 'increment', 0)"))
            conn.execute(sa.text("INSERT INTO kegiatanindicator (id, kegiatan_id, seq, text, target_raw, target_unit, "
                                 "indicator_kind, mode) VALUES (1, 1, 1, 'Jumlah peserta', '', '', 'positive', "
                                 "'increment')"))
    finally:
        upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT printed_name FROM kegiatan")).scalar() == "Pendidikan Penjurangan"
        assert conn.execute(sa.text("SELECT printed_name FROM aksi")).scalar() == "Persiapan"
        assert conn.execute(sa.text("SELECT printed_text FROM kegiatanindicator")).scalar() == "Jumlah peserta"
