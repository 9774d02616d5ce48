"""The PIC's quarterly report: what the form shows, and saving it in one audited transaction."""

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.db import claim_rows
from bot.db import insert_ignore
from bot.domain import evidence as evidence_rules
from bot.domain import verification
from bot.domain.audit import record_many
from bot.domain.locks import kegiatan_locked
from bot.domain.measure import INCREMENT
from bot.domain.measure import NEGATIVE
from bot.domain.measure import Arrear
from bot.domain.measure import real_to_date
from bot.domain.measure import target_to_date
from bot.domain.numbers import fits_decimal_column
from bot.domain.numbers import unit_of
from bot.domain.obligations import AksiOwed
from bot.domain.obligations import aksi_owed
from bot.domain.obligations import is_complete
from bot.domain.obligations import kegiatan_due
from bot.domain.obligations import still_open
from bot.domain.people import is_pic_of
from models import Aksi
from models import AksiRealisation
from models import Evidence
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Plan
from models.base import BIGINT_MAX
from models.base import RAW_VALUE_LENGTH

# The most a kendala, tindak lanjut or faktor pendorong keeps: /lapor trims a longer one and says so,
# a realisation file is refused.
NOTE_LIMIT = 1000
# The units of a target that is one thing to have (AksiItem.document); "" is a bare `1`.
DOCUMENT_UNITS = frozenset({"", "dokumen", "buah", "paket", "unit"})


class ReportError(Exception):
    """A report that may not be saved; `code` picks the Indonesian message template."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class AksiItem:
    aksi_id: int
    no: int
    name: str
    indicator: str
    target_raw: str
    target_value: Decimal | None
    unit: str
    kind: str
    value: Decimal | None = None
    value_raw: str = ""
    reported: bool = False
    # How its quarters combine (bot.domain.modes), and what the question shows besides this quarter's
    # target: what is due to this quarter and what was reported before it, both by the mode.
    mode: str = INCREMENT
    target_to_date: Decimal | None = None
    real_before: Decimal | None = None
    # A target this quarter (False: on the form for late work only), and the late work owed (tunggakan).
    due: bool = True
    arrear: Arrear | None = None

    @property
    def answer_unit(self) -> str:
        """The unit a typed answer may carry (bot.domain.numbers.parse_realised): `%` for a percentage."""
        return "%" if self.kind == "percent" else self.unit

    @property
    def document(self) -> bool:
        """A target of one thing made or had (`1`, `1 dokumen`, «Jumlah SK Tim»): /lapor asks «Sudah ada / Belum»
        (the target, or 0) instead of a number. Not for late work, a percentage, a count of people or less-is-better."""
        return (self.due and self.kind == "count" and self.target_value == 1 and self.mode != NEGATIVE
                and unit_of(self.unit) in DOCUMENT_UNITS)

    @property
    def to_meet(self) -> Decimal | None:
        """The value that meets the target to date this quarter (what «🎯 Sesuai target» enters for late
        work): the rest of the sum for an increment item, the target to date otherwise."""
        if self.target_to_date is None:
            return None
        if self.mode == INCREMENT:
            return max(self.target_to_date - (self.real_before or 0), Decimal(0))
        return self.target_to_date


@dataclass
class IndicatorItem:
    indicator_id: int
    text: str
    target_raw: str
    unit: str
    value: Decimal | None = None
    value_raw: str = ""
    reported: bool = False
    mode: str = INCREMENT
    real_before: Decimal | None = None  # reported in the earlier quarters, by the mode


@dataclass
class ReportForm:
    """Everything the conversation asks about one kegiatan in one quarter, with stored values."""

    kegiatan_id: int
    kegiatan_name: str
    plan_id: int
    year: int
    quarter: int
    budget: int | None
    budget_other_quarters: int
    budget_realised: int | None
    kendala: str
    tindak_lanjut: str
    pendorong: str
    aksi: list[AksiItem]
    indicators: list[IndicatorItem]
    evidence_count: int
    locked: bool
    budget_reported: bool
    # The verification status (bot.domain.verification): None before the first Simpan.
    status: str | None = None
    review_note: str = ""

    @property
    def budget_left(self) -> int | None:
        """What is left of the pagu for this quarter (the other quarters' realisations taken off)."""
        if self.budget is None:
            return None
        return self.budget - self.budget_other_quarters

    @property
    def due_count(self) -> int:
        """Aksi with a target this quarter (late work is on the form but not counted)."""
        return sum(1 for a in self.aksi if a.due)

    @property
    def done_count(self) -> int:
        return sum(1 for a in self.aksi if a.due and a.reported)

    @property
    def late_work(self) -> list[AksiItem]:
        """Late work owed this quarter and not reported in it yet."""
        return [a for a in self.aksi if a.arrear and not a.reported]

    @property
    def complete(self) -> bool:
        return is_complete(self.due_count - self.done_count, self.budget_reported,
                           owes=kegiatan_due(self.due_count, self.budget))

    @property
    def open(self) -> bool:
        return still_open(self.complete, self.locked)

    @property
    def late_work_open(self) -> bool:
        """Late work can still be recorded (it never makes the quarter incomplete)."""
        return still_open(not self.late_work, self.locked)

    @property
    def started(self) -> bool:
        """Something of this quarter is stored already (the form opens on the summary card)."""
        return self.done_count > 0 or self.budget_reported


def load_form(kegiatan_id: int, quarter: int, *, session: Session) -> ReportForm:
    """The form for one kegiatan and quarter: due aksi (bot.domain.obligations' rule) and stored values."""
    found = session.exec(select(Kegiatan, Plan.year).join(Plan, Plan.id == Kegiatan.plan_id)
                         .where(Kegiatan.id == kegiatan_id)).first()
    if found is None:
        raise ReportError("unknown_kegiatan")
    kegiatan, year = found
    aksi = [_aksi_item(owed) for owed in aksi_owed([kegiatan_id], quarter, session=session)]
    ind_rows = session.exec(
        select(KegiatanIndicator, IndicatorRealisation)
        .outerjoin(IndicatorRealisation, sa.and_(IndicatorRealisation.indicator_id == KegiatanIndicator.id,
                                                 IndicatorRealisation.quarter == quarter))
        .where(KegiatanIndicator.kegiatan_id == kegiatan_id).order_by(KegiatanIndicator.seq)
    ).all()
    ind_before = _earlier_values(session, IndicatorRealisation, IndicatorRealisation.indicator_id,
                                 [i.id for i, _ in ind_rows], quarter)
    indicators = [
        IndicatorItem(i.id, i.text, i.target_raw, i.target_unit, r.value if r else None,
                      r.value_raw if r else "", r is not None, mode=i.mode,
                      real_before=real_to_date(i.mode, ind_before[i.id], quarter - 1))
        for i, r in ind_rows
    ]
    realisations = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == kegiatan_id)).all()
    this = next((r for r in realisations if r.quarter == quarter), None)
    other = sum(r.budget_realised or 0 for r in realisations if r.quarter != quarter)
    evidence = session.exec(
        select(sa.func.count()).select_from(Evidence)
        .where(Evidence.kegiatan_id == kegiatan_id, Evidence.quarter == quarter)
    ).one()
    return ReportForm(
        kegiatan_id=kegiatan.id, kegiatan_name=kegiatan.name, plan_id=kegiatan.plan_id, year=year,
        quarter=quarter, budget=kegiatan.budget, budget_other_quarters=other,
        budget_realised=this.budget_realised if this else None,
        kendala=this.kendala if this else "", tindak_lanjut=this.tindak_lanjut if this else "",
        pendorong=this.pendorong if this else "",
        aksi=aksi, indicators=indicators, evidence_count=int(evidence),
        locked=kegiatan_locked(kegiatan.plan_id, kegiatan.id, quarter, session=session),
        budget_reported=this is not None and this.budget_realised is not None,
        **_review_fields(kegiatan_id, quarter, session),
    )


def _review_fields(kegiatan_id: int, quarter: int, session: Session) -> dict:
    review = verification.review_of(kegiatan_id, quarter, session=session)
    return {"status": review.status, "review_note": review.note} if review else {}


def _aksi_item(owed: AksiOwed) -> AksiItem:
    """One aksi of the form: q's target (an empty cell for late work only), its value, and what the question
    shows: the target to date (to q−1 for late work only, what is owed) and what was realised before q."""
    cell, real, q = owed.cell, owed.reals.get(owed.quarter), owed.quarter
    targets = owed.target_values
    return AksiItem(owed.aksi_id, owed.no, owed.name, owed.indicator, cell.raw, cell.value, cell.unit, cell.kind,
                    real.value if real else None, real.value_raw if real else "", real is not None, mode=owed.mode,
                    target_to_date=target_to_date(owed.mode, targets, q),
                    real_before=real_to_date(owed.mode, {k: v for k, v in owed.values.items() if k < q}, q - 1),
                    due=owed.due, arrear=owed.arrear)


def _earlier_values(session: Session, model, owner, ids: list[int], quarter: int) -> dict[int, dict[int, Decimal]]:
    """{owner id: {quarter: value}} of the values reported before `quarter`."""
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if ids and quarter > 1:
        for owner_id, q, value in session.exec(select(owner, model.quarter, model.value)
                                               .where(owner.in_(ids), model.quarter < quarter)):
            if value is not None:
                out[owner_id][q] = value
    return out


@dataclass
class Submission:
    """What the PIC confirmed on the summary card. A value of None leaves that item as it was."""

    kegiatan_id: int
    quarter: int
    aksi_values: dict[int, tuple[Decimal, str]] = field(default_factory=dict)
    indicator_values: dict[int, tuple[Decimal, str]] = field(default_factory=dict)
    budget_realised: int | None = None
    kendala: str | None = None
    tindak_lanjut: str | None = None
    pendorong: str | None = None
    evidence: list[dict] = field(default_factory=list)


@dataclass
class SaveResult:
    created: int = 0  # aksi (or IKU / program indicator) values given for the first time; not kegiatan indicators
    # What was changed from an earlier value ("aksi:12", "indikator:3", "kendala"): «n perubahan».
    changed: list[str] = field(default_factory=list)


def take_values(rows: dict, values: dict[int, tuple[Decimal, str]], *, entity: str, label: str, person_id: int,
                now: datetime, changes: list[dict], result: SaveResult, counted: bool = True) -> list:
    """Give each claimed row (bot.db `claim_rows`) its new value and as typed, with an audit row (`changes`, old → new)
    where it differs; a value given for the first time is created (in `result.created` when `counted`), one
    given again changed. The rows given a first value are returned."""
    first = []
    for item_id, (value, raw) in values.items():
        row = rows[item_id]
        fresh = row.value is None and row.value_raw == ""
        if fresh and counted:
            result.created += 1
        if row.value != value or row.value_raw != raw:
            changes.append(dict(action="report.create" if fresh else "report.update", entity=entity,
                                entity_id=row.id, field=f"{label}:{item_id}", old_value=_fmt(row.value),
                                new_value=_fmt(value)))
            if fresh:
                first.append(row)
            else:
                result.changed.append(f"{label}:{item_id}")
            row.value, row.value_raw, row.reported_by, row.reported_at = value, raw, person_id, now
    return first


def _fmt(value) -> str | None:
    return None if value is None else str(value)


def values_storable(pairs) -> bool:
    """Every (value, value as typed) fits its columns as it is (bot.domain.numbers' limits)."""
    return all(fits_decimal_column(Decimal(v)) and len(raw) <= RAW_VALUE_LENGTH for v, raw in pairs)


def storable(sub: Submission) -> bool:
    """Every value of the submission fits its column as it is (bot.domain.numbers' limits): a draft
    kept from before those limits, or any other caller, cannot make each Simpan fail in the database."""
    if not values_storable([*sub.aksi_values.values(), *sub.indicator_values.values()]):
        return False
    return sub.budget_realised is None or 0 <= sub.budget_realised <= BIGINT_MAX


def save_report(sub: Submission, *, session: Session, person_id: int, actor_label: str, now: datetime,
                late: bool) -> SaveResult:
    """Store a submission in the caller's transaction; each change is audited (old → new).

    Authorization and the lock are checked here again, at commit time, whatever the buttons said.
    """
    kegiatan = session.get(Kegiatan, sub.kegiatan_id)
    if kegiatan is None:
        raise ReportError("unknown_kegiatan")
    if not is_pic_of(person_id, kegiatan.id, session=session):
        raise ReportError("not_pic")
    if kegiatan_locked(kegiatan.plan_id, kegiatan.id, sub.quarter, session=session):
        raise ReportError("locked")
    if not storable(sub):
        raise ReportError("bad_value")
    if verification.is_accepted(kegiatan.id, sub.quarter, session=session):
        raise ReportError("accepted")  # frozen until a verifier returns it
    valid_aksi = set(session.exec(select(Aksi.id).where(Aksi.kegiatan_id == kegiatan.id)).all())
    valid_ind = set(session.exec(select(KegiatanIndicator.id)
                                 .where(KegiatanIndicator.kegiatan_id == kegiatan.id)).all())
    if not set(sub.aksi_values) <= valid_aksi or not set(sub.indicator_values) <= valid_ind:
        raise ReportError("unknown_kegiatan")
    result = SaveResult()
    changes: list[dict] = []  # the audit rows, old → new
    # Reads and checks above; from the first insert on, the writes (flushed together at the end).
    with session.no_autoflush:
        rows, _ = claim_rows(session, AksiRealisation, "aksi_id", sub.aksi_values, {"quarter": sub.quarter},
                             dict(value=None, value_raw="", reported_by=person_id, reported_at=now, late=late))
        for row in take_values(rows, sub.aksi_values, entity="aksi_realisation", label="aksi", person_id=person_id,
                               now=now, changes=changes, result=result):
            row.late = late  # lateness is decided when the value is first given; a correction keeps it
        rows, _ = claim_rows(session, IndicatorRealisation, "indicator_id", sub.indicator_values,
                             {"quarter": sub.quarter}, dict(value=None, value_raw="", reported_by=person_id,
                                                            reported_at=now))
        take_values(rows, sub.indicator_values, entity="indicator_realisation", label="indikator",
                    person_id=person_id, now=now, changes=changes, result=result, counted=False)
        notes = ("budget_realised", "kendala", "tindak_lanjut", "pendorong")
        if any(getattr(sub, name) is not None for name in notes):
            rows, _ = claim_rows(session, KegiatanRealisation, "kegiatan_id", [kegiatan.id], {"quarter": sub.quarter},
                                 dict(budget_realised=None, kendala="", tindak_lanjut="", reported_by=person_id,
                                      reported_at=now, late=late))
            row = rows[kegiatan.id]
            for name in notes:
                new = getattr(sub, name)
                old = getattr(row, name)
                if new is None or new == old:
                    continue
                fresh = old in (None, "")
                changes.append(dict(action="report.create" if fresh else "report.update", entity="kegiatan_realisation",
                                    entity_id=row.id, field=name, old_value=_fmt(old), new_value=_fmt(new)))
                if not fresh:
                    result.changed.append(name)
                setattr(row, name, new)
            row.reported_by, row.reported_at = person_id, now
    record_many(session, changes, actor_person_id=person_id, actor_label=actor_label, at=now)
    insert_ignore(session, Evidence, [dict(kegiatan_id=kegiatan.id, quarter=sub.quarter, uploaded_by=person_id,
                                           uploaded_at=now, **item) for item in sub.evidence],
                  ["kegiatan_id", "quarter", "file_unique_id"])
    session.flush()
    if evidence_rules.missing(kegiatan.id, sub.quarter, session=session):
        raise ReportError("evidence_required")  # the caller's transaction rolls back: nothing is stored
    verification.mark_submitted(kegiatan.id, sub.quarter, session=session, person_id=person_id,
                                actor_label=actor_label, now=now)
    return result


def evidence_of(kegiatan_id: int, quarter: int, *, session: Session) -> list[Evidence]:
    """Bukti dukung of a kegiatan and quarter, for an admin to get the files back."""
    return list(session.exec(select(Evidence).where(Evidence.kegiatan_id == kegiatan_id, Evidence.quarter == quarter)
                             .order_by(Evidence.uploaded_at)).all())
