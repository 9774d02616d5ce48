"""People, roles, PIC assignments and onboarding invites (no Telegram imports)."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.domain.audit import record
from models.base import as_utc
from models import Invite, Kegiatan, Person, PicAssignment


class Role(StrEnum):
    STRANGER = "stranger"
    PIC = "pic"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """Who is asking: the bound person (if any) and what they may do."""

    telegram_user_id: int
    person_id: int | None
    name: str | None
    is_admin: bool
    is_pic: bool
    is_leadership: bool = False

    @property
    def roles(self) -> set[Role]:
        roles = set()
        if self.is_admin:
            roles.add(Role.ADMIN)
        if self.is_pic:
            roles.add(Role.PIC)
        if self.is_leadership:
            roles.add(Role.LEADERSHIP)
        return roles or {Role.STRANGER}

    def has(self, role: Role) -> bool:
        return role in self.roles


def resolve_actor(telegram_user_id: int, *, session: Session, admin_ids: list[int],
                  is_leadership: bool = False) -> Actor:
    """Build the Actor for a Telegram user from the database and the configured admins."""
    person = session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()
    is_pic = False
    if person is not None:
        is_pic = session.exec(
            select(PicAssignment.id).where(PicAssignment.person_id == person.id).limit(1)
        ).first() is not None
    return Actor(
        telegram_user_id=telegram_user_id,
        person_id=person.id if person else None,
        name=person.name if person else None,
        is_admin=telegram_user_id in admin_ids or bool(person and person.is_admin),
        is_pic=is_pic,
        is_leadership=is_leadership,
    )


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


def pics_of(kegiatan_id: int, *, session: Session) -> list[Person]:
    return list(session.exec(
        select(Person).join(PicAssignment, PicAssignment.person_id == Person.id)
        .where(PicAssignment.kegiatan_id == kegiatan_id).order_by(Person.name)
    ).all())


def find_people(ref: str, *, session: Session, agency_id: int | None = None) -> list[Person]:
    """People by id (`#12`), exact name, or a case-insensitive part of the name."""
    query = select(Person)
    if agency_id is not None:
        query = query.where(sa.or_(Person.agency_id == agency_id, Person.agency_id.is_(None)))
    ref = ref.strip()
    if ref.startswith("#") and ref[1:].isdigit():
        return list(session.exec(query.where(Person.id == int(ref[1:]))).all())
    rows = session.exec(query.order_by(Person.name)).all()
    needle = ref.casefold()
    exact = [p for p in rows if p.name.casefold() == needle]
    return exact or [p for p in rows if needle in p.name.casefold()]


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


def admin_telegram_ids(*, session: Session, config_ids: list[int]) -> list[int]:
    """Configured admins plus people granted admin in the bot who have started it."""
    granted = session.exec(select(Person.telegram_user_id).where(Person.is_admin.is_(True),
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


def list_people(*, session: Session, plan_id: int | None = None) -> list[PersonRow]:
    """Everyone known, with onboarding state and how many kegiatan of the plan they hold."""
    counts: dict[int, int] = {}
    query = select(PicAssignment.person_id, sa.func.count()).group_by(PicAssignment.person_id)
    if plan_id is not None:
        query = query.join(Kegiatan, Kegiatan.id == PicAssignment.kegiatan_id).where(Kegiatan.plan_id == plan_id)
    for person_id, count in session.exec(query).all():
        counts[person_id] = count
    return [
        PersonRow(p.id, p.name, p.telegram_user_id is not None, p.is_admin, p.unreachable_at is not None,
                  p.paused_until, counts.get(p.id, 0))
        for p in session.exec(select(Person).order_by(Person.name)).all()
    ]


def kegiatan_without_pic(plan_id: int, *, session: Session) -> list[Kegiatan]:
    assigned = select(PicAssignment.kegiatan_id)
    return list(session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.id.not_in(assigned))
                             .order_by(Kegiatan.seq)).all())
