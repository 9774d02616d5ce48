"""People, roles, PIC assignments (kegiatan, and the IKU / program indicators a person reports), onboarding
invites, who can be messaged and pauses (no Telegram imports)."""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.db import among
from bot.db import upsert
from bot.domain.audit import record
from bot.domain.numbers import parse_reference
from models import AgencyMember
from models import Invite
from models import Kegiatan
from models import LeadershipMembership
from models import OutcomeAssignment
from models import Person
from models import PicAssignment
from models.base import as_utc


class Role(StrEnum):
    STRANGER = "stranger"
    PIC = "pic"
    LEADERSHIP = "leadership"
    ADMIN = "admin"
    VERIFIER = "verifier"
    KABUPATEN = "kabupaten"  # Bappeda / evaluator: reads every OPD (/rekap)
    KABUPATEN_ADMIN = "kabupaten_admin"  # onboards an OPD (/opd); reads every OPD too


@dataclass(frozen=True)
class Actor:
    """Who is asking: the bound person (if any) and what they may do."""

    telegram_user_id: int
    person_id: int | None
    name: str | None
    is_admin: bool
    is_pic: bool
    is_leadership: bool = False
    # Verifies reports: granted in /pengguna, or an admin while ADMINS_VERIFY is on (the default).
    is_verifier: bool = False
    # The kabupaten role (Person.is_kabupaten, migration 0013) and its admin, who holds it too.
    is_kabupaten: bool = False
    is_kabupaten_admin: bool = False
    # The agency (OPD) they act in (bot.domain.agencies `acting_agency`); None: a deployment without agencies.
    agency_id: int | None = None
    # Every agency they belong to, the one they act in first: a PIC reports in each (bot.domain.agencies).
    agency_ids: tuple[int, ...] = ()

    @property
    def roles(self) -> set[Role]:
        roles = set()
        if self.is_kabupaten or self.is_kabupaten_admin:
            roles.add(Role.KABUPATEN)
        if self.is_kabupaten_admin:
            roles.add(Role.KABUPATEN_ADMIN)
        if self.is_admin:
            roles.add(Role.ADMIN)
        if self.is_verifier:
            roles.add(Role.VERIFIER)
        if self.is_pic:
            roles.add(Role.PIC)
        if self.is_leadership:
            roles.add(Role.LEADERSHIP)
        return roles or {Role.STRANGER}

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        """How the audit names this actor: the person's name, else their Telegram id."""
        return self.name or f"telegram:{self.telegram_user_id}"

    @property
    def audit_fields(self) -> dict:
        """The audit's actor fields (actor_person_id, actor_telegram_id, actor_label)."""
        return {"actor_person_id": self.person_id, "actor_telegram_id": self.telegram_user_id,
                "actor_label": self.label}


_LOOK_UP = object()


def resolve_actor(telegram_user_id: int, *, session: Session, admin_ids: list[int],
                  is_leadership: bool = False, admins_verify: bool = True, person=_LOOK_UP,
                  holds_kegiatan: bool | None = None) -> Actor:
    """Build the Actor for a Telegram user from the database and the configured admins (`person`: their row,
    or None for nobody, when the caller has read it already; `holds_kegiatan`: whether they are PIC of a
    kegiatan, when the caller knows)."""
    if person is _LOOK_UP:
        person = session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()
    is_pic = False
    if person is not None:
        if holds_kegiatan is None:
            holds_kegiatan = session.exec(
                select(PicAssignment.id).where(PicAssignment.person_id == person.id).limit(1)).first() is not None
        # Reporting an IKU or a program indicator makes a PIC too: /lapor, /status and reminders are theirs.
        is_pic = holds_kegiatan or session.exec(
            select(OutcomeAssignment.id).where(OutcomeAssignment.person_id == person.id).limit(1)
        ).first() is not None
    is_admin = telegram_user_id in admin_ids or bool(person and person.is_admin)
    return Actor(
        telegram_user_id=telegram_user_id,
        person_id=person.id if person else None,
        name=person.name if person else None,
        is_admin=is_admin,
        is_pic=is_pic,
        is_leadership=is_leadership,
        is_verifier=bool(person and person.is_verifier) or (is_admin and admins_verify),
        is_kabupaten=bool(person and person.is_kabupaten),
        is_kabupaten_admin=bool(person and person.is_kabupaten_admin),
        agency_id=person.agency_id if person else None,
    )


# -- leadership group membership ------------------------------------------------------------
# Membership is learned from the group's own updates and kept here, so that asking Telegram
# (getChatMember: a call to a group, which the rate limiter lets through 20 a minute) is the
# exception. A "member" answer stays fresh for a day: leaving is normally learned at once from the
# chat_member update, so the day only bounds the case where that update was missed (the bot is not
# an admin of the group, or was down longer than Telegram keeps updates). "Not a member" stays fresh
# for ten minutes, so someone just added who has not yet written in the group waits at most that long.
MEMBER_FRESH_FOR = timedelta(hours=24)
NOT_MEMBER_FRESH_FOR = timedelta(minutes=10)
# A member writing in the group again within this time does not rewrite their row.
MEMBER_SEEN_AGAIN_AFTER = timedelta(hours=1)


def leadership_membership(telegram_user_id: int, *, session: Session, chat_id: int, now: datetime) -> bool | None:
    """The cached membership of the leadership group, or None when nothing fresh is known."""
    row = session.exec(select(LeadershipMembership).where(LeadershipMembership.chat_id == chat_id,
                                                          LeadershipMembership.telegram_user_id == telegram_user_id)
                       ).first()
    if row is None:
        return None
    fresh_for = MEMBER_FRESH_FOR if row.is_member else NOT_MEMBER_FRESH_FOR
    return row.is_member if as_utc(row.checked_at) + fresh_for > now else None


def note_leadership_membership(telegram_user_id: int, is_member: bool, *, session: Session, chat_id: int,
                               now: datetime, source: str) -> None:
    """Remember what was just learned about a user's membership of the leadership group."""
    if source == "message":
        row = session.exec(select(LeadershipMembership).where(
            LeadershipMembership.chat_id == chat_id, LeadershipMembership.telegram_user_id == telegram_user_id)).first()
        if row is not None and row.is_member and as_utc(row.checked_at) + MEMBER_SEEN_AGAIN_AFTER > now:
            return  # a chatty member does not cost a write per message
    upsert(session, LeadershipMembership, {"chat_id": chat_id, "telegram_user_id": telegram_user_id,
                                           "is_member": is_member, "source": source, "checked_at": now},
           conflict_columns=("chat_id", "telegram_user_id"))


def kegiatan_of_person(person_id: int, *, session: Session, plan_id: int | None = None) -> list[Kegiatan]:
    """The kegiatan a person is PIC of, in document order."""
    query = (select(Kegiatan).join(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
             .where(PicAssignment.person_id == person_id))
    if plan_id is not None:
        query = query.where(Kegiatan.plan_id == plan_id)
    return list(session.exec(query.order_by(Kegiatan.plan_id, Kegiatan.seq)).all())


def is_pic_of(person_id: int | None, kegiatan_id: int, *, session: Session) -> bool:
    """A PIC never sees another PIC's items: every kegiatan-scoped action checks this."""
    if person_id is None:
        return False
    return session.exec(
        select(PicAssignment.id).where(PicAssignment.person_id == person_id,
                                       PicAssignment.kegiatan_id == kegiatan_id)
    ).first() is not None


def in_agency(agency_id: int | None):
    """The condition on Person «belongs to agency `agency_id`»: their own, a member of it (AgencyMember), or of
    no agency (a person made before agencies); every agency with None."""
    if agency_id is None:
        return sa.true()
    members = select(AgencyMember.person_id).where(AgencyMember.agency_id == agency_id)
    return sa.or_(Person.agency_id == agency_id, Person.agency_id.is_(None), Person.id.in_(members))


def _role_in_agency(flag: str, agency_id: int | None):
    """The condition on Person «holds the role `flag` (is_admin / is_verifier) in agency `agency_id`»: the
    person's flag in their own agency, the membership's in another."""
    if agency_id is None:
        return getattr(Person, flag).is_(True)
    members = select(AgencyMember.person_id).where(AgencyMember.agency_id == agency_id,
                                                   getattr(AgencyMember, flag).is_(True))
    return sa.or_(sa.and_(getattr(Person, flag).is_(True),
                          sa.or_(Person.agency_id == agency_id, Person.agency_id.is_(None))),
                  Person.id.in_(members))


def person_in_agency(person_id: int, agency_id: int | None, *, session: Session, own: bool = False) -> bool:
    """Whether an admin of `agency_id` may see and change this person (a forged button names someone else's);
    with `own`, whether it is their own agency (their `is_admin` / `is_verifier` and pause are that agency's:
    a member from another agency keeps them)."""
    condition = in_agency(agency_id)
    if own and agency_id is not None:
        condition = sa.or_(Person.agency_id == agency_id, Person.agency_id.is_(None))
    return session.exec(select(Person.id).where(Person.id == person_id, condition)).first() is not None


def find_people(ref: str, *, session: Session, agency_id: int | None = None) -> list[Person]:
    """People by id (`#12`), exact name, or a case-insensitive part of the name (of agency `agency_id`)."""
    query = select(Person)
    if agency_id is not None:
        query = query.where(in_agency(agency_id))
    ref = ref.strip()
    if ref.startswith("#") and ref[1:].isdigit():  # an id, whatever its script: only a database integer matches
        person_id = parse_reference(ref, prefix="#")
        return list(session.exec(query.where(Person.id == person_id)).all()) if person_id is not None else []
    rows = session.exec(query.order_by(Person.name)).all()
    needle = ref.casefold()
    exact = [p for p in rows if p.name.casefold() == needle]
    return exact or [p for p in rows if needle in p.name.casefold()]


_QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“"}


@dataclass(frozen=True)
class NameMatch:
    """Who a typed name means: `person` (found, or just `created`), or several `choices` to pick from."""

    person: Person | None = None
    choices: tuple[Person, ...] = ()
    created: bool = False
    name: str = ""  # the name as it is matched (quotes taken off)


def match_person(ref: str, *, session: Session, agency_id: int | None = None, create: bool = False,
                 actor_label: str = "cli") -> NameMatch:
    """Who `ref` names, as /pic, /undang, `rapk assign` and `rapk invite` all read it.

    `#12` is an id; `"Budi"` in quotes is exactly that name; otherwise the exact name, or else a part
    of it (`Budi` finds Budi Santoso). One match is the person; several are the choices, never a
    guess. None is no one, or, with `create`, a new person of that name: a part of someone's name
    never makes a new person (`/pic Budi` made a «Budi» who was PIC of nothing), quotes do.
    """
    text = " ".join(ref.split())
    exact = len(text) > 2 and _QUOTES.get(text[0]) == text[-1]
    name = text[1:-1].strip() if exact else text
    if not name:
        return NameMatch()
    found = find_people(name, session=session, agency_id=agency_id)
    if exact:
        found = [p for p in found if p.name.casefold() == name.casefold()]
    if len(found) == 1:
        return NameMatch(person=found[0], name=name)
    if found or not create or (name.startswith("#") and name[1:].isdigit()):
        return NameMatch(choices=tuple(found), name=name)
    person, created = get_or_create_person(name, session=session, agency_id=agency_id, actor_label=actor_label)
    return NameMatch(person=person, created=created, name=name)


def get_or_create_person(name: str, *, session: Session, agency_id: int | None, nip: str | None = None,
                         actor_label: str = "cli") -> tuple[Person, bool]:
    """A person matched by name (case-insensitive) within the agency, created when missing."""
    found = [p for p in find_people(name, session=session, agency_id=agency_id)
             if p.name.casefold() == name.strip().casefold()]
    if found:
        return found[0], False
    person = Person(name=name.strip(), agency_id=agency_id, nip=nip)
    session.add(person)
    session.flush()
    record(session, action="person.create", entity="person", entity_id=person.id,
           new_value=person.name, actor_label=actor_label)
    return person, True


def assign_pic(person_id: int, kegiatan_id: int, *, session: Session, actor_person_id: int | None = None,
               actor_label: str = "") -> bool:
    """Make a person PIC of a kegiatan; False when they already were."""
    if is_pic_of(person_id, kegiatan_id, session=session):
        return False
    session.add(PicAssignment(person_id=person_id, kegiatan_id=kegiatan_id))
    record(session, action="pic.assign", entity="kegiatan", entity_id=kegiatan_id, field="pic",
           new_value=str(person_id), actor_person_id=actor_person_id, actor_label=actor_label)
    session.flush()
    return True


def unassign_pic(person_id: int, kegiatan_id: int, *, session: Session, actor_person_id: int | None = None,
                 actor_label: str = "") -> bool:
    """Remove a PIC assignment; False when there was none."""
    row = session.exec(select(PicAssignment).where(PicAssignment.person_id == person_id,
                                                   PicAssignment.kegiatan_id == kegiatan_id)).first()
    if row is None:
        return False
    session.delete(row)
    record(session, action="pic.unassign", entity="kegiatan", entity_id=kegiatan_id, field="pic",
           old_value=str(person_id), actor_person_id=actor_person_id, actor_label=actor_label)
    session.flush()
    return True


# -- who reports an IKU or a program indicator (OutcomeAssignment) -------------------------------

IKU, PROGRAM_INDICATOR = "iku", "program"  # the two kinds of outcome indicator (bot.domain.period.OutcomeItem)

def _outcome_column(goal_indicator_id: int | None, program_indicator_id: int | None):
    """The assignment column and id of the one indicator named (an IKU or a program indicator)."""
    if (goal_indicator_id is None) == (program_indicator_id is None):
        raise ValueError("name exactly one of goal_indicator_id and program_indicator_id")
    if goal_indicator_id is not None:
        return "goal_indicator_id", goal_indicator_id
    return "program_indicator_id", program_indicator_id


def _outcome_row(person_id: int, goal_indicator_id: int | None, program_indicator_id: int | None, *,
                 session: Session) -> OutcomeAssignment | None:
    column, value = _outcome_column(goal_indicator_id, program_indicator_id)
    return session.exec(select(OutcomeAssignment).where(OutcomeAssignment.person_id == person_id,
                                                        getattr(OutcomeAssignment, column) == value)).first()


def holds_outcome(person_id: int | None, *, goal_indicator_id: int | None = None,
                  program_indicator_id: int | None = None, session: Session) -> bool:
    """The person reports this IKU (`goal_indicator_id`) or program indicator: what saving checks again."""
    if person_id is None:
        return False
    return _outcome_row(person_id, goal_indicator_id, program_indicator_id, session=session) is not None


def assign_outcome(person_id: int, *, goal_indicator_id: int | None = None, program_indicator_id: int | None = None,
                   session: Session, actor_person_id: int | None = None, actor_label: str = "") -> bool:
    """Make a person the one who reports an IKU or a program indicator; False when they already were."""
    if _outcome_row(person_id, goal_indicator_id, program_indicator_id, session=session) is not None:
        return False
    column, value = _outcome_column(goal_indicator_id, program_indicator_id)
    session.add(OutcomeAssignment(person_id=person_id, **{column: value}))
    record(session, action="pic.assign", entity=column.removesuffix("_id"), entity_id=value, field="pic",
           new_value=str(person_id), actor_person_id=actor_person_id, actor_label=actor_label)
    session.flush()
    return True


def unassign_outcome(person_id: int, *, goal_indicator_id: int | None = None, program_indicator_id: int | None = None,
                     session: Session, actor_person_id: int | None = None, actor_label: str = "") -> bool:
    """Take an IKU or a program indicator off a person; False when they did not hold it."""
    row = _outcome_row(person_id, goal_indicator_id, program_indicator_id, session=session)
    if row is None:
        return False
    column, value = _outcome_column(goal_indicator_id, program_indicator_id)
    session.delete(row)
    record(session, action="pic.unassign", entity=column.removesuffix("_id"), entity_id=value, field="pic",
           old_value=str(person_id), actor_person_id=actor_person_id, actor_label=actor_label)
    session.flush()
    return True


@dataclass(frozen=True)
class OutcomeHolding:
    """One assignment: a person and the IKU (`goal_indicator_id`) or program indicator they report."""

    person_id: int
    goal_indicator_id: int | None
    program_indicator_id: int | None

    @property
    def key(self) -> tuple[str, int]:
        """(kind, indicator id), as bot.domain.period.OutcomeItem.key names it."""
        if self.goal_indicator_id is not None:
            return IKU, self.goal_indicator_id
        return PROGRAM_INDICATOR, self.program_indicator_id


def outcome_holdings(*, session: Session, people: Iterable[int] | None = None) -> list[OutcomeHolding]:
    """Who reports which IKU and program indicator (of these people only when `people` is given)."""
    query = select(OutcomeAssignment.person_id, OutcomeAssignment.goal_indicator_id,
                   OutcomeAssignment.program_indicator_id)
    if people is not None:
        query = query.where(among(OutcomeAssignment.person_id, people))  # a dispatcher chunk: hundreds of ids
    return [OutcomeHolding(*row) for row in session.exec(query.order_by(OutcomeAssignment.id)).all()]


# -- onboarding ---------------------------------------------------------------------------

def create_invite(person_id: int, *, session: Session, now: datetime, ttl_days: int,
                  actor_person_id: int | None = None, actor_label: str = "") -> Invite:
    """A fresh single-use token; earlier unused tokens of the person stop working."""
    for old in session.exec(select(Invite).where(Invite.person_id == person_id, Invite.used_at.is_(None))).all():
        old.expires_at = min(old.expires_at, now)
    invite = Invite(token=secrets.token_urlsafe(16), person_id=person_id, created_at=now,
                    expires_at=now + timedelta(days=ttl_days))
    session.add(invite)
    record(session, action="invite.create", entity="person", entity_id=person_id,
           actor_person_id=actor_person_id, actor_label=actor_label)
    session.flush()
    return invite


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


class RedeemStatus(StrEnum):
    OK = "ok"
    ALREADY = "already"  # the same account tapped its own link again
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    TAKEN = "taken"  # the person is bound to another Telegram account
    OTHER_PERSON = "other_person"  # this Telegram account is bound to someone else


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    person_name: str | None = None


def redeem_invite(token: str, *, telegram_user_id: int, telegram_username: str | None, session: Session,
                  now: datetime) -> RedeemResult:
    """Bind the Telegram account to the invite's person, once."""
    invite = session.exec(select(Invite).where(Invite.token == token)).first()
    if invite is None:
        return RedeemResult(RedeemStatus.UNKNOWN)
    person = session.get(Person, invite.person_id)
    if invite.used_at is not None:
        if invite.used_by_telegram_id == telegram_user_id:
            return RedeemResult(RedeemStatus.ALREADY, person.name)
        return RedeemResult(RedeemStatus.USED)
    if as_utc(invite.expires_at) <= now:
        return RedeemResult(RedeemStatus.EXPIRED, person.name)
    if person.telegram_user_id not in (None, telegram_user_id):
        return RedeemResult(RedeemStatus.TAKEN, person.name)
    bound = session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()
    if bound is not None and bound.id != person.id:
        return RedeemResult(RedeemStatus.OTHER_PERSON, bound.name)
    invite.used_at = now
    invite.used_by_telegram_id = telegram_user_id
    old = person.telegram_user_id
    person.telegram_user_id = telegram_user_id
    person.telegram_username = telegram_username
    person.onboarded_at = now
    person.unreachable_at = None
    record(session, action="person.onboard", entity="person", entity_id=person.id, field="telegram_user_id",
           old_value=None if old is None else str(old), new_value=str(telegram_user_id),
           actor_person_id=person.id, actor_telegram_id=telegram_user_id, actor_label=person.name)
    session.flush()
    return RedeemResult(RedeemStatus.OK, person.name)


def set_admin(person_id: int, value: bool, *, session: Session, actor_person_id: int | None,
              actor_label: str = "") -> Person:
    person = session.get(Person, person_id)
    if person.is_admin != value:
        record(session, action="admin.grant" if value else "admin.revoke", entity="person", entity_id=person_id,
               field="is_admin", old_value=str(person.is_admin), new_value=str(value),
               actor_person_id=actor_person_id, actor_label=actor_label)
        person.is_admin = value
    session.flush()
    return person


def change_verifier(person_id: int, value: bool, *, session: Session, actor_person_id: int | None = None,
                    actor_label: str = "") -> Person:
    """Grant or revoke the verifier role (/pengguna), audited like admin."""
    person = session.get(Person, person_id)
    if person is None:
        raise Refused("unknown_item")
    if person.is_verifier != value:
        record(session, action="verifier.grant" if value else "verifier.revoke", entity="person",
               entity_id=person_id, field="is_verifier", old_value=str(person.is_verifier), new_value=str(value),
               actor_person_id=actor_person_id, actor_label=actor_label)
        person.is_verifier = value
    session.flush()
    return person


UNIT_MAX = 200


def set_unit(person_id: int, unit: str, *, session: Session, actor_person_id: int | None = None,
             actor_label: str = "") -> Person:
    """A person's unit (bidang), audited `person.unit`; "" clears it. ValueError when longer than UNIT_MAX."""
    unit = " ".join(unit.split())
    if len(unit) > UNIT_MAX:
        raise ValueError(f"unit longer than {UNIT_MAX} characters")
    person = session.get(Person, person_id)
    if person.unit != unit:
        record(session, action="person.unit", entity="person", entity_id=person_id, field="unit",
               old_value=person.unit, new_value=unit, actor_person_id=actor_person_id, actor_label=actor_label)
        person.unit = unit
    session.flush()
    return person


def verifier_telegram_ids(*, session: Session, config_ids: list[int], admins_verify: bool,
                          agency_id: int | None = None) -> list[int]:
    """Who verifies (in agency `agency_id`) and can be messaged about it: granted verifiers, and the admins
    while they verify."""
    granted = list(session.exec(select(Person.telegram_user_id).where(_role_in_agency("is_verifier", agency_id),
                                                                       Person.telegram_user_id.is_not(None))).all())
    admins = admin_telegram_ids(session=session, config_ids=config_ids, agency_id=agency_id) if admins_verify else []
    return list(dict.fromkeys([*granted, *admins]))


def admin_telegram_ids(*, session: Session, config_ids: list[int], agency_id: int | None = None) -> list[int]:
    """Configured admins plus people granted admin in the bot (in agency `agency_id`) who have started it."""
    granted = session.exec(select(Person.telegram_user_id).where(_role_in_agency("is_admin", agency_id),
                                                                  Person.telegram_user_id.is_not(None))).all()
    return list(dict.fromkeys([*config_ids, *granted]))


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    onboarded: bool
    is_admin: bool
    unreachable: bool
    paused_until: object
    kegiatan_count: int


def list_people(*, session: Session, plan_id: int | None = None, agency_id: int | None = None) -> list[PersonRow]:
    """Everyone known (in agency `agency_id`), with onboarding state and how many kegiatan of the plan they hold."""
    counts: dict[int, int] = {}
    query = select(PicAssignment.person_id, sa.func.count()).group_by(PicAssignment.person_id)
    if plan_id is not None:
        query = query.join(Kegiatan, Kegiatan.id == PicAssignment.kegiatan_id).where(Kegiatan.plan_id == plan_id)
    for person_id, count in session.exec(query).all():
        counts[person_id] = count
    return [
        PersonRow(p.id, p.name, p.telegram_user_id is not None, p.is_admin, p.unreachable_at is not None,
                  p.paused_until, counts.get(p.id, 0))
        for p in session.exec(select(Person).where(in_agency(agency_id)).order_by(Person.name)).all()
    ]


def kegiatan_without_pic(plan_id: int, *, session: Session) -> list[Kegiatan]:
    assigned = select(PicAssignment.kegiatan_id)
    return list(session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.id.not_in(assigned))
                             .order_by(Kegiatan.seq)).all())


# -- who can be messaged ---------------------------------------------------------------------

def messageable(today: date | None = None):
    """The one rule of who the bot may message: onboarded (a bot cannot write first) and not
    unreachable (blocked the bot); with `today`, also not paused (on leave) that day. A SQL condition."""
    conditions = [Person.telegram_user_id.is_not(None), Person.unreachable_at.is_(None)]
    if today is not None:
        conditions.append(sa.or_(Person.paused_until.is_(None), Person.paused_until < today))
    return sa.and_(*conditions)


def reachable_people(person_ids: Iterable[int], today: date, *, session: Session) -> set[int]:
    """Of these people, those a reminder may go to today: messageable and not paused."""
    ids = list(person_ids)
    if not ids:
        return set()
    return set(session.exec(select(Person.id).where(Person.id.in_(ids), messageable(today))).all())


def notice_chats(*, session: Session, settings) -> list[int]:
    """Where late lists go: the leadership group, then every admin's private chat (of the settings' agency)."""
    admins = admin_telegram_ids(session=session, config_ids=settings.admin_telegram_ids, agency_id=settings.agency_id)
    return list(dict.fromkeys(([settings.leadership_chat_id] if settings.leadership_chat_id else []) + admins))


class Refused(Exception):
    """A change that is refused; `code` picks the message in admin_error.j2, `detail` fills it in."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail


# -- /pengguna -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonCard:
    id: int
    name: str
    nip: str | None
    telegram_user_id: int | None
    telegram_username: str | None
    onboarded_at: datetime | None  # aware UTC
    is_admin: bool  # granted in the bot
    config_admin: bool  # listed in ADMIN_TELEGRAM_IDS
    unreachable_at: datetime | None  # aware UTC
    paused_until: date | None
    kegiatan: tuple[str, ...]
    is_verifier: bool = False  # granted in the bot (/pengguna)


def person_card(person_id: int, *, session: Session, plan_id: int | None,
                config_ids: list[int]) -> PersonCard | None:
    """Everything /pengguna shows about one person."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    query = (select(Kegiatan.name).join(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
             .where(PicAssignment.person_id == person_id))
    if plan_id is not None:
        query = query.where(Kegiatan.plan_id == plan_id)
    kegiatan = tuple(session.exec(query.order_by(Kegiatan.seq)).all())
    return PersonCard(person.id, person.name, person.nip, person.telegram_user_id, person.telegram_username,
                      as_utc(person.onboarded_at), person.is_admin, person.telegram_user_id in config_ids,
                      as_utc(person.unreachable_at), person.paused_until, kegiatan, person.is_verifier)


def change_admin(person_id: int, value: bool, *, session: Session, config_ids: list[int],
                 actor_person_id: int | None = None, actor_label: str = "") -> Person:
    """Grant or revoke admin in the bot; configured admins and one's own right cannot be revoked here."""
    person = session.get(Person, person_id)
    if person is None:
        raise Refused("unknown_item")
    if not value and person.telegram_user_id in config_ids:
        raise Refused("config_admin", name=person.name)
    if not value and actor_person_id == person_id:
        raise Refused("self_revoke")
    return set_admin(person_id, value, session=session, actor_person_id=actor_person_id, actor_label=actor_label)


# -- pause (/cuti, /pengguna) ----------------------------------------------------------------------------------

# A pause longer than a quarter would silently skip a whole reporting cycle; the admin's buttons
# offer at most 30 days and /cuti a date within this.
MAX_LEAVE_DAYS = 90


class LeaveDateError(ValueError):
    """A leave date the bot cannot use; `code` picks the message (format / invalid / past / too_far)."""

    def __init__(self, code: str, **detail: Any):
        super().__init__(code)
        self.code = code
        self.detail = detail


MONTHS = {
    "januari": 1, "january": 1, "februari": 2, "february": 2, "pebruari": 2, "maret": 3, "march": 3,
    "april": 4, "mei": 5, "may": 5, "juni": 6, "june": 6, "juli": 7, "july": 7, "agustus": 8,
    "august": 8, "agt": 8, "ags": 8, "agst": 8, "september": 9, "oktober": 10, "october": 10,
    "nopember": 11, "november": 11, "desember": 12, "december": 12,
}
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS = re.compile(r"(\d{1,2})\s*([a-z]+)\.?(?:\s+(\d{4}))?")


def _month(word: str) -> int | None:
    if word in MONTHS:
        return MONTHS[word]
    found = {m for name, m in MONTHS.items() if len(word) >= 3 and name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def parse_leave_date(text: str, today: date, *, max_days: int = MAX_LEAVE_DAYS) -> date:
    """The last day of leave from `31/7`, `31-07-2020`, `31 Juli 2020`, `31 jul`, `2020-07-31`.

    A date without a year is this year's, or next year's when this year's has passed and next year's
    is within reach (`5/1` in December). Past dates and dates more than `max_days` ahead are refused.
    """
    cleaned = " ".join(text.casefold().replace(",", " ").split())
    start = next((i for i, ch in enumerate(cleaned) if ch.isdigit()), None)  # drops "sampai", "Jumat"
    if start is None:
        raise LeaveDateError("format")
    cleaned = cleaned[start:].strip()
    year: int | None
    if m := _ISO.fullmatch(cleaned):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _NUMERIC.fullmatch(cleaned):
        day, month, year = int(m[1]), int(m[2]), int(m[3]) if m[3] else None
    elif (m := _WORDS.fullmatch(cleaned)) and _month(m[2]):
        day, month, year = int(m[1]), _month(m[2]), int(m[3]) if m[3] else None
    else:
        raise LeaveDateError("format")
    if year is not None and year < 100:
        year += 2000
    latest = today + timedelta(days=max_days)
    try:
        until = date(year or today.year, month, day)
        if year is None and until < today and date(today.year + 1, month, day) <= latest:
            until = date(today.year + 1, month, day)  # 5/1 typed in December
    except ValueError:
        raise LeaveDateError("invalid") from None
    if until < today:
        raise LeaveDateError("past", until=until)
    if until > latest:
        raise LeaveDateError("too_far", until=until, latest=latest, days=max_days)
    return until


def on_leave_until(person_id: int, today: date, *, session: Session) -> date | None:
    """The last day of the person's pause, or None when they are not paused today."""
    until = session.get(Person, person_id).paused_until
    return until if until is not None and until >= today else None


def set_paused(person_id: int, until: date | None, *, session: Session, today: date, now: datetime | None = None,
               actor_person_id: int | None = None, actor_telegram_id: int | None = None,
               actor_label: str = "") -> date | None:
    """No reminders for the person through `until` (inclusive); None resumes them. Returns the old value.

    The one pause, whoever sets it: the PIC with /cuti (the audit's actor is the person themself) or
    an admin with /pengguna. At most MAX_LEAVE_DAYS ahead (LeaveDateError otherwise). Audited as
    person.pause / person.unpause.
    """
    person = session.get(Person, person_id)
    if person is None:
        raise Refused("unknown_item")
    if until is not None and until < today:
        raise LeaveDateError("past", until=until)
    if until is not None and until > today + timedelta(days=MAX_LEAVE_DAYS):
        raise LeaveDateError("too_far", until=until, latest=today + timedelta(days=MAX_LEAVE_DAYS),
                             days=MAX_LEAVE_DAYS)
    old = person.paused_until
    if old != until:
        record(session, action="person.pause" if until else "person.unpause", entity="person", entity_id=person_id,
               field="paused_until", old_value=old.isoformat() if old else None,
               new_value=until.isoformat() if until else None, actor_person_id=actor_person_id,
               actor_telegram_id=actor_telegram_id, actor_label=actor_label, at=as_utc(now) if now else None)
        person.paused_until = until
        session.flush()
    return old
