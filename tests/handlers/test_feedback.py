"""Leadership on a kegiatan card, end to end through the fake Bot API: the evidence opened from the digest,
«Tanggapi» reaching the PIC and the admins, «Ingatkan» with a double tap sending one nudge, and the
«belum lapor» PICs mentioned so a tap opens them."""

import io

from openpyxl import load_workbook
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.workbook import HEADER_TOP
from bot.domain.workbook import build_workbook
from models import AuditLog
from models import Evidence
from models import LeadershipResponse
from models import Reminder
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.verification import budi_reports
from tests.support.verification import said


async def kegiatan_card(fake, kegiatan_id: int) -> dict:
    """The leader opens /ringkasan in the group and drills into one kegiatan (its card, edited in place)."""
    await said(fake, LEADER_ID, text="/ringkasan", chat=LEADERSHIP_CHAT)
    digest = fake.messages_to(LEADERSHIP_CHAT)[-1]
    fake.press_button(LEADER_ID, digest, f"rk:k:{kegiatan_id}:2", LEADERSHIP_CHAT, forge=True)
    await fake.wait_idle()
    return next(m for m in fake.messages_to(LEADERSHIP_CHAT) if m["message_id"] == digest["message_id"])


async def test_leader_opens_evidence_and_responds_to_a_kegiatan(harness, fake, engine, small_plan):
    k1 = small_plan["kegiatan"][0]
    await budi_reports(fake)
    with unit_of_work(engine) as session:
        file_ids = [e.file_id for e in session.exec(select(Evidence).order_by(Evidence.id)).all()]
    card = await kegiatan_card(fake, k1)
    assert fake.buttons(card)[0] == ["📎 Bukti dukung (2)", "💬 Tanggapi"]
    assert not any("Ingatkan" in b for row in fake.buttons(card) for b in row)  # Budi has reported

    text = await said(fake, LEADER_ID, press="📎 Bukti dukung (2)", chat=LEADERSHIP_CHAT)
    assert "2 berkas bukti dukung: Pendidikan dan Pelatihan Teknis (TW II)" in text
    (album,) = fake.calls("sendMediaGroup")
    assert album.params["chat_id"] == LEADERSHIP_CHAT and [m["media"] for m in album.params["media"]] == file_ids

    text = await said(fake, LEADER_ID, press="💬 Tanggapi", chat=LEADERSHIP_CHAT)
    assert "Kepala, tulis tanggapan untuk Pendidikan dan Pelatihan Teknis (TW II)" in text and "<a" not in text
    prompt = fake.messages_to(LEADERSHIP_CHAT)[-1]
    assert fake.calls("sendMessage")[-1].params["reply_markup"]["force_reply"] is True
    budi_before, admin_before = len(fake.messages_to(PIC_ID)), len(fake.messages_to(ADMIN_ID))
    fake.send_message(LEADER_ID, "Percepat diklat & laporkan <segera>", LEADERSHIP_CHAT, reply_to=prompt)
    await fake.wait_idle()
    assert "Tanggapan untuk Pendidikan dan Pelatihan Teknis tersimpan dan dikirim ke Budi Santoso" in \
        fake.messages_to(LEADERSHIP_CHAT)[-1]["text"]
    for chat, before in ((PIC_ID, budi_before), (ADMIN_ID, admin_before)):
        (notice,) = fake.messages_to(chat)[before:]
        assert "Tanggapan pimpinan — Pendidikan dan Pelatihan Teknis (TW II)" in notice["text"]
        assert "«Percepat diklat & laporkan <segera>»" in notice["text"]
    with unit_of_work(engine) as session:
        (row,) = session.exec(select(LeadershipResponse)).all()
        assert (row.kegiatan_id, row.quarter, row.text) == (k1, 2, "Percepat diklat & laporkan <segera>")
        audit = session.exec(select(AuditLog).where(AuditLog.action == "response.create")).one()
        assert (audit.entity, audit.entity_id, audit.field) == ("kegiatan", k1, "tw2")
        # The workbook marks the row's status and carries the evidence count and the response.
        book = load_workbook(io.BytesIO(build_workbook(small_plan["plan"], 2, session=session,
                                                       now=harness.clock.now())))
    sheet = book["Rencana Aksi"]
    header = [c.value for c in sheet[HEADER_TOP]]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[2] == "Pendidikan dan Pelatihan Teknis")
    assert row[header.index("Status Verifikasi")] == "Menunggu verifikasi"
    assert row[header.index("Bukti Dukung TW II (berkas)")] == 2
    assert row[header.index("Keterangan")] == "Tanggapan pimpinan (TW 2, Kepala): Percepat diklat & laporkan <segera>"
    # The form's column (18), Keterangan, says the same on the kegiatan's row.
    form_row = next(r for r in book["Evaluasi"].iter_rows(values_only=True) if "Pendidikan dan Pelatihan Teknis" in r)
    note = next(c for c in form_row if isinstance(c, str) and "Tanggapan pimpinan" in c)
    assert note.startswith("menunggu verifikasi; 2 bukti dukung; Tanggapan pimpinan (TW 2, Kepala): Percepat diklat")


async def test_ingatkan_double_tap_sends_one_nudge_and_belum_lapor_mentions(harness, fake, engine, small_plan):
    k2 = small_plan["kegiatan"][1]
    await said(fake, LEADER_ID, text="/ringkasan", chat=LEADERSHIP_CHAT)
    digest = fake.calls("sendMessage")[-1]
    # «Belum lapor»: Sari is mentioned by her Telegram id, Budi too (neither reported yet).
    mentions = {e["url"] for e in digest.response["entities"] if e["type"] == "text_link"}
    assert {f"tg://user?id={PIC_ID}", f"tg://user?id={PIC2_ID}"} <= mentions

    card = await kegiatan_card(fake, k2)
    assert ["🔔 Ingatkan Sari Dewi"] in fake.buttons(card)
    before = len(fake.messages_to(PIC2_ID))
    fake.press(LEADER_ID, "🔔 Ingatkan Sari Dewi", chat_id=LEADERSHIP_CHAT)
    fake.press(LEADER_ID, "🔔 Ingatkan Sari Dewi", chat_id=LEADERSHIP_CHAT)  # the double tap
    await fake.wait_idle()
    sent = fake.messages_to(PIC2_ID)[before:]
    assert len(sent) == 1 and "Pendidikan Penjurangan Struktural" in sent[0]["text"]
    answers = [c.params.get("text", "") for c in fake.calls("answerCallbackQuery")[-2:]]
    assert sorted(a.split(" ")[0] for a in answers) == ["Sari", "🔔"]  # sent; then «already nudged»
    with unit_of_work(engine) as session:
        nudges = session.exec(select(Reminder).where(Reminder.kind.like("manual-nudge-%"))).all()
        assert [(r.person_id, r.status) for r in nudges] == [(small_plan["sari"], "delivered")]
