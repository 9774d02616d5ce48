"""Small plans built straight through the models, for tests that do not need the importer."""

from decimal import Decimal

from sqlmodel import Session

from models import Agency
from models import Aksi
from models import AksiTarget
from models import Goal
from models import Kegiatan
from models import KegiatanIndicator
from models import Person
from models import PicAssignment
from models import Plan
from models import Program


def _target(raw: str) -> tuple[Decimal | None, str, str]:
    if not raw or raw == "-":
        return None, "", "none"
    if raw.endswith("%"):
        return Decimal(raw[:-1]), "%", "percent"
    return Decimal(raw), "", "count"


def _add_aksi(session: Session, ids: dict, kegiatan_id: int, aksi_specs, read) -> None:
    """The aksi of a kegiatan (name, indicator, four cells), each cell's (value, unit, kind) by `read`."""
    for no, (aksi_name, indicator, cells) in enumerate(aksi_specs, start=1):
        aksi = Aksi(kegiatan_id=kegiatan_id, no=no, name=aksi_name, indicator=indicator,
                    indicator_kind="percentage" if "%" in "".join(cells) else "positive")
        session.add(aksi)
        session.flush()
        ids["aksi"].setdefault(kegiatan_id, []).append(aksi.id)
        for quarter, raw in enumerate(cells, start=1):
            value, unit, kind = read(raw)
            session.add(AksiTarget(aksi_id=aksi.id, quarter=quarter, raw=raw, value=value, unit=unit, kind=kind))


def make_small_plan(session: Session, *, year: int = 2020) -> dict:
    """Two kegiatan (two PICs), aksi with targets in TW II; returns the ids tests need."""
    agency = Agency(name="BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK")
    session.add(agency)
    session.flush()
    plan = Plan(agency_id=agency.id, year=year, title=f"RAPK {year}")
    session.add(plan)
    session.flush()
    goal = Goal(plan_id=plan.id, seq=1, no="1", name="Meningkatnya Kualitas Kinerja dan Kompetensi ASN")
    session.add(goal)
    session.flush()
    program = Program(plan_id=plan.id, goal_id=goal.id, seq=1, no="1", name="Program Pendidikan dan Pelatihan ASN")
    session.add(program)
    session.flush()
    ids: dict = {"plan": plan.id, "agency": agency.id, "program": program.id, "kegiatan": [], "aksi": {}}
    specs = [
        ("Pendidikan dan Pelatihan Teknis", 1018175000, [
            ("Persiapan pelaksanaan kegiatan diklat", "presentase kesiapan", ["", "50%", "50%", ""]),
            ("Pendataan Peserta Kegiatan dan koordinasi", "Jumlah peserta yang di data", ["", "60", "157", ""]),
            ("Evaluasi atas Pelaksanaan Kegiatan", "jumlah dokumen evaluasi", ["", "", "", "3"]),
        ]),
        ("Pendidikan Penjurangan Struktural", 1491762000, [
            ("Persiapan pelaksanaan kegiatan diklat", "Presentase kesiapan", ["100%", "", "", ""]),
            ("Pelaksanaan Kegiatan", "Presentase terlaksananya diklat", ["30%", "50%", "20%", ""]),
        ]),
    ]
    for seq, (name, budget, aksi_specs) in enumerate(specs, start=1):
        kegiatan = Kegiatan(plan_id=plan.id, program_id=program.id, seq=seq, no=str(seq), name=name,
                            budget=budget, budget_raw="")
        session.add(kegiatan)
        session.flush()
        ids["kegiatan"].append(kegiatan.id)
        session.add(KegiatanIndicator(kegiatan_id=kegiatan.id, seq=1, text="Jumlah peserta diklat",
                                      target_raw="30 Orang", target_value=Decimal(30), target_unit="Orang"))
        _add_aksi(session, ids, kegiatan.id, aksi_specs, _target)
    budi = Person(name="Budi Santoso", agency_id=agency.id, telegram_user_id=3001)
    sari = Person(name="Sari Dewi", agency_id=agency.id, telegram_user_id=3002)
    rina = Person(name="Rina Lestari", agency_id=agency.id)  # not onboarded yet
    session.add_all([budi, sari, rina])
    session.flush()
    session.add(PicAssignment(person_id=budi.id, kegiatan_id=ids["kegiatan"][0]))
    session.add(PicAssignment(person_id=sari.id, kegiatan_id=ids["kegiatan"][1]))
    session.flush()
    ids.update(budi=budi.id, sari=sari.id, rina=rina.id)
    return ids


def add_kegiatan(session: Session, ids: dict, name: str, aksi_specs: list[tuple[str, str, list[str]]], *,
                 pic: int, budget: int = 100_000_000) -> int:
    """One more kegiatan of the small plan held by `pic` (a person id), its aksi (name, indicator, the four
    quarters' cells as written: `1`, `40 orang`, `50%`) read by the importer's parse_target; its id."""
    from bot.domain.numbers import parse_target

    kegiatan = Kegiatan(plan_id=ids["plan"], program_id=ids["program"], seq=len(ids["kegiatan"]) + 1,
                        no=str(len(ids["kegiatan"]) + 1), name=name, budget=budget, budget_raw="")
    session.add(kegiatan)
    session.flush()
    ids["kegiatan"].append(kegiatan.id)
    session.add(KegiatanIndicator(kegiatan_id=kegiatan.id, seq=1, text="Jumlah peserta", target_raw="40 Orang",
                                  target_value=Decimal(40), target_unit="Orang"))
    _add_aksi(session, ids, kegiatan.id, aksi_specs, lambda raw: tuple(getattr(parse_target(raw), k) for k in ("value", "unit", "kind")))
    session.add(PicAssignment(person_id=pic, kegiatan_id=kegiatan.id))
    session.flush()
    return kegiatan.id
