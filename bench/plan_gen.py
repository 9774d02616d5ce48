"""Generate a big, realistic RAPK plan (and a year of realisations) with fast bulk inserts.

Shared by the benchmarks: `generate_plan(3000, session=s, seed=1)` writes 3,000 kegiatan with
3–4 aksi each (about 12,000 aksi), quarterly targets patterned on the seed plan (25/25/25/25
shares, 50/50, one-off 100%, 100% levels, rising series, counts, and a few typing-error
targets such as 1000%), one to three kegiatan indicators, PICs, and — unless `quarters=0` —
realisations for TW I..`quarters` with some reports missing, as real quarters have.

Rows go in with one statement per table: on SQLite an executemany (ids back in order through
RETURNING), on PostgreSQL a COPY with ids taken from the sequence first. 3,000 kegiatan take a
few seconds on either.
"""

from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import SQLModel

from bot.domain.modes import aksi_mode
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

KEGIATAN_PER_PROGRAM = 8
PROGRAMS_PER_GOAL = 5

# (indicator, kind, quarterly targets) — shapes found in the seed plan.
AKSI_PATTERNS: list[tuple[str, str, tuple]] = [
    ("Presentase kesiapan pelaksanaan kegiatan", "percent", (100, None, None, None)),
    ("Presentase kesiapan pelaksanaan kegiatan", "percent", (None, 50, 50, None)),
    ("Presentase terlaksananya pelaksanaan kegiatan", "percent", (25, 25, 25, 25)),
    ("Presentase terlaksananya pelaksanaan kegiatan", "percent", (30, 50, 20, None)),
    ("Presentase penyerahan SK tepat waktu", "percent", (100, None, 100, None)),
    ("Presentase terlaksananya pelaksanaan kegiatan", "percent", (20, 25, 40, 100)),
    ("Jumlah peserta pelaksanaan kegiatan yang di data", "count", (None, 60, 157, None)),
    ("Jumlah SK Tim Pelaksana Kegiatan", "count", (1, None, None, None)),
    ("Jumlah Jenis Undangan rapat yang tersebar", "count", (2, 1, 1, 1)),
    ("Jumlah laporan pelaksanaan kegiatan", "count", (3, 3, 3, 3)),
]
ANOMALOUS_PATTERNS: list[tuple[str, str, tuple]] = [
    ("Presentase dokumen inventarisasi kebutuhan", "percent", (1000, None, None, None)),
    ("Presentase terdistribusinya makanan dan minum", "percent", (2000, 2000, 2000, 2000)),
]
AKSI_NAMES = ["Penyusunan SK Kegiatan", "Perencanaan Pelaksanaan dan koordinasi", "Pelaksanaan Kegiatan",
              "Evaluasi atas Pelaksanaan Kegiatan"]
KEGIATAN_WORDS = ["Pendidikan dan Pelatihan", "Bimbingan Teknis", "Penyusunan Laporan", "Pembinaan",
                  "Pengadaan", "Pemeliharaan", "Seleksi", "Penataan", "Fasilitasi", "Sosialisasi"]
SUBJECTS = ["ASN", "PNS Daerah", "Pejabat Struktural", "Jabatan Fungsional", "Aparatur", "Calon PNS",
            "Sistem Informasi Kepegawaian", "Kenaikan Pangkat", "Sarana Prasarana", "Kinerja"]
UNITS = ["Orang", "kali", "dokumen", "jenis", "buku"]
KENDALA = ["Jadwal narasumber bergeser", "Anggaran belum cair", "Peserta belum lengkap", ""]
FIRST_NAMES = ["Ani", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika",
               "Lukman", "Maya", "Nur", "Oki", "Putri", "Rudi", "Sari", "Taufik", "Wati"]


def generate_plan(n_kegiatan: int, *, session: Session, seed: int = 1, year: int = 2020, quarters: int = 4,
                  missing_rate: float = 0.08, agency: str | None = None, pics: int | None = None) -> int:
    """Insert a plan of `n_kegiatan` kegiatan with realisations for TW I..`quarters`; return its id. `pics`
    people share the kegiatan (default a quarter of their number)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    agency_id = _insert(session, Agency, [{"name": agency or f"Badan Uji {seed}-{rng.randrange(10**9)}"}])[0]
    plan_id = _insert(session, Plan, [{"agency_id": agency_id, "year": year, "title": f"RAPK {year}",
                                       "source_name": "plan_gen", "imported_at": now}])[0]
    n_programs = max(1, -(-n_kegiatan // KEGIATAN_PER_PROGRAM))
    n_goals = max(1, -(-n_programs // PROGRAMS_PER_GOAL))
    goal_ids = _insert(session, Goal, [{"plan_id": plan_id, "seq": i + 1, "no": str(i + 1),
                                        "name": f"Meningkatnya {rng.choice(SUBJECTS)} sasaran {i + 1}"}
                                       for i in range(n_goals)])
    program_ids = _insert(session, Program, [
        {"plan_id": plan_id, "goal_id": goal_ids[i // PROGRAMS_PER_GOAL], "seq": i + 1, "no": str(i + 1),
         "name": f"Program {rng.choice(KEGIATAN_WORDS)} {rng.choice(SUBJECTS)} {i + 1}"}
        for i in range(n_programs)])
    budgets = [rng.randrange(10_000, 3_000_000) * 1000 for _ in range(n_kegiatan)]
    kegiatan_ids = _insert(session, Kegiatan, [
        {"plan_id": plan_id, "program_id": program_ids[i // KEGIATAN_PER_PROGRAM], "seq": i + 1,
         "no": str(i % KEGIATAN_PER_PROGRAM + 1), "budget": budgets[i], "budget_raw": f"{budgets[i]:,},00",
         "name": f"{rng.choice(KEGIATAN_WORDS)} {rng.choice(SUBJECTS)} ({i + 1})", "source_line": i + 1}
        for i in range(n_kegiatan)])

    indicators, aksi_rows, aksi_patterns = [], [], []
    for keg_id in kegiatan_ids:
        for seq in range(1, rng.choice((1, 1, 2, 3)) + 1):
            target = rng.choice((30, 50, 100, 200, 525))
            unit = rng.choice(UNITS)
            indicators.append({"kegiatan_id": keg_id, "seq": seq, "text": f"Jumlah peserta kegiatan {seq}",
                               "target_raw": f"{target} {unit}", "target_value": Decimal(target),
                               "target_unit": unit, "indicator_kind": "positive"})
        for no in range(1, rng.choice((3, 4, 4, 4)) + 1):
            pattern = rng.choice(ANOMALOUS_PATTERNS if rng.random() < 0.01 else AKSI_PATTERNS)
            aksi_rows.append({"kegiatan_id": keg_id, "no": no, "name": AKSI_NAMES[(no - 1) % 4],
                              "indicator": pattern[0],
                              "indicator_kind": "percentage" if pattern[1] == "percent" else "positive",
                              "mode": aksi_mode(pattern[0], [("none", None) if v is None else (pattern[1], Decimal(v))
                                                             for v in pattern[2]]),
                              "source_line": 0})
            aksi_patterns.append(pattern)
    indicator_ids = _insert(session, KegiatanIndicator, indicators)
    aksi_ids = _insert(session, Aksi, aksi_rows)

    targets, due = [], []
    for aksi_id, (_, kind, values) in zip(aksi_ids, aksi_patterns, strict=True):
        for q, v in enumerate(values, start=1):
            raw = "" if v is None else (f"{v}%" if kind == "percent" else str(v))
            targets.append({"aksi_id": aksi_id, "quarter": q, "raw": raw,
                            "value": None if v is None else Decimal(v),
                            "unit": "%" if kind == "percent" and v is not None else "",
                            "kind": "none" if v is None else kind})
            if v is not None:
                due.append((aksi_id, q, v))
    _insert(session, AksiTarget, targets, returning=False)

    person_ids = _insert(session, Person, [
        {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(FIRST_NAMES)}wati {i + 1}", "is_admin": False,
         "created_at": now} for i in range(pics or max(1, n_kegiatan // 4))])
    pics = {(keg_id, pid) for keg_id in kegiatan_ids for pid in rng.sample(person_ids, min(len(person_ids),
                                                                                          rng.choice((1, 1, 2))))}
    _insert(session, PicAssignment, [{"kegiatan_id": k, "person_id": p, "assigned_at": now} for k, p in
                                     sorted(pics)], returning=False)
    if quarters:
        _insert_realisations(session, rng, quarters, missing_rate, now, due, kegiatan_ids, budgets,
                             indicator_ids, indicators)
    session.flush()
    return plan_id


def _insert_realisations(session: Session, rng: random.Random, quarters: int, missing_rate: float,
                         now: datetime, due, kegiatan_ids, budgets, indicator_ids, indicators) -> None:
    """Realised values around the targets (50–110%), with `missing_rate` of reports absent."""
    aksi_reals = []
    for aksi_id, q, target in due:
        if q <= quarters and rng.random() >= missing_rate:
            value = Decimal(round(target * rng.uniform(0.5, 1.1)))
            aksi_reals.append({"aksi_id": aksi_id, "quarter": q, "value": value, "value_raw": str(value),
                               "reported_at": now, "late": False})
    _insert(session, AksiRealisation, aksi_reals, returning=False)
    keg_reals = [
        {"kegiatan_id": keg_id, "quarter": q, "budget_realised": budget * rng.randrange(5, 30) // 100,
         "kendala": rng.choice(KENDALA), "tindak_lanjut": "", "reported_at": now, "late": False}
        for keg_id, budget in zip(kegiatan_ids, budgets, strict=True)
        for q in range(1, quarters + 1) if rng.random() >= missing_rate
    ]
    _insert(session, KegiatanRealisation, keg_reals, returning=False)
    ind_reals = [
        {"indicator_id": ind_id, "quarter": q,
         "value": Decimal(round(float(ind["target_value"]) / 4 * rng.uniform(0.5, 1.1))), "value_raw": "",
         "reported_at": now}
        for ind_id, ind in zip(indicator_ids, indicators, strict=True)
        for q in range(1, quarters + 1) if rng.random() >= missing_rate
    ]
    _insert(session, IndicatorRealisation, ind_reals, returning=False)


def _insert(session: Session, model: type[SQLModel], rows: list[dict], *, returning: bool = True) -> list[int]:
    """One executemany for all rows (model defaults filled in); the new ids in row order."""
    if not rows:
        return []
    defaults = {name: f.default for name, f in model.model_fields.items()
                if name != "id" and f.default is not None and not callable(f.default)
                and type(f.default).__name__ != "PydanticUndefinedType"}
    rows = [{**defaults, **r} for r in rows]
    table = model.__table__
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Take the ids from the table's sequence up front, then COPY: an order of magnitude
        # faster than INSERT … RETURNING in batches.
        ids: list[int] = []
        if returning:
            ids = list(conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                            "FROM generate_series(1, :n)"), {"t": table.name, "n": len(rows)})
                       .scalars())
            rows = [{"id": i, **r} for i, r in zip(ids, rows, strict=True)]
        _copy(conn, table.name, rows)
        return ids
    if not returning:
        session.execute(table.insert(), rows)
        return []
    result = session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return [r[0] for r in result]


def _copy(conn, table: str, rows: list[dict]) -> None:
    """PostgreSQL COPY on the session's own connection (same transaction): ~10× an executemany."""
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def plain_aggregate_sql() -> sa.TextClause:
    """The yardstick for the benchmarks: realised value and budget summed per kegiatan of a plan."""
    return sa.text(
        "SELECT k.id, SUM(ar.value) AS realised, "
        "(SELECT SUM(kr.budget_realised) FROM kegiatanrealisation kr WHERE kr.kegiatan_id = k.id) AS spent "
        "FROM kegiatan k JOIN aksi a ON a.kegiatan_id = k.id "
        "LEFT JOIN aksirealisation ar ON ar.aksi_id = a.id "
        "WHERE k.plan_id = :plan_id GROUP BY k.id"
    )
