"""Small plans built straight through the models (no importer), and realisations on them."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from sqlmodel import select

from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import Goal
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import PicAssignment
from models import Plan
from models import Program


class PlanBuilder:
    """A plan of the given year, filled kegiatan by kegiatan (no importer)."""

    def __init__(self, session: Session, year: int = 2020):
        self.session = session
        agency = Agency(name=f"BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK {year}")
        session.add(agency)
        session.flush()
        self.plan = Plan(agency_id=agency.id, year=year)
        session.add(self.plan)
        session.flush()
        goal = Goal(plan_id=self.plan.id, seq=1, name="Meningkatnya Kualitas Kinerja dan Kompetensi ASN")
        session.add(goal)
        session.flush()
        self.program = Program(plan_id=self.plan.id, goal_id=goal.id, seq=1,
                               name="Program Pendidikan dan Pelatihan ASN")
        session.add(self.program)
        session.flush()
        self.seq = 0

    def person(self, name: str, *, telegram_user_id: int | None = None, **fields) -> Person:
        person = Person(name=name, telegram_user_id=telegram_user_id, **fields)
        self.session.add(person)
        self.session.flush()
        return person

    def kegiatan(self, name: str, *, budget: int | None, aksi: list[tuple[str, list[str]]],
                 indicators: list[str] = (), pics: list[Person] = ()) -> Kegiatan:
        """aksi: (name, [TW I..TW IV cells as written]); an empty cell or "-" means nothing due."""
        self.seq += 1
        k = Kegiatan(plan_id=self.plan.id, program_id=self.program.id, seq=self.seq, no=str(self.seq), name=name,
                     budget=budget)
        self.session.add(k)
        self.session.flush()
        for seq, target in enumerate(indicators, start=1):
            self.session.add(KegiatanIndicator(kegiatan_id=k.id, seq=seq, text=f"Indikator {seq} {name}",
                                               target_raw=target))
        for no, (aksi_name, cells) in enumerate(aksi, start=1):
            a = Aksi(kegiatan_id=k.id, no=no, name=aksi_name, indicator=f"Jumlah {aksi_name.lower()}")
            self.session.add(a)
            self.session.flush()
            for quarter, raw in enumerate(cells, start=1):
                self.session.add(AksiTarget(aksi_id=a.id, quarter=quarter, **parse_target(raw)))
        for person in pics:
            self.session.add(PicAssignment(person_id=person.id, kegiatan_id=k.id))
        self.session.flush()
        return k


def parse_target(raw: str) -> dict:
    """The importer's parse of a simple cell: `50%`, `30 Orang`, `` / `-` (nothing due)."""
    if raw.strip() in ("", "-"):
        return {"raw": raw, "kind": "none"}
    number, _, unit = raw.replace("%", " %").partition(" ")
    return {"raw": raw, "value": Decimal(number), "unit": unit.strip(),
            "kind": "percent" if unit.strip() == "%" else "count"}


def report(session: Session, kegiatan: Kegiatan, quarter: int, at: datetime, *, aksi: bool = True,
           budget: bool = True, indicators: bool = True) -> None:
    """Report every due item of a kegiatan (or the chosen parts) at `at` (stored as UTC)."""
    at = at.astimezone(UTC)
    if aksi:
        due_aksi = select(AksiTarget.aksi_id).join(Aksi, Aksi.id == AksiTarget.aksi_id).where(
            Aksi.kegiatan_id == kegiatan.id, AksiTarget.quarter == quarter, AksiTarget.kind != "none")
        for aksi_id in session.exec(due_aksi).all():
            report_aksi(session, aksi_id, quarter, at)
    if budget:
        session.add(KegiatanRealisation(kegiatan_id=kegiatan.id, quarter=quarter, budget_realised=1_000_000,
                                        reported_at=at))
    if indicators:
        for ind_id in session.exec(select(KegiatanIndicator.id).where(KegiatanIndicator.kegiatan_id == kegiatan.id)):
            session.add(IndicatorRealisation(indicator_id=ind_id, quarter=quarter, value=Decimal(10), reported_at=at))
    session.flush()


def report_aksi(session: Session, aksi_id: int, quarter: int, at: datetime) -> None:
    session.add(AksiRealisation(aksi_id=aksi_id, quarter=quarter, value=Decimal(50), value_raw="50",
                                reported_at=at.astimezone(UTC)))
    session.flush()
