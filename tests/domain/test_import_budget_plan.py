"""Anggaran kas columns in a plan file: read by line (text and xlsx), stored, merged without losing what
the admin set (tests/support/kas_plan.py describes the file)."""

from datetime import datetime

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.admin import preview_upload
from bot.domain.budget_plan import plans_of
from bot.domain.budget_plan import set_budget_plan
from bot.domain.plan_import import SAMPLE_PLAN
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.parser import parse_plan_text
from bot.domain.plan_import.store import load_plan_tree
from bot.domain.plan_import.store import plan_json
from bot.domain.plan_import.store import save_plan
from bot.text.render import plain
from models import AuditLog
from models import Kegiatan
from models import KegiatanBudgetPlan
from tests.support import kas_plan
from tests.support.harness import WIB
from tests.support.kas_plan import JT

CODES_READ_AS_SOMETHING_ELSE = {"second_budget", "money_not_read", "note_not_imported", "cell_not_imported",
                                "note_read_as_tw4", "note_not_a_target", "budget_in_quarter", "total_mismatch"}


def test_the_columns_are_read_wherever_the_row_puts_them():
    parsed = parse_plan_text(kas_plan.text(), "rapk-2021.txt")
    assert {k.seq: k.budget_plan for k in parsed.kegiatan} == kas_plan.PLANS
    assert {k.seq: k.budget for k in parsed.kegiatan} == kas_plan.BUDGETS  # KETERANGAN, after the columns
    # Kegiatan Lima's bad cell leaves its stored plan alone; every other table row decides its plan.
    assert [k.budget_plan_given for k in parsed.kegiatan] == [True, True, True, True, False, True]
    # The shifted row (Kegiatan Dua) keeps its four targets: the amounts were not read as targets.
    assert parsed.kegiatan[1].aksi[0].tw == ["25%", "25%", "25%", "25%"]
    assert [(a.line, a.code) for a in parsed.anomalies] == [(kas_plan.BAD_LINE, "kas_not_read"),
                                                            (kas_plan.OVER_LINE, "kas_over_pagu")]
    why = {a.code: a.why for a in parsed.anomalies}
    assert why["kas_not_read"] == ("Anggaran kas TW II “sepuluh juta” kegiatan “Kegiatan Lima” bukan jumlah rupiah; "
                                   "anggaran kas kegiatan ini tidak diimpor (yang tersimpan tetap).")
    assert why["kas_over_pagu"] == ("Jumlah anggaran kas kegiatan “Kegiatan Enam” Rp120.000.000 melebihi pagunya "
                                    "Rp100.000.000; disimpan apa adanya, periksa angkanya.")
    # 50 + 100 + 150 + 100 = 400; 0 + 80 + 60 + 60 = 200; 4 × 30 = 120, twice: 840 juta in 4 kegiatan.
    assert (parsed.budget_plan_count, parsed.budget_plan_total) == (4, 840 * JT)
    json_plan = plan_json(parsed)
    assert json_plan["kegiatan"][0]["budget_plan"] == kas_plan.PLANS[1]
    assert json_plan["kegiatan"][2]["budget_plan"] is None


def test_a_workbook_with_one_heading_per_quarter_reads_the_same(tmp_path):
    parsed = parse_plan_file(kas_plan.write_xlsx(tmp_path / "rapk-2021.xlsx"))
    assert {k.seq: k.budget_plan for k in parsed.kegiatan} == kas_plan.PLANS
    assert {k.seq: k.budget for k in parsed.kegiatan} == kas_plan.BUDGETS
    assert [(a.line, a.code) for a in parsed.anomalies] == [(kas_plan.BAD_LINE, "kas_not_read"),
                                                            (kas_plan.OVER_LINE, "kas_over_pagu")]


def test_without_the_columns_the_amounts_are_not_read_and_the_seed_is_as_before():
    parsed = parse_plan_text(kas_plan.text(kas=False))
    assert [k.budget_plan for k in parsed.kegiatan] == [None] * 6
    assert not any(k.budget_plan_given for k in parsed.kegiatan) and parsed.anomalies == []
    seed = parse_plan_text(SAMPLE_PLAN.read_text(encoding="utf-8"))
    assert not any(k.budget_plan_given for k in seed.kegiatan) and seed.budget_plan_count == 0
    assert all("budget_plan" not in k for k in plan_json(seed)["kegiatan"])  # --json as it always was
    assert not {a.code for a in seed.anomalies} & {"kas_not_read", "kas_over_pagu"}


@pytest.mark.parametrize(("labels", "code"), [
    (["ANGGARAN KAS TW I", "ANGGARAN KAS TW II", "ANGGARAN KAS TW III"], "kas_columns_incomplete"),
    (["ANGGARAN KAS TW I", "ANGGARAN KAS TW II", "ANGGARAN KAS TW II", "ANGGARAN KAS TW IV"], "kas_column_label"),
    (["ANGGARAN KAS BELANJA", "", "", ""], "kas_column_label"),
])
def test_unclear_headings_refuse_the_file_with_its_line(labels, code):
    lines = kas_plan.text(kas=False).split("\n")
    lines[kas_plan.HEADER_LINE - 1] = lines[kas_plan.HEADER_LINE - 1].replace("KETERANGAN", "\t".join(labels))
    with pytest.raises(PlanFormatError) as err:
        parse_plan_text("\n".join(lines))
    assert (err.value.line, err.value.code) == (kas_plan.HEADER_LINE, code)


def test_the_columns_must_stand_right_of_the_targets():
    lines = kas_plan.text(kas=False).split("\n")
    cells = lines[kas_plan.HEADER_LINE - 1].split("\t")
    cells[7:11] = [f"ANGGARAN KAS TW {q}" for q in ("I", "II", "III", "IV")]  # over TW II..IV of the targets
    lines[kas_plan.HEADER_LINE - 1] = "\t".join(cells)
    with pytest.raises(PlanFormatError) as err:
        parse_plan_text("\n".join(lines))
    assert err.value.code == "kas_columns_left"


def stored_plans(engine) -> dict[str, tuple | None]:
    with unit_of_work(engine) as session:
        kegiatan = {k.id: k.name for k in session.exec(select(Kegiatan)).all()}
        plans = plans_of(kegiatan, session=session)
    return {name: plans.get(kid) for kid, name in sorted(kegiatan.items())}


def import_text(engine, **kwargs):
    with unit_of_work(engine) as session:
        return save_plan(parse_plan_text(kas_plan.text(**kwargs), "rapk-2021.txt"), session=session)


def admin_sets(engine, name: str, amounts) -> None:
    with unit_of_work(engine) as session:
        kid = session.exec(select(Kegiatan.id).where(Kegiatan.name == name)).one()
        set_budget_plan(kid, amounts, session=session, actor_label="Admin", now=datetime(2021, 2, 1, tzinfo=WIB))


def test_stored_and_merged_without_losing_what_the_admin_set(engine):
    result = import_text(engine)
    assert (result.budget_plan_count, result.budget_plan_total) == (4, 840 * JT)
    assert stored_plans(engine) == {kas_plan.NAMES[i - 1]: None if p is None else tuple(p)
                                    for i, p in kas_plan.PLANS.items()}
    summary = plain("import_summary", "id", dry_run=False, source="rapk-2021.txt", agency=result and "Dinas",
                    year=2021, kegiatan_count=6, aksi_count=8, indicator_count=6, budget_total=result.budget_total,
                    result=result, limit=None, sheet="", sheet_hidden=False, anomaly_count=0, anomalies=[],
                    budget_plan_count=result.budget_plan_count, budget_plan_total=result.budget_plan_total)
    assert "Anggaran kas: 4 kegiatan, jumlah Rp840.000.000" in summary

    # The admin gives Tiga and Lima a plan by command.
    admin_sets(engine, "Kegiatan Tiga", (25 * JT,) * 4)
    admin_sets(engine, "Kegiatan Lima", (10 * JT, 10 * JT, 10 * JT, 20 * JT))
    # A file without the columns changes no plan.
    assert import_text(engine, kas=False).unchanged
    assert stored_plans(engine)["Kegiatan Tiga"] == (25 * JT,) * 4
    assert stored_plans(engine)["Kegiatan Lima"] == (10 * JT, 10 * JT, 10 * JT, 20 * JT)

    # The file with the columns again, Satu's TW II and TW III moved: the file decides for its rows. Tiga's
    # row is empty there, so its plan goes; Lima's cell cannot be read, so its plan stays.
    result = import_text(engine, satu=[50 * JT, 120 * JT, 130 * JT, 100 * JT])
    plans = stored_plans(engine)
    assert plans["Kegiatan Satu"] == (50 * JT, 120 * JT, 130 * JT, 100 * JT)
    assert plans["Kegiatan Tiga"] is None
    assert plans["Kegiatan Lima"] == (10 * JT, 10 * JT, 10 * JT, 20 * JT)
    assert [(c.name, c.quarter, c.before, c.after) for c in result.changed] == [
        ("Kegiatan Satu", "TW II", 100 * JT, 120 * JT), ("Kegiatan Satu", "TW III", 150 * JT, 130 * JT),
        ("Kegiatan Tiga", "TW I", 25 * JT, None), ("Kegiatan Tiga", "TW II", 25 * JT, None),
        ("Kegiatan Tiga", "TW III", 25 * JT, None), ("Kegiatan Tiga", "TW IV", 25 * JT, None)]
    assert result.changed[0].detail == "anggaran kas TW II: “Rp100.000.000” → “Rp120.000.000”"
    with unit_of_work(engine) as session:
        audited = [(r.field, r.old_value, r.new_value) for r in session.exec(
            select(AuditLog).where(AuditLog.action == "plan.change").order_by(AuditLog.id)).all()]
    assert audited[:2] == [("tw2", "100000000", "120000000"), ("tw3", "150000000", "130000000")]

    # A kegiatan the file no longer has goes with its plan (no orphaned rows on either database).
    import_text(engine, without=("Kegiatan Enam",))
    assert "Kegiatan Enam" not in stored_plans(engine)
    with unit_of_work(engine) as session:
        assert len(session.exec(select(KegiatanBudgetPlan)).all()) == 4 * 4  # Satu, Dua, Empat, Lima


def test_the_preview_and_rapk_plan_show_the_plan(engine):
    preview = preview_upload(kas_plan.text().encode(), "rapk-2021.txt")
    assert (preview.kas_given, preview.kas_count, preview.kas_total) == (True, 4, 840 * JT)
    draft = {**preview.__dict__, "name": preview.source_name, "exists": False, "anomalies": preview.anomalies}
    text = plain("impor_preview", "id", d=draft, anomalies=[], page=0, pages=1, hidden=0)
    assert "Anggaran kas: 4 kegiatan, jumlah Rp840.000.000" in text
    result = import_text(engine)
    with unit_of_work(engine) as session:
        tree = load_plan_tree(result.plan_id, session=session)
    out = plain("plan_tree", "id", **tree)
    assert ("Anggaran kas: TW I Rp0 · TW II Rp80.000.000 · TW III Rp60.000.000 · TW IV Rp60.000.000 "
            "(jumlah Rp200.000.000)") in out
