"""`rapk rekap [--quarter N] [--json] [--xlsx FILE] [--chart FILE] [--as-of YYYY-MM-DD]` (every OPD, ranked:
bot.domain.kabupaten), `rapk agency add NAME --admin NAME` / `rapk agency list` (onboarding an OPD),
`rapk agency member AGENCY PERSON [--admin] [--verifier] [--remove]` / `rapk agency members AGENCY` (roles in a
further OPD) and
`rapk kabupaten NAME [--admin] [--revoke]` (the kabupaten role)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path

from bot.cli.people import NAME_HELP
from bot.cli.people import _bot_username
from bot.cli.people import _choices
from bot.cli.reports import _json_default
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.people import Refused
from bot.domain.people import invite_link
from bot.domain.people import match_person


def _open():
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    return settings, engine


def add_arguments_rekap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quarter", "-q", type=int, choices=(1, 2, 3, 4),
                        help="triwulan 1..4 (default: each OPD's quarter served now)")
    parser.add_argument("--json", action="store_true", help="the rekap's numbers as JSON")
    parser.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help="also write the kabupaten workbook")
    parser.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the kabupaten chart")
    parser.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the state at the end of that day (default: now)")


def cmd_rekap(args: argparse.Namespace) -> int:
    from bot.domain.digest import html_to_plain
    from bot.domain.kabupaten import rekap
    from bot.domain.kabupaten import rekap_numbers
    from bot.domain.kabupaten_chart import kabupaten_chart
    from bot.domain.kabupaten_workbook import build_kabupaten_workbook
    from bot.text.render import render

    settings, engine = _open()
    now = datetime.combine(args.as_of, time.max, tzinfo=settings.tz) if args.as_of else SystemClock().now()
    with unit_of_work(engine) as session:
        result = rekap(session=session, settings=settings, now=now, quarter=args.quarter)
    if result.quarter is None:
        print("rapk rekap: no OPD has a plan yet (rapk agency add, then rapk import FILE)", file=sys.stderr)
        return 1
    for path, build in ((args.xlsx, build_kabupaten_workbook), (args.chart, kabupaten_chart)):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(build(result, lang=settings.language))
            print(f"{path}: written", file=sys.stderr)
    if args.json:
        print(json.dumps(rekap_numbers(result), ensure_ascii=False, indent=2, default=_json_default))
    else:
        print(html_to_plain(render("rekap", settings.language, r=result)))
    return 0


def add_arguments_agency(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="a new OPD and a one-time invite for its first admin")
    add.add_argument("name", help="the OPD's name, e.g. 'Dinas Sosial'")
    add.add_argument("--admin", required=True, metavar="NAME", help="the first admin's name (a new person)")
    add.add_argument("--username", help="bot username (default: TELEGRAM_BOT_USERNAME, or asked of getMe)")
    sub.add_parser("list", help="every OPD, its plan years and its admins")
    member = sub.add_parser("member", help="make a person of another OPD a member of this one, with roles; "
                                           "--remove takes a role, or (no role named) the membership")
    member.add_argument("agency", metavar="AGENCY", help="the OPD: its id, its name or a part of it")
    member.add_argument("person", metavar="PERSON", help=NAME_HELP)
    member.add_argument("--admin", action="store_true", help="admin of the OPD")
    member.add_argument("--verifier", action="store_true", help="verifier of the OPD")
    member.add_argument("--remove", action="store_true",
                        help="revoke the roles named; with none, end the membership (nothing else is deleted)")
    members = sub.add_parser("members", help="the members of an OPD from other OPD, with their roles")
    members.add_argument("agency", metavar="AGENCY", help="the OPD: its id, its name or a part of it")


def cmd_agency(args: argparse.Namespace) -> int:
    from bot.domain.kabupaten import add_agency
    from bot.domain.kabupaten import agency_lines

    settings, engine = _open()
    if args.action in ("member", "members"):
        return _membership(args, engine)
    if args.action == "list":
        with unit_of_work(engine) as session:
            for a in agency_lines(session=session):
                years = ", ".join(map(str, a.years)) or "no plan"
                admins = ", ".join(a.admins) or "no admin"
                print(f"#{a.id} {a.name}: {years}; admins: {admins} ({a.admins_onboarded} connected)")
        return 0
    username = _bot_username(settings, args.username)  # before anything is saved
    try:
        with unit_of_work(engine) as session:
            new = add_agency(args.name, args.admin, session=session, now=SystemClock().now(),
                             ttl_days=settings.invite_ttl_days, actor_label="cli")
            agency, admin, invite = new.agency.name, new.admin.name, new.invite
    except Refused as refused:
        what = {"opd_exists": f"an OPD named {refused.detail.get('raw')!r} exists already",
                "opd_name": f"the OPD name is empty or longer than {refused.detail.get('limit')} characters",
                "opd_admin_name": f"--admin is empty or longer than {refused.detail.get('limit')} characters"}
        print(f"rapk agency add: {what.get(refused.code, refused.code)}", file=sys.stderr)
        return 1
    print(f"OPD added: {agency}; first admin: {admin}")
    print(f"{admin}: {invite_link(username, invite.token)}")
    print(f"valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC, single use")
    return 0


def _member_line(m) -> str:
    roles = ", ".join(r for r, on in (("admin", m.is_admin), ("verifier", m.is_verifier)) if on) or "no role"
    own = f" of {m.own_agency}" if m.own_agency else ""
    return f"{m.name} (#{m.person_id}{own}): {roles}{'' if m.onboarded else ' (not connected yet)'}"


def _membership(args: argparse.Namespace, engine) -> int:
    """`rapk agency member AGENCY PERSON [--admin] [--verifier] [--remove]` and `rapk agency members AGENCY`."""
    from bot.domain.agencies import agency_members
    from bot.domain.agencies import find_agency
    from bot.domain.agencies import set_member

    command = f"agency {args.action}"
    with unit_of_work(engine) as session:
        agency = find_agency(args.agency, session=session)
        if agency is None:
            print(f"rapk {command}: no agency (or several) match {args.agency!r} (rapk agency list)", file=sys.stderr)
            return 1
        if args.action == "members":
            lines = [_member_line(m) for m in agency_members(agency.id, session=session)]
            print(f"#{agency.id} {agency.name}: {len(lines)} member(s) from other OPD")
            for line in lines:
                print(f"  {line}")
            return 0
        match = match_person(args.person, session=session)
        if match.person is None:
            _choices(command, args.person, match.choices)
            return 1
        roles = {"admin": args.admin or None, "verifier": args.verifier or None}
        if args.remove:
            roles = {role: False if on else None for role, on in roles.items()}
        try:
            member = set_member(agency.id, match.person.id, session=session, remove=args.remove, actor_label="cli",
                                **roles)
        except Refused as refused:
            d = refused.detail
            what = {"own_agency": f"{d.get('agency')} is {d.get('person')}'s own agency: their roles there are "
                                  "given in /pengguna",
                    "not_member": f"{d.get('person')} is no member of {d.get('agency')}: nothing to remove"}
            print(f"rapk {command}: {what.get(refused.code, refused.code)}", file=sys.stderr)
            return 1
    if member.removed:
        print(f"{member.name} (#{member.person_id}) is no longer a member of {member.agency}")
    else:
        print(f"{member.agency}: {_member_line(member)}")
    return 0


def add_arguments_kabupaten(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=NAME_HELP)
    parser.add_argument("--admin", action="store_true", help="the kabupaten admin: also adds OPD (/opd tambah)")
    parser.add_argument("--revoke", action="store_true", help="take the role (with --admin: only the admin role)")


def cmd_kabupaten(args: argparse.Namespace) -> int:
    from bot.domain.kabupaten import set_kabupaten

    _, engine = _open()
    with unit_of_work(engine) as session:
        match = match_person(args.name, session=session)
        if match.person is None:
            _choices("kabupaten", args.name, match.choices)
            return 1
        if args.revoke:
            changes = {"admin": False} if args.admin else {"reader": False, "admin": False}
        else:
            changes = {"reader": True, **({"admin": True} if args.admin else {})}
        person = set_kabupaten(match.person.id, session=session, actor_label="cli", **changes)
        roles = [n for n, on in (("kabupaten", person.is_kabupaten), ("kabupaten admin", person.is_kabupaten_admin))
                 if on]
        print(f"{person.name} (#{person.id}): {', '.join(roles) or 'no kabupaten role'}")
    return 0
