"""What several `rapk` subcommands share: finding the one kegiatan a command line names, and `--agency`."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

AGENCY_HELP = "the agency (OPD) whose plan: its id, its name or a part of it (default: AGENCY_ID, AGENCY_NAME, " \
              "else the only agency)"


def agency_argument(parser) -> None:
    parser.add_argument("--agency", metavar="NAME|ID", help=AGENCY_HELP)


@contextmanager
def agency_pinned(command: str, ref: str | None) -> Iterator[None]:
    """While a command runs, the agency `--agency` names is the one served (AGENCY_ID, which every
    `load_settings()` of the command reads); a name no agency has stops the command with one line."""
    if not ref:
        yield
        return
    from bot.config import load_settings
    from bot.db import make_engine
    from bot.db import migrate
    from bot.db import unit_of_work
    from bot.domain.agencies import find_agency

    engine = make_engine(load_settings().database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        agency = find_agency(ref, session=session)
        agency_id = agency.id if agency else None
    engine.dispose()
    if agency_id is None:
        raise SystemExit(f"rapk {command}: no agency (or several) match {ref!r}")
    saved = os.environ.get("AGENCY_ID")
    os.environ["AGENCY_ID"] = str(agency_id)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AGENCY_ID", None)
        else:
            os.environ["AGENCY_ID"] = saved


def one_kegiatan(command: str, plan_id: int, ref: str, *, session):
    """The kegiatan `ref` names (its number in document order or part of its name), or None after one
    line on stderr listing the matches (none, or several)."""
    from bot.domain.period import find_kegiatan

    found = find_kegiatan(plan_id, ref, session=session)
    if len(found) != 1:
        names = "; ".join(f"{k.seq}. {k.name}" for k in found[:5]) or "none"
        print(f"rapk {command}: {len(found)} kegiatan match {ref!r} ({names})", file=sys.stderr)
        return None
    return found[0]
