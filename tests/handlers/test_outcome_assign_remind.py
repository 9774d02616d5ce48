"""IKU and program indicators assigned with /pic, shown in /status and /start, and reminded like aksi
(tests/support/outcomes.py: IKU 1 due in TW IV only, program indicators 1.1 and 1.2 due in TW II)."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal as D

from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.people import holds_outcome
from models import OutcomeAssignment
from models import PicAssignment
from models import ProgramIndicatorRealisation
from tests.support.admin_steps import act
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import said
from tests.support.outbox_steps import H3
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import report_all
from tests.support.outbox_steps import texts
from tests.support.outbox_steps import tick_and_send
from tests.support.outcomes import add_outcomes

OUTCOMES_BUTTON = "📝 Lapor sekarang: Indikator kinerja (IKU/program)"


async def test_the_admin_assigns_an_iku_and_a_program_indicator_with_pic(harness, fake, engine, small_plan):
    ids = add_outcomes(engine, small_plan, holder=None)
    text = await act(fake, text="/pic Sari Dewi")
    assert "indikator sasaran lewat «Indikator sasaran (IKU)»" in text
    text = await act(fake, press="🏛 Indikator sasaran (IKU)")
    assert "Sari Dewi — Indikator sasaran (IKU)" in text
    await act(fake, press="▫️ IKU 1 · Prosentase ASN")
    notice = await fake.wait_for_message(PIC2_ID, contains="Anda ditugaskan melaporkan indikator kinerja")
    assert "IKU 1 · Prosentase ASN yang memiliki sertifikat diklat kompetensi" in notice["text"]
    await act(fake, press="⬅️")
    text = await act(fake, press="Program Pendidikan dan Pelatihan ASN")
    assert "Ketuk indikator program atau kegiatan" in text
    await act(fake, press="▫️ Indikator program 1.2 · Jumlah peserta")
    text = await act(fake, press="▫️ Indikator program 1.1 · Persentase ASN")
    assert "Melaporkan: Indikator program 1.1, Indikator program 1.2." in text
    await act(fake, press="✅ Indikator program 1.2 · Jumlah peserta")  # tapped again: released
    with Session(engine) as session:
        held = session.exec(select(OutcomeAssignment).where(OutcomeAssignment.person_id == small_plan["sari"])).all()
        assert {(h.goal_indicator_id, h.program_indicator_id) for h in held} == {(ids["iku"], None),
                                                                                (None, ids["share"])}
    await fake.wait_for_message(PIC2_ID, contains="Anda tidak lagi melaporkan indikator kinerja")


async def test_forged_outcome_buttons_change_nothing(harness, fake, engine, small_plan):
    ids = add_outcomes(engine, small_plan, holder=None)
    await act(fake, text="/pic Sari Dewi")
    menu = fake.last_message_to(ADMIN_ID)
    for data in (f"pic:o:{small_plan['sari']}:s:{ids['count'] + 1000}", f"pic:o:{small_plan['sari']}:p:999999",
                 f"pic:o:999999:s:{ids['iku']}"):  # no such IKU, no such program indicator, no such person
        fake.press_button(ADMIN_ID, menu, data, forge=True)
        await fake.wait_idle()
    alerts = [c.params.get("text") or "" for c in fake.calls("answerCallbackQuery")]
    assert sum(a.startswith("Tombol ini sudah tidak berlaku") for a in alerts) == 3
    with Session(engine) as session:
        assert session.exec(select(OutcomeAssignment)).all() == []


async def test_status_and_start_list_them_and_the_button_opens_their_report(harness, fake, engine, small_plan):
    add_outcomes(engine, small_plan, holder="sari")
    with unit_of_work(engine) as session:  # Sari now reports the indicators only
        for row in session.exec(select(PicAssignment).where(PicAssignment.person_id == small_plan["sari"])):
            session.delete(row)
    text = await said(fake, PIC2_ID, "/start")
    assert "Anda melaporkan 3 indikator kinerja (IKU/program) pada rencana aksi 2020" in text
    assert "• IKU 1. Prosentase ASN yang memiliki sertifikat diklat kompetensi" in text
    assert "PIC) 0 kegiatan" not in text
    text = await said(fake, PIC2_ID, "/status")
    assert "📝 Indikator kinerja (IKU/program)" in text and "0 dari 2 indikator jatuh tempo dilaporkan" in text
    assert "• Indikator program 1.1. Persentase ASN yang mengikuti diklat — target 50%" in text
    assert "• Indikator program 1.2. Jumlah peserta diklat teknis — target 30" in text
    assert "• IKU 1. Prosentase ASN yang memiliki sertifikat diklat kompetensi — dinilai TW IV, progres boleh diisi" in text
    assert "Semua sudah dilaporkan" not in text
    assert fake.buttons(fake.last_message_to(PIC2_ID)) == [[OUTCOMES_BUTTON]]
    text = await said(fake, PIC2_ID, press=OUTCOMES_BUTTON)
    assert "Indikator kinerja 1/3: IKU 1" in text


async def test_reminders_name_the_indicators_due_and_stop_once_they_are_reported(harness, fake, engine, tw1_locked):
    ids = add_outcomes(engine, tw1_locked, holder="sari")
    report_all(engine, tw1_locked, 1)  # Sari's kegiatan is complete: only her indicators are owed
    result = await tick_and_send(harness, H7)
    assert result.delivered == 2
    [sari] = texts(fake, PIC2_ID)
    assert "Indikator kinerja (IKU/program)" in sari
    assert "• Indikator program 1.1. Persentase ASN yang mengikuti diklat: target TW II 50%" in sari
    assert "• Indikator program 1.2. Jumlah peserta diklat teknis: target TW II 30" in sari
    assert "IKU 1" not in sari  # due in TW IV: nothing owed now
    assert "Pendidikan Penjurangan Struktural" not in sari
    assert fake.buttons(fake.last_message_to(PIC2_ID)) == [[OUTCOMES_BUTTON]]
    text = await said(fake, PIC2_ID, press=OUTCOMES_BUTTON)
    assert "Indikator kinerja 1/3" in text
    await said(fake, PIC2_ID, "/batal")
    with unit_of_work(engine) as session:  # both reported (as /lapor stores them)
        for indicator in (ids["share"], ids["count"]):
            session.add(ProgramIndicatorRealisation(program_indicator_id=indicator, quarter=2, value=D(50),
                                                    value_raw="50", reported_at=datetime(2020, 6, 24, tzinfo=UTC)))
        assert holds_outcome(tw1_locked["sari"], program_indicator_id=ids["share"], session=session)
    report_all(engine, tw1_locked, 0)
    result = await tick_and_send(harness, H3)
    assert result.claimed == 0  # everything reported: nobody is reminded at H-3
