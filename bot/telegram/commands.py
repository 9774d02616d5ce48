"""The table of commands: who may use each, whether only in a private chat, and which command menus
show it. `handlers.auth.command` takes a handler's roles from here and `handlers.registry` refuses
to start when a table entry has no handler or a registered command is missing from the table."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.people import Role

PIC_MENU, ADMIN_MENU, LEADERSHIP_MENU = "pic", "admin", "leadership"  # private chats, admins' chats, the group
VERIFIER_MENU = "verifier"  # the chat of a verifier who is not an admin: the PIC menu and /verifikasi
# The chat of the kabupaten role (not an OPD admin or verifier): the PIC menu and /rekap; its admin's adds /opd.
KABUPATEN_MENU, KABUPATEN_ADMIN_MENU = "kabupaten", "kabupaten_admin"
ANYONE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[Role]  # ANYONE: everyone
    private_only: bool = False
    menus: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()


def _c(name: str, roles=ANYONE, private_only: bool = False, menus=(), aliases=()) -> Command:
    return Command(name, frozenset(roles), private_only, frozenset(menus), tuple(aliases))


_PIC, _ADMIN, _LEAD = frozenset({Role.PIC}), frozenset({Role.ADMIN}), frozenset({Role.LEADERSHIP, Role.ADMIN})
_VERIFIER = frozenset({Role.VERIFIER})  # admins hold it too while ADMINS_VERIFY is on
# The kabupaten (Bappeda / evaluator) reads every OPD; its admin (who holds KABUPATEN too) adds OPD.
_KABUPATEN, _KABUPATEN_ADMIN = frozenset({Role.KABUPATEN}), frozenset({Role.KABUPATEN_ADMIN})

# In menu order: the admin menu is the PIC menu followed by the admin commands.
COMMANDS: tuple[Command, ...] = (
    _c("start", private_only=True, menus=[PIC_MENU]),  # in a group: the private-chat button (handlers/start.py)
    _c("lapor", _PIC, True, [PIC_MENU]),
    _c("status", _PIC, True, [PIC_MENU]),
    _c("cuti", _PIC, True, [PIC_MENU]),
    _c("bantuan", menus=[PIC_MENU, LEADERSHIP_MENU], aliases=["help"]),
    _c("batal", menus=[PIC_MENU]),
    _c("impor", _ADMIN, True, [ADMIN_MENU]),
    _c("target", _ADMIN, True, [ADMIN_MENU]),
    _c("anggarankas", _ADMIN, True, [ADMIN_MENU]),
    _c("pic", _ADMIN, True, [ADMIN_MENU]),
    _c("undang", _ADMIN, True, [ADMIN_MENU]),
    _c("kunci", _ADMIN, True, [ADMIN_MENU]),
    _c("buka", _ADMIN, True, [ADMIN_MENU]),
    _c("pengguna", _ADMIN, True, [ADMIN_MENU]),
    _c("ingatkan", _ADMIN, True, [ADMIN_MENU]),
    _c("jadwal", _ADMIN, True, [ADMIN_MENU]),
    _c("ringkasan", _LEAD, False, [ADMIN_MENU, LEADERSHIP_MENU]),
    _c("ekspor", _LEAD, False, [ADMIN_MENU, LEADERSHIP_MENU]),
    _c("riwayat", _ADMIN, True, [ADMIN_MENU]),
    _c("verifikasi", _VERIFIER, True, [ADMIN_MENU, VERIFIER_MENU]),
    _c("rekap", _KABUPATEN, True, [KABUPATEN_MENU, KABUPATEN_ADMIN_MENU]),
    _c("opd", _KABUPATEN_ADMIN, True, [KABUPATEN_ADMIN_MENU]),
    # Anyone: a person with roles in several OPD picks the one they act as (the domain checks they belong).
    _c("instansi", ANYONE, True, [ADMIN_MENU, VERIFIER_MENU]),
)
BY_NAME: dict[str, Command] = {n: c for c in COMMANDS for n in (c.name, *c.aliases)}
# The leadership group reads the summary commands first, help last.
_LEADERSHIP_ORDER = ("ringkasan", "ekspor", "bantuan")


_WITH_PIC_MENU = (ADMIN_MENU, VERIFIER_MENU, KABUPATEN_MENU, KABUPATEN_ADMIN_MENU)


def menu(scope: str) -> list[str]:
    """Command names of one menu, in order; the admin and the verifier menus include the PIC menu."""
    if scope == LEADERSHIP_MENU:
        return [n for n in _LEADERSHIP_ORDER if LEADERSHIP_MENU in BY_NAME[n].menus]
    scopes = {PIC_MENU, scope} if scope in _WITH_PIC_MENU else {scope}
    return [c.name for c in COMMANDS if c.menus & scopes]


def all_names() -> set[str]:
    """Every command and alias in the table."""
    return set(BY_NAME)
