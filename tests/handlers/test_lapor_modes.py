"""/lapor asks each item the way it is scored: «Realisasi TW II saja» (increment), «Capaian s.d. TW II» (level).

The small plan (tests/support/factories.py) with three items changed to the shapes of issue 14: a 25/25/25/25
share with TW I reported, a 20/25/40/100 level aksi with TW I reported, and a «12 bulan» indicator (level)
answered 3 in TW I. What the PIC types is stored and scored in the same mode (hand-computed below).
"""

from datetime import UTC
from datetime import datetime
from decimal import Decimal as D

from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.scoring import score_plan_from_db
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import IndicatorRealisation
from models import KegiatanIndicator
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import said

JULY_1 = datetime(2020, 7, 1, 2, 0, tzinfo=UTC)  # TW I's deadline passed, TW II's not yet


def reshape(engine, small_plan) -> dict:
    """Budi's aksi 1 → 25/25/25/25 (TW I: 25), a «12 bulan» indicator (TW I: 3); Sari's aksi 2 → 20/25/40/100
    level (TW I: 20, and aksi 1's 100% of TW I reported)."""
    budi_keg, sari_keg = small_plan["kegiatan"]
    share, _, _ = small_plan["aksi"][budi_keg]
    readiness, rising = small_plan["aksi"][sari_keg]
    with unit_of_work(engine) as session:
        for aksi_id, values, mode in ((share, (25, 25, 25, 25), INCREMENT), (rising, (20, 25, 40, 100), LEVEL)):
            session.get(Aksi, aksi_id).mode = mode
            for t in session.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id)):
                v = values[t.quarter - 1]
                t.raw, t.value, t.unit, t.kind = f"{v}%", D(v), "%", "percent"
        session.add_all([AksiRealisation(aksi_id=share, quarter=1, value=D(25), value_raw="25"),
                         AksiRealisation(aksi_id=rising, quarter=1, value=D(20), value_raw="20"),
                         AksiRealisation(aksi_id=readiness, quarter=1, value=D(100), value_raw="100")])
        months = KegiatanIndicator(kegiatan_id=budi_keg, seq=2, text="Tersedianya Jasa Pelaksana Administrasi Kantor",
                                   target_raw="12 bulan", target_value=D(12), target_unit="bulan", mode=LEVEL)
        session.add(months)
        session.flush()
        session.add(IndicatorRealisation(indicator_id=months.id, quarter=1, value=D(3), value_raw="3"))
        return {"share": share, "rising": rising, "months": months.id}


async def test_increment_and_level_questions_and_their_scores(harness, fake, engine, small_plan):
    ids = reshape(engine, small_plan)

    await said(fake, PIC_ID, "/lapor")
    text = await said(fake, PIC_ID, press="📝 Pendidikan dan Pelatihan Teknis")
    # Increment: this quarter's own value, with what is due to date and what is already recorded.
    assert "Realisasi TW II saja (target TW II: 25%; s.d. TW II: 50%)" in text
    assert "Tercatat s.d. TW I: 25% — jangan dijumlahkan lagi." in text
    assert "Ketik realisasi TW II saja dalam persen" in text
    text = await said(fake, PIC_ID, "25")
    assert "Realisasi TW II saja (target TW II: 60; s.d. TW II: 60)" in text  # a count, nothing before
    await said(fake, PIC_ID, press="🎯 Sesuai target")
    text = await said(fake, PIC_ID, "125jt")
    assert "Realisasi TW II saja (target tahunan: 30 Orang)" in text  # «Jumlah peserta»: increment
    text = await said(fake, PIC_ID, "12")
    # Level: the value to date against the annual target, with the value recorded to TW I.
    assert "Capaian s.d. TW II (target tahunan: 12 bulan)" in text
    assert "Capaian s.d. TW I: 3" in text and "Ketik capaian s.d. TW II (angka)" in text
    await said(fake, PIC_ID, "6")
    for label in ("Tidak ada catatan", "Selesai"):
        await said(fake, PIC_ID, press=label)
    assert "Tersimpan" in await said(fake, PIC_ID, press="💾 Simpan")

    await said(fake, PIC2_ID, "/lapor")
    text = await said(fake, PIC2_ID, press="📝 Pendidikan Penjurangan Struktural")
    assert "Capaian s.d. TW II (target s.d. TW II: 25%)" in text
    assert "Capaian s.d. TW I: 20%" in text and "Ketik capaian s.d. TW II dalam persen" in text
    text = await said(fake, PIC2_ID, "45")  # 45 % done
    assert "Realisasi anggaran" in text  # 45 is not over twice the 25 due: no «sudah benar?»
    await said(fake, PIC2_ID, "0")
    for label in ("Lewati", "Tidak ada catatan", "Selesai"):
        await said(fake, PIC2_ID, press=label)
    assert "Tersimpan" in await said(fake, PIC2_ID, press="💾 Simpan")

    with Session(engine) as session:
        ps = score_plan_from_db(small_plan["plan"], 2, session=session, now=JULY_1)
    budi, sari = ps.kegiatan
    share = next(a for a in budi.aksi if a.id == ids["share"])
    # 25 (TW I) + 25 (TW II) of 25 + 25: summed, 100 %.
    assert (share.cumulative.target, share.cumulative.real, share.cumulative.pct) == (D(50), D(50), D(100))
    months = next(i for i in budi.indicators if i.id == ids["months"])
    # «12 bulan» answered 3 then 6: the latest, 6 / 12 = 50,0 % (summing would say 75 %).
    assert (months.mode, months.total, months.pct) == (LEVEL, D(6), D("50.0"))
    rising = next(a for a in sari.aksi if a.id == ids["rising"])
    # 45 % done against 25 % due to TW II: 180,0 % as computed (the sum 20 + 45 would be 65 of 45 = 144,4 %) …
    assert (rising.cumulative.target, rising.cumulative.real, rising.cumulative.pct) == (D(25), D(45), D("180.0"))
    # … and at the 100 % ceiling in its kegiatan, beside «Persiapan»'s 100: (100 + 100) / 2.
    assert (sari.cumulative.pct, sari.cumulative.coverage.capped) == (D(100), 1)
