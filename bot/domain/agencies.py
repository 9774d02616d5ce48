"""Many agencies (OPD), one bot: which agency a person acts in, the roles they hold there, the agency's own
settings over the kabupaten's, and finding an agency by name or id (no Telegram imports).

A person's own agency is `Person.agency_id`; their `is_admin` / `is_verifier` flags are their roles there.
An AgencyMember row makes them a member of a further agency, with the roles it names. Being PIC of a
kegiatan needs no membership: the kegiatan's plan says whose it is. A deployment with one agency and no
agency set on people serves that agency, as before agencies existed.

Everything a person asks is scoped to the agency they act in (`acting_agency`): the served period
(bot.domain.period `served_period(agency_id=…)`), the people they see, the reminders and the digest of
that agency's plans. The agency's settings (`agency_settings`) are the kabupaten's (the environment) with
the agency's own leadership group, reminder schedule and days off where it has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.calendar import ReportingCalendar
from bot.domain.numbers import parse_reference
from bot.domain.people import Actor
from bot.domain.people import Refused
from bot.domain.people import kegiatan_of_person
from bot.domain.people import outcome_holdings
from bot.domain.people import person_in_agency
from bot.domain.people import resolve_actor
from bot.domain.period import ServedPeriod
from bot.domain.period import home_summary
from bot.domain.period import plan_outcomes
from bot.domain.period import served_period
from models import Agency
from models import AgencyMember
from models import Aksi
from models import Goal
from models import GoalIndicator
from models import Kegiatan
from models import KegiatanIndicator
from models import Person
from models import PicAssignment
from models import Plan
from models import Program
from models import ProgramIndicator

if TYPE_CHECKING:
    from bot.config import Settings


def _dates(text: str) -> list[date]:
    return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]


def agency_settings(settings: Settings, agency: Agency | None) -> Settings:
    """The settings as `agency` is served: its own leadership group, reminder offsets and time, and days off
    (added to the kabupaten's cuti bersama) where it has them; the agency pinned (`agency_id`)."""
    if agency is None:
        return settings
    update: dict = {"agency_id": agency.id}
    if agency.leadership_chat_id:
        update["leadership_chat_id"] = agency.leadership_chat_id
    if agency.reminder_offsets_days:
        update["reminder_offsets_days"] = sorted({int(d) for d in agency.reminder_offsets_days.split(",")},
                                                 reverse=True)
    if agency.reminder_time:
        update["reminder_time"] = time.fromisoformat(agency.reminder_time)
    if agency.extra_days_off:
        update["extra_days_off"] = sorted(set(settings.extra_days_off) | set(_dates(agency.extra_days_off)))
    return settings.model_copy(update=update)


def only_agency(*, session: Session) -> Agency | None:
    """The agency when the database has exactly one."""
    rows = session.exec(select(Agency).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def find_agency(ref: str, *, session: Session) -> Agency | None:
    """An agency by id (`3`, `#3`) or by name (exact, case-insensitive; else the one whose name contains it; else
    the one `same_agency_name` says it is: «BKD» for Badan Kepegawaian Daerah Kabupaten Gresik)."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        agency_id = parse_reference(ref.lstrip("#"))
        return session.get(Agency, agency_id) if agency_id is not None else None
    rows = session.exec(select(Agency).order_by(Agency.id)).all()
    exact = [a for a in rows if a.name.casefold() == ref.casefold()]
    part = [a for a in rows if ref.casefold() in a.name.casefold()]
    found = exact or part or [a for a in rows if same_agency_name(ref, a.name)]
    return found[0] if len(found) == 1 else None


_REGION_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota", "provinsi": "provinsi",
                 "prov": "provinsi"}
_JOINERS = {"dan", "serta"}


def _name_parts(name: str) -> tuple[list[str], str]:
    """An agency name's words before its region («Kabupaten Gresik», «Kab. Gresik», «Kota …») and the region:
    case, punctuation and spacing ignored. The last region word followed by a name splits (Dinas Tata Kota
    Kabupaten Gresik: «dinas tata kota», «kabupaten gresik»)."""
    words = re.sub(r"[^\w]+", " ", name.casefold()).split()
    for i in range(len(words) - 2, 0, -1):
        if words[i] in _REGION_WORDS:
            return words[:i], " ".join([_REGION_WORDS[words[i]], *words[i + 1:]])
    return words, ""


def _acronym(words: list[str]) -> str:
    return "".join(w[0] for w in words if w not in _JOINERS)


def same_agency_name(a: str, b: str) -> bool:
    """Whether two ways of writing an agency's name name the same OPD: equal once case, punctuation and
    spacing are ignored; the region («Kabupaten Gresik») may be left out on one side, but two different regions
    differ; a one-word name may be the other's initials («BKD» = Badan Kepegawaian Daerah; «dan» not counted)."""
    (words_a, region_a), (words_b, region_b) = _name_parts(a), _name_parts(b)
    if not words_a or not words_b or (region_a and region_b and region_a != region_b):
        return False
    if words_a == words_b:
        return True
    return any(len(one) == 1 and len(other) > 1 and one[0] == _acronym(other)
               for one, other in ((words_a, words_b), (words_b, words_a)))


def agencies_of_person(person_id: int, *, session: Session) -> list[int]:
    """Every agency a person belongs to, their own first: theirs, memberships, and those they are PIC in."""
    person = session.get(Person, person_id)
    return _belonging(person, session)[0] if person is not None else []


def _belonging(person: Person, session: Session) -> tuple[list[int], bool]:
    """`agencies_of_person`, and whether the person holds a kegiatan anywhere (a PIC), in one statement."""
    member = sa.select(AgencyMember.agency_id, sa.literal(0).label("pic")).where(AgencyMember.person_id == person.id)
    pic_in = (sa.select(Plan.agency_id, sa.literal(1).label("pic")).join(Kegiatan, Kegiatan.plan_id == Plan.id)
              .join(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
              .where(PicAssignment.person_id == person.id))
    rows = session.execute(sa.union_all(member, pic_in).order_by(sa.text("pic"), sa.text("agency_id"))).all()
    ids = [person.agency_id] if person.agency_id is not None else []
    ids += [agency_id for agency_id, _ in rows]
    return list(dict.fromkeys(ids)), any(pic for _, pic in rows)


def agency_of_chat(chat_id: int, *, session: Session) -> Agency | None:
    """The agency whose leadership group `chat_id` is."""
    return session.exec(select(Agency).where(Agency.leadership_chat_id == chat_id)).first()


@dataclass(frozen=True)
class ActingAs:
    """Who asks and as which agency: the actor with that agency's roles, and the agency's settings."""

    actor: Actor
    settings: Settings
    agency: Agency | None


def acting_agency(telegram_user_id: int, *, session: Session, settings: Settings, chat_id: int | None = None,
                  private: bool = True) -> ActingAs:
    """The Actor of a Telegram user in the agency they act in, and that agency's settings.

    In an agency's leadership group: that agency (its members are its leadership). Otherwise the agency the
    person chose (/instansi: `Person.acting_agency_id`) while they still belong to it, else their own agency,
    else their first membership, else (a person of no agency, ADMIN_TELEGRAM_IDS, a stranger) the only agency
    when there is one, or none: then AGENCY_NAME / the newest plan decide, as before agencies."""
    group = agency_of_chat(chat_id, session=session) if chat_id is not None and not private else None
    person = session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()
    agency = group
    ids, holds_kegiatan = _belonging(person, session) if person is not None else ([], False)
    if agency is None and ids:
        agency = session.get(Agency, _acting_id(person, ids))
    if agency is None:
        agency = only_agency(session=session)
    scoped = agency_settings(settings, agency)
    in_leadership_chat = bool(chat_id is not None and chat_id == scoped.leadership_chat_id)
    actor = resolve_actor(telegram_user_id, session=session, admin_ids=settings.admin_telegram_ids,
                          admins_verify=settings.admins_verify, is_leadership=in_leadership_chat, person=person,
                          holds_kegiatan=holds_kegiatan)
    if person is not None and agency is not None and person.agency_id not in (None, agency.id):
        member = session.exec(select(AgencyMember).where(AgencyMember.agency_id == agency.id,
                                                         AgencyMember.person_id == person.id)).first()
        is_admin = telegram_user_id in settings.admin_telegram_ids or bool(member and member.is_admin)
        actor = replace(actor, is_admin=is_admin,
                        is_verifier=bool(member and member.is_verifier) or (is_admin and settings.admins_verify))
    agency_ids = tuple(dict.fromkeys([agency.id, *ids])) if agency else ()
    return ActingAs(replace(actor, agency_id=agency.id if agency else None, agency_ids=agency_ids), scoped, agency)


_SCHEDULE = ("reminder_offsets_days", "reminder_time", "extra_days_off")


def served_agencies(settings: Settings, *, session: Session) -> list[Settings]:
    """The settings of every agency the bot serves, each with its own (what the reminder tick and the digests
    go through); the settings as they are when they pin one (AGENCY_ID, AGENCY_NAME) or there is no agency."""
    if _pins_agency(settings):
        return [settings]
    agencies = session.exec(select(Agency).order_by(Agency.id)).all()
    return [agency_settings(settings, a) for a in agencies] or [settings]


def agency_calendar(calendar: ReportingCalendar, settings: Settings, scoped: Settings) -> ReportingCalendar:
    """The calendar of an agency: `calendar` (the kabupaten's), or one of its own when its schedule differs."""
    if all(getattr(settings, name) == getattr(scoped, name) for name in _SCHEDULE):
        return calendar
    return ReportingCalendar.from_settings(scoped)


def names_only_agency(agency_ids: tuple[int, ...], *, session: Session, person: int | None = None,
                      plan: int | None = None, program: int | None = None, kegiatan: int | None = None,
                      aksi: int | None = None, indicator: int | None = None, goal_indicator: int | None = None,
                      program_indicator: int | None = None) -> bool:
    """Whether every person and plan item a button names is of one of `agency_ids` (a forged button names
    another agency's: refused before its handler runs). An id that names nothing passes: the handler
    answers it as it always has."""
    owners = []
    if plan is not None:
        owners.append(session.exec(select(Plan.agency_id).where(Plan.id == plan)).first())
    if program is not None:
        owners.append(session.exec(select(Plan.agency_id).join(Program, Program.plan_id == Plan.id)
                                   .where(Program.id == program)).first())
    kegiatan_of = select(Plan.agency_id).join(Kegiatan, Kegiatan.plan_id == Plan.id)
    if kegiatan is not None:
        owners.append(session.exec(kegiatan_of.where(Kegiatan.id == kegiatan)).first())
    if aksi is not None:
        owners.append(session.exec(kegiatan_of.join(Aksi, Aksi.kegiatan_id == Kegiatan.id)
                                   .where(Aksi.id == aksi)).first())
    if indicator is not None:
        owners.append(session.exec(kegiatan_of.join(KegiatanIndicator, KegiatanIndicator.kegiatan_id == Kegiatan.id)
                                   .where(KegiatanIndicator.id == indicator)).first())
    if goal_indicator is not None:
        owners.append(session.exec(select(Plan.agency_id).join(Goal, Goal.plan_id == Plan.id)
                                   .join(GoalIndicator, GoalIndicator.goal_id == Goal.id)
                                   .where(GoalIndicator.id == goal_indicator)).first())
    if program_indicator is not None:
        owners.append(session.exec(select(Plan.agency_id).join(Program, Program.plan_id == Plan.id)
                                   .join(ProgramIndicator, ProgramIndicator.program_id == Program.id)
                                   .where(ProgramIndicator.id == program_indicator)).first())
    if any(owner is not None and owner not in agency_ids for owner in owners):
        return False
    if person is None or session.get(Person, person) is None:
        return True
    return any(person_in_agency(person, agency_id, session=session) for agency_id in agency_ids)


# -- memberships of a further agency (`rapk agency member`, /opd anggota) ------------------------------------

@dataclass(frozen=True)
class Member:
    """A person's membership of a further agency, as listed and as just changed (`removed`: no longer)."""

    agency: str
    person_id: int
    name: str
    own_agency: str  # the agency the person is of (Person.agency_id), "" for none
    onboarded: bool
    is_admin: bool = False
    is_verifier: bool = False
    removed: bool = False


def _member(agency: Agency, person: Person, row: AgencyMember | None, *, session: Session) -> Member:
    own = session.get(Agency, person.agency_id) if person.agency_id is not None else None
    return Member(agency.name, person.id, person.name, own.name if own else "", person.telegram_user_id is not None,
                  bool(row and row.is_admin), bool(row and row.is_verifier), row is None)


def set_member(agency_id: int, person_id: int, *, session: Session, admin: bool | None = None,
               verifier: bool | None = None, remove: bool = False, actor_person_id: int | None = None,
               actor_label: str = "") -> Member:
    """Make a person a member of a further agency with the roles given (`admin`, `verifier`: True grants, False
    revokes, None keeps), or with `remove` and no role the membership goes. Only the AgencyMember row is
    ever touched: the person, their own agency and their PIC assignments stay. Each change is audited
    (`member.add`, `member.remove`, `admin.grant` / `verifier.revoke` … on field `agency_member.is_admin` …,
    the agency's name as the reason). Refused: `unknown_item`, `own_agency` (their roles there are the
    person's own, in /pengguna), `not_member` (nothing to remove)."""
    agency, person = session.get(Agency, agency_id), session.get(Person, person_id)
    if agency is None or person is None:
        raise Refused("unknown_item")
    if person.agency_id == agency.id:
        raise Refused("own_agency", person=person.name, agency=agency.name)
    row = session.exec(select(AgencyMember).where(AgencyMember.agency_id == agency.id,
                                                  AgencyMember.person_id == person.id)).first()
    audit = {"entity": "person", "entity_id": person.id, "reason": agency.name, "actor_person_id": actor_person_id,
             "actor_label": actor_label}
    if row is None and (remove or admin is False or verifier is False):
        raise Refused("not_member", person=person.name, agency=agency.name)
    if remove and admin is None and verifier is None:
        record(session, action="member.remove", field="agency_member", old_value=agency.name, **audit)
        session.delete(row)
        session.flush()
        return _member(agency, person, None, session=session)
    if row is None:
        row = AgencyMember(agency_id=agency.id, person_id=person.id)
        session.add(row)
        record(session, action="member.add", field="agency_member", new_value=agency.name, **audit)
    for role, value in (("admin", admin), ("verifier", verifier)):
        if value is not None and getattr(row, f"is_{role}") != value:
            record(session, action=f"{role}.{'grant' if value else 'revoke'}", field=f"agency_member.is_{role}",
                   old_value=str(not value), new_value=str(value), **audit)
            setattr(row, f"is_{role}", value)
    session.flush()
    return _member(agency, person, row, session=session)


def agency_members(agency_id: int, *, session: Session) -> list[Member]:
    """The members of an agency from other agencies (AgencyMember), by name."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        return []
    rows = session.exec(select(AgencyMember, Person).join(Person, Person.id == AgencyMember.person_id)
                        .where(AgencyMember.agency_id == agency_id).order_by(Person.name, Person.id)).all()
    return [_member(agency, person, row, session=session) for row, person in rows]


# -- which agency a person with roles in several acts as (/instansi) ------------------------------------------

@dataclass(frozen=True)
class AgencyChoice:
    """An agency a person belongs to, with what they are there (admin, verifier, PIC), and whether they act
    in it now."""

    agency_id: int
    name: str
    roles: tuple[str, ...]  # "admin", "verifier", "pic"
    acting: bool


def _acting_id(person: Person, ids: list[int]) -> int | None:
    """The agency `acting_agency` gives a person outside a leadership group (their choice while it holds)."""
    return person.acting_agency_id if person.acting_agency_id in ids else (ids[0] if ids else None)


def agency_choices(person_id: int | None, *, session: Session) -> list[AgencyChoice]:
    """Every agency the person belongs to (`agencies_of_person`: their own first), with their roles there."""
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None:
        return []
    ids = agencies_of_person(person.id, session=session)
    members = {m.agency_id: m for m in session.exec(select(AgencyMember).where(AgencyMember.person_id == person.id))}
    pic_in = set(session.exec(select(Plan.agency_id).join(Kegiatan, Kegiatan.plan_id == Plan.id)
                              .join(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
                              .where(PicAssignment.person_id == person.id)).all())
    acting = _acting_id(person, ids)
    out = []
    for agency_id in ids:
        role_of = person if agency_id == person.agency_id else members.get(agency_id)
        roles = [r for r in ("admin", "verifier") if role_of is not None and getattr(role_of, f"is_{r}")]
        out.append(AgencyChoice(agency_id, session.get(Agency, agency_id).name,
                                (*roles, *(("pic",) if agency_id in pic_in else ())), agency_id == acting))
    return out


def choose_agency(person_id: int | None, agency_id: int, *, session: Session) -> AgencyChoice:
    """The person acts in `agency_id` from now on (kept in `Person.acting_agency_id`, audited
    `person.acting_agency`). Refused `not_member` when they do not belong to it (a forged button): nothing
    changes."""
    choices = {c.agency_id: c for c in agency_choices(person_id, session=session)}
    if agency_id not in choices:
        raise Refused("not_member")
    person = session.get(Person, person_id)
    if not choices[agency_id].acting:
        record(session, action="person.acting_agency", entity="person", entity_id=person.id,
               field="acting_agency_id", old_value=str(person.acting_agency_id or ""), new_value=str(agency_id),
               actor_person_id=person.id, actor_telegram_id=person.telegram_user_id, actor_label=person.name)
        person.acting_agency_id = agency_id
        session.flush()
    return replace(choices[agency_id], acting=True)


# -- a person in several agencies, and a plan served by its agency's schedule ---------------------------

def _pins_agency(settings: Settings) -> bool:
    """The settings pin one agency (AGENCY_ID, AGENCY_NAME): every plan is served with them as they are."""
    return settings.agency_id is not None or bool(settings.agency_name)


def plan_settings(plan_id: int | None, settings: Settings, *, session: Session,
                  acting: Settings | None = None) -> Settings:
    """The settings a plan is served with: its agency's over the kabupaten's `settings` (what the reminder tick
    and the digests use for it), or `settings` as they are when they pin an agency or the plan has none.
    `acting`: the settings of the agency a person acts in, kept for a plan of that agency (a PIC's /lapor)."""
    agency = session.exec(select(Agency).join(Plan, Plan.agency_id == Agency.id).where(Plan.id == plan_id)).first() \
        if plan_id is not None else None
    if acting is not None and (agency is None or acting.agency_id == agency.id):
        return acting
    if agency is None or _pins_agency(settings):
        return settings
    return agency_settings(settings, agency)


def plan_calendars(plan_ids, settings: Settings, calendar: ReportingCalendar, *,
                   session: Session) -> dict[int, ReportingCalendar]:
    """The calendar of each plan's agency (deadlines, days off, reminder times), from the kabupaten's
    `settings` and `calendar`: what a reminder or late list of that plan is rendered with."""
    plan_ids = set(plan_ids)
    if not plan_ids or _pins_agency(settings):
        return dict.fromkeys(plan_ids, calendar)
    rows = session.exec(select(Plan.id, Agency).join(Agency, Agency.id == Plan.agency_id)
                        .where(Plan.id.in_(plan_ids))).all()
    return {**dict.fromkeys(plan_ids, calendar),
            **{plan_id: agency_calendar(calendar, settings, agency_settings(settings, agency))
               for plan_id, agency in rows}}


def plan_agency_names(plan_ids, *, session: Session) -> dict[int, str]:
    """The agency name of each plan when the deployment has more than one agency (a reminder then says which
    OPD it is about); {} with one agency, so a single OPD's messages stay as they were."""
    plan_ids = set(plan_ids)
    if not plan_ids or len(session.exec(select(Agency.id).limit(2)).all()) < 2:
        return {}
    return dict(session.exec(select(Plan.id, Agency.name).join(Agency, Agency.id == Plan.agency_id)
                             .where(Plan.id.in_(plan_ids))).all())


@dataclass(frozen=True)
class AgencyPeriod:
    """One agency a person reports in: its settings and calendar, its served period, and its name as a label
    when the person reports in more than one (None: a PIC of one OPD sees no label)."""

    settings: Settings
    calendar: ReportingCalendar
    period: ServedPeriod | None
    label: str | None = None

    @property
    def plan_id(self) -> int | None:
        return self.period.plan.id if self.period else None


def reporting_agencies(person_id: int | None, agency_ids: tuple[int, ...], settings: Settings, scoped: Settings, *,
                       session: Session, now: datetime) -> list[AgencyPeriod]:
    """What /lapor, /status and /start serve a person: the served period (`served_period(agency_id=…)`, on the
    agency's own calendar) of every agency of `agency_ids` whose served plan has a kegiatan or an IKU / program
    indicator of theirs, each labelled with the agency's name when there are several; else one entry, the
    agency they act in (`scoped`, its settings), as for a PIC of one OPD. `settings` are the kabupaten's."""
    found = []
    if person_id is not None and len(agency_ids) > 1:
        held = {h.key for h in outcome_holdings(session=session, people=[person_id])}
        for agency_id in agency_ids:
            agency = session.get(Agency, agency_id)
            if agency is None:
                continue
            own = agency_settings(settings, agency)
            calendar = ReportingCalendar.from_settings(own)
            period = served_period(session=session, settings=own, now=now, calendar=calendar)
            if period is None:
                continue
            plan_id = period.plan.id
            if (kegiatan_of_person(person_id, session=session, plan_id=plan_id)
                    or held & {i.key for i in plan_outcomes(plan_id, session=session)}):
                found.append((agency, AgencyPeriod(own, calendar, period)))
    if len(found) > 1:
        return [replace(entry, label=agency.name) for agency, entry in found]
    if len(found) == 1:
        return [found[0][1]]
    calendar = ReportingCalendar.from_settings(scoped)
    return [AgencyPeriod(scoped, calendar, served_period(session=session, settings=scoped, now=now, calendar=calendar))]


def home_summaries(person_id: int | None, agency_ids: tuple[int, ...], settings: Settings, scoped: Settings, *,
                   session: Session, now: datetime) -> list[dict]:
    """What /start shows, per agency the person reports in (`reporting_agencies`): bot.domain.period
    `home_summary` of its served plan, with `agency` its name when there are several (else None)."""
    return [{**home_summary(person_id, session=session, settings=entry.settings, now=now), "agency": entry.label}
            for entry in reporting_agencies(person_id, agency_ids, settings, scoped, session=session, now=now)]
