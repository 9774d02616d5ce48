"""The Mini App's PIC page: every form of the quarter at once, and reading one kegiatan's typed fields.

The rules are /lapor's, not a second copy: the forms are `bot.domain.reporting.load_form` of what
`bot.domain.obligations.due_for_person` says is due; a typed value is read by `bot.domain.numbers`
(`parse_realised`, `parse_money`) and refused with the same `number_messages` wording; saving is
`bot.domain.reporting.save_report` (one transaction, audited, idempotent) by the caller.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session

from bot.config import Settings
from bot.domain import numbers
from bot.domain.obligations import due_for_person
from bot.domain.people import is_pic_of
from bot.domain.period import quarter_served_for
from bot.domain.period import served_period
from bot.domain.reporting import NOTE_LIMIT
from bot.domain.reporting import ReportError
from bot.domain.reporting import ReportForm
from bot.domain.reporting import Submission
from bot.domain.reporting import load_form
from bot.domain.reporting import save_report
from models import Kegiatan

NOTES = ("kendala", "tindak_lanjut", "pendorong")


class FieldProblem(NamedTuple):
    """A refusal that is not a number's: worded by templates/<lang>/webapp_messages.j2."""

    code: str
    params: dict
    template: str = "webapp_messages"


@dataclass
class PicPage:
    year: int
    quarter: int
    forms: list[ReportForm]


def pic_page(person_id: int, *, session: Session, settings: Settings, now: datetime) -> PicPage | None:
    """The served quarter's forms of every kegiatan the person is PIC of (None: no plan served)."""
    period = served_period(session=session, settings=settings, now=now)
    if period is None:
        return None
    due = due_for_person(person_id, period.plan.id, period.quarter, session=session)
    return PicPage(period.plan.year, period.quarter,
                   [load_form(d.kegiatan_id, period.quarter, session=session) for d in due])


def read_fields(form: ReportForm, fields: dict) -> tuple[Submission, dict[str, object]]:
    """The submission the typed fields make, and the problems by field name (none: it may be saved).

    Names: `a<aksi id>`, `i<indicator id>`, `budget`, `kendala`, `tindak_lanjut`, `pendorong`. An empty
    field leaves its item as it is; a field the form does not have is a problem (a forged request).
    """
    sub = Submission(kegiatan_id=form.kegiatan_id, quarter=form.quarter)
    problems: dict[str, object] = {}
    aksi = {f"a{a.aksi_id}": a.aksi_id for a in form.aksi}
    indicators = {f"i{i.indicator_id}": i.indicator_id for i in form.indicators}
    # `45 orang` is read as in chat: with the item's own unit.
    units = {**{f"a{a.aksi_id}": a.answer_unit for a in form.aksi}, **{f"i{i.indicator_id}": i.unit for i in form.indicators}}
    for name, raw in fields.items():
        text = raw if isinstance(raw, str) else None
        if text is None:
            problems[name] = FieldProblem("unknown_field", {})
        elif name in NOTES:
            if len(text.strip()) > NOTE_LIMIT:
                problems[name] = FieldProblem("note_too_long", {"limit": NOTE_LIMIT})
            elif text.strip():
                setattr(sub, name, text.strip())
        elif not text.strip():
            continue
        elif name in aksi or name in indicators:
            try:
                realised = numbers.parse_realised(text, units[name])
            except numbers.NumberFormatError as exc:
                problems[name] = exc
                continue
            target = sub.aksi_values if name in aksi else sub.indicator_values
            target[aksi.get(name) or indicators[name]] = (realised.value, realised.raw)
        elif name == "budget":
            try:
                sub.budget_realised = numbers.parse_money(text)
            except numbers.NumberFormatError as exc:
                problems[name] = exc
        else:
            problems[name] = FieldProblem("unknown_field", {})
    return sub, problems


@dataclass
class Saved:
    """What a Simpan from the page did: the form as stored now (None when refused), the problems by field."""

    form: ReportForm | None
    problems: dict[str, object]
    changed: int = 0
    late: bool = False


def save_fields(kegiatan_id: int, quarter: int, fields: dict, *, session: Session, settings: Settings,
                person_id: int, actor_label: str, now: datetime, calendar) -> Saved:
    """One kegiatan's Simpan: refused (ReportError) unless the person is its PIC and `quarter` is the one
    served; a problem in any field saves nothing; else `save_report` in this transaction."""
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None or not is_pic_of(person_id, kegiatan_id, session=session):
        raise ReportError("not_pic")  # the same answer for a kegiatan that is not there: nothing to learn
    if quarter != quarter_served_for(kegiatan.plan_id, session=session, settings=settings, now=now):
        raise ReportError("stale_quarter")
    form = load_form(kegiatan_id, quarter, session=session)
    if form.locked:
        raise ReportError("locked")
    sub, problems = read_fields(form, fields)
    if problems:
        return Saved(None, problems)
    late = calendar.is_late(form.year, quarter, now)
    result = save_report(sub, session=session, person_id=person_id, actor_label=actor_label, now=now, late=late)
    return Saved(load_form(kegiatan_id, quarter, session=session), {}, len(result.changed), late)
