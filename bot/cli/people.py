"""`rapk invite NAME` and `rapk assign NAME [KEGIATAN...] [--iku N] [--program-indicator B.N]`."""

import argparse
import asyncio
import sys

from bot.clock import SystemClock
from bot.config import ConfigError
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.people import UNIT_MAX
from bot.domain.people import assign_outcome
from bot.domain.people import assign_pic
from bot.domain.people import create_invite
from bot.domain.people import invite_link
from bot.domain.people import match_person
from bot.domain.people import set_unit
from bot.domain.period import find_kegiatan
from bot.domain.period import find_outcome
from bot.domain.period import served_plan

NAME_HELP = ("person: #id, the name or a part of it (several matches are listed, never guessed); "
             'in double quotes exactly that name (\'"Budi"\')')


def _choices(command: str, ref: str, people) -> None:
    names = ", ".join(f"{p.name} (#{p.id})" for p in people[:10]) or "none"
    print(f"rapk {command}: {len(people)} people match {ref!r} ({names}); give more of the name or #id",
          file=sys.stderr)


def add_arguments_invite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=NAME_HELP)
    parser.add_argument("--username", help="bot username (default: TELEGRAM_BOT_USERNAME, or asked of getMe)")


def _bot_username(settings, override: str | None) -> str:
    if override or settings.telegram_bot_username:
        return (override or settings.telegram_bot_username).lstrip("@")
    if settings.telegram_bot_token is None:
        raise ConfigError("configuration error: TELEGRAM_BOT_USERNAME: set it (or TELEGRAM_BOT_TOKEN to ask getMe)")
    from telegram import Bot

    async def ask() -> str:
        kwargs = {}
        if settings.telegram_base_url:
            base = settings.telegram_base_url.rstrip("/")
            kwargs["base_url"] = base if base.endswith("/bot") else base + "/bot"
        async with Bot(settings.telegram_bot_token.get_secret_value(), **kwargs) as bot:
            return bot.username

    return asyncio.run(ask())


def cmd_invite(args) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        match = match_person(args.name, session=session, agency_id=settings.agency_id)  # as /undang reads it
        if match.person is None:
            _choices("invite", args.name, match.choices)
            return 1
    # Before the new token is saved: a failure here must leave the last printed link working.
    username = _bot_username(settings, args.username)
    with unit_of_work(engine) as session:
        invite = create_invite(match.person.id, session=session, now=SystemClock().now(),
                               ttl_days=settings.invite_ttl_days, actor_label="cli")
        name = match.person.name
    print(f"{name}: {invite_link(username, invite.token)}")
    print(f"valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC, single use")
    return 0


def add_arguments_assign(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=NAME_HELP + "; a name nobody has makes a new person")
    parser.add_argument("kegiatan", nargs="*", help="kegiatan number in document order, or part of its name")
    parser.add_argument("--iku", action="append", default=[], metavar="N",
                        help="also report IKU N (its place in the plan, as `rapk summary --json` iku[].seq); repeatable")
    parser.add_argument("--program-indicator", action="append", default=[], metavar="B.N", dest="program_indicator",
                        help="also report indicator N of program block B (program_blocks[].seq, indicators[].n); "
                             "repeatable")
    parser.add_argument("--nip", help="NIP of a new person")
    parser.add_argument("--unit", help="the unit (bidang) the person works in: column (17) of the evaluation form "
                                       "for their kegiatan; '' clears it")


def cmd_assign(args) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        plan = served_plan(session=session, settings=settings, now=SystemClock().now())
        if plan is None:
            print("rapk assign: no plan imported yet (rapk import FILE)", file=sys.stderr)
            return 1
        if not (args.kegiatan or args.iku or args.program_indicator or args.unit is not None):
            print("rapk assign: name a kegiatan, --iku N, --program-indicator B.N or --unit", file=sys.stderr)
            return 1
        if args.unit is not None and len(" ".join(args.unit.split())) > UNIT_MAX:
            print(f"rapk assign: --unit is longer than {UNIT_MAX} characters", file=sys.stderr)
            return 1
        targets = []
        outcomes = []
        for kind, ref in [(IKU, r) for r in args.iku] + [(PROGRAM_INDICATOR, r) for r in args.program_indicator]:
            item = find_outcome(plan.id, kind, ref, session=session)
            if item is None:
                what = "IKU" if kind == IKU else "program indicator"
                print(f"rapk assign: the plan has no {what} {ref!r} (see rapk summary --json)", file=sys.stderr)
                return 1
            outcomes.append(item)
        for ref in args.kegiatan:
            found = find_kegiatan(plan.id, ref, session=session)
            if len(found) != 1:
                names = "; ".join(k.name for k in found[:5]) or "none"
                print(f"rapk assign: {len(found)} kegiatan match {ref!r} ({names})", file=sys.stderr)
                return 1
            targets.append(found[0])
        match = match_person(args.name, session=session, agency_id=plan.agency_id, create=True,
                             actor_label="cli")  # the same reading as /pic
        if match.person is None:
            _choices("assign", args.name, match.choices)
            return 1
        person, created = match.person, match.created
        if created and args.nip:
            person.nip = args.nip
        if args.unit is not None:
            set_unit(person.id, args.unit, session=session, actor_label="cli")
            print(f"unit: {person.unit or '(none: the agency is printed)'}")
        for kegiatan in targets:
            added = assign_pic(person.id, kegiatan.id, session=session, actor_label="cli")
            print(f"{'assigned' if added else 'already PIC of'}: {kegiatan.seq}. {kegiatan.name}")
        for item in outcomes:
            added = assign_outcome(person.id, session=session, actor_label="cli", **item.assignment)
            label = f"IKU {item.ref}" if item.kind == IKU else f"program indicator {item.ref}"
            print(f"{'assigned' if added else 'already reports'}: {label}. {item.text}")
        if created:
            print(f"new person: {person.name} (#{person.id}); make an invite link with: rapk invite '#{person.id}'")
        else:
            print(f"person: {person.name} (#{person.id})")
    return 0
