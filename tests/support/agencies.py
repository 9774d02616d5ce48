"""Two agencies (OPD) in one database: the small plan's BKD (agency A) and a Dinas Kesehatan (agency B),
each with its own admin, verifier, PIC, leadership group and a TW II report waiting for verification."""

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlmodel import Session
from sqlmodel import select

from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import Agency
from models import Aksi
from models import KegiatanIndicator
from models import Person
from tests.support.builders import PlanBuilder
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC_ID

A_ADMIN, A_VERIFIER = 5101, 5102  # granted in the bot in agency A (ADMIN_ID is ADMIN_TELEGRAM_IDS: the operator)
B_ADMIN, B_VERIFIER, B_PIC, B_LEADER = 5201, 5202, 5203, 5204
B_GROUP = -100700
B_AGENCY = "DINAS KESEHATAN KABUPATEN GRESIK"
B_KEGIATAN = ("Pelayanan Imunisasi Dasar Lengkap", "Penyuluhan Gizi Balita Posyandu")
B_PEOPLE = ("Wulan Kesehatan", "Yusuf Verifikasi", "Zaki Imunisasi")
SUBMITTED = datetime(2020, 6, 22, tzinfo=UTC)


@dataclass(frozen=True)
class Side:
    """One agency as the tests see it: who acts in it (Telegram user, chat) and what only it may show."""

    name: str
    senders: tuple[tuple[str, int, int], ...]  # (who, user, chat)
    secrets: tuple[str, ...]  # names nobody of the other agency may ever be shown
    ids: dict  # its ids, to forge buttons with


def add_agency_b(session: Session, fake, small_plan: dict) -> tuple[Side, Side]:
    """Agency B beside the small plan's agency A, both with a leadership group; the two sides."""
    a = session.get(Agency, small_plan["agency"])
    a.leadership_chat_id = LEADERSHIP_CHAT
    builder = PlanBuilder(session, 2020)
    b = session.get(Agency, builder.plan.agency_id)
    b.name, b.leadership_chat_id = B_AGENCY, B_GROUP
    admin = builder.person(B_PEOPLE[0], telegram_user_id=B_ADMIN, agency_id=b.id, is_admin=True)
    builder.person(B_PEOPLE[1], telegram_user_id=B_VERIFIER, agency_id=b.id, is_verifier=True)
    pic = builder.person(B_PEOPLE[2], telegram_user_id=B_PIC, agency_id=b.id)
    k1 = builder.kegiatan(B_KEGIATAN[0], budget=500_000_000, aksi=[("Vaksinasi bayi", ["", "40%", "60%", ""])],
                          indicators=["90 %"], pics=[pic])
    k2 = builder.kegiatan(B_KEGIATAN[1], budget=200_000_000, aksi=[("Kelas gizi", ["", "4", "4", ""])], pics=[pic])
    session.add_all([Person(name="Ahmad Admin BKD", telegram_user_id=A_ADMIN, agency_id=a.id, is_admin=True),
                     Person(name="Bella Verifikator BKD", telegram_user_id=A_VERIFIER, agency_id=a.id,
                            is_verifier=True)])
    session.flush()
    for kegiatan, person, label in ((small_plan["kegiatan"][0], small_plan["budi"], "Budi"), (k1.id, pic.id, "Zaki")):
        save_report(Submission(kegiatan_id=kegiatan, quarter=2, budget_realised=1), session=session,
                    person_id=person, actor_label=label, now=SUBMITTED, late=False)
    def indicator_of(kegiatan_id: int) -> int:
        return session.exec(select(KegiatanIndicator.id).where(KegiatanIndicator.kegiatan_id == kegiatan_id)).first()

    aksi_b = session.exec(select(Aksi.id).where(Aksi.kegiatan_id == k1.id)).first()
    for user, first in ((A_ADMIN, "Ahmad"), (A_VERIFIER, "Bella"), (B_ADMIN, "Wulan"), (B_VERIFIER, "Yusuf"),
                        (B_PIC, "Zaki"), (B_LEADER, "Kadinkes")):
        fake.add_user(user, first)
    fake.add_group(B_GROUP, "Pimpinan Dinkes", [B_LEADER, B_ADMIN])
    side_a = Side("A", (("admin of A", A_ADMIN, A_ADMIN), ("verifier of A", A_VERIFIER, A_VERIFIER),
                        ("PIC of A", PIC_ID, PIC_ID), ("leadership of A in its group", LEADER_ID, LEADERSHIP_CHAT)),
                  ("Pendidikan dan Pelatihan Teknis", "Pendidikan Penjurangan Struktural", "Budi Santoso", "Sari Dewi",
                   "Rina Lestari", "Ahmad Admin", "Bella Verifikator", "BADAN KEPEGAWAIAN"),
                  {"k1": small_plan["kegiatan"][0], "k2": small_plan["kegiatan"][1],
                   "a1": small_plan["aksi"][small_plan["kegiatan"][0]][0], "budi": small_plan["budi"],
                   "rina": small_plan["rina"], "plan": small_plan["plan"], "program": small_plan["program"],
                   "i1": indicator_of(small_plan["kegiatan"][0]), "agency": a.id})
    side_b = Side("B", (("admin of B", B_ADMIN, B_ADMIN), ("verifier of B", B_VERIFIER, B_VERIFIER),
                        ("PIC of B", B_PIC, B_PIC), ("leadership of B in its group", B_LEADER, B_GROUP)),
                  (*B_KEGIATAN, *B_PEOPLE, B_AGENCY),
                  {"k1": k1.id, "k2": k2.id, "a1": aksi_b, "budi": pic.id, "rina": admin.id, "plan": builder.plan.id,
                   "program": builder.program.id, "i1": indicator_of(k1.id), "agency": b.id})
    return side_a, side_b


DINKES_2021 = Path(__file__).resolve().parents[1] / "fixtures" / "rapk-2021-dinkes-contoh.txt"


def import_two_agencies(db_url: str, monkeypatch) -> None:
    """BKD's 2020 plan (agency 1, the seed) and Dinas Kesehatan's 2021 plan (agency 2), imported as an operator
    does (`rapk import`), the CLI pointed at `db_url` in Indonesian."""
    from bot.cli import main
    from bot.domain.plan_import import SAMPLE_PLAN

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    for path in (SAMPLE_PLAN, DINKES_2021):
        assert main(["import", str(path)]) == 0
