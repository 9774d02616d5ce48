"""Two small OPD plans of 2020 for the kabupaten view (/rekap, `rapk rekap`), and an OPD without a plan.

The figures, by hand, at AFTER_TW1 (TW I's deadline has passed: what is missing counts as 0; TW I is served):

DINAS KESEHATAN (A): one kegiatan, pagu Rp100.000.000, held by Ani.
  aksi «Posyandu dibina», TW I target 10, realised 8            → aksi 8 / 10 = 80,0%
  IKU «Persentase balita ditimbang», level, TW I 50%, realised 45 → IKU 45 / 50 = 90,0%
  budget realised TW I Rp25.000.000                              → absorption 25 / 100 = 25,0%
  reported 1 of 1 kegiatan (100,0%); its report accepted by a verifier.
DINAS PENDIDIKAN (B): two kegiatan, held by Bayu.
  K1 pagu Rp200.000.000, aksi TW I target 4, realised 4          → 100%
  K2 pagu Rp100.000.000, aksi TW I target 5, not reported        → 0% (after the deadline)
                                                                 → aksi (100 + 0) / 2 = 50,0%
  IKU «Angka partisipasi sekolah», level, TW I 20%, realised 15  → IKU 15 / 20 = 75,0%
  budget realised TW I: K1 Rp50.000.000, K2 nothing              → absorption 50 / 300 = 16,7%
  reported 1 of 2 kegiatan (50,0%); K1's report waits for a verifier.
DINAS PERHUBUNGAN (C): onboarded, no plan yet: listed last, unranked, in no kabupaten figure.

Kabupaten: IKU (90,0 + 75,0) / 2 = 82,5%; aksi (80,0 + 50,0) / 2 = 65,0%;
absorption (25 + 50) / (100 + 300) = 18,75 → 18,8%; completeness (1 + 1) / (1 + 2) = 66,7%;
verification 1 accepted, 1 pending, 0 returned. Rank: 1 A (IKU 90,0), 2 B (IKU 75,0), C unranked.
"""

from datetime import datetime
from decimal import Decimal as D

from sqlmodel import Session

from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import Goal
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import Kegiatan
from models import KegiatanRealisation
from models import Person
from models import PicAssignment
from models import Plan
from models import Program
from models import ReportReview
from tests.support.harness import WIB

AFTER_TW1 = datetime(2020, 5, 4, 9, 0, tzinfo=WIB)  # TW I's window, its deadline passed
OPD_A, OPD_B, OPD_C = "DINAS KESEHATAN", "DINAS PENDIDIKAN", "DINAS PERHUBUNGAN"
BAPPEDA_ID = 5001  # Telegram id of the kabupaten reader (Person.is_kabupaten)
KAB_ADMIN_ID = 5002  # Telegram id of the kabupaten admin (Person.is_kabupaten_admin)
ANI_ID, BAYU_ID = 5101, 5102  # the PICs of A and B

EXPECTED = {
    OPD_A: {"rank": 1, "iku": D("90.0"), "aksi": D("80.0"), "absorption": D("25.0"), "pagu": 100_000_000,
            "realised": 25_000_000, "due": 1, "reported": 1, "completeness": D("100.0"), "accepted": 1, "pending": 0},
    OPD_B: {"rank": 2, "iku": D("75.0"), "aksi": D("50.0"), "absorption": D("16.7"), "pagu": 300_000_000,
            "realised": 50_000_000, "due": 2, "reported": 1, "completeness": D("50.0"), "accepted": 0, "pending": 1},
}
KABUPATEN = {"iku": D("82.5"), "aksi": D("65.0"), "absorption": D("18.8"), "completeness": D("66.7"),
             "pagu": 400_000_000, "realised": 75_000_000, "accepted": 1, "pending": 1, "returned": 0}


def _opd(session: Session, name: str, pic: Person, iku: tuple[str, str, str], kegiatan: list[tuple], *,
         at: datetime) -> dict:
    """kegiatan: (name, pagu, TW I target, realised or None, budget realised or None, review status or None)."""
    agency = Agency(name=name)
    session.add(agency)
    session.flush()
    plan = Plan(agency_id=agency.id, year=2020, title=f"RAPK 2020 {name}")
    session.add(plan)
    session.flush()
    goal = Goal(plan_id=plan.id, seq=1, no="1", name=f"Sasaran {name}")
    session.add(goal)
    session.flush()
    text, target, realised = iku
    indicator = GoalIndicator(goal_id=goal.id, seq=1, no="1", text=text, target_raw="100%", target_value=D(100),
                              target_unit="%", mode="level", tw1_raw=f"{target}%", tw1_value=D(target))
    session.add(indicator)
    session.flush()
    session.add(GoalIndicatorRealisation(goal_indicator_id=indicator.id, quarter=1, value=D(realised),
                                         value_raw=realised, reported_by=pic.id, reported_at=at))
    program = Program(plan_id=plan.id, goal_id=goal.id, goal_indicator_id=indicator.id, seq=1, no="1",
                      name=f"Program {name}")
    session.add(program)
    session.flush()
    ids = {"agency": agency.id, "plan": plan.id, "kegiatan": []}
    for seq, (k_name, pagu, target, real, spent, review) in enumerate(kegiatan, start=1):
        k = Kegiatan(plan_id=plan.id, program_id=program.id, seq=seq, no=str(seq), name=k_name, budget=pagu,
                     budget_raw="")
        session.add(k)
        session.flush()
        ids["kegiatan"].append(k.id)
        session.add(PicAssignment(person_id=pic.id, kegiatan_id=k.id))
        a = Aksi(kegiatan_id=k.id, no=1, name=f"Aksi {k_name}", indicator="Jumlah")
        session.add(a)
        session.flush()
        for quarter in (1, 2, 3, 4):
            raw = target if quarter == 1 else ""
            session.add(AksiTarget(aksi_id=a.id, quarter=quarter, raw=raw, value=D(raw) if raw else None,
                                   kind="count" if raw else "none"))
        if real is not None:
            session.add(AksiRealisation(aksi_id=a.id, quarter=1, value=D(real), value_raw=real, reported_by=pic.id,
                                        reported_at=at))
        if spent is not None:
            session.add(KegiatanRealisation(kegiatan_id=k.id, quarter=1, budget_realised=spent, reported_by=pic.id,
                                            reported_at=at))
        if review is not None:
            session.add(ReportReview(kegiatan_id=k.id, quarter=1, status=review, submitted_by=pic.id,
                                     submitted_at=at))
    session.flush()
    return ids


def make_kabupaten(session: Session) -> dict:
    """The three OPD above, the kabupaten reader and admin; returns {name: ids} and the people."""
    at = datetime(2020, 4, 3, 10, 0, tzinfo=WIB)
    ani = Person(name="Ani Kesehatan", telegram_user_id=ANI_ID)
    bayu = Person(name="Bayu Pendidikan", telegram_user_id=BAYU_ID)
    bappeda = Person(name="Bu Bappeda", telegram_user_id=BAPPEDA_ID, is_kabupaten=True)
    kab_admin = Person(name="Pak Admin Kabupaten", telegram_user_id=KAB_ADMIN_ID, is_kabupaten_admin=True)
    session.add_all([ani, bayu, bappeda, kab_admin])
    session.flush()
    out = {
        OPD_A: _opd(session, OPD_A, ani, ("Persentase balita ditimbang", "50", "45"),
                    [("Pembinaan posyandu", 100_000_000, "10", "8", 25_000_000, "accepted")], at=at),
        OPD_B: _opd(session, OPD_B, bayu, ("Angka partisipasi sekolah", "20", "15"),
                    [("Bantuan operasional sekolah", 200_000_000, "4", "4", 50_000_000, "pending"),
                     ("Rehabilitasi ruang kelas", 100_000_000, "5", None, None, None)], at=at),
    }
    session.add(Agency(name=OPD_C))
    ani.agency_id, bayu.agency_id = out[OPD_A]["agency"], out[OPD_B]["agency"]
    session.flush()
    out.update(ani=ani.id, bayu=bayu.id, bappeda=bappeda.id, kab_admin=kab_admin.id)
    return out
