"""/lapor for the IKU and program indicators a PIC reports: one more item of the list, asked by the mode,
confirmed on a summary card and committed before «Tersimpan» (tests/support/outcomes.py: IKU 1 due in TW IV,
program indicator 1.1 level 20/50/70/80%, 1.2 increment 30 a quarter; the clock at 23 June 2020, TW II)."""

from decimal import Decimal as D

from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.audit import history
from bot.domain.people import unassign_outcome
from bot.domain.scoring import score_plan_from_db
from models import GoalIndicatorRealisation
from models import ProgramIndicatorRealisation
from tests.support.admin_steps import act
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import said
from tests.support.outcomes import add_outcomes

ITEM = "📝 Indikator kinerja (IKU/program)"


def stored(engine) -> dict:
    """{("iku" | "program", indicator id): (value, as typed, reported by)} of TW II."""
    with Session(engine) as session:
        iku = session.exec(select(GoalIndicatorRealisation).where(GoalIndicatorRealisation.quarter == 2))
        program = session.exec(select(ProgramIndicatorRealisation).where(ProgramIndicatorRealisation.quarter == 2))
        return {**{("iku", r.goal_indicator_id): (r.value, r.value_raw, r.reported_by) for r in iku},
                **{("program", r.program_indicator_id): (r.value, r.value_raw, r.reported_by) for r in program}}


async def test_the_pic_reports_their_indicators_by_the_mode_and_they_are_committed(harness, fake, engine, small_plan):
    ids = add_outcomes(engine, small_plan)
    text = await said(fake, PIC_ID, "/lapor")
    assert "📝 Indikator kinerja (IKU/program) — 0 dari 2 jatuh tempo" in text
    assert ITEM in str(fake.buttons(fake.last_message_to(PIC_ID)))
    text = await said(fake, PIC_ID, press=ITEM)
    assert "Saya akan menanyakan 3 indikator satu per satu; 2 jatuh tempo TW II" in text
    # IKU 1 is due in TW IV only: what is typed now is progress against the annual target.
    assert "Indikator kinerja 1/3: IKU 1" in text
    assert "Capaian s.d. TW II — belum jatuh tempo (dinilai TW IV) — progres s.d. TW II terhadap target tahunan 73%" in text
    assert "🎯 Sesuai target" not in str(fake.buttons(fake.last_message_to(PIC_ID)))  # nothing due to equal
    text = await said(fake, PIC_ID, "sekitar enam puluh")
    assert "bukan angka" in text and "Indikator kinerja 1/3" in text  # asked again
    text = await said(fake, PIC_ID, "60%")
    # Level: the value to date against the target to date.
    assert "Indikator kinerja 2/3: Indikator program 1.1" in text
    assert "Capaian s.d. TW II (target s.d. TW II: 50%)" in text
    text = await said(fake, PIC_ID, press="🎯 Sesuai target")
    # Increment: this quarter's own value, with the sum due to date (30 + 30).
    assert "Realisasi TW II saja (target TW II: 30; s.d. TW II: 60 orang)" in text
    text = await said(fake, PIC_ID, "300")  # ten times the target: confirmed first
    assert "lebih dari dua kali target" in text
    text = await said(fake, PIC_ID, press="Ketik ulang")
    assert "Indikator kinerja 3/3" in text
    text = await said(fake, PIC_ID, "28")
    assert "Ringkasan laporan — Indikator kinerja (IKU/program)" in text
    assert "IKU 1. " + "Prosentase ASN yang memiliki sertifikat diklat kompetensi" in text
    assert "progres (dinilai TW IV; target tahunan 73%) → 60%" in text and "target 50% → 50%" in text
    assert stored(engine) == {}  # nothing is stored before Simpan
    text = await said(fake, PIC_ID, press="💾 Simpan")
    assert "Tersimpan ✅ Indikator kinerja (IKU/program) — TW II 2020" in text
    assert "Semua indikator yang jatuh tempo TW II sudah dilaporkan" in text
    budi = small_plan["budi"]
    assert stored(engine) == {("iku", ids["iku"]): (D(60), "60%", budi), ("program", ids["share"]): (D(50), "50%", budi),
                              ("program", ids["count"]): (D(28), "28", budi)}
    with Session(engine) as session:
        assert sum(e.action == "report.create" and e.actor_label == "Budi Santoso" for e in history(session=session)) == 3
        ps = score_plan_from_db(small_plan["plan"], 2, session=session, now=harness.clock.now())
    iku, = ps.iku
    share, count = ps.program_indicators
    # IKU not due: progress 60 / 73 × 100 = 82,19… → 82,2%, shown without a band.
    assert (iku.cumulative.status, iku.progress_pct) == ("not_due", D("82.2"))
    # Level 50 / 50 × 100 = 100,0%; increment 28 / (30 + 30) × 100 = 46,66… → 46,7%, TW I not reported and
    # its deadline passed (TW I counts 0).
    assert share.cumulative.pct == D("100.0") and count.cumulative.pct == D("46.7")
    # The list now shows it done, and a second look opens on the summary card.
    text = await said(fake, PIC_ID, "/lapor")
    assert "✅ Indikator kinerja (IKU/program) — 2 dari 2 jatuh tempo" in text
    text = await said(fake, PIC_ID, press="✅ Indikator kinerja (IKU/program)")
    assert "Ringkasan laporan — Indikator kinerja" in text and "→ 28" in text


async def test_a_correction_from_the_summary_card_is_audited_as_an_update(harness, fake, engine, small_plan):
    ids = add_outcomes(engine, small_plan)
    await said(fake, PIC_ID, "/lapor")
    await said(fake, PIC_ID, press=ITEM)
    for step in ("60", "🎯 Sesuai target", "30"):
        await (said(fake, PIC_ID, press=step) if step.startswith("🎯") else said(fake, PIC_ID, step))
    await said(fake, PIC_ID, press="💾 Simpan")
    await said(fake, PIC_ID, "/lapor")
    await said(fake, PIC_ID, press="✅ Indikator kinerja (IKU/program)")
    await said(fake, PIC_ID, press="✏️ Ubah")
    text = await act(fake, PIC_ID, press="IKU 1 · ")
    assert "Nilai tersimpan: 60" in text
    text = await said(fake, PIC_ID, "65")
    assert "→ 65 (sebelumnya 60)" in text  # back on the card
    assert "Tersimpan ✅" in await said(fake, PIC_ID, press="💾 Simpan")
    with Session(engine) as session:
        row = session.exec(select(GoalIndicatorRealisation)).one()
        assert (row.goal_indicator_id, row.value) == (ids["iku"], D(65))
        updates = [(e.field, e.new_value) for e in history(session=session) if e.action == "report.update"]
    assert updates == [(f"iku:{ids['iku']}", "65")]


async def test_an_indicator_taken_off_before_simpan_is_refused_and_nothing_is_stored(harness, fake, engine,
                                                                                     small_plan):
    ids = add_outcomes(engine, small_plan)
    await said(fake, PIC_ID, "/lapor")
    await said(fake, PIC_ID, press=ITEM)
    for step in ("60", "🎯 Sesuai target", "30"):
        await (said(fake, PIC_ID, press=step) if step.startswith("🎯") else said(fake, PIC_ID, step))
    with unit_of_work(engine) as session:  # the admin gives program indicator 1.2 to someone else meanwhile
        unassign_outcome(small_plan["budi"], program_indicator_id=ids["count"], session=session, actor_label="admin")
    text = await said(fake, PIC_ID, press="💾 Simpan")
    assert "tidak lagi ditugaskan melaporkan indikator ini; laporan tidak disimpan" in text
    assert stored(engine) == {}


async def test_someone_holding_no_indicator_sees_no_such_item_and_a_forged_press_is_refused(harness, fake, engine,
                                                                                            small_plan):
    add_outcomes(engine, small_plan)  # all Budi's
    await said(fake, PIC2_ID, "/lapor")
    assert "Indikator kinerja" not in str(fake.buttons(fake.last_message_to(PIC2_ID)))
    message = fake.last_message_to(PIC2_ID)
    fake.press_button(PIC2_ID, message, "lapor:o", forge=True)
    await fake.wait_idle()
    answers = [c.params.get("text") for c in fake.calls("answerCallbackQuery")]
    assert answers[-1] and "tidak" in answers[-1].lower()
    assert stored(engine) == {}


async def test_a_restart_mid_questions_asks_the_current_indicator_again(harness, fake, engine, small_plan):
    add_outcomes(engine, small_plan)
    await said(fake, PIC_ID, "/lapor")
    await said(fake, PIC_ID, press=ITEM)
    fake.fail_next("sendMessage", "500", chat_id=PIC_ID)  # «Indikator kinerja 2/3» never arrives
    await said(fake, PIC_ID, "60")
    await harness.restart()
    last = fake.last_message_to(PIC_ID)["text"]
    assert "Bot baru saja dimulai ulang" in last and "Indikator kinerja 2/3" in last
    await said(fake, PIC_ID, press="🎯 Sesuai target")
    await said(fake, PIC_ID, "30")
    assert "Tersimpan ✅" in await said(fake, PIC_ID, press="💾 Simpan")
    assert [v for v, _, _ in stored(engine).values()] == [D(60), D(50), D(30)]
