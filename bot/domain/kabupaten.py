"""The kabupaten view (Bappeda / evaluator): every OPD of the deployment side by side, and onboarding an OPD.

One row per OPD (`OpdRow`), each from that OPD's own figures — nothing is scored here:

* the plan and quarter: `bot.domain.period.served_period(..., agency_id=)`; a quarter asked for
  (`/rekap 2`) replaces the served one;
* IKU achievement: `PlanScore.iku_measure.pct` (the Perjanjian Kinerja's «capaian kinerja sasaran»),
  aksi progress: `PlanScore.cumulative.pct` (physical to TW n), absorption: `PlanScore.budget`
  (realised to TW n / pagu) — all from `bot.domain.scoring.score_plans_from_db` (every OPD at once, each plan's figures
  exactly as `score_plan_from_db` gives that OPD's digest);
* reporting completeness: `PlanScore.completeness` (kegiatan due and held by a PIC, and of those complete);
* verification state: the `ReportReview` rows of TW n of the plan's kegiatan (accepted / pending / returned).

The kabupaten figures (`KabupatenTotals`) are recomputable by hand from the rows (README «Rekap kabupaten»):
IKU and aksi are the plain mean of the OPD figures shown (one decimal, half up), OPD without a figure
left out; absorption is Σ realised / Σ pagu × 100; completeness Σ reported / Σ due × 100; verification
counts are sums. Ranking: IKU achievement, then aksi progress, then absorption, highest first, then the
name; an OPD without an IKU figure comes after every OPD with one (the same for the next keys), an OPD
without a plan last and unranked.

Roles: `Person.is_kabupaten` reads (/rekap), `Person.is_kabupaten_admin` also onboards an OPD: `add_agency`
makes the agency, its first admin (today `Person.is_admin` with the agency's id; per-agency membership
replaces it at merge) and a one-time invite through `bot.domain.people.create_invite`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.measure import HUNDRED
from bot.domain.measure import round1
from bot.domain.people import Refused
from bot.domain.people import create_invite
from bot.domain.period import served_period
from bot.domain.scoring import PlanScore
from bot.domain.scoring import score_plans_from_db
from bot.domain.verification import ACCEPTED
from bot.domain.verification import PENDING
from bot.domain.verification import RETURNED
from models import Agency
from models import Invite
from models import Kegiatan
from models import Person
from models import Plan
from models import ReportReview

if TYPE_CHECKING:
    from bot.config import Settings

AGENCY_NAME_MAX = 300  # Agency.name
PERSON_NAME_MAX = 300  # Person.name


@dataclass(frozen=True)
class Verification:
    """The verification state of one OPD's TW n reports (ReportReview rows)."""

    accepted: int = 0
    pending: int = 0
    returned: int = 0

    @property
    def submitted(self) -> int:
        return self.accepted + self.pending + self.returned


@dataclass(frozen=True)
class OpdRow:
    agency_id: int
    agency: str
    plan_id: int | None = None
    year: int | None = None
    quarter: int | None = None
    iku_pct: Decimal | None = None
    aksi_pct: Decimal | None = None
    aksi_band: str | None = None
    pagu: int | None = None
    realised: int | None = None
    absorption: Decimal | None = None
    kegiatan_due: int = 0
    kegiatan_reported: int = 0
    verification: Verification = Verification()
    rank: int | None = None

    @property
    def completeness(self) -> Decimal | None:
        """Kegiatan reported / kegiatan due × 100 (None when nothing is due)."""
        return _pct(self.kegiatan_reported, self.kegiatan_due)


@dataclass(frozen=True)
class KabupatenTotals:
    opd: int  # OPD listed
    with_plan: int
    iku_pct: Decimal | None  # mean of the OPD figures
    aksi_pct: Decimal | None  # mean of the OPD figures
    pagu: int
    realised: int
    absorption: Decimal | None  # Σ realised / Σ pagu
    kegiatan_due: int
    kegiatan_reported: int
    verification: Verification

    @property
    def completeness(self) -> Decimal | None:
        return _pct(self.kegiatan_reported, self.kegiatan_due)


@dataclass(frozen=True)
class Rekap:
    quarter: int | None  # the quarter asked for, else the most common served one
    rows: list[OpdRow]  # ranked
    totals: KabupatenTotals
    scores: dict[int, PlanScore] = field(default_factory=dict)  # by agency id: what the workbook's sheets show
    reviews: dict[int, dict[int, str]] = field(default_factory=dict)  # by agency id: kegiatan id → status

    def row(self, agency_id: int) -> OpdRow | None:
        return next((r for r in self.rows if r.agency_id == agency_id), None)


def _pct(part: int | None, whole: int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return round1(Decimal(part) / Decimal(whole) * HUNDRED)


def _mean(values: list[Decimal | None]) -> Decimal | None:
    shown = [v for v in values if v is not None]
    return round1(sum(shown, Decimal(0)) / len(shown)) if shown else None


def reviews_of(plan_id: int, quarter: int, *, session: Session) -> dict[int, str]:
    """Kegiatan id → verification status of its TW n report, for the plan's kegiatan with a review row."""
    rows = session.exec(select(ReportReview.kegiatan_id, ReportReview.status)
                        .join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
                        .where(Kegiatan.plan_id == plan_id, ReportReview.quarter == quarter)).all()
    return dict(rows)


def _reviews_of_plans(quarters: dict[int, int], *, session: Session) -> dict[int, dict[int, str]]:
    """`reviews_of` of several plans (plan id → quarter) in one statement."""
    if not quarters:
        return {}
    rows = session.exec(select(Kegiatan.plan_id, ReportReview.quarter, ReportReview.kegiatan_id, ReportReview.status)
                        .join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
                        .where(Kegiatan.plan_id.in_(list(quarters)),
                               ReportReview.quarter.in_(sorted(set(quarters.values()))))).all()
    out: dict[int, dict[int, str]] = {}
    for plan_id, q, kegiatan_id, status in rows:
        if quarters[plan_id] == q:
            out.setdefault(plan_id, {})[kegiatan_id] = status
    return out


def _verification(statuses: dict[int, str]) -> Verification:
    count = Counter(statuses.values())
    return Verification(accepted=count[ACCEPTED], pending=count[PENDING], returned=count[RETURNED])


def opd_row(agency: Agency, ps: PlanScore, statuses: dict[int, str]) -> OpdRow:
    """One OPD's figures, read off its PlanScore and its review statuses."""
    return OpdRow(agency_id=agency.id, agency=agency.name, plan_id=ps.plan_id, year=ps.year, quarter=ps.quarter_no,
                  iku_pct=ps.iku_measure.pct if ps.iku_measure is not None else None,
                  aksi_pct=ps.cumulative.pct, aksi_band=ps.cumulative.band,
                  pagu=ps.budget.pagu, realised=ps.budget.real_cumulative, absorption=ps.budget.absorption,
                  kegiatan_due=ps.completeness.kegiatan_due, kegiatan_reported=ps.completeness.kegiatan_reported,
                  verification=_verification(statuses))


def _rank_key(row: OpdRow):
    def desc(value: Decimal | None):
        return (1, Decimal(0)) if value is None else (0, -value)

    return (row.plan_id is None, desc(row.iku_pct), desc(row.aksi_pct), desc(row.absorption), row.agency.casefold())


def rank(rows: list[OpdRow]) -> list[OpdRow]:
    """The rows in rank order, numbered 1.. (an OPD without a plan is listed last, unranked)."""
    ordered = sorted(rows, key=_rank_key)
    out, n = [], 0
    for row in ordered:
        if row.plan_id is not None:
            n += 1
        out.append(replace(row, rank=n if row.plan_id is not None else None))
    return out


def totals(rows: list[OpdRow]) -> KabupatenTotals:
    """The kabupaten figures, from the rows alone (so anyone can recompute them by hand)."""
    planned = [r for r in rows if r.plan_id is not None]
    pagu, realised = sum(r.pagu or 0 for r in planned), sum(r.realised or 0 for r in planned)
    return KabupatenTotals(
        opd=len(rows), with_plan=len(planned),
        iku_pct=_mean([r.iku_pct for r in planned]), aksi_pct=_mean([r.aksi_pct for r in planned]),
        pagu=pagu, realised=realised, absorption=_pct(realised, pagu),
        kegiatan_due=sum(r.kegiatan_due for r in planned), kegiatan_reported=sum(r.kegiatan_reported for r in planned),
        verification=Verification(*(sum(getattr(r.verification, f) for r in planned)
                                    for f in ("accepted", "pending", "returned"))),
    )


def agencies(*, session: Session) -> list[Agency]:
    return list(session.exec(select(Agency).order_by(Agency.name)).all())


def rekap(*, session: Session, settings: Settings, now: datetime, quarter: int | None = None) -> Rekap:
    """Every OPD's row for TW `quarter` (default: each OPD's served quarter), ranked, with the kabupaten figures.

    The domain function behind /rekap, `rapk rekap` and the kabupaten workbook: one served_period per OPD,
    then every OPD's plan scored at once (`score_plans_from_db`: the bulk statements of one plan, for all)
    and their reviews in one statement."""
    opds = agencies(session=session)
    served: dict[int, tuple[int, int] | None] = {}  # agency id → (plan id, quarter)
    for agency in opds:
        period = served_period(session=session, settings=settings, now=now, agency_id=agency.id)
        served[agency.id] = (period.plan.id, quarter or period.quarter) if period is not None else None
    plan_quarters = {plan_id: q for plan_id, q in (v for v in served.values() if v is not None)}
    scores_of = score_plans_from_db(plan_quarters, session=session, now=now, settings=settings)
    reviews_by_plan = _reviews_of_plans(plan_quarters, session=session)
    rows, scores, reviews = [], {}, {}
    for agency in opds:
        if served[agency.id] is None:
            rows.append(OpdRow(agency_id=agency.id, agency=agency.name))
            continue
        plan_id, _ = served[agency.id]
        ps, statuses = scores_of[plan_id], reviews_by_plan.get(plan_id, {})
        rows.append(opd_row(agency, ps, statuses))
        scores[agency.id], reviews[agency.id] = ps, statuses
    most = Counter(r.quarter for r in rows if r.quarter is not None).most_common(1)
    return Rekap(quarter=quarter or (most[0][0] if most else None), rows=rank(rows), totals=totals(rows),
                 scores=scores, reviews=reviews)


def rekap_numbers(result: Rekap) -> dict:
    """The rekap as plain data (`rapk rekap --json`): Decimal percentages with one place, integer rupiah."""
    def figures(row) -> dict:
        return {"iku_pct": row.iku_pct, "aksi_pct": row.aksi_pct, "absorption_pct": row.absorption,
                "pagu": row.pagu, "realised": row.realised, "kegiatan_due": row.kegiatan_due,
                "kegiatan_reported": row.kegiatan_reported, "completeness_pct": row.completeness,
                "verification": {"accepted": row.verification.accepted, "pending": row.verification.pending,
                                 "returned": row.verification.returned}}

    t = result.totals
    return {"quarter": result.quarter,
            "kabupaten": {"opd": t.opd, "opd_with_plan": t.with_plan, **figures(t)},
            "opd": [{"rank": r.rank, "agency_id": r.agency_id, "agency": r.agency, "plan_id": r.plan_id,
                     "year": r.year, "quarter": r.quarter, **figures(r)} for r in result.rows]}


def opd_plan(agency_id: int, *, session: Session, settings: Settings, now: datetime) -> Plan | None:
    """The plan /rekap's drill-down shows for one OPD (its served plan); None for an unknown agency."""
    period = served_period(session=session, settings=settings, now=now, agency_id=agency_id)
    return period.plan if period else None


# -- the roles and onboarding an OPD ----------------------------------------------------------------

def set_kabupaten(person_id: int, *, session: Session, reader: bool | None = None, admin: bool | None = None,
                  actor_person_id: int | None = None, actor_label: str = "") -> Person:
    """Grant or revoke the kabupaten role (`reader`) and the kabupaten admin role, audited."""
    person = session.get(Person, person_id)
    if person is None:
        raise Refused("unknown_item")
    for column, value in (("is_kabupaten", reader), ("is_kabupaten_admin", admin)):
        if value is None or getattr(person, column) == value:
            continue
        record(session, action=f"{column.removeprefix('is_')}.{'grant' if value else 'revoke'}", entity="person",
               entity_id=person_id, field=column, old_value=str(getattr(person, column)), new_value=str(value),
               actor_person_id=actor_person_id, actor_label=actor_label)
        setattr(person, column, value)
    session.flush()
    return person


@dataclass(frozen=True)
class NewAgency:
    agency: Agency
    admin: Person
    invite: Invite


def clean_name(text: str) -> str:
    return " ".join((text or "").split())


def add_agency(name: str, admin_name: str, *, session: Session, now: datetime, ttl_days: int,
               actor_person_id: int | None = None, actor_label: str = "") -> NewAgency:
    """A new OPD, its first admin (a new person, admin of that agency) and their one-time invite, audited.

    Refused (bot.domain.people.Refused, wording in templates/*/opd_error.j2): `opd_name` (empty or too long),
    `opd_admin_name` (likewise), `opd_exists` (an agency of that name, case-insensitive)."""
    name, admin_name = clean_name(name), clean_name(admin_name)
    if not name or len(name) > AGENCY_NAME_MAX:
        raise Refused("opd_name", limit=AGENCY_NAME_MAX)
    if not admin_name or len(admin_name) > PERSON_NAME_MAX:
        raise Refused("opd_admin_name", limit=PERSON_NAME_MAX)
    if any(a.name.casefold() == name.casefold() for a in agencies(session=session)):
        raise Refused("opd_exists", raw=name)
    agency = Agency(name=name)
    session.add(agency)
    session.flush()
    record(session, action="agency.create", entity="agency", entity_id=agency.id, new_value=name,
           actor_person_id=actor_person_id, actor_label=actor_label)
    admin = Person(name=admin_name, agency_id=agency.id, is_admin=True)
    session.add(admin)
    session.flush()
    record(session, action="person.create", entity="person", entity_id=admin.id, new_value=admin_name,
           actor_person_id=actor_person_id, actor_label=actor_label)
    record(session, action="admin.grant", entity="person", entity_id=admin.id, field="is_admin", old_value="False",
           new_value="True", actor_person_id=actor_person_id, actor_label=actor_label)
    invite = create_invite(admin.id, session=session, now=now, ttl_days=ttl_days, actor_person_id=actor_person_id,
                           actor_label=actor_label)
    return NewAgency(agency, admin, invite)


@dataclass(frozen=True)
class AgencyLine:
    """/opd and `rapk agency list`: an OPD, its plan years and its admins (onboarded or not)."""

    id: int
    name: str
    years: tuple[int, ...]
    admins: tuple[str, ...]
    admins_onboarded: int


def agency_lines(*, session: Session) -> list[AgencyLine]:
    years: dict[int, list[int]] = {}
    for agency_id, year in session.exec(select(Plan.agency_id, Plan.year).order_by(Plan.year)).all():
        years.setdefault(agency_id, []).append(year)
    admins: dict[int, list[Person]] = {}
    for person in session.exec(select(Person).where(Person.is_admin.is_(True)).order_by(Person.name)).all():
        admins.setdefault(person.agency_id, []).append(person)
    return [AgencyLine(a.id, a.name, tuple(years.get(a.id, ())), tuple(p.name for p in admins.get(a.id, ())),
                       sum(1 for p in admins.get(a.id, ()) if p.telegram_user_id is not None))
            for a in agencies(session=session)]
