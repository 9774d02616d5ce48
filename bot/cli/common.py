"""What several `rapk` subcommands share: finding the one kegiatan a command line names."""

import sys

from bot.domain.period import find_kegiatan


def one_kegiatan(command: str, plan_id: int, ref: str, *, session):
    """The kegiatan `ref` names (its number in document order or part of its name), or None after one
    line on stderr listing the matches (none, or several)."""
    found = find_kegiatan(plan_id, ref, session=session)
    if len(found) != 1:
        names = "; ".join(f"{k.seq}. {k.name}" for k in found[:5]) or "none"
        print(f"rapk {command}: {len(found)} kegiatan match {ref!r} ({names})", file=sys.stderr)
        return None
    return found[0]
