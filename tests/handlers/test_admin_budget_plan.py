"""/anggarankas end to end: the admin sets a kegiatan's anggaran kas in chat, a plan over the pagu is
refused, every change is audited, and the leadership digest then measures absorption against the plan.

Small plan, kegiatan 1 «Pendidikan dan Pelatihan Teknis», pagu Rp1.018.175.000."""

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.budget_plan import plans_of
from bot.domain.digest import html_to_plain as plain_text
from models import AuditLog
from models import KegiatanRealisation
from tests.support.admin_steps import act
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT

JT = 1_000_000


def plan_of(engine, kegiatan_id):
    with unit_of_work(engine) as session:
        return plans_of([kegiatan_id], session=session).get(kegiatan_id)


def audited(engine) -> list[tuple]:
    with unit_of_work(engine) as session:
        return [(r.field, r.old_value, r.new_value, r.actor_telegram_id) for r in session.exec(
            select(AuditLog).where(AuditLog.action == "budget_plan.set").order_by(AuditLog.id)).all()]


async def test_the_admin_sets_the_plan_and_the_digest_follows(harness, fake, engine, small_plan):
    k1, k2 = small_plan["kegiatan"]
    text = await act(fake, text="/anggarankas")
    assert "Anggaran kas" in text and "/anggarankas 3 hapus" in text
    text = await act(fake, text="/anggarankas 1")
    assert "1. Pendidikan dan Pelatihan Teknis" in text and "Pagu: Rp1.018.175.000" in text
    assert "Belum ada anggaran kas: serapan kegiatan ini dihitung terhadap pagu saja." in text
    text = await act(fake, text="/anggarankas pendidikan 1 2 3 4")
    assert "2 kegiatan cocok dengan «pendidikan»" in text and "/anggarankas 2 — Pendidikan Penjurangan" in text

    # 100 + 300 + 400 + 318,175 = 1.118,175 juta: Rp100.000.000 over the pagu. Nothing is stored.
    text = await act(fake, text="/anggarankas 1 100.000.000 300.000.000 400.000.000 318.175.000")
    assert ("Jumlah anggaran kas Rp1.118.175.000 melebihi pagu kegiatan «Pendidikan dan Pelatihan Teknis» "
            "Rp1.018.175.000 (lebih Rp100.000.000). Tidak ada yang disimpan") in text
    assert plan_of(engine, k1) is None and audited(engine) == []
    text = await act(fake, text="/anggarankas 1 100.000.000 300jt 1,2")
    assert "perlu empat jumlah rupiah" in text and "yang diketik 3" in text

    # 100 + 300 + 400 + 218,175 = the pagu exactly.
    text = await act(fake, text="/anggarankas 1 100.000.000 300jt 400.000.000 218.175.000")
    assert "✅ Tersimpan" in text and "TW II: Rp300.000.000 · s.d. TW II Rp400.000.000" in text
    assert "Jumlah: Rp1.018.175.000 (100,0% dari pagu)" in text
    assert plan_of(engine, k1) == (100 * JT, 300 * JT, 400 * JT, 218_175_000)
    assert [row[0] for row in audited(engine)] == ["tw1", "tw2", "tw3", "tw4"]
    assert {row[3] for row in audited(engine)} == {ADMIN_ID}

    # By part of the name: TW II down 50 juta, TW III up 50 juta; only those two are audited.
    text = await act(fake, text="/anggarankas teknis 100.000.000 250.000.000 450.000.000 218.175.000")
    assert "TW II: Rp250.000.000 · s.d. TW II Rp350.000.000 (sebelumnya Rp300.000.000)" in text
    assert audited(engine)[4:] == [("tw2", "300000000", "250000000", ADMIN_ID),
                                   ("tw3", "400000000", "450000000", ADMIN_ID)]

    # Realised TW I 80 + TW II 280 = 360 juta against 100 + 250 = 350 juta planned s.d. TW II: 102,86 → 102,9%.
    # Kegiatan 2 (no plan) 298.352.400; together 658.352.400 of 2.509.937.000 = 26,2% of the pagu.
    with unit_of_work(engine) as session:
        session.add_all([KegiatanRealisation(kegiatan_id=k1, quarter=1, budget_realised=80 * JT),
                         KegiatanRealisation(kegiatan_id=k1, quarter=2, budget_realised=280 * JT),
                         KegiatanRealisation(kegiatan_id=k2, quarter=2, budget_realised=298_352_400)])
    digest = plain_text(await act(fake, LEADER_ID, text="/ringkasan 2", chat=LEADERSHIP_CHAT))
    assert "💰 Anggaran terserap: Rp658.352.400 dari Rp2.509.937.000 (26,2% terhadap pagu)" in digest
    assert ("↳ terhadap rencana s.d. TW II: 102,9% (Rp360.000.000 dari Rp350.000.000) · 1 dari 2 kegiatan punya "
            "anggaran kas") in digest

    text = await act(fake, text="/anggarankas 1 hapus")
    assert "✅ Anggaran kas dihapus" in text and "Belum ada anggaran kas" in text
    assert plan_of(engine, k1) is None and len(audited(engine)) == 6 + 4
    digest = plain_text(await act(fake, LEADER_ID, text="/ringkasan 2", chat=LEADERSHIP_CHAT))
    assert "(26,2% terhadap pagu)" in digest and "terhadap rencana" not in digest
