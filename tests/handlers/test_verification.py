"""Verification end to end through the fake Bot API: submit → return with a note → the PIC fixes it from
«Perbaiki» → accept; «Terima semua yang sesuai target»; an accepted report frozen for the PIC."""

from datetime import datetime
from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import AksiRealisation
from models import AuditLog
from models import Evidence
from models import Kegiatan
from models import ReportReview
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.verification import KEGIATAN
from tests.support.verification import PNG
from tests.support.verification import budi_reports
from tests.support.verification import said

NOW = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)


def reviews(engine) -> dict[int, tuple[str, str]]:
    with unit_of_work(engine) as session:
        return {r.kegiatan_id: (r.status, r.note) for r in session.exec(select(ReportReview)).all()}


async def test_return_with_note_fix_from_perbaiki_then_accept(harness, fake, engine, small_plan):
    k1 = small_plan["kegiatan"][0]
    text = await budi_reports(fake)
    assert "Tersimpan ✅" in text and "menunggu verifikasi" in text
    assert reviews(engine) == {k1: ("pending", "")}

    # The admin verifies by default: the card shows values against targets and the evidence comes back
    # as one album with the PIC's own file ids.
    with unit_of_work(engine) as session:
        file_ids = [e.file_id for e in session.exec(select(Evidence).order_by(Evidence.id)).all()]
    text = await said(fake, ADMIN_ID, text="/verifikasi")
    assert "Verifikasi 1 dari 1" in text and "Pendidikan dan Pelatihan Teknis" in text and "Budi Santoso" in text
    assert "target 50% → <b>" not in text and "target 50% → 50%" in text and "(100%)" in text
    assert "Bukti dukung: 2 berkas" in text
    (album,) = fake.calls("sendMediaGroup")
    assert album.params["chat_id"] == ADMIN_ID and [m["media"] for m in album.params["media"]] == file_ids

    text = await said(fake, ADMIN_ID, press="↩️ Kembalikan")
    assert "tulis catatan" in text
    text = await said(fake, ADMIN_ID, text="   ")  # an empty note is asked again, nothing changes
    assert "Catatan kosong" in text and reviews(engine) == {k1: ("pending", "")}
    before = len(fake.messages_to(PIC_ID))
    text = await said(fake, ADMIN_ID, text="Lampirkan daftar hadir <peserta>")
    assert "Dikembalikan ke PIC" in text and "PIC sudah diberi tahu" in text
    assert "Tidak ada laporan yang menunggu verifikasi" in text
    assert reviews(engine) == {k1: ("returned", "Lampirkan daftar hadir <peserta>")}
    (notice,) = fake.messages_to(PIC_ID)[before:]
    assert "dikembalikan" in notice["text"] and "«Lampirkan daftar hadir <peserta>»" in notice["text"]
    assert fake.buttons(notice) == [["✏️ Perbaiki"]]

    # «Perbaiki» opens exactly that kegiatan's report, on its summary card; the fix goes back to the queue.
    text = await said(fake, press="✏️ Perbaiki")
    assert "Ringkasan laporan — Pendidikan dan Pelatihan Teknis" in text
    await said(fake, press="✏️ Ubah")
    await said(fake, press="Bukti dukung")
    await said(fake, photo=PNG + b"\x01")
    await said(fake, press="Selesai")
    text = await said(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and "menunggu verifikasi" in text
    assert reviews(engine) == {k1: ("pending", "Lampirkan daftar hadir <peserta>")}

    text = await said(fake, ADMIN_ID, text="/verifikasi")
    assert "Bukti dukung: 3 berkas" in text
    text = await said(fake, ADMIN_ID, press="✅ Terima")
    assert "Diterima: <b>" not in text and "Diterima: Pendidikan dan Pelatihan Teknis" in text
    assert reviews(engine)[k1][0] == "accepted"

    # Accepted: frozen for the PIC.
    await said(fake, text="/lapor")
    text = await said(fake, press="✅ Pendidikan dan Pelatihan Teknis")
    assert "sudah diverifikasi (diterima)" in text
    with unit_of_work(engine) as session:
        trail = [(a.action, a.old_value, a.new_value, a.field) for a in session.exec(
            select(AuditLog).where(AuditLog.entity == "kegiatan", AuditLog.action.like("review.%"))
            .order_by(AuditLog.id)).all()]
    assert trail == [("review.submit", None, "pending", "tw2"), ("review.return", "pending", "returned", "tw2"),
                     ("review.submit", "returned", "pending", "tw2"), ("review.accept", "pending", "accepted", "tw2")]

    # An accepted report is reopened by a verifier with a note: the PIC is told, it can be fixed again.
    text = await said(fake, ADMIN_ID, text="/verifikasi diterima")
    assert "1 laporan sudah diterima" in text
    await said(fake, ADMIN_ID, press="↩️ Buka kembali: Pendidikan dan Pelatihan Teknis (TW II)")
    before = len(fake.messages_to(PIC_ID))
    await said(fake, ADMIN_ID, text="Aksi 2 salah ketik, mohon dicek")
    (notice,) = fake.messages_to(PIC_ID)[before:]
    assert "dibuka kembali" in notice["text"] and "«Aksi 2 salah ketik, mohon dicek»" in notice["text"]
    assert reviews(engine)[k1] == ("returned", "Aksi 2 salah ketik, mohon dicek")


async def test_accept_all_that_meet_their_targets(harness, fake, engine, small_plan):
    """Budi's report is on target with evidence; Sari's misses aksi 2 (30% of 50%) and is left in the queue."""
    k1, k2 = small_plan["kegiatan"]
    a1, a2 = small_plan["aksi"][k1][:2]
    s1, s2 = small_plan["aksi"][k2]
    with unit_of_work(engine) as session:
        for person, kegiatan, values in ((small_plan["budi"], k1, {a1: Decimal(50), a2: Decimal(60)}),
                                         (small_plan["sari"], k2, {s2: Decimal(30)})):
            sub = Submission(kegiatan_id=kegiatan, quarter=2,
                             aksi_values={a: (v, str(v)) for a, v in values.items()}, budget_realised=1,
                             evidence=[{"file_id": f"f{kegiatan}", "file_unique_id": f"u{kegiatan}", "kind": "photo"}])
            save_report(sub, session=session, person_id=person, actor_label="t", now=NOW, late=False)
    text = await said(fake, ADMIN_ID, text="/verifikasi")
    assert "Verifikasi 1 dari 2" in text
    # Those file ids were never Telegram's: reported on the card, not skipped.
    assert "1 berkas tidak lagi disajikan Telegram" in text and "foto (23 Juni 2020" in text
    text = await said(fake, ADMIN_ID, press="✅ Terima semua yang sesuai target")
    assert "1 laporan sesuai target" in text and "Pendidikan dan Pelatihan Teknis" in text
    assert "Penjurangan" not in text
    assert reviews(engine) == {k1: ("pending", ""), k2: ("pending", "")}  # nothing before the confirmation
    text = await said(fake, ADMIN_ID, press="Ya, terima 1 laporan")
    assert "1 laporan diterima" in text and "Verifikasi 1 dari 1" in text and "Penjurangan" in text
    assert reviews(engine) == {k1: ("accepted", ""), k2: ("pending", "")}


async def test_required_evidence_blocks_simpan_until_a_file_is_sent(harness, fake, engine, small_plan):
    k1 = small_plan["kegiatan"][0]
    with unit_of_work(engine) as session:
        session.get(Kegiatan, k1).evidence_required = True
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    await said(fake, text="50%")
    await said(fake, press="🎯 Sesuai target")
    await said(fake, text="125jt")
    await said(fake, text="30")
    await said(fake, press="Tidak ada")
    await said(fake, press="Tidak ada")
    await said(fake, press="Tidak ada")  # faktor pendorong
    await said(fake, press="Selesai")  # no file
    text = await said(fake, press="💾 Simpan")
    assert "Bukti dukung wajib" in text and "laporan belum disimpan" in text
    assert fake.buttons(fake.last_message_to(PIC_ID)) == [["Selesai"]]
    with unit_of_work(engine) as session:
        assert session.exec(select(AksiRealisation)).all() == [] and reviews(engine) == {}
    text = await said(fake, photo=PNG)
    assert "Diterima" in text
    await said(fake, press="Selesai")
    text = await said(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and reviews(engine) == {k1: ("pending", "")}
