"""What a person owes of the IKU and program indicators they report (bot.domain.obligations.outcomes_due),
and the reminders that follow from it, on the second plan (tests/fixtures/rapk-2021-dinkes-contoh.txt):
«Prevalensi stunting» 20 / 19,5 / 19 / 18% due every quarter, «Angka Kematian Ibu» 90 in TW IV only,
«balita ditimbang» 60/70/80/85% every quarter."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.locks import lock_quarter
from bot.domain.obligations import outcomes_due
from bot.domain.outbox import create_manual_reminders
from bot.domain.outbox import load_reminders
from bot.domain.outcomes import OutcomeSubmission
from bot.domain.outcomes import load_outcome_form
from bot.domain.outcomes import save_outcome_report
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.people import assign_outcome
from bot.domain.period import plan_outcomes
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from bot.domain.reminders import plan_due_reminders
from bot.domain.reminders import still_due
from bot.telegram.sending import MESSAGE_LIMIT
from models import Person
from models import Reminder

DINKES = Path(__file__).resolve().parent.parent / "fixtures" / "rapk-2021-dinkes-contoh.txt"
CAL = ReportingCalendar()
H7 = CAL.reminder_slots(2021, 2)[0].utc  # the first reminder of TW II 2021
NOW = datetime(2021, 6, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def plan(engine) -> dict:
    """The Kasubag (on Telegram) reports stunting, AKI and «ditimbang»; nobody else reports anything. By June
    TW I is locked, so only TW II is chased."""
    with unit_of_work(engine) as session:
        plan_id = save_plan(parse_plan_file(DINKES), session=session).plan_id
        items = {(i.kind, i.ref): i for i in plan_outcomes(plan_id, session=session)}
        kasubag = Person(name="Kasubag Perencanaan", telegram_user_id=5151)
        session.add(kasubag)
        session.flush()
        for key in ((IKU, "1"), (IKU, "2"), (PROGRAM_INDICATOR, "1.1")):
            assign_outcome(kasubag.id, session=session, **items[key].assignment)
        lock_quarter(plan_id, 1, session=session, actor_label="admin")
        return {"plan": plan_id, "kasubag": kasubag.id, "stunting": items[(IKU, "1")].id,
                "aki": items[(IKU, "2")].id, "ditimbang": items[(PROGRAM_INDICATOR, "1.1")].id}


def _owed(engine, plan, quarter=2):
    with Session(engine) as session:
        return outcomes_due(plan["plan"], quarter, session=session)[plan["kasubag"]]


def _report(engine, plan, quarter=2, **values):
    with unit_of_work(engine) as session:
        save_outcome_report(OutcomeSubmission(
            quarter=quarter, iku_values={plan[k]: (D(v), v) for k, v in values.items() if k != "ditimbang"},
            program_values={plan[k]: (D(v), v) for k, v in values.items() if k == "ditimbang"}),
            session=session, person_id=plan["kasubag"], actor_label="Kasubag", now=NOW)


def test_owed_are_the_held_indicators_with_a_target_in_the_quarter(engine, plan):
    owed = _owed(engine, plan)
    assert [(o.item.text.split()[0], o.due, o.target_value, o.target_raw) for o in owed.items] == [
        ("Prevalensi", True, D("19.5"), "19,5%"), ("Angka", False, None, ""), ("Persentase", True, D(70), "70%")]
    assert [o.item.id for o in owed.outstanding] == [plan["stunting"], plan["ditimbang"]]
    assert (owed.complete, owed.open, owed.done) == (False, True, False)
    # TW IV: AKI's 90 falls due (no quarterly number); all three are owed.
    assert [o.target_value for o in _owed(engine, plan, 4).outstanding] == [D(18), D(90), D(85)]
    _report(engine, plan, aki="95")  # progress on AKI owes nothing in TW II
    assert _owed(engine, plan).complete is False
    _report(engine, plan, stunting="19", ditimbang="63")
    owed = _owed(engine, plan)
    assert (owed.complete, owed.open, owed.done) == (True, False, True)
    with Session(engine) as session:
        form = load_outcome_form(plan["kasubag"], plan["plan"], 3, session=session)
    # TW III's form: what was reported to TW II, by the mode (level and negative: the latest value).
    assert [(i.owed.due, i.real_before, i.target_to_date) for i in form.items] == [
        (True, D(19), D(19)), (False, D(95), None), (True, D(63), D(80))]
    assert (form.due_count, form.done_count, form.started) == (2, 0, False)
    assert [i.early for i in form.items] == [False, True, False]


def test_a_locked_quarter_owes_nothing_more(engine, plan):
    with unit_of_work(engine) as session:
        lock_quarter(plan["plan"], 2, session=session, actor_label="admin")
    owed = _owed(engine, plan)
    assert owed.locked and owed.outstanding and not owed.open


def test_reminder_rows_texts_and_ingatkan_include_the_indicators_owed(engine, plan):
    with unit_of_work(engine) as session:
        assert plan_due_reminders(H7, session=session, calendar=CAL, plan_id=plan["plan"]) == 1
        row = session.exec(select(Reminder)).one()
        assert row.person_id == plan["kasubag"] and still_due(row, session=session)
        [draft] = load_reminders([row.id], session=session, calendar=CAL, now=H7)
    text = draft.render(CAL, limit=MESSAGE_LIMIT)
    assert "Indikator kinerja (IKU/program)" in text.text and text.report == () and text.report_outcomes
    assert "• IKU 1. Prevalensi stunting pada balita: target TW II <b>19,5%</b>" in text.text
    assert "• Indikator program 1.1. Persentase balita yang ditimbang: target TW II <b>70%</b>" in text.text
    assert "Angka Kematian Ibu" not in text.text
    _report(engine, plan, stunting="19", ditimbang="63")
    with unit_of_work(engine) as session:
        assert not still_due(row, session=session)  # reported meanwhile: the row is skipped, not sent
        [skipped] = load_reminders([row.id], session=session, calendar=CAL, now=H7)
        assert skipped.skip == "nothing due"
        settings = load_settings(telegram_bot_token="1:x", database_url="sqlite://", _env_file=None, plan_year=2021)
        assert create_manual_reminders(NOW, session=session, settings=settings, calendar=CAL).created == 0
    with unit_of_work(engine) as session:  # a third indicator given to him and not reported: /ingatkan finds him
        k4 = next(i for i in plan_outcomes(plan["plan"], session=session) if i.ref == "1.2")
        assign_outcome(plan["kasubag"], session=session, **k4.assignment)
        assert create_manual_reminders(NOW, session=session, settings=settings, calendar=CAL).created == 1
