"""IKU and program indicators as reported items: who holds them, their numbers, and saving what is reported
(bot.domain.people assign_outcome / holds_outcome, bot.domain.period plan_outcomes / find_outcome,
bot.domain.outcomes save_outcome_report), on the seed and on the second plan with negative IKU."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.audit import history
from bot.domain.digest import _outcome_refs
from bot.domain.locks import lock_quarter
from bot.domain.outcomes import OutcomeSubmission
from bot.domain.outcomes import save_outcome_report
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.people import assign_outcome
from bot.domain.people import holds_outcome
from bot.domain.people import outcome_holdings
from bot.domain.people import resolve_actor
from bot.domain.people import unassign_outcome
from bot.domain.period import find_outcome
from bot.domain.period import plan_outcomes
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from bot.domain.reporting import ReportError
from bot.domain.scoring import score_plan_from_db
from models import GoalIndicatorRealisation
from models import OutcomeAssignment
from models import Person
from models import ProgramIndicatorRealisation

DINKES = Path(__file__).resolve().parent.parent / "fixtures" / "rapk-2021-dinkes-contoh.txt"
NOW = datetime(2021, 7, 2, 3, 0, tzinfo=UTC)
KASUBAG = 4242  # the Kasubag Perencanaan's Telegram id


def _import(engine, path) -> int:
    with unit_of_work(engine) as session:
        return save_plan(parse_plan_file(path), session=session).plan_id


@pytest.fixture
def dinkes(engine) -> dict:
    """The second plan; the Kasubag Perencanaan holds both IKU and the first program indicator, Rudi nothing."""
    plan_id = _import(engine, DINKES)
    with unit_of_work(engine) as session:
        items = {(i.kind, i.ref): i for i in plan_outcomes(plan_id, session=session)}
        kasubag = Person(name="Wati Kasubag Perencanaan", telegram_user_id=KASUBAG)
        rudi = Person(name="Rudi")
        session.add_all([kasubag, rudi])
        session.flush()
        for key in ((IKU, "1"), (IKU, "2")):
            assert assign_outcome(kasubag.id, goal_indicator_id=items[key].id, session=session, actor_label="admin")
        assert assign_outcome(kasubag.id, program_indicator_id=items[(PROGRAM_INDICATOR, "1.1")].id, session=session,
                              actor_label="admin")
        return {"plan": plan_id, "kasubag": kasubag.id, "rudi": rudi.id,
                "stunting": items[(IKU, "1")].id, "aki": items[(IKU, "2")].id,
                "ditimbang": items[(PROGRAM_INDICATOR, "1.1")].id, "k4": items[(PROGRAM_INDICATOR, "1.2")].id}


def _save(engine, sub: OutcomeSubmission, person_id: int, now: datetime = NOW):
    with unit_of_work(engine) as session:
        return save_outcome_report(sub, session=session, person_id=person_id, actor_label="Wati", now=now)


def test_the_numbers_are_those_of_the_summary_json(engine, seed_plan_path):
    """IKU n and program indicator B.N mean the same item for `rapk assign`, /pic and `rapk summary --json`."""
    plan_id = _import(engine, seed_plan_path)
    with Session(engine) as session:
        items = plan_outcomes(plan_id, session=session)
        ps = score_plan_from_db(plan_id, 2, session=session, now=NOW)
        # The seed: 6 IKU; 11 blocks, block 1 and block 10 with two indicators each, the others one: 13.
        assert [(i.kind, i.ref) for i in items][:7] == [(IKU, str(n)) for n in range(1, 7)] + [(PROGRAM_INDICATOR, "1.1")]
        assert len(items) == 6 + 13
        assert [(i.kind, i.ref, i.id) for i in items] == [(kind, ref, s.id) for kind, ref, s in _outcome_refs(ps)]
        assert find_outcome(plan_id, IKU, "5", session=session).text == "Prosentase pemenuhan formasi sesuai dengan kebutuhan"
        assert find_outcome(plan_id, PROGRAM_INDICATOR, "10.2", session=session).text.startswith("Prosentase penyerahan SK")
        assert find_outcome(plan_id, PROGRAM_INDICATOR, "010.02", session=session).ref == "10.2"
        assert [find_outcome(plan_id, kind, ref, session=session) for kind, ref in (
            (IKU, "7"), (IKU, "1.1"), (PROGRAM_INDICATOR, "10"), (PROGRAM_INDICATOR, "12.1"),
            (PROGRAM_INDICATOR, "a.1"), (IKU, "99999999999999"))] == [None] * 6
        # Every seed IKU falls due in TW IV only (its cells «-, -, -, 73%»; IKU 5 has no TW IV cell: the annual 75%).
        assert {i.ref: i.targets for i in items if i.kind == IKU}["1"] == {4: D(73)}
        assert {i.ref: i.targets for i in items if i.kind == IKU}["5"] == {4: D(75)}


def test_assigning_is_audited_idempotent_and_makes_a_pic(engine, dinkes):
    with unit_of_work(engine) as session:
        assert resolve_actor(KASUBAG, session=session, admin_ids=[]).is_pic  # an IKU and no kegiatan: a PIC
        assert holds_outcome(dinkes["kasubag"], goal_indicator_id=dinkes["stunting"], session=session)
        assert not holds_outcome(dinkes["kasubag"], program_indicator_id=dinkes["k4"], session=session)
        assert not holds_outcome(None, goal_indicator_id=dinkes["stunting"], session=session)
        assert not assign_outcome(dinkes["kasubag"], goal_indicator_id=dinkes["stunting"], session=session)  # again
        with pytest.raises(ValueError):
            holds_outcome(dinkes["kasubag"], session=session)
        with pytest.raises(ValueError):
            assign_outcome(dinkes["kasubag"], goal_indicator_id=dinkes["stunting"], program_indicator_id=dinkes["k4"],
                           session=session)
        assert [h.key for h in outcome_holdings(session=session, people=[dinkes["kasubag"]])] == [
            (IKU, dinkes["stunting"]), (IKU, dinkes["aki"]), (PROGRAM_INDICATOR, dinkes["ditimbang"])]
        assert unassign_outcome(dinkes["kasubag"], program_indicator_id=dinkes["ditimbang"], session=session,
                                actor_label="admin")
        assert not unassign_outcome(dinkes["kasubag"], program_indicator_id=dinkes["ditimbang"], session=session)
        entries = [(e.action, e.entity, e.entity_id, e.old_value, e.new_value) for e in history(session=session)
                   if e.action.startswith("pic.")]
    assert entries == [
        ("pic.assign", "goal_indicator", dinkes["stunting"], None, str(dinkes["kasubag"])),
        ("pic.assign", "goal_indicator", dinkes["aki"], None, str(dinkes["kasubag"])),
        ("pic.assign", "program_indicator", dinkes["ditimbang"], None, str(dinkes["kasubag"])),
        ("pic.unassign", "program_indicator", dinkes["ditimbang"], str(dinkes["kasubag"]), None)]


def test_save_creates_then_updates_and_audits_every_change(engine, dinkes):
    first = _save(engine, OutcomeSubmission(quarter=2, iku_values={dinkes["stunting"]: (D("19.0"), "19,0")},
                                            program_values={dinkes["ditimbang"]: (D(63), "63")}), dinkes["kasubag"])
    assert (first.created, first.changed) == (2, [])
    same = _save(engine, OutcomeSubmission(quarter=2, iku_values={dinkes["stunting"]: (D("19.0"), "19,0")}),
                 dinkes["kasubag"])
    assert (same.created, same.changed) == (0, [])  # saved twice (a redelivered tap): nothing new
    later = datetime(2021, 7, 5, 3, 0, tzinfo=UTC)
    fixed = _save(engine, OutcomeSubmission(quarter=2, iku_values={dinkes["stunting"]: (D(21), "21")}),
                  dinkes["kasubag"], later)
    assert (fixed.created, fixed.changed) == (0, [f"iku:{dinkes['stunting']}"])
    with Session(engine) as session:
        row = session.exec(select(GoalIndicatorRealisation)).one()
        assert (row.goal_indicator_id, row.quarter, row.value, row.value_raw, row.reported_by) == (
            dinkes["stunting"], 2, D(21), "21", dinkes["kasubag"])
        assert row.reported_at == later
        program = session.exec(select(ProgramIndicatorRealisation)).one()
        assert (program.program_indicator_id, program.value) == (dinkes["ditimbang"], D(63))
        audit = [(e.action, e.entity, e.field, e.old_value, e.new_value, e.actor_label)
                 for e in history(session=session) if e.action.startswith("report.")]
        # Scored as signed: stunting 21 against TW II's 19,5, lower is better: (2 × 19,5 − 21) / 19,5 × 100 = 92,3.
        ps = score_plan_from_db(dinkes["plan"], 2, session=session, now=later)
        assert next(i for i in ps.iku if i.id == dinkes["stunting"]).cumulative.pct == D("92.3")
    assert audit == [
        ("report.create", "goal_indicator_realisation", f"iku:{dinkes['stunting']}", None, "19.0", "Wati"),
        ("report.create", "program_indicator_realisation", f"indikator_program:{dinkes['ditimbang']}", None, "63",
         "Wati"),
        ("report.update", "goal_indicator_realisation", f"iku:{dinkes['stunting']}", "19.0000", "21", "Wati")]  # as stored


@pytest.mark.parametrize(("values", "who", "code"), [
    ({"iku": {"k4": "1"}}, "kasubag", "unknown_item"),  # k4's id given as an IKU id: no such IKU
    ({"program": {"k4": "300"}}, "kasubag", "not_pic"),  # an indicator the Kasubag does not hold
    ({"iku": {"stunting": "19"}}, "rudi", "not_pic"),
    ({"iku": {"stunting": "1" * 12}}, "kasubag", "bad_value"),  # 10¹¹ and more: refused like /lapor
    ({"iku": {"stunting": "1.00001"}}, "kasubag", "bad_value"),  # five decimals
])
def test_save_refuses_and_writes_nothing(engine, dinkes, values, who, code):
    def ids(kind):
        return {(dinkes[k] + (1000 if kind == "iku" and k == "k4" else 0)): (D(v), v)
                for k, v in values.get(kind, {}).items()}

    sub = OutcomeSubmission(quarter=2, iku_values={dinkes["aki"]: (D(95), "95")} | ids("iku"),
                            program_values=ids("program"))
    with pytest.raises(ReportError) as refused:
        _save(engine, sub, dinkes[who])
    assert refused.value.code == code
    with Session(engine) as session:
        assert session.exec(select(GoalIndicatorRealisation)).all() == []  # not even AKI's value


def test_save_refuses_a_raw_text_too_long_a_bad_quarter_and_a_locked_quarter(engine, dinkes):
    for sub in (OutcomeSubmission(quarter=2, iku_values={dinkes["aki"]: (D(95), "9" * 201)}),
                OutcomeSubmission(quarter=5, iku_values={dinkes["aki"]: (D(95), "95")})):
        with pytest.raises(ReportError) as refused:
            _save(engine, sub, dinkes["kasubag"])
        assert refused.value.code == "bad_value"
    with unit_of_work(engine) as session:
        lock_quarter(dinkes["plan"], 2, session=session, actor_label="admin")
    with pytest.raises(ReportError) as refused:
        _save(engine, OutcomeSubmission(quarter=2, iku_values={dinkes["aki"]: (D(95), "95")}), dinkes["kasubag"])
    assert refused.value.code == "locked"
    # TW III is open: progress on AKI (due in TW IV) is taken.
    assert _save(engine, OutcomeSubmission(quarter=3, iku_values={dinkes["aki"]: (D(95), "95")}),
                 dinkes["kasubag"]).created == 1


def test_a_reimport_without_an_indicator_drops_who_held_it(engine, dinkes):
    from bot.domain.plan_import.parser import parse_plan_text

    lines = DINKES.read_text(encoding="utf-8").split("\n")
    dropped = [line for line in lines if "Angka Kematian Ibu" not in line]
    assert len(dropped) == len(lines) - 1
    with unit_of_work(engine) as session:  # nothing reported on it: the merge may drop it
        save_plan(parse_plan_text("\n".join(dropped), DINKES.name), session=session)
    with Session(engine) as session:
        held = session.exec(select(OutcomeAssignment.goal_indicator_id).where(
            OutcomeAssignment.goal_indicator_id.is_not(None))).all()
        assert held == [dinkes["stunting"]]
