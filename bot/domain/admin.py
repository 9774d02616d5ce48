"""The admin's changes to a running plan: targets, plan uploads, item history. No Telegram here.

Period locks are bot.domain.locks; people, pauses and admin rights are bot.domain.people.

Every function works in the caller's unit of work (`services.db`), re-validates every id it is
given (buttons can be old or forged), and audits what it changes: who, when, old → new, and the
reason where one is asked for. Refusals are AdminError with a `code` that picks the Indonesian
message in templates/<lang>/admin_error.j2 and the details that fill it in.

Plan uploads: the chat keeps only the Telegram file id of a pending upload (JSON in user_data,
so the persistent conversation survives a restart); applying downloads the same file again,
checks it is byte for byte the one previewed (SHA-256), parses it again and stores it with the
importer's merge rules in one transaction. Nothing is written to disk and nothing is left over.
"""

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.domain.agencies import find_agency
from bot.domain.agencies import same_agency_name
from bot.domain.audit import record
from bot.domain.locks import kegiatan_locked
from bot.domain.numbers import DECIMAL_LIMIT
from bot.domain.numbers import DECIMAL_PLACES
from bot.domain.numbers import LARGEST_DECIMAL
from bot.domain.numbers import Target
from bot.domain.numbers import fits_decimal_column
from bot.domain.numbers import parse_target
from bot.domain.obligations import as_utc
from bot.domain.people import Refused
from bot.domain.people import messageable
from bot.domain.plan_import.modes import mode_counts
from bot.domain.plan_import.parser import MAX_PLAN_BYTES
from bot.domain.plan_import.parser import ParsedPlan
from bot.domain.plan_import.parser import parse_plan_bytes
from bot.domain.plan_import.store import MergeResult
from bot.domain.plan_import.store import save_plan
from bot.domain.scoring import TargetIn
from bot.domain.target_effect import AsOf
from bot.domain.target_effect import TargetEffect
from bot.domain.target_effect import aksi_effect
from bot.domain.target_effect import indicator_effect
from bot.text.render import message
from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import AuditLog
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import PicAssignment
from models import Plan

__all__ = [
    "AdminError", "HistoryEntry", "MAX_UPLOAD_BYTES", "Recipient", "TargetChange",
    "UploadPreview", "apply_upload", "change_aksi_target", "change_indicator_target",
    "check_aksi_target", "check_indicator_target", "checked_reason", "new_target", "item_history", "item_title",
    "plan_exists", "preview_upload", "recipients_of", "target_cells",
]

MAX_UPLOAD_BYTES = MAX_PLAN_BYTES  # the importer's limit on a plan file (bot.domain.plan_import.parser)
MAX_REASON = 500
_DASHES = ("-", "–", "—", "−")


class AdminError(Refused):
    """An admin action that is refused (bot.domain.people.Refused: `code` and `detail`)."""


@dataclass(frozen=True)
class Recipient:
    """A PIC to tell about a change, with the affected kegiatan they hold."""

    person_id: int
    telegram_user_id: int
    name: str
    kegiatan: tuple[str, ...]


def _who(actor_person_id: int | None, actor_telegram_id: int | None, actor_label: str, now: datetime | None):
    return {"actor_person_id": actor_person_id, "actor_telegram_id": actor_telegram_id, "actor_label": actor_label,
            "at": now}


def recipients_of(kegiatan_ids, *, session: Session) -> list[Recipient]:
    """The PICs of these kegiatan who can be messaged (bot.domain.people.messageable), with their kegiatan names."""
    ids = sorted(set(kegiatan_ids))
    held: dict[int, list[str]] = defaultdict(list)
    people: dict[int, Person] = {}
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(Person, Kegiatan).join(PicAssignment, PicAssignment.person_id == Person.id)
            .join(Kegiatan, Kegiatan.id == PicAssignment.kegiatan_id)
            .where(PicAssignment.kegiatan_id.in_(ids[start:start + 500]), messageable())
            .order_by(Person.name, Kegiatan.seq)
        ).all()
        for person, kegiatan in rows:
            people[person.id] = person
            held[person.id].append(kegiatan.name)
    return [Recipient(p.id, p.telegram_user_id, p.name, tuple(held[p.id]))
            for p in sorted(people.values(), key=lambda p: p.name)]


# -- targets ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetChange:
    """One target before and after, where it sits, and who is told."""

    kind: str  # aksi / indikator
    item_id: int
    kegiatan_id: int
    kegiatan_name: str
    label: str  # `2. Pendataan peserta` or the indicator text
    quarter: int | None  # None: an indicator's annual target
    year: int
    old_raw: str
    new_raw: str
    recipients: tuple[Recipient, ...] = ()
    effect: TargetEffect | None = None  # re-scored and checked (bot.domain.target_effect), when `as_of` was given


@dataclass(frozen=True)
class _NewTarget:
    raw: str
    value: Decimal | None
    unit: str
    kind: str


def _empty(kind: str) -> bool:
    return kind not in ("percent", "count")


def new_target(raw: str, *, old_kind: str, old_unit: str, limit: int) -> _NewTarget:
    """Parse a typed target. Its unit may differ from the current one (`1` → `100%`, `100%` → `1`): the
    change then says so, and what was reported is re-scored (bot.domain.target_effect). A bare number
    typed for a count keeps the count's unit (`35` for `30 Orang` is 35 Orang)."""
    text = " ".join((raw or "").split())
    if len(text) > limit:
        raise AdminError("too_long", limit=limit)
    target: Target = parse_target(text)
    if target.kind == "none":
        return _NewTarget(text if text in _DASHES else "", None, "", "none")
    if target.kind == "text":
        raise AdminError("not_a_number", raw=text)
    if text.startswith(_DASHES):
        raise AdminError("negative", raw=text)
    value, unit = target.parts[0]
    if value >= DECIMAL_LIMIT:
        raise AdminError("too_big", raw=text, largest=LARGEST_DECIMAL)
    if not fits_decimal_column(value):
        raise AdminError("too_many_decimals", raw=text, places=DECIMAL_PLACES)
    if target.kind == "percent" and value > 100:
        raise AdminError("percent_over_100", raw=text, value=value)
    if target.kind == "count" and old_kind == "count" and not unit:
        unit = old_unit
    if len(target.parts) > 1 and target.kind != "percent":
        value = None  # several counts in one cell (`a. 45 orang b. 40 orang`): no single value to score
    return _NewTarget(text, value, unit[:100], target.kind)


def _realised(session: Session, model, column, item_id: int, quarter: int | None) -> bool:
    query = select(model.id).where(column == item_id)
    if quarter is not None:
        query = query.where(model.quarter == quarter)
    return session.exec(query.limit(1)).first() is not None


def checked_reason(reason: str) -> str:
    """The reason an admin gives for a change, spaces collapsed and cut to MAX_REASON; refused when empty."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise AdminError("reason_required")
    return reason[:MAX_REASON]


def _aksi_target(aksi_id: int, quarter: int, *, session: Session, lock: bool = False):
    aksi = session.get(Aksi, aksi_id)
    if aksi is None or quarter not in (1, 2, 3, 4):
        raise AdminError("unknown_item")
    kegiatan = session.get(Kegiatan, aksi.kegiatan_id)
    plan = session.get(Plan, kegiatan.plan_id)
    if kegiatan_locked(plan.id, kegiatan.id, quarter, session=session):
        raise AdminError("locked", quarter=quarter, year=plan.year, kegiatan=kegiatan.name)
    query = select(AksiTarget).where(AksiTarget.aksi_id == aksi_id, AksiTarget.quarter == quarter)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return aksi, kegiatan, plan, session.exec(query).first()


def _aksi_change(aksi_id: int, quarter: int, raw: str, *, session: Session, lock: bool = False,
                 as_of: AsOf | None = None):
    aksi, kegiatan, plan, target = _aksi_target(aksi_id, quarter, session=session, lock=lock)
    old_raw, old_kind, old_unit = (target.raw, target.kind, target.unit) if target else ("", "none", "")
    new = new_target(raw, old_kind=old_kind, old_unit=old_unit, limit=AksiTarget.__table__.c.raw.type.length)
    if new.raw == old_raw:
        raise AdminError("unchanged", raw=old_raw)
    if new.kind == "none" and _realised(session, AksiRealisation, AksiRealisation.aksi_id, aksi.id, quarter):
        raise AdminError("has_realisation", quarter=quarter)
    effect = None if as_of is None else aksi_effect(
        plan.id, aksi.id, quarter, TargetIn(new.raw, new.value, new.unit, new.kind), session=session, as_of=as_of)
    change = TargetChange("aksi", aksi.id, kegiatan.id, kegiatan.name, f"{aksi.no}. {aksi.name}", quarter, plan.year,
                          old_raw, new.raw, effect=effect)
    return change, target, new


def check_aksi_target(aksi_id: int, quarter: int, raw: str, *, session: Session,
                      as_of: AsOf | None = None) -> TargetChange:
    """What changing this aksi's quarterly target to `raw` would do (with `as_of`: re-scored and checked,
    bot.domain.target_effect); AdminError when it may not."""
    change, _target, _new = _aksi_change(aksi_id, quarter, raw, session=session, as_of=as_of)
    return _with_recipients(change, session)


def change_aksi_target(aksi_id: int, quarter: int, raw: str, *, session: Session, reason: str,
                       expected_old: str | None = None, actor_person_id: int | None = None,
                       actor_telegram_id: int | None = None, actor_label: str = "",
                       now: datetime | None = None, as_of: AsOf | None = None) -> TargetChange:
    """Set one quarter's target of one aksi, its unit too (audited with the reason); returns whom to tell
    and, with `as_of`, the effect worked out before the change (old and new achievement).

    `expected_old` is the value the admin saw: if someone changed it meanwhile, the change is refused.
    """
    reason = checked_reason(reason)
    change, target, new = _aksi_change(aksi_id, quarter, raw, session=session, lock=True, as_of=as_of)
    if expected_old is not None and change.old_raw != expected_old:
        raise AdminError("stale", raw=change.old_raw)
    if target is None:
        target = AksiTarget(aksi_id=aksi_id, quarter=quarter)
        session.add(target)
    target.raw, target.value, target.unit, target.kind = new.raw, new.value, new.unit, new.kind
    session.flush()
    record(session, action="target.update", entity="aksi_target", entity_id=target.id, field="raw",
           old_value=change.old_raw, new_value=new.raw, reason=reason,
           **_who(actor_person_id, actor_telegram_id, actor_label, now))
    return _with_recipients(change, session)


def target_cells(kind: str, item_id: int, *, session: Session) -> dict | None:
    """An aksi's four quarterly targets (with lock state) or an indicator's annual target, for the picker."""
    if kind == "aksi":
        aksi = session.get(Aksi, item_id)
        if aksi is None:
            return None
        kegiatan = session.get(Kegiatan, aksi.kegiatan_id)
        stored = {t.quarter: t for t in session.exec(select(AksiTarget).where(AksiTarget.aksi_id == item_id)).all()}
        cells = [{"quarter": q, "raw": stored[q].raw if q in stored else "",
                  "kind": stored[q].kind if q in stored else "none", "unit": stored[q].unit if q in stored else "",
                  "locked": kegiatan_locked(kegiatan.plan_id, kegiatan.id, q, session=session)} for q in (1, 2, 3, 4)]
        label, indicator = f"{aksi.no}. {aksi.name}", aksi.indicator
    elif kind == "indikator":
        row = session.get(KegiatanIndicator, item_id)
        if row is None:
            return None
        kegiatan = session.get(Kegiatan, row.kegiatan_id)
        target = parse_target(row.target_raw)
        cells = [{"quarter": None, "raw": row.target_raw, "kind": target.kind, "unit": target.unit, "locked": False}]
        label, indicator = row.text, ""
    else:
        return None
    return {"kind": kind, "id": item_id, "kegiatan_id": kegiatan.id, "plan_id": kegiatan.plan_id,
            "year": session.get(Plan, kegiatan.plan_id).year,
            "kegiatan": kegiatan.name, "label": label, "indicator": indicator, "cells": cells}


def _with_recipients(change: TargetChange, session: Session) -> TargetChange:
    return TargetChange(**{**change.__dict__, "recipients": tuple(recipients_of([change.kegiatan_id],
                                                                                session=session))})


def _indicator_change(indicator_id: int, raw: str, *, session: Session, as_of: AsOf | None = None):
    indicator = session.get(KegiatanIndicator, indicator_id)
    if indicator is None:
        raise AdminError("unknown_item")
    kegiatan = session.get(Kegiatan, indicator.kegiatan_id)
    plan = session.get(Plan, kegiatan.plan_id)
    old = parse_target(indicator.target_raw)
    new = new_target(raw, old_kind=old.kind, old_unit=old.unit,
                      limit=KegiatanIndicator.__table__.c.target_raw.type.length)
    if new.raw == indicator.target_raw:
        raise AdminError("unchanged", raw=indicator.target_raw)
    if new.kind == "none" and _realised(session, IndicatorRealisation, IndicatorRealisation.indicator_id,
                                        indicator.id, None):
        raise AdminError("has_realisation", quarter=None)
    effect = None if as_of is None else indicator_effect(
        plan.id, indicator.id, TargetIn(new.raw, new.value, new.unit, new.kind), session=session, as_of=as_of)
    change = TargetChange("indikator", indicator.id, kegiatan.id, kegiatan.name, indicator.text, None, plan.year,
                          indicator.target_raw, new.raw, effect=effect)
    return change, indicator, new


def check_indicator_target(indicator_id: int, raw: str, *, session: Session,
                           as_of: AsOf | None = None) -> TargetChange:
    """What changing a kegiatan indicator's annual target to `raw` would do; AdminError when it may not."""
    change, _indicator, _new = _indicator_change(indicator_id, raw, session=session, as_of=as_of)
    return _with_recipients(change, session)


def change_indicator_target(indicator_id: int, raw: str, *, session: Session, reason: str,
                            expected_old: str | None = None, actor_person_id: int | None = None,
                            actor_telegram_id: int | None = None, actor_label: str = "",
                            now: datetime | None = None, as_of: AsOf | None = None) -> TargetChange:
    """Set a kegiatan indicator's annual target, its unit too (audited with the reason); returns whom to tell."""
    reason = checked_reason(reason)
    change, indicator, new = _indicator_change(indicator_id, raw, session=session, as_of=as_of)
    if expected_old is not None and change.old_raw != expected_old:
        raise AdminError("stale", raw=change.old_raw)
    indicator.target_raw, indicator.target_value, indicator.target_unit = new.raw, new.value, new.unit
    session.flush()
    record(session, action="target.update", entity="kegiatan_indicator", entity_id=indicator.id, field="target_raw",
           old_value=change.old_raw, new_value=new.raw, reason=reason,
           **_who(actor_person_id, actor_telegram_id, actor_label, now))
    return _with_recipients(change, session)


# -- history ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryEntry:
    """One audited change as /riwayat shows it: numbers as Decimal, people by name, the quarter resolved."""

    at: datetime
    actor: str
    action: str
    entity: str
    field: str
    old: object
    new: object
    reason: str
    quarter: int | None


def item_title(entity: str, item_id: int, *, session: Session) -> dict | None:
    """Kegiatan name, item label and plan of an aksi, indicator or kegiatan; None when it does not exist."""
    label = ""
    if entity == "aksi":
        row = session.get(Aksi, item_id)
        kegiatan_id = row.kegiatan_id if row else None
        label = f"{row.no}. {row.name}" if row else ""
    elif entity == "indikator":
        row = session.get(KegiatanIndicator, item_id)
        kegiatan_id = row.kegiatan_id if row else None
        label = row.text if row else ""
    else:
        kegiatan_id = item_id if entity == "kegiatan" else None
    kegiatan = session.get(Kegiatan, kegiatan_id) if kegiatan_id is not None else None
    if kegiatan is None:
        return None
    return {"kegiatan": kegiatan.name, "label": label, "plan_id": kegiatan.plan_id}


_QUARTER_OF = {"aksi_target": AksiTarget, "aksi_realisation": AksiRealisation,
               "indicator_realisation": IndicatorRealisation, "kegiatan_realisation": KegiatanRealisation}
_NUMERIC = re.compile(r"-?\d+(\.\d+)?")


def _shown(value: str | None, action: str):
    if value is not None and action.startswith("report.") and _NUMERIC.fullmatch(value):
        return Decimal(value).normalize() + 0  # `50.0000` → 50
    return value


def _entries(rows: list[AuditLog], session: Session) -> list[HistoryEntry]:
    quarters: dict[tuple[str, int], int] = {}
    for entity, model in _QUARTER_OF.items():
        ids = {r.entity_id for r in rows if r.entity == entity and r.entity_id is not None}
        if ids:
            quarters.update({(entity, i): q for i, q in session.exec(select(model.id, model.quarter)
                                                                     .where(model.id.in_(ids))).all()})
    people_ids = {int(v) for r in rows if r.action.startswith("pic.") for v in (r.old_value, r.new_value)
                  if v and v.isdigit()}
    names = dict(session.exec(select(Person.id, Person.name).where(Person.id.in_(people_ids))).all()) \
        if people_ids else {}

    def person(value):
        return names.get(int(value), value) if value and value.isdigit() else value

    out = []
    for r in rows:
        quarter = quarters.get((r.entity, r.entity_id))
        if quarter is None and re.fullmatch(r"tw[1-4]", r.field or ""):
            quarter = int(r.field[2])
        old, new = _shown(r.old_value, r.action), _shown(r.new_value, r.action)
        if r.action.startswith("pic."):
            old, new = person(old), person(new)
        out.append(HistoryEntry(as_utc(r.at), r.actor_label or "-", r.action, r.entity, r.field, old, new, r.reason,
                                quarter))
    return out


def item_history(entity: str, item_id: int, *, session: Session, limit: int | None = None) -> list[HistoryEntry]:
    """Every audited change of an item, oldest first (the newest `limit` when given).

    aksi: the aksi itself, its quarterly targets and its realisations; indikator: the indicator and
    its realisations; kegiatan: the kegiatan (PICs, merges), its budget/narrative reports and its
    period locks, plus the plan-wide locks; person: the person's record.
    """
    a = AuditLog
    if entity == "aksi":
        targets = select(AksiTarget.id).where(AksiTarget.aksi_id == item_id)
        condition = sa.or_(sa.and_(a.entity == "aksi", a.entity_id == item_id),
                           sa.and_(a.entity == "aksi_target", a.entity_id.in_(targets)),
                           sa.and_(a.entity == "aksi_realisation", a.field == f"aksi:{item_id}"))
    elif entity == "indikator":
        condition = sa.or_(sa.and_(a.entity == "kegiatan_indicator", a.entity_id == item_id),
                           sa.and_(a.entity == "indicator_realisation", a.field == f"indikator:{item_id}"))
    elif entity == "kegiatan":
        kegiatan = session.get(Kegiatan, item_id)
        plan_id = kegiatan.plan_id if kegiatan else -1
        reports = select(KegiatanRealisation.id).where(KegiatanRealisation.kegiatan_id == item_id)
        condition = sa.or_(sa.and_(a.entity == "kegiatan", a.entity_id == item_id),
                           sa.and_(a.entity == "kegiatan_realisation", a.entity_id.in_(reports)),
                           sa.and_(a.entity == "plan", a.entity_id == plan_id, a.action.like("period.%")))
    elif entity == "person":
        condition = sa.and_(a.entity == "person", a.entity_id == item_id)
    else:
        raise AdminError("unknown_item")
    query = select(a).where(condition).order_by(a.at.desc(), a.id.desc())
    if limit:
        query = query.limit(limit)
    return _entries(list(reversed(session.exec(query).all())), session)


# -- plan upload --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UploadPreview:
    """What an uploaded plan holds, before it is applied."""

    source_name: str
    sha256: str
    agency: str
    year: int
    kegiatan_count: int
    aksi_count: int
    indicator_count: int
    budget_total: int
    anomalies: list[tuple[int, str]]  # (line, why) worded in the admin's language: the first ones kept
    anomaly_count: int = 0  # all of them
    sheet: str = ""  # the worksheet read, for a workbook
    sheet_hidden: bool = False
    modes: dict[str, int] = field(default_factory=dict)  # how many items are measured each way (ModeCounts)
    kas_given: bool = False  # some kegiatan table has anggaran kas columns (bot.domain.budget_plan)
    kas_count: int = 0  # kegiatan with an anggaran kas in the file, and its total
    kas_total: int = 0


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse_upload(data: bytes, source_name: str, sheet: str | None) -> ParsedPlan:
    if len(data) > MAX_UPLOAD_BYTES:
        raise AdminError("file_too_big", limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    parsed = parse_plan_bytes(data, source_name, sheet=sheet)  # PlanFormatError names the line
    if not parsed.agency or not parsed.year:
        raise AdminError("no_title", agency=parsed.agency or "", year=parsed.year or 0)
    return parsed


def preview_upload(data: bytes, source_name: str, lang: str = "id", *, sheet: str | None = None) -> UploadPreview:
    """Parse an uploaded plan file (CPU only, no database): counts, budget and anomalies by line, in `lang`.

    PlanFormatError `ambiguous_sheet` (its `sheets` in params) when several worksheets hold a plan
    and `sheet` does not name one.
    """
    parsed = _parse_upload(data, source_name, sheet)
    return UploadPreview(
        source_name=source_name, sha256=sha256(data), agency=parsed.agency, year=parsed.year,
        kegiatan_count=len(parsed.kegiatan), aksi_count=parsed.aksi_count, indicator_count=parsed.indicator_count,
        budget_total=parsed.budget_total, anomalies=[(x.line, message(x, lang)) for x in parsed.anomalies],
        anomaly_count=parsed.anomaly_count, sheet=parsed.sheet, sheet_hidden=parsed.sheet_hidden,
        modes=mode_counts(parsed).as_dict(), kas_given=any(k.budget_plan_given for k in parsed.kegiatan),
        kas_count=parsed.budget_plan_count, kas_total=parsed.budget_plan_total,
    )


def upload_agency(file_agency: str, agency_id: int | None, *, session: Session) -> Agency | None:
    """The agency a plan file is stored in: the one the admin acts in (`agency_id`) when the file's title names
    it (bot.domain.agencies `same_agency_name`: «BKD» or «Badan Kepegawaian Daerah» for «BADAN KEPEGAWAIAN
    DAERAH KABUPATEN GRESIK»), whatever the title's spelling; None without an agency (the title decides, as
    before agencies). AdminError `other_agency` when the title names another agency: an admin of one OPD
    never stores, nor creates, another's plan."""
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency is not None:
        _names(file_agency, agency.name)
    return agency


def _names(file_agency: str | None, agency: str) -> None:
    if file_agency and not same_agency_name(file_agency, agency):
        raise AdminError("other_agency", file_agency=file_agency, agency=agency)


def import_agency(ref: str, file_agency: str | None, *, session: Session) -> Agency | None:
    """`rapk import --agency REF`: the stored agency REF names (bot.domain.agencies `find_agency`), when the
    file's title names it as `upload_agency` does; None when no agency is REF (it becomes the name of a new
    one, as before agencies), also only when the title names it. AdminError `other_agency` otherwise."""
    agency = find_agency(ref, session=session)
    _names(file_agency, agency.name if agency else ref)
    return agency


def upload_destination(file_agency: str, year: int, agency_id: int | None, *, session: Session) -> tuple[str, bool]:
    """The agency a previewed plan file goes to (`upload_agency`: the acting one, else the title's) and whether
    that agency's plan of `year` is stored already (the upload then merges into it)."""
    agency = upload_agency(file_agency, agency_id, session=session)
    name = agency.name if agency else file_agency
    return name, plan_exists(name, year, session=session)


def plan_exists(agency: str, year: int, *, session: Session) -> bool:
    """Is a plan of this agency and year already stored (an upload then merges into it)?"""
    return session.exec(
        select(Plan.id).join(Agency, Agency.id == Plan.agency_id)
        .where(sa.func.lower(Agency.name) == agency.lower(), Plan.year == year)
    ).first() is not None


def apply_upload(data: bytes, source_name: str, *, session: Session, expected_sha256: str, sheet: str | None = None,
                 force: bool = False, agency_id: int | None = None, actor_person_id: int | None = None,
                 actor_telegram_id: int | None = None, actor_label: str = "") -> MergeResult:
    """Store the previewed file (its `sheet`) with the importer's merge rules, in the caller's one transaction,
    into the agency the admin acts in (`agency_id`, checked again by `upload_agency`).

    Raises AdminError("file_changed") if the bytes are not those previewed, AdminError("other_agency"), PlanFormatError
    for a broken file and PlanStoreError (MergeRefused among them, unless `force`) when the merge may not be done.
    """
    if sha256(data) != expected_sha256:
        raise AdminError("file_changed")
    parsed = _parse_upload(data, source_name, sheet)
    agency = upload_agency(parsed.agency, agency_id, session=session)
    return save_plan(parsed, session=session, force=force, agency_id=agency.id if agency else None,
                     actor_label=actor_label, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id)
