"""The Perjanjian Kinerja level: IKU and program indicators measured against their signed targets.

Every expected figure is worked out by hand in the comment beside it, from the plan's cells:
the seed (bot/data/rapk-2020-bkd-gresik.txt) and a second plan with negative IKU
(tests/fixtures/rapk-2021-dinkes-contoh.txt: «Prevalensi stunting» 20% / 19,5% / 19% / 18%,
«Angka Kematian Ibu» 90 in TW IV, «Persentase balita ditimbang» 60/70/80/85%, «Jumlah ibu hamil K4»
300 a quarter).
"""

from datetime import UTC
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.charts import _iku_line
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from bot.domain.scoring import LEVEL
from bot.domain.scoring import MISSING
from bot.domain.scoring import NEGATIVE
from bot.domain.scoring import NOT_DUE
from bot.domain.scoring import OK
from bot.domain.scoring import score_plan_from_db
from bot.text.render import labels
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import ProgramIndicator
from models import ProgramIndicatorRealisation
from tests.support.migrations import migrate

DINKES = Path(__file__).resolve().parent.parent / "fixtures" / "rapk-2021-dinkes-contoh.txt"
AFTER_TW2_2021 = datetime(2021, 7, 31, 3, tzinfo=UTC)  # TW II's reporting deadline has passed
BEFORE_TW2_DEADLINE_2021 = datetime(2021, 6, 20, 3, tzinfo=UTC)
AFTER_TW4_2021 = datetime(2022, 1, 31, 3, tzinfo=UTC)

STUNTING = "Prevalensi stunting pada balita"
AKI = "Angka Kematian Ibu per 100.000 kelahiran hidup"
DITIMBANG = "Persentase balita yang ditimbang"
K4 = "Jumlah ibu hamil yang mendapat pemeriksaan K4"


def _import(engine, path) -> int:
    with unit_of_work(engine) as session:
        return save_plan(parse_plan_file(path), session=session).plan_id


def _report(engine, text: str, quarter: int, value: str) -> None:
    """What the person holding an IKU or program indicator reported (as /lapor stores it); again: corrected."""
    with unit_of_work(engine) as session:
        iku = session.exec(select(GoalIndicator).where(GoalIndicator.text == text)).first()
        if iku is not None:
            model, key = GoalIndicatorRealisation, {"goal_indicator_id": iku.id}
        else:
            ind = session.exec(select(ProgramIndicator).where(ProgramIndicator.text == text)).one()
            model, key = ProgramIndicatorRealisation, {"program_indicator_id": ind.id}
        row = session.exec(select(model).filter_by(quarter=quarter, **key)).first() or model(quarter=quarter, **key)
        row.value, row.value_raw = D(value.replace(",", ".")), value
        session.add(row)


def _score(engine, plan_id, quarter, now):
    with Session(engine) as session:
        return score_plan_from_db(plan_id, quarter, session=session, now=now)


@pytest.fixture
def dinkes(engine) -> int:
    return _import(engine, DINKES)


def _iku(ps, text):
    return next(i for i in ps.iku if i.text == text)


def test_the_modes_are_inferred_from_the_signed_cells(engine, dinkes):
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    assert [(i.text, i.mode) for i in ps.iku] == [(STUNTING, NEGATIVE), (AKI, NEGATIVE)]
    assert [(i.text, i.mode) for i in ps.program_indicators] == [(DITIMBANG, LEVEL), (K4, "increment")]
    # With no quarterly number, AKI's annual 90 falls due in TW IV; stunting is due every quarter.
    assert _iku(ps, AKI).targets == {4: D(90)}
    assert _iku(ps, STUNTING).targets == {1: D(20), 2: D("19.5"), 3: D(19), 4: D(18)}


def test_a_negative_iku_under_its_target_scores_above_100_and_over_it_below(engine, dinkes):
    _report(engine, STUNTING, 1, "20,5")
    _report(engine, STUNTING, 2, "19")
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    stunting = _iku(ps, STUNTING)
    # Lower is better, latest value against the latest due target: TW II 19,5 and 19,0 reported:
    # (2 × 19,5 − 19,0) / 19,5 × 100 = 20 / 19,5 × 100 = 102,56… → 102,6%.
    assert (stunting.cumulative.target, stunting.cumulative.real, stunting.cumulative.pct) == (
        D("19.5"), D(19), D("102.6"))
    assert stunting.cumulative.status == OK
    # The headline takes it capped at 100 (SCORE_CAP_PCT); AKI is not due before TW IV.
    assert ps.iku_measure.pct == D("100.0") and ps.iku_measure.coverage.due == 1
    assert ps.iku_measure.coverage.capped == 1
    # The chart's header says it before the action plan's progress.
    assert _iku_line(ps, labels("chart_labels", "id"), "id") == (
        "Capaian kinerja sasaran (IKU) 100,0% (Sangat Tinggi) · 1 dari 1 IKU")

    _report(engine, STUNTING, 2, "21")  # a correction: worse than the target
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    # (2 × 19,5 − 21,0) / 19,5 × 100 = 18 / 19,5 × 100 = 92,307… → 92,3%, and so the headline.
    assert _iku(ps, STUNTING).cumulative.pct == D("92.3")
    assert ps.iku_measure.pct == D("92.3") and ps.iku_measure.band == "Sangat Tinggi"


def test_an_iku_due_only_in_tw_iv_shows_progress_unbanded_before_it(engine, dinkes):
    _report(engine, AKI, 2, "95")
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    aki = _iku(ps, AKI)
    assert aki.cumulative.status == NOT_DUE and aki.cumulative.pct is None and aki.cumulative.band is None
    # Progress against the annual 90, lower is better: (2 × 90 − 95) / 90 × 100 = 85 / 90 × 100 = 94,4%.
    assert aki.progress_pct == D("94.4")
    _report(engine, AKI, 4, "85")
    ps = _score(engine, dinkes, 4, AFTER_TW4_2021)
    # TW IV: (2 × 90 − 85) / 90 × 100 = 95 / 90 × 100 = 105,55… → 105,6%, shown as computed.
    assert _iku(ps, AKI).cumulative.pct == D("105.6")


def test_program_indicators_by_their_mode_and_the_block_outcome(engine, dinkes):
    _report(engine, DITIMBANG, 1, "58")
    _report(engine, DITIMBANG, 2, "63")
    _report(engine, K4, 1, "280")
    _report(engine, K4, 2, "320")
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    block = ps.programs[0]
    ditimbang, k4 = block.indicators
    # Level: the latest value against the target to date, 63 / 70 × 100 = 90,0%.
    assert (ditimbang.cumulative.target, ditimbang.cumulative.real, ditimbang.cumulative.pct) == (
        D(70), D(63), D("90.0"))
    # Increment: each quarter's own, summed: (280 + 320) / (300 + 300) × 100 = 100,0%.
    assert (k4.cumulative.target, k4.cumulative.real, k4.cumulative.pct) == (D(600), D(600), D("100.0"))
    # The block and the plan's «capaian program»: (90,0 + 100,0) / 2 = 95,0.
    assert block.outcome.pct == D("95.0") and ps.program_measure.pct == D("95.0")
    assert (ps.program_measure.coverage.due, ps.program_measure.coverage.scored) == (2, 2)


def test_an_unreported_program_indicator_counts_zero_after_the_deadline_only(engine, dinkes):
    _report(engine, DITIMBANG, 2, "63")
    _report(engine, K4, 1, "280")
    before = _score(engine, dinkes, 2, BEFORE_TW2_DEADLINE_2021)
    k4 = before.programs[0].indicators[1]
    assert k4.cumulative.status == "pending" and k4.cumulative.pct is None
    # Before the deadline only «ditimbang» counts: 63 / 70 = 90,0.
    assert before.program_measure.pct == D("90.0")
    after = _score(engine, dinkes, 2, AFTER_TW2_2021)
    k4 = after.programs[0].indicators[1]
    # After it TW II adds 0: 280 / 600 × 100 = 46,66… → 46,7%, «tidak lapor»; the mean (90,0 + 46,7) / 2 = 68,35 → 68,4.
    assert (k4.cumulative.status, k4.cumulative.pct, k4.missing_quarters) == (MISSING, D("46.7"), (2,))
    assert after.program_measure.pct == D("68.4")


def test_the_seed_has_its_11_program_blocks_with_their_own_indicators(engine, seed_plan_path):
    plan_id = _import(engine, seed_plan_path)
    ps = _score(engine, plan_id, 2, datetime(2020, 7, 31, tzinfo=UTC))
    blocks = [(p.seq, p.name, [i.text for i in p.indicators]) for p in ps.programs]
    pembinaan, mutasi = "Prog. Pembinaan & Kesejahteraan ASN", "Program Mutasi dan Kepangkatan ASN"
    assert len(blocks) == 11
    assert blocks[1] == (2, pembinaan, ["Prosentase ASN yang capaian kinerjanya sesuai dengan target"])
    assert blocks[2] == (3, pembinaan, ["Prosentase ASN yang tidak pernah melakukan pelanggaran disiplin jam kerja"])
    assert blocks[8:10] == [(9, mutasi, ["Prosentase Kenaikan Pangkat tepat waktu"]),
                            (10, mutasi, ["Prosentase KGB tepat waku", "Prosentase penyerahan SK Pensiun tepatwaktu"])]
    # Each block sits under the IKU printed above it: blocks 2 and 3 under goal 1's IKU 2 and 3.
    iku = {i.id: i.text for i in ps.iku}
    assert [iku[p.goal_indicator_id] for p in ps.programs[1:3]] == [
        "Prosentase ASN yang memiliki nilai SKP baik", "Prosentase ASN yang memenuhi ketentuan jam kerja"]
    # Every IKU of the seed is due in TW IV only («-, -, -, 73%»): nothing to score at TW II.
    assert len(ps.iku) == 6 and ps.iku_measure.status == NOT_DUE and ps.iku_measure.pct is None


def test_a_seed_iku_at_tw_iv(engine, seed_plan_path):
    plan_id = _import(engine, seed_plan_path)
    _report(engine, "Prosentase ASN yang memiliki sertifikat diklat kompetensi", 4, "60")
    ps = _score(engine, plan_id, 4, datetime(2021, 1, 31, tzinfo=UTC))
    first = ps.iku[0]
    # A level IKU, «73%» in TW IV: 60 / 73 × 100 = 82,19… → 82,2%.
    assert (first.mode, first.cumulative.target, first.cumulative.pct) == (LEVEL, D(73), D("82.2"))
    # The other five IKU are not reported after TW IV's deadline: 0 each; (82,2 + 0 × 5) / 6 = 13,7.
    assert ps.iku_measure.pct == D("13.7") and ps.iku_measure.coverage.missing == 5


def test_summary_json_has_the_cascade_and_as_of_decides_the_deadline(engine, dinkes, db_url, monkeypatch, capsys):
    import json

    from bot.cli import main as rapk

    monkeypatch.setenv("DATABASE_URL", db_url)
    _report(engine, STUNTING, 2, "19")
    _report(engine, DITIMBANG, 2, "63")
    _report(engine, K4, 1, "280")

    def summary(as_of: str) -> dict:
        assert rapk(["summary", "-q", "2", "--plan-year", "2021", "--as-of", as_of, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    before, after = summary("2021-06-20"), summary("2021-07-31")
    assert set(before) >= {"physical", "budget", "programs", "iku", "program_blocks", "kegiatan", "items_excluded",
                           "coverage"}
    assert before["iku"] == [
        # (2 × 19,5 − 19) / 19,5 × 100 = 102,6, as in the test above.
        {"seq": 1, "text": STUNTING, "mode": "negative", "target": 19.5, "realised": 19, "achievement_pct": 102.6,
         "band": "Sangat Tinggi", "status": "ok"},
        # Due in TW IV only: not scored; its target is the 90 of TW IV, nothing reported.
        {"seq": 2, "text": AKI, "mode": "negative", "target": 90, "realised": None, "achievement_pct": None,
         "band": None, "status": "not_due"}]
    block = before["program_blocks"][0]
    assert (block["seq"], block["goal_indicator_seq"]) == (1, 2)  # printed under the second IKU row
    # Before the deadline the K4 quarter is pending; after it, TW II adds 0: 280 / 600 = 46,7%.
    assert [(i["n"], i["mode"], i["status"], i["achievement_pct"]) for i in block["indicators"]] == [
        (1, "level", "ok", 90.0), (2, "increment", "pending", None)]
    assert [(i["status"], i["achievement_pct"]) for i in after["program_blocks"][0]["indicators"]] == [
        ("ok", 90.0), ("missing", 46.7)]
    assert before["coverage"]["iku"] == {"reported": 1, "due": 1}
    assert after["coverage"]["program_indicators"] == {"reported": 1, "due": 2}
    first = after["kegiatan"][0]
    assert set(first) == {"seq", "cumulative_pct", "quarter_pct", "band", "status", "budget_realised",
                          "absorption_pct", "aksi", "indicators"}
    assert set(first["aksi"][0]) == {"no", "mode", "target_to_date", "realised_to_date", "achievement_pct",
                                     "status", "flagged"}
    assert set(first["indicators"][0]) == {"n", "mode", "target", "realised", "achievement_pct", "status",
                                           "flagged"}
    # Nothing is reported on the aksi. On 20 June TW I's deadline has passed (aksi 1 is due in TW I only:
    # 0), TW II's has not (aksi 2 owes TW I and TW II, aksi 3 TW II): after 31 July all three count 0.
    assert [a["status"] for a in before["kegiatan"][0]["aksi"]] == ["missing", "pending", "pending"]
    assert [a["status"] for a in after["kegiatan"][0]["aksi"]] == ["missing", "missing", "missing"]


def _dinkes_lines() -> list[str]:
    return DINKES.read_text(encoding="utf-8").split("\n")


def _store_lines(engine, lines, **kwargs):
    from bot.domain.plan_import.parser import parse_plan_text

    with unit_of_work(engine) as session:
        return save_plan(parse_plan_text("\n".join(lines), "revisi.txt"), session=session, **kwargs)


def test_a_reimport_keeps_iku_reports_and_refuses_to_drop_a_reported_one(engine, dinkes):
    from bot.domain.plan_import.store import MergeRefused
    from tests.support.plans import snapshot

    _report(engine, STUNTING, 2, "19")
    lines = _dinkes_lines()
    # A revised annual target on the first IKU: updated in place, its report stays.
    lines[5] = lines[5].replace("\t18%\t", "\t17%\t", 1)
    result = _store_lines(engine, lines)
    assert [c.key for c in result.changed] == ["Meningkatnya derajat kesehatan masyarakat"]
    ps = _score(engine, dinkes, 2, AFTER_TW2_2021)
    assert (_iku(ps, STUNTING).annual, _iku(ps, STUNTING).reals) == (D(17), {2: D(19)})
    # Dropping a reported IKU row is refused, naming it, and nothing changes; --force removes it and its report.
    _report(engine, AKI, 2, "95")
    before = snapshot(engine)
    without = lines[:6] + lines[7:]
    with pytest.raises(MergeRefused) as refused:
        _store_lines(engine, without)
    assert refused.value.blocked == [f"indikator sasaran “{AKI}” pada sasaran “Meningkatnya derajat kesehatan "
                                     "masyarakat” (realisasi TW II)"]
    assert snapshot(engine) == before
    _store_lines(engine, without, force=True)
    with Session(engine) as session:
        assert [r.value for r in session.exec(select(GoalIndicatorRealisation)).all()] == [D(19)]


def test_a_database_from_before_blocks_gets_them_on_the_next_import(engine, seed_plan_path):
    """0004 on a plan stored by 0003 (programs merged by name under a goal): the next import splits them."""
    import sqlalchemy as sa
    from alembic import command

    from models import Kegiatan
    from models import Program


    plan_id = _import(engine, seed_plan_path)
    migrate(engine, "0003", command.downgrade)  # folds the blocks back into one program per goal and name
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM program")).scalar() == 9
    finally:
        migrate(engine, "head", command.upgrade)
    with Session(engine) as session:
        iku = session.exec(select(GoalIndicator).order_by(GoalIndicator.id)).first()
        # The migration filled the numbers and the mode from the cells as written: «73%», «-, -, -, 73%».
        assert (iku.target_value, iku.tw1_value, iku.tw4_value, iku.mode) == (D(73), None, D(73), LEVEL)
    _import(engine, seed_plan_path)
    with Session(engine) as session:
        programs = session.exec(select(Program).where(Program.plan_id == plan_id).order_by(Program.seq)).all()
        assert len(programs) == 11 and all(p.goal_indicator_id for p in programs)
        # Kegiatan 1-6 of lines 84-118 sit in the second «Pembinaan» block, not the first.
        second = programs[2]
        assert second.name == "Prog. Pembinaan & Kesejahteraan ASN"
        assert len(session.exec(select(Kegiatan).where(Kegiatan.program_id == second.id)).all()) == 6
