"""The seed plan (BKD Gresik 2020) imported and reported for TW I and TW II as a realistic office would.

Most aksi exactly on target, a few short, three kegiatan late, one without a PIC."""

from decimal import Decimal as D

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import PicAssignment

DIKLAT_TEKNIS = "Pendidikan dan Pelatihan Teknis"  # three indicators; count aksi 60 → 157
PRAJABATAN = "Pendidikan dan Pelatihan Prajabatan Bagi Calon PNS Daerah"  # 30/40/40 and 25/25/25/25
UJI_KESEHATAN = "Pelaksanaan Uji Kesehatan Bagi Aparatur Pemerintah"  # lags: 75,6
MAKAN_MINUM = "Penyediaan Makanan dan Minuman"  # 1000%, 2000% ×4
BAHAN_BACAAN = "Penyediaan Bahan Bacaan dan Peraturan Perundang-undangan"  # 510000000
KENAIKAN_PANGKAT = "Penataan Sistem Administrasi Kenaikan Pangkat Otomatis PNS"  # 1, –, 1%  and 100/100
PENJENJANGAN = "Pendidikan Penjurangan Struktural"  # TW II not reported
PENEMPATAN = "Penempatan PNS"  # TW II not reported
JARINGAN = "Optimalisasi Pemanfaatan Jaringan dan Teknologi Informasi"  # no PIC, never reported


# (kegiatan, aksi no) → {quarter: value}; every other due aksi reports its target exactly.
REPORTED = {
    (DIKLAT_TEKNIS, 1): {2: "50"}, (DIKLAT_TEKNIS, 2): {2: "48"}, (DIKLAT_TEKNIS, 3): {2: "35"},
    (PRAJABATAN, 1): {1: "30", 2: "40"}, (PRAJABATAN, 2): {1: "25", 2: "25"}, (PRAJABATAN, 3): {1: "20", 2: "25"},
    (UJI_KESEHATAN, 1): {1: "1"}, (UJI_KESEHATAN, 2): {2: "150"}, (UJI_KESEHATAN, 3): {2: "60"},
    (MAKAN_MINUM, 1): {1: "100"}, (MAKAN_MINUM, 2): {1: "100", 2: "100"},
    (KENAIKAN_PANGKAT, 1): {1: "1"}, (KENAIKAN_PANGKAT, 2): {1: "100", 2: "80"}, (KENAIKAN_PANGKAT, 3): {1: "100"},
}


LATE = {PENJENJANGAN: 2, PENEMPATAN: 2, JARINGAN: 1}  # kegiatan → first quarter not reported
BUDGET = {DIKLAT_TEKNIS: {1: 101_817_500, 2: 203_635_000}, PRAJABATAN: {1: 400_000_000, 2: 523_018_750}}
INDICATORS = {(DIKLAT_TEKNIS, 1): {2: "12"}, (DIKLAT_TEKNIS, 2): {2: "30"}, (DIKLAT_TEKNIS, 3): {1: "50", 2: "60"}}
NARRATIVE = {UJI_KESEHATAN: ("Jadwal pemeriksaan mundur: peserta belum lengkap <b>",
                             "Dijadwalkan ulang pada minggu pertama Juli")}


# PIC → kegiatan by document order (seq); Optimalisasi Jaringan (seq 45) has nobody.
PICS = {"Ani Rahmawati": range(1, 5), "Budi Santoso": range(5, 9), "Citra Lestari": range(9, 14),
        "Dedi Kurniawan": range(14, 20), "Eka Pratiwi": range(20, 25), "Fajar Nugroho": range(25, 28),
        "Gita Permata": range(28, 34), "Hadi Susanto": range(34, 41), "Indra Wijaya": range(41, 45)}


def seed_with_reports(engine, seed_path, *, quarters: tuple[int, ...] = (1, 2)) -> int:
    """Import the seed plan and report `quarters` as described above; returns the plan id."""
    with unit_of_work(engine) as session:
        plan_id = save_plan(parse_plan_file(seed_path), session=session).plan_id
    with unit_of_work(engine) as session:
        kegiatan = {k.name: k for k in session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id))}
        by_seq = {k.seq: k for k in kegiatan.values()}
        for name, seqs in PICS.items():
            person = Person(name=name)
            session.add(person)
            session.flush()
            session.add_all(PicAssignment(person_id=person.id, kegiatan_id=by_seq[s].id) for s in seqs)
        aksi = session.exec(select(Aksi).join(Kegiatan).where(Kegiatan.plan_id == plan_id)).all()
        targets = session.exec(select(AksiTarget).where(AksiTarget.aksi_id.in_([a.id for a in aksi]))).all()
        due = {(t.aksi_id, t.quarter): t.value for t in targets if t.kind != "none" and t.value}
        names = {k.id: k.name for k in kegiatan.values()}
        for a in aksi:
            keg = names[a.kegiatan_id]
            values = REPORTED.get((keg, a.no), {q: due[(a.id, q)] for q in quarters if (a.id, q) in due})
            for q, v in values.items():
                if q in quarters and q < LATE.get(keg, 9):
                    session.add(AksiRealisation(aksi_id=a.id, quarter=q, value=D(v), value_raw=str(v)))
        for keg in kegiatan.values():
            for q in quarters:
                if q >= LATE.get(keg.name, 9) or keg.budget is None:
                    continue
                spent = BUDGET.get(keg.name, {}).get(q, keg.budget * (20 if q == 1 else 25) // 100)
                kendala, tindak = NARRATIVE.get(keg.name, ("", ""))
                session.add(KegiatanRealisation(kegiatan_id=keg.id, quarter=q, budget_realised=spent,
                                                kendala=kendala, tindak_lanjut=tindak))
        indicators = session.exec(select(KegiatanIndicator).where(
            KegiatanIndicator.kegiatan_id == kegiatan[DIKLAT_TEKNIS].id).order_by(KegiatanIndicator.seq)).all()
        for i, ind in enumerate(indicators, start=1):
            for q, v in INDICATORS[(DIKLAT_TEKNIS, i)].items():
                session.add(IndicatorRealisation(indicator_id=ind.id, quarter=q, value=D(v), value_raw=v))
    return plan_id
