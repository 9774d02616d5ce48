"""/lapor and /ingatkan with values no database column holds, or answers far too long: a clear
message and the question again, never a crash, and what is saved reads back exactly as typed."""

from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from bot.text.render import render
from models import AksiRealisation
from models import AuditLog
from models import KegiatanRealisation
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"
APOLOGY = render("error", "id")


async def said(fake, *, text=None, press=None, user=PIC_ID):
    before = len(fake.messages_to(user))
    fake.send_message(user, text) if text is not None else fake.press(user, press)
    await fake.wait_idle()
    replies = [m.get("text") or "" for m in fake.messages_to(user)[before:]]
    assert APOLOGY not in replies, f"{text or press!r} crashed the bot"
    return "\n---\n".join(replies)


async def test_values_beyond_the_columns_are_refused_and_the_largest_are_stored_exactly(
        harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    text = await said(fake, text="1.000.000.000.000.000.000")  # numeric overflow on PostgreSQL at Simpan
    assert "terlalu besar" in text and "99.999.999.999,9999" in text and "Aksi 1/2" in text
    text = await said(fake, text="9" * 26)  # InvalidOperation as soon as it was typed
    assert "terlalu besar" in text and "Aksi 1/2" in text
    text = await said(fake, text="0,0000000000000000000001")  # stored as 0, audited as 1E-22
    assert "4 angka di belakang koma" in text and "Aksi 1/2" in text
    text = await said(fake, text="99.999.999.999,9999%")  # the largest value every database holds exactly
    assert "lebih dari 100%" in text
    await said(fake, press="Ya, sudah benar")
    text = await said(fake, text="0,0001")
    assert "Realisasi anggaran" in text
    text = await said(fake, text="10.000.000.000.000.000.000")  # bigint out of range on PostgreSQL at Simpan
    assert "terlalu besar" in text and "Realisasi anggaran" in text
    text = await said(fake, text="10.000.000 T")
    assert "terlalu besar" in text
    text = await said(fake, text="9.223.372.036.854.775.807")  # the largest BIGINT
    assert "melebihi sisa pagu" in text
    await said(fake, press="Ya, sudah benar")
    for label in ("Lewati", "Tidak ada catatan", "Selesai"):
        await said(fake, press=label)
    text = await said(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text
    with unit_of_work(engine) as session:
        kegiatan_id = small_plan["kegiatan"][0]
        first, second = small_plan["aksi"][kegiatan_id][:2]
        values = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation))}
        budget = session.exec(select(KegiatanRealisation)).one().budget_realised
        created = session.exec(select(AuditLog).where(AuditLog.action == "report.create"))
        audited = {a.field: a.new_value for a in created}
    assert values == {first: Decimal("99999999999.9999"), second: Decimal("0.0001")}
    assert budget == 2**63 - 1
    assert Decimal(audited[f"aksi:{first}"]) == Decimal("99999999999.9999")
    assert Decimal(audited[f"aksi:{second}"]) == Decimal("0.0001")


async def test_a_very_long_answer_is_quoted_as_a_short_excerpt(harness, fake, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    text = await said(fake, text="lima puluh " * 363)  # 3,993 characters: the echo went over 4,096
    assert "bukan angka" in text and "Aksi 1/2" in text
    reply = fake.messages_to(PIC_ID)[-2]["text"]
    assert len(reply) < 300 and "lima puluh lima puluh" in reply and "…" in reply
    await said(fake, text="50%")
    await said(fake, press="🎯 Sesuai target")
    text = await said(fake, text="125" + "x" * 3990)  # an unknown unit, quoted back in full too
    assert "tidak dikenal" in text and "Realisasi anggaran" in text
    assert len(fake.messages_to(PIC_ID)[-2]["text"]) < 300


async def test_ingatkan_with_a_number_no_kegiatan_has(harness, fake, small_plan):
    text = await said(fake, user=ADMIN_ID, text="/ingatkan " + "9" * 30)  # OverflowError on SQLite
    assert "tidak ditemukan" in text
    text = await said(fake, user=ADMIN_ID, text="/ingatkan ²")  # a digit int() does not read
    assert "tidak ditemukan" in text
    text = await said(fake, user=ADMIN_ID, text="/undang #" + "9" * 30)
    assert "Tidak ada orang" in text
