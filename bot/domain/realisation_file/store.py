"""Check a read realisation file against the plan and its reporter, and store it as /lapor stores a report.

Every value is parsed as /lapor parses a typed answer (bot.domain.numbers: parse_realised, and
parse_money for the budget), must be an item on the kegiatan's form for the quarter
(bot.domain.reporting.load_form: the due aksi, the kegiatan's indicators, the budget and the
narrative), and is saved as the reporter's through bot.domain.reporting.save_report, which checks
again that they are its PIC, that the quarter is not locked and that every value fits, and audits
each change. The whole file is one unit of work in the caller's transaction: with any problem,
RealisationRefused is raised before anything is written, and a refusal by save_report rolls back
what was written before it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from sqlmodel import select

from bot.config import Settings
from bot.domain import people
from bot.domain.audit import record
from bot.domain.calendar import ReportingCalendar
from bot.domain.locks import quarter_locked
from bot.domain.numbers import NumberFormatError
from bot.domain.numbers import parse_money
from bot.domain.numbers import parse_realised
from bot.domain.outcomes import OutcomeSubmission
from bot.domain.outcomes import save_outcome_report
from bot.domain.people import holds_outcome
from bot.domain.people import is_pic_of
from bot.domain.people import match_person
from bot.domain.period import OutcomeItem
from bot.domain.period import plan_outcomes
from bot.domain.period import quarter_served_for
from bot.domain.period import served_plan
from bot.domain.plan_import.parser import name_key
from bot.domain.realisation_file.reader import AKSI
from bot.domain.realisation_file.reader import BUDGET
from bot.domain.realisation_file.reader import IKU
from bot.domain.realisation_file.reader import INDICATOR
from bot.domain.realisation_file.reader import KEGIATAN_KINDS
from bot.domain.realisation_file.reader import KENDALA
from bot.domain.realisation_file.reader import PENDORONG
from bot.domain.realisation_file.reader import PROGRAM_INDICATOR
from bot.domain.realisation_file.reader import Entry
from bot.domain.realisation_file.reader import Problem
from bot.domain.realisation_file.reader import RealisationFile
from bot.domain.realisation_file.reader import Where
from bot.domain.reporting import NOTE_LIMIT
from bot.domain.reporting import ReportError
from bot.domain.reporting import ReportForm
from bot.domain.reporting import Submission
from bot.domain.reporting import load_form
from bot.domain.reporting import save_report
from models import Aksi
from models import GoalIndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import Person
from models import Plan
from models import ProgramIndicatorRealisation

NEW, CHANGED, SAME = "new", "changed", "same"


class RealisationRefused(Exception):
    """The file may not be stored: every problem found, each at its place. Nothing was stored."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class Change:
    """One value of the file against what is stored: None when nothing is stored yet."""

    where: Where
    kind: str
    kegiatan_seq: int | None
    ref: str
    label: str  # the aksi or indicator as the plan names it; the kegiatan's name for budget and narrative
    old: str | int | None  # rupiah for the budget, the value as typed otherwise
    new: str | int
    status: str  # NEW / CHANGED / SAME (save_report leaves it as it is)
    order: int = 0  # the entry's place in the file


@dataclass
class Checked:
    """What storing the file would do, or why it may not be stored (`problems`)."""

    file_name: str
    quarter: int | None
    year: int
    plan_id: int
    person_id: int | None = None
    person_name: str = ""
    late: bool = False
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    submissions: list[tuple[Where, Submission]] = field(default_factory=list)
    outcomes: tuple[Where, OutcomeSubmission] | None = None  # the IKU and program indicator values, if any

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.changes)
        return {status: counted[status] for status in (NEW, CHANGED, SAME)}

    def problem(self, where: Where, code: str = "", cause: Exception | None = None, *, order: int = -1,
                **params) -> None:
        self.problems.append(Problem(where, code, cause, order=order, **params))


def check_file(file: RealisationFile, *, session: Session, plan: Plan, quarter: int | None, by: str | None,
               settings: Settings, now: datetime) -> Checked:
    """Everything storing `file` into `plan` would change, as the reporter `by` (else the file's own),
    for `quarter` (else the file's own); writes nothing."""
    checked = Checked(file_name=file.name, quarter=quarter or file.quarter, year=plan.year, plan_id=plan.id,
                      problems=list(file.problems))
    if quarter and file.quarter and file.quarter != quarter:
        checked.problem(file.meta.get("quarter", Where()), "quarter_mismatch", file=file.quarter, asked=quarter)
    if checked.quarter is None:
        checked.problem(file.meta.get("quarter", Where()), "no_quarter")
        return checked
    if file.year and file.year != plan.year:
        checked.problem(file.meta.get("year", Where()), "year_mismatch", file=file.year, plan=plan.year)
    served = quarter_served_for(plan.id, session=session, settings=settings, now=now)
    if checked.quarter > served:
        checked.problem(file.meta.get("quarter", Where()), "future_quarter", quarter=checked.quarter, served=served)
        return checked
    person = _reporter(checked, file, by, plan, session)
    if person is not None:
        checked.person_id, checked.person_name = person.id, person.name
    checked.late = ReportingCalendar.from_settings(settings).is_late(plan.year, checked.quarter, now)
    kegiatan_entries = [e for e in file.entries if e.kind in KEGIATAN_KINDS]
    _KegiatanCheck(checked, session, plan, person).run(kegiatan_entries)
    _OutcomeCheck(checked, session, plan, person).run([e for e in file.entries if e.kind not in KEGIATAN_KINDS])
    if checked.problems:
        checked.submissions, checked.outcomes = [], None
    if not file.entries and not checked.problems:
        checked.problem(Where(), "nothing_filled")
    checked.problems.sort(key=lambda p: p.order)  # in file order, whatever found them
    checked.changes.sort(key=lambda c: c.order)
    return checked


def _reporter(checked: Checked, file: RealisationFile, by: str | None, plan: Plan, session: Session) -> Person | None:
    """The person every value is stored as: `by` (the CLI's --by), else the file's «Pelapor» / "by"."""
    where = file.meta.get("by", Where())
    given = _match(checked, by, Where(), plan, session) if by else None
    if by and file.by and given is not None:
        named = match_person(file.by, session=session, agency_id=plan.agency_id).person
        if named is None or named.id != given.id:
            checked.problem(where, "person_mismatch", file=file.by, given=given.name)
    if by:
        return given
    if not file.by:
        checked.problem(where, "no_person")
        return None
    return _match(checked, file.by, where, plan, session)


def _match(checked: Checked, ref: str, where: Where, plan: Plan, session: Session) -> Person | None:
    """One person by `ref` as `rapk assign` reads a name (bot.domain.people.match_person); never a new one."""
    match = match_person(ref, session=session, agency_id=plan.agency_id)
    if match.person is None and match.choices:
        checked.problem(where, "person_ambiguous", ref=ref, count=len(match.choices),
                        names=[f"{p.name} (#{p.id})" for p in match.choices[:5]])
    elif match.person is None:
        checked.problem(where, "person_not_found", ref=ref)
    return match.person


class _KegiatanCheck:
    """The kegiatan entries: each an item of its kegiatan's form, parsed as /lapor parses it, given once;
    a kegiatan its reporter is no PIC of, or locked, refused once, at its first entry."""

    def __init__(self, checked: Checked, session: Session, plan: Plan, person: Person | None):
        self.checked, self.session, self.plan, self.person = checked, session, plan, person
        self.kegiatan = {k.seq: k for k in session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan.id))}
        self.forms: dict[int, ReportForm] = {}
        self.seen: dict[tuple, Where] = {}
        self.subs: dict[int, tuple[Where, Submission]] = {}

    def refuse(self, entry: Entry, code: str = "", cause: Exception | None = None, **params) -> None:
        self.checked.problem(entry.where, code, cause, order=entry.order, **params)

    def run(self, entries: list[Entry]) -> None:
        per_kegiatan = Counter(e.kegiatan for e in entries if e.kind in KEGIATAN_KINDS)
        for entry in entries:
            kegiatan = self.kegiatan.get(entry.kegiatan)
            if kegiatan is None:
                self.refuse(entry, "unknown_kegiatan", seq=entry.kegiatan)
                continue
            if entry.kegiatan_name and name_key(entry.kegiatan_name) != name_key(kegiatan.name):
                self.refuse(entry, "kegiatan_name_differs", seq=kegiatan.seq, plan_name=kegiatan.name,
                                     file_name=entry.kegiatan_name)
                continue
            form = self._form(kegiatan, entry, per_kegiatan[entry.kegiatan])
            self._entry(entry, kegiatan, form)
        self.checked.submissions = list(self.subs.values())

    def _form(self, kegiatan: Kegiatan, first: Entry, count: int) -> ReportForm:
        """The kegiatan's form for the quarter; at its first entry, whether its values may be stored at all."""
        if kegiatan.id in self.forms:
            return self.forms[kegiatan.id]
        form = self.forms[kegiatan.id] = load_form(kegiatan.id, self.checked.quarter, session=self.session)
        if form.locked:
            self.refuse(first, "locked", seq=kegiatan.seq, name=kegiatan.name, quarter=form.quarter)
        elif self.person is not None and not is_pic_of(self.person.id, kegiatan.id, session=self.session):
            self.refuse(first, "not_pic", person=self.person.name, seq=kegiatan.seq, name=kegiatan.name, count=count)
        self.subs[kegiatan.id] = (first.where, Submission(kegiatan_id=kegiatan.id, quarter=form.quarter))
        return form

    def _entry(self, entry: Entry, kegiatan: Kegiatan, form: ReportForm) -> None:
        key = (entry.kind, kegiatan.id, entry.ref)
        if key in self.seen:
            self.refuse(entry, "duplicate", first=self.seen[key])
            return
        self.seen[key] = entry.where
        sub = self.subs[kegiatan.id][1]
        if entry.kind == AKSI:
            self._numbered(entry, kegiatan, {str(a.no): a for a in form.aksi}, sub.aksi_values,
                           lambda a: a.aksi_id, lambda a: a.name)
        elif entry.kind == INDICATOR:
            self._numbered(entry, kegiatan, self._indicators(form), sub.indicator_values,
                           lambda i: i.indicator_id, lambda i: i.text)
        elif entry.kind == BUDGET:
            try:
                amount = parse_money(entry.raw)
            except NumberFormatError as exc:
                self.refuse(entry, cause=exc)
                return
            sub.budget_realised = amount
            self._change(entry, kegiatan.name, form.budget_realised, amount, same=form.budget_realised == amount)
        else:
            if len(entry.raw) > NOTE_LIMIT:
                self.refuse(entry, "text_too_long", length=len(entry.raw), limit=NOTE_LIMIT)
                return
            setattr(sub, entry.kind, entry.raw)
            stored = {KENDALA: form.kendala, PENDORONG: form.pendorong}.get(entry.kind, form.tindak_lanjut)
            self._change(entry, kegiatan.name, stored or None, entry.raw, same=stored == entry.raw)

    def _numbered(self, entry: Entry, kegiatan: Kegiatan, items: dict, values: dict, item_id, label) -> None:
        """An aksi or indicator of the form by its number, its value parsed as /lapor parses a typed answer."""
        item = items.get(entry.ref)
        if item is None:
            if entry.kind == AKSI and self._aksi_exists(kegiatan.id, int(entry.ref)):
                self.refuse(entry, "aksi_not_due", seq=kegiatan.seq, no=entry.ref,
                                     quarter=self.checked.quarter)
            elif entry.kind == AKSI:
                self.refuse(entry, "unknown_aksi", seq=kegiatan.seq, no=entry.ref)
            else:
                self.refuse(entry, "unknown_indicator", seq=kegiatan.seq, n=entry.ref)
            return
        try:
            realised = parse_realised(entry.raw, item.unit)  # `45 orang` as /lapor takes it
        except NumberFormatError as exc:
            self.refuse(entry, cause=exc)
            return
        values[item_id(item)] = (realised.value, realised.raw)
        old = (item.value_raw or _plain(item.value)) if item.reported else None
        same = item.reported and item.value == realised.value and item.value_raw == realised.raw
        self._change(entry, label(item), old, realised.raw, same=same)

    def _change(self, entry: Entry, label: str, old, new, *, same: bool) -> None:
        status = SAME if same else NEW if old is None else CHANGED
        self.checked.changes.append(Change(entry.where, entry.kind, entry.kegiatan, entry.ref, label, old, new, status,
                                           entry.order))

    def _indicators(self, form: ReportForm) -> dict:
        """The form's indicators by their number in the kegiatan (KegiatanIndicator.seq, `rapk summary`'s `n`)."""
        seqs = dict(self.session.exec(select(KegiatanIndicator.id, KegiatanIndicator.seq)
                                      .where(KegiatanIndicator.kegiatan_id == form.kegiatan_id)).all())
        return {str(seqs[i.indicator_id]): i for i in form.indicators}

    def _aksi_exists(self, kegiatan_id: int, no: int) -> bool:
        query = select(Aksi.id).where(Aksi.kegiatan_id == kegiatan_id, Aksi.no == no)
        return self.session.exec(query).first() is not None


# The reader's item kinds → bot.domain.people's kinds of outcome indicator (OutcomeItem.kind).
OUTCOME_KINDS = {IKU: people.IKU, PROGRAM_INDICATOR: people.PROGRAM_INDICATOR}


def outcome_stored(items: list[OutcomeItem], quarter: int, *, session: Session) -> dict[tuple[str, int], tuple]:
    """{OutcomeItem.key: (value, as typed)} of what is stored for the quarter, in two queries."""
    out = {}
    for kind, model, column in ((people.IKU, GoalIndicatorRealisation, GoalIndicatorRealisation.goal_indicator_id),
                                (people.PROGRAM_INDICATOR, ProgramIndicatorRealisation,
                                 ProgramIndicatorRealisation.program_indicator_id)):
        ids = [i.id for i in items if i.kind == kind]
        if ids:
            for item_id, value, raw in session.exec(select(column, model.value, model.value_raw)
                                                    .where(column.in_(ids), model.quarter == quarter)):
                out[(kind, item_id)] = (value, raw)
    return out


class _OutcomeCheck:
    """The IKU and program indicator entries: each numbered as `rapk summary --json` numbers it
    (bot.domain.period.plan_outcomes), due in the quarter, held by the reporter (bot.domain.people
    holds_outcome), the plan's quarter not locked, parsed as /lapor parses a typed answer, given once."""

    def __init__(self, checked: Checked, session: Session, plan: Plan, person: Person | None):
        self.checked, self.session, self.plan, self.person = checked, session, plan, person

    def run(self, entries: list[Entry]) -> None:
        if not entries:
            return
        quarter = self.checked.quarter
        items = {(i.kind, i.ref): i for i in plan_outcomes(self.plan.id, session=self.session)}
        stored = outcome_stored(list(items.values()), quarter, session=self.session)
        if quarter_locked(self.plan.id, quarter, session=self.session):
            self.checked.problem(entries[0].where, "quarter_locked", order=entries[0].order, quarter=quarter)
        sub = OutcomeSubmission(quarter=quarter)
        seen: dict[tuple[str, int], Where] = {}
        for entry in entries:
            item = items.get((OUTCOME_KINDS[entry.kind], entry.ref))
            problem = self._problem(entry, item, seen)
            if problem:
                self.checked.problem(entry.where, problem[0], order=entry.order, **problem[1])
                continue
            seen[item.key] = entry.where
            try:
                realised = parse_realised(entry.raw, "%" if item.percent else item.unit)
            except NumberFormatError as exc:
                self.checked.problem(entry.where, cause=exc, order=entry.order)
                continue
            values = sub.iku_values if item.kind == people.IKU else sub.program_values
            values[item.id] = (realised.value, realised.raw)
            old = stored.get(item.key)
            shown = (old[1] or _plain(old[0])) if old else None
            same = old is not None and old == (realised.value, realised.raw)
            status = SAME if same else NEW if old is None else CHANGED
            self.checked.changes.append(Change(entry.where, entry.kind, None, entry.ref, item.text, shown,
                                               realised.raw, status, entry.order))
        self.checked.outcomes = (entries[0].where, sub)

    def _problem(self, entry: Entry, item: OutcomeItem | None, seen: dict) -> tuple[str, dict] | None:
        if item is None:
            return ("unknown_iku" if entry.kind == IKU else "unknown_program_indicator"), {"ref": entry.ref}
        if item.key in seen:
            return "duplicate", {"first": seen[item.key]}
        if self.checked.quarter not in item.targets:
            return "outcome_not_due", {"kind": entry.kind, "ref": entry.ref, "quarter": self.checked.quarter}
        ids = {"goal_indicator_id" if item.kind == people.IKU else "program_indicator_id": item.id}
        if self.person is not None and not holds_outcome(self.person.id, session=self.session, **ids):
            return "outcome_not_yours", {"person": self.person.name, "kind": entry.kind, "ref": entry.ref}
        return None


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def store_checked(checked: Checked, *, session: Session, now: datetime, importer: dict) -> None:
    """Save a checked file in the caller's transaction: each kegiatan through save_report (as the
    reporter; the audit label says it came from the file and who imported it), then one
    `realisasi.import` audit row naming the importer."""
    if checked.problems:
        raise RealisationRefused(checked.problems)
    label = f"{checked.person_name} (berkas {checked.file_name}, {importer.get('actor_label') or 'cli'})"[:300]
    for where, sub in checked.submissions:
        try:
            save_report(sub, session=session, person_id=checked.person_id, actor_label=label, now=now,
                        late=checked.late)
        except ReportError as exc:
            raise RealisationRefused([Problem(where, "report_refused", reason=exc.code)]) from None
    if checked.outcomes is not None:
        where, sub = checked.outcomes
        try:
            save_outcome_report(sub, session=session, person_id=checked.person_id, actor_label=label, now=now)
        except ReportError as exc:
            raise RealisationRefused([Problem(where, "report_refused", reason=exc.code)]) from None
    counts = checked.counts
    record(session, action="realisasi.import", entity="plan", entity_id=checked.plan_id, field=f"tw{checked.quarter}",
           new_value=checked.file_name[:300], at=now,
           reason=(f"{len(checked.changes)} nilai atas nama {checked.person_name} (#{checked.person_id}): "
                   f"{counts[NEW]} baru, {counts[CHANGED]} diubah, {counts[SAME]} sama"), **importer)
    session.flush()


def import_file(file: RealisationFile, *, session: Session, plan: Plan, quarter: int | None, by: str | None,
                settings: Settings, now: datetime, importer: dict, dry_run: bool = False) -> Checked:
    """Check the file and, unless `dry_run`, store it; RealisationRefused with every problem otherwise."""
    checked = check_file(file, session=session, plan=plan, quarter=quarter, by=by, settings=settings, now=now)
    if checked.problems:
        raise RealisationRefused(checked.problems)
    if not dry_run:
        store_checked(checked, session=session, now=now, importer=importer)
    return checked


def import_into_served_plan(file: RealisationFile, *, session: Session, settings: Settings, now: datetime,
                            importer: dict, dry_run: bool = False, quarter: int | None = None,
                            by: str | None = None) -> Checked:
    """import_file into the plan the bot serves now (bot.domain.period.served_plan; PLAN_YEAR pins one):
    `rapk realisasi import` and /impor alike."""
    plan = served_plan(session=session, settings=settings, now=now)
    if plan is None:
        raise RealisationRefused([Problem(Where(), "no_plan")])
    return import_file(file, session=session, plan=plan, quarter=quarter, by=by, settings=settings, now=now,
                       importer=importer, dry_run=dry_run)
