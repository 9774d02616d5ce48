"""Authorization matrix: every registered command from every role, in a private chat and in a group;
a forged callback for every callback prefix the bot registers, from those who may not use it.

Data-driven from the running application's handlers: a command or callback prefix that someone
registers later without a row in EXPECTED / FORGED fails here with a message saying what to add.
"""

import functools
import html
import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone

import pytest
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler

from bot.db import unit_of_work
from bot.domain.people import Role
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from bot.main import build_application
from bot.text.render import render
from handlers.registry import all_handlers
from models import Person
from tests.support import harness as harness_module
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import OTHER_GROUP
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID
from tests.support.harness import BotHarness

ADMIN, PIC, LEADERSHIP, STRANGER, VERIFIER = Role.ADMIN, Role.PIC, Role.LEADERSHIP, Role.STRANGER, Role.VERIFIER
KABUPATEN, KABUPATEN_ADMIN = Role.KABUPATEN, Role.KABUPATEN_ADMIN
VERIFIER_ID = 4001  # granted the verifier role in /pengguna: neither admin nor PIC
BAPPEDA_ID, KAB_ADMIN_ID = 4101, 4102  # the kabupaten role (reads every OPD) and the kabupaten admin (adds OPD)
ANYONE = None

# command → (roles that may use it, or ANYONE; private chat only)
EXPECTED: dict[str, tuple[frozenset | None, bool]] = {
    "start": (ANYONE, True),
    "bantuan": (ANYONE, False),
    "help": (ANYONE, False),
    "batal": (ANYONE, False),
    "lapor": (frozenset({PIC}), True),
    "status": (frozenset({PIC}), True),
    "cuti": (frozenset({PIC}), True),
    "ringkasan": (frozenset({LEADERSHIP, ADMIN}), False),
    "ekspor": (frozenset({LEADERSHIP, ADMIN}), False),
    "verifikasi": (frozenset({VERIFIER}), True),  # admins verify by default (ADMINS_VERIFY)
    "rekap": (frozenset({KABUPATEN}), True),  # the kabupaten admin holds KABUPATEN too
    "opd": (frozenset({KABUPATEN_ADMIN}), True),
    "instansi": (ANYONE, True),  # lists only the sender's own agencies
    **{name: (frozenset({ADMIN}), True) for name in (
        "impor", "target", "anggarankas", "riwayat", "kunci", "buka", "pengguna", "pic", "undang", "ingatkan", "jadwal")},
}

# callback prefix → (roles that may press it, forged data; {k1}/{k2}: Budi's/Sari's kegiatan, {a1}: an aksi
# of Budi's, {i1}: an indicator, {budi}/{rina}: people, {plan}: the plan)
FORGED: dict[str, tuple[frozenset, list[str]]] = {
    "pic:": (frozenset({ADMIN}), ["pic:t:{rina}:{k1}", "pic:p:{rina}", "pic:g:{rina}:{program}", "pic:ppg:0",
                                  "pic:s:{rina}", "pic:o:{rina}:s:1", "pic:o:{rina}:p:1"]),
    "inv:": (frozenset({ADMIN}), ["inv:p:{rina}", "inv:ppg:0"]),
    "imp:": (frozenset({ADMIN}), ["imp:ok:deadbeef", "imp:pg:1", "imp:x", "imp:f:deadbeef", "imp:sh:deadbeef:0"]),
    "tg:": (frozenset({ADMIN}), ["tg:pp:0", "tg:k:{k1}", "tg:a:{a1}", "tg:q:{a1}:2", "tg:i:{i1}", "tg:ok:deadbeef",
                                "tg:rn:k:{k1}", "tg:rn:a:{a1}", "tg:rn:i:{i1}", "tg:m:a:{a1}", "tg:m:i:{i1}",
                                "tg:mm:a:{a1}:level", "tg:mm:i:{i1}:negative", "tg:sp:i:{i1}", "tg:spk:{i1}"]),
    "rw:": (frozenset({ADMIN}), ["rw:pp:0", "rw:a:{a1}", "rw:g:{k1}", "rw:i:{i1}"]),
    "lk:": (frozenset({ADMIN}), ["lk:L2:ok:0", "lk:L2:ok:{k1}", "lk:U2:ok:0", "lk:L2:pp:0"]),
    "usr:": (frozenset({ADMIN}), ["usr:adm:{budi}:1", "usr:pz:{budi}:20200701", "usr:p:{budi}", "usr:pg:0",
                                  "usr:ver:{budi}:1"]),
    # A PIC's forged «Terima» on the pending report of their own kegiatan: refused, no row changes.
    "vf:": (frozenset({VERIFIER}), ["vf:a:{k1}:2", "vf:r:{k1}:2", "vf:n:{k1}:2", "vf:all", "vf:allok", "vf:x"]),
    "lp:": (frozenset({PIC}), ["lp:k:{k2}:2", "lp:save:deadbeef", "lp:q:1", "lp:a:eq", "lp:x", "lp:o:2", "lp:oc:eq",
                               "lp:oc:ok", "lp:eo:0", "lp:a:all", "lp:n:all", "lp:n:pendorong",
                               "lp:ed:p", "lp:nx:{k2}:2", "lp:po:{plan}:2", "lp:pq:{plan}:1"]),
    "lapor:": (frozenset({PIC}), ["lapor:{k2}", "lapor:o"]),
    "rk:": (frozenset({LEADERSHIP, ADMIN}), ["rk:d:{plan}:2", "rk:k:{k1}:2", "rk:e:{k1}:2", "rk:t:{k1}:2",
                                             "rk:n:{budi}:{k1}:2"]),
    "cuti:": (frozenset({PIC}), ["cuti:end", "cuti:x"]),
    "rkp:": (frozenset({KABUPATEN}), ["rkp:o:{agency}:2", "rkp:r:2", "rkp:x:2"]),
    # Anyone known may choose among their own agencies; an agency they are not in (the other agency's, one
    # that does not exist) is refused: the two-agency test below forges the other agency's.
    "ins:": (frozenset({PIC, ADMIN, VERIFIER, LEADERSHIP, KABUPATEN, KABUPATEN_ADMIN}),
             ["ins:p:{agency}", "ins:p:99999"]),
}
MUST_BE_REGISTERED = {"pic:", "inv:", "lp:", "lapor:", "imp:", "tg:", "lk:", "usr:", "rw:", "rkp:"}
# A PIC pressing PIC buttons that name someone else's kegiatan: also refused, nothing changes.
OTHER_PICS_ITEMS = ["lapor:{k2}", "lp:k:{k2}:2", "lp:nx:{k2}:2", "lp:save:deadbeef", "lapor:o", "lp:o:2",
                    "lp:po:{plan}:2"]  # the PIC holds no IKU


@pytest.fixture
async def bot(fake, db_url, engine, small_plan, monkeypatch):
    """The real bot without the outgoing rate limiter: its 20-messages-a-minute group limit would make
    this matrix wait minutes for the group replies, and rate limiting has nothing to do with authorization."""
    monkeypatch.setattr(harness_module, "build_application", functools.partial(build_application, rate_limiter=False))
    fake.add_user(VERIFIER_ID, "Vera", username="vera")
    fake.add_user(BAPPEDA_ID, "Bappeda", username="bappeda")
    fake.add_user(KAB_ADMIN_ID, "AdminKab", username="adminkab")
    with unit_of_work(engine) as session:
        session.add(Person(name="Vera Verifikator", telegram_user_id=VERIFIER_ID, is_verifier=True))
        session.add(Person(name="Bu Bappeda", telegram_user_id=BAPPEDA_ID, is_kabupaten=True))
        session.add(Person(name="Pak Admin Kabupaten", telegram_user_id=KAB_ADMIN_ID, is_kabupaten_admin=True))
        # Budi's TW II report waits for verification: what a forged «Terima» would accept.
        kegiatan = small_plan["kegiatan"][0]
        save_report(Submission(kegiatan_id=kegiatan, quarter=2, budget_realised=1), session=session,
                    person_id=small_plan["budi"], actor_label="Budi", now=datetime(2020, 6, 22, tzinfo=timezone.utc),
                    late=False)
    h = BotHarness(fake, db_url)
    await h.start()
    yield h
    await h.stop()


@dataclass(frozen=True)
class Sender:
    name: str
    user: int
    chat: int
    roles: frozenset

    @property
    def in_group(self) -> bool:
        return self.chat != self.user


SENDERS = [
    Sender("stranger", STRANGER_ID, STRANGER_ID, frozenset({STRANGER})),
    Sender("stranger in a group", STRANGER_ID, OTHER_GROUP, frozenset({STRANGER})),
    Sender("PIC", PIC_ID, PIC_ID, frozenset({PIC})),
    Sender("PIC in a group", PIC_ID, OTHER_GROUP, frozenset({PIC})),
    Sender("leadership member", LEADER_ID, LEADER_ID, frozenset({LEADERSHIP})),
    Sender("leadership member in the leadership group", LEADER_ID, LEADERSHIP_CHAT, frozenset({LEADERSHIP})),
    Sender("verifier", VERIFIER_ID, VERIFIER_ID, frozenset({VERIFIER})),
    Sender("kabupaten (Bappeda)", BAPPEDA_ID, BAPPEDA_ID, frozenset({KABUPATEN})),
    Sender("kabupaten admin", KAB_ADMIN_ID, KAB_ADMIN_ID, frozenset({KABUPATEN, KABUPATEN_ADMIN})),
    Sender("admin", ADMIN_ID, ADMIN_ID, frozenset({ADMIN, LEADERSHIP, VERIFIER})),
    Sender("admin in the leadership group", ADMIN_ID, LEADERSHIP_CHAT, frozenset({ADMIN, LEADERSHIP, VERIFIER})),
]


def registered(app) -> tuple[set[str], set[str]]:
    """Every command and every callback-data prefix the application has a handler for."""
    handlers = all_handlers(app)
    commands = {c for h in handlers if isinstance(h, CommandHandler) for c in h.commands}
    prefixes = set()
    for h in handlers:
        if isinstance(h, CallbackQueryHandler) and h.pattern is not None:
            pattern = h.pattern.pattern if hasattr(h.pattern, "pattern") else str(h.pattern)
            m = re.match(r"\^(?:\(([a-z|]+)\)|([a-z]+)):", pattern)
            assert m, f"callback pattern {pattern!r} has no `^prefix:`; tests/test_authz.py cannot forge it"
            prefixes |= {f"{p}:" for p in (m[1] or m[2]).split("|")}
    return commands, prefixes


def expected_outcome(command: str, sender: Sender) -> str:
    allowed, private_only = EXPECTED[command]
    if allowed is not None and not sender.roles & allowed:
        return "refused"
    return "private hint" if private_only and sender.in_group else "allowed"


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"</?[a-z][^>]*>", "", text))


REFUSALS = {_plain(render("refused", "id", actor=None, needed=needed, stranger=stranger))
            for needed, stranger in ((["admin"], True), (["admin"], False), (["leadership"], False), (["pic"], False),
                                     (["verifier"], False), (["kabupaten"], False), (["kabupaten_admin"], False))}
PRIVATE_HINT = _plain(render("use_private_chat", "id"))
# A crash is neither allowed nor refused: the error handler's apology, or its notice to the admins.
APOLOGY = _plain(render("error", "id"))
CRASH_NOTICE = _plain(render("error_admin", "id", error="", where="")).strip()


def classify(replies: list[str]) -> str:
    if not replies:
        return "silence"
    if any(r == APOLOGY or r.startswith(CRASH_NOTICE) for r in replies):
        return "crashed"
    if any(r in REFUSALS for r in replies):
        return "refused"
    if any(r == PRIVATE_HINT for r in replies):
        return "private hint"
    return "allowed"


def rounds(senders: list[Sender]) -> list[list[Sender]]:
    """Batches in which each chat has at most one sender, so every reply is attributable."""
    out: list[list[Sender]] = []
    for sender in senders:
        batch = next((b for b in out if all(s.chat != sender.chat for s in b)), None)
        if batch is None:
            out.append(batch := [])
        batch.append(sender)
    return out


async def send_round(fake, command: str, batch: list[Sender]) -> dict[Sender, str]:
    marks = {s: len(fake.messages_to(s.chat)) for s in batch}
    for s in batch:
        fake.send_command(s.user, f"/{command}", chat_id=None if not s.in_group else s.chat)
    await fake.wait_idle()
    return {s: classify([_plain(m.get("text") or "") for m in fake.messages_to(s.chat)[marks[s]:]]) for s in batch}


async def test_every_command_from_every_role(bot, fake, engine, small_plan):
    commands, _ = registered(bot.app)
    unknown = sorted(commands - set(EXPECTED))
    if unknown:
        pytest.fail(f"commands {['/' + c for c in unknown]} are registered but tests/test_authz.py EXPECTED has no "
                    "row for them: add (roles that may use it, private-chat only) so their authorization is tested")
    wrong = []
    for command in sorted(commands):
        outcomes = {s: expected_outcome(command, s) for s in SENDERS}
        refused = [s for s in SENDERS if outcomes[s] != "allowed"]
        allowed = [s for s in SENDERS if outcomes[s] == "allowed"]
        for batch in rounds(refused):
            before = snapshot(engine, conversations=True)
            got = await send_round(fake, command, batch)
            changed = changed_tables(before, snapshot(engine, conversations=True))
            wrong += [f"/{command} from {s.name}: expected {outcomes[s]}, got {got[s]}" for s in batch
                      if got[s] != outcomes[s]]
            wrong += [f"/{command} refused to {[s.name for s in batch]} still changed {changed}"] if changed else []
        for batch in rounds(allowed):
            got = await send_round(fake, command, batch)
            wrong += [f"/{command} from {s.name}: expected allowed, got {got[s]}" for s in batch if got[s] != "allowed"]
            for s in batch:  # leave no conversation running for the next command
                fake.send_command(s.user, "/batal", chat_id=None if not s.in_group else s.chat)
            await fake.wait_idle()
    assert not wrong, "\n".join(wrong)


def _forged(data: str, small_plan: dict) -> str:
    k1, k2 = small_plan["kegiatan"]
    return data.format(k1=k1, k2=k2, a1=small_plan["aksi"][k1][0], i1=1, budi=small_plan["budi"],
                       rina=small_plan["rina"], plan=small_plan["plan"], program=small_plan["program"],
                       agency=small_plan["agency"])


async def test_forged_callbacks_are_refused_and_change_nothing(bot, fake, engine, small_plan):
    _, prefixes = registered(bot.app)
    assert MUST_BE_REGISTERED <= prefixes, f"not registered: {sorted(MUST_BE_REGISTERED - prefixes)}"
    unknown = sorted(prefixes - set(FORGED))
    if unknown:
        pytest.fail(f"callback prefixes {unknown} are registered but tests/test_authz.py FORGED has no row for "
                    "them: add (roles that may press them, sample callback data) so forged presses are tested")
    private = [s for s in SENDERS if not s.in_group]
    for s in private:  # a bot message to press on
        fake.send_command(s.user, "/bantuan")
    await fake.wait_idle()
    presses = []  # (who, data, must be the refusal alert)
    for prefix in sorted(prefixes):
        allowed, samples = FORGED[prefix]
        for s in private:
            if not s.roles & allowed:
                presses += [(s, _forged(d, small_plan), True) for d in samples]
            elif PIC in s.roles and prefix in ("lp:", "lapor:"):
                presses += [(s, _forged(d, small_plan), False) for d in OTHER_PICS_ITEMS if d.startswith(prefix)]
    before = snapshot(engine, conversations=True)
    sent = {}
    # One round per sender at a time (their presses together, handled in the order sent), not all at once: no
    # forged press gets a message, so each sender's last message stays the one pressed on.
    for sender in private:
        for s, data, refusal in (p for p in presses if p[0] is sender):
            update = fake.press_button(s.user, fake.messages_to(s.chat)[-1], data, forge=True)
            sent[update["callback_query"]["id"]] = (s, data, refusal)
        await fake.wait_idle(timeout=30)
    answers = {c.params["callback_query_id"]: c.params for c in fake.calls("answerCallbackQuery")}
    # The refusal, or «this button is no longer valid» where no handler takes the data outside its conversation.
    refusals = {render("refused_alert", "id"), render("stale_button", "id")}
    wrong = []
    for query_id, (s, data, refusal) in sent.items():
        answer = answers.get(query_id)
        if answer is None:
            wrong.append(f"{data!r} from {s.name}: never answered (the button would spin)")
        elif refusal and (answer.get("text") not in refusals or not answer.get("show_alert")):
            wrong.append(f"{data!r} from {s.name}: expected the refusal alert, got {answer.get('text')!r}")
    assert not wrong, "\n".join(wrong)
    assert changed_tables(before, snapshot(engine, conversations=True)) == []
    bot_messages = sum(len(fake.messages_to(s.chat)) for s in private)
    assert bot_messages == len(private)  # the /bantuan answers only: no forged press got a message


# -- two agencies: nobody of OPD A sees or changes anything of OPD B, and the other way round -------------

# Every command, bare and with a number of the plan: what it shows is the sender's agency's only.
AGENCY_COMMANDS = [(name, None) for name in sorted(EXPECTED) if name not in ("batal", "help", "bantuan")] + [
    ("target", "1"), ("ingatkan", "1"), ("ringkasan", "2"), ("ringkasan", "2 2020"), ("ekspor", "2"),
    ("ekspor", "pdf 2"), ("riwayat", "1")]
# Commands naming a person of the other agency by id: nobody is found, shown, invited or assigned; no row changes.
CROSS_AGENCY_COMMANDS = [("pic", "#{budi}"), ("pic", "#{rina}"), ("undang", "#{budi}"), ("undang", "#{rina}")]


@pytest.fixture
async def two_agencies(fake, db_url, engine, small_plan, monkeypatch):
    """The small plan's agency A and an agency B (tests/support/agencies.py), the bot running."""
    from tests.support.agencies import add_agency_b

    monkeypatch.setattr(harness_module, "build_application", functools.partial(build_application, rate_limiter=False))
    with unit_of_work(engine) as session:
        sides = add_agency_b(session, fake, small_plan)
    h = BotHarness(fake, db_url)
    await h.start()
    yield sides
    await h.stop()


def _shown(fake, chats: set[int], since: int) -> list[str]:
    """Every string the bot sent to `chats` after call number `since`: texts, captions, buttons, file names."""
    out = []
    for call in fake.calls()[since:]:
        if call.chat_id in chats or (call.method.lower() == "answercallbackquery"):
            out += [str(v) for v in call.params.values()]
    return out


def _leaks(shown: list[str], secrets: tuple[str, ...]) -> list[str]:
    return sorted({s for s in secrets for text in shown if s.casefold() in html.unescape(text).casefold()})


# Each direction on its own (A's people asking about B, then B's about A), so the two can run side by side.
DIRECTIONS = pytest.mark.parametrize("direction", ["a_asks", "b_asks"])


def _sides(two_agencies, direction: str) -> list:
    return [two_agencies if direction == "a_asks" else two_agencies[::-1]]


@DIRECTIONS
async def test_two_agencies_commands_show_only_their_own_agency(two_agencies, fake, engine, direction):
    wrong = []
    for me, other in _sides(two_agencies, direction):
        chats = {chat for _, _, chat in me.senders}
        crossing = [(c, a.format(**other.ids)) for c, a in CROSS_AGENCY_COMMANDS]
        for command, args in AGENCY_COMMANDS + crossing:
            for who, user, chat in me.senders:
                naming_other = (command, args) in crossing
                if naming_other:  # only those must change nothing: the database as it is before them
                    await fake.wait_idle()
                    before = snapshot(engine)
                since = len(fake.calls())
                fake.send_command(user, f"/{command}", args, chat_id=None if chat == user else chat)
                await fake.wait_idle()
                leaked = _leaks(_shown(fake, chats, since), other.secrets)
                wrong += [f"/{command} {args or ''} from {who} showed {leaked}"] if leaked else []
                changed = changed_tables(before, snapshot(engine)) if naming_other else []
                if changed:
                    wrong.append(f"/{command} {args} from {who} changed {changed}")
                # Handled before the next command (one chat's updates run in order), whose wait covers it.
                fake.send_command(user, "/batal", chat_id=None if chat == user else chat)
    await fake.wait_idle()
    assert not wrong, "\n".join(wrong)


@DIRECTIONS
async def test_two_agencies_forged_buttons_naming_the_other_agency_change_nothing(two_agencies, fake, engine,
                                                                                  direction):
    wrong = []
    for me, other in _sides(two_agencies, direction):
        private = [(who, user) for who, user, chat in me.senders if chat == user]
        for _, user in private:
            fake.send_command(user, "/bantuan")
        await fake.wait_idle()
        for prefix, (_, samples) in sorted(FORGED.items()):
            forged = [d.format(**other.ids) for d in samples if "{" in d]  # naming a person or an item of the other
            if not forged:
                continue
            # A prefix's presses from every sender at once (each sender's in order): leaks and changes per prefix.
            before, since = snapshot(engine, conversations=True), len(fake.calls())
            for _, user in private:
                for data in forged:
                    fake.press_button(user, fake.messages_to(user)[-1], data, forge=True)
            await fake.wait_idle(timeout=30)
            for who, user in private:
                leaked = _leaks(_shown(fake, {user}, since), other.secrets)
                wrong += [f"{forged!r} from {who} showed {leaked}"] if leaked else []
            changed = changed_tables(before, snapshot(engine, conversations=True))
            wrong += [f"{forged!r} changed {changed}"] if changed else []
    assert not wrong, "\n".join(wrong)
