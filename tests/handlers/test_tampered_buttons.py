"""Button data a modified client tampered with, pressed by someone allowed to press the real button:
ids beyond any database integer (30 digits: an OverflowError once) or beyond an INTEGER primary
key (2**63 - 1: «integer out of range» on PostgreSQL), extra fields (`pic:x:1`), pages
that do not exist, a second tap on a closed menu («Message is not modified» once). Every press is
answered, with the stale-button alert where the data is not ours, and none reaches the error handler."""

import logging

import pytest

from bot.db import unit_of_work
from bot.text.render import render
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import snapshot
from tests.support.agencies import A_ADMIN
from tests.support.agencies import add_agency_b
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import PIC_ID
from tests.support.harness import BotHarness

BIG = "9" * 30  # no database integer holds it
BIGINT = str(2**63 - 1)  # a BIGINT does, not the INTEGER primary keys: PostgreSQL refused to look it up
MAX = str(2**31 - 1)  # the largest INTEGER: parsed, then not found

TAMPERED = {
    ADMIN_ID: [
        "pic:t:{big}:{big}", "pic:p:{big}", "pic:g:{big}:{big}", "pic:ppg:{big}", "pic:x:1", "pic:p:1:2",
        "pic:t:{max}:{max}", "pic:p:{max}", "pic:g:1:{max}",
        "inv:p:{big}", "inv:ppg:{big}", "inv:p:1:2",
        "imp:pg:{big}", "imp:ok:{big}", "imp:x:1", "imp:f:{big}", "imp:sh:1:{big}", "imp:sh:1:{max}", "imp:sh:1",
        "tg:k:{big}", "tg:a:{big}", "tg:q:{big}:2", "tg:i:{big}", "tg:pp:{big}", "tg:kp:{big}:{big}", "tg:x:1",
        "tg:k:{max}", "tg:a:{max}", "tg:q:{max}:2",
        "rw:a:{big}", "rw:g:{big}", "rw:i:{big}", "rw:kp:1:{big}", "rw:p:{big}", "rw:a:{max}",
        "lk:L2:ok:{big}", "lk:L2:k:{big}", "lk:L2:pp:{big}", "lk:L{big}", "lk:U2:ok:1:2", "lk:L2:ok:{max}",
        "usr:p:{big}", "usr:adm:{big}:1", "usr:pz:{big}:20200701", "usr:pz:1:{big}", "usr:pg:{big}", "usr:p:1:2",
        "usr:p:{max}", "usr:adm:{max}:1", "usr:pz:{max}:20200701",
        "pic:p:{bigint}", "pic:t:1:{bigint}", "tg:k:{bigint}", "rw:a:{bigint}", "lk:L2:ok:{bigint}", "usr:p:{bigint}",
        "inv:p:{bigint}", "tg:q:{bigint}:2",
    ],
    PIC_ID: ["lp:k:{big}:2", "lapor:{big}", "lp:ed:a:{big}", "lp:q:{big}", "lp:k:1:2:3", "cuti:end:1",
             "lapor:{max}", "lp:k:{max}:2", "lapor:{bigint}", "lp:k:{bigint}:2"],
    LEADER_ID: ["rk:k:{big}:2", "rk:d:{big}:2", "rk:p:{big}:2", "rk:k:1:2:3", "rk:k:{max}:2", "rk:d:{max}:2",
                "rk:k:{bigint}:2", "rk:p:{bigint}:2"],
}
STALE = {render("stale_button", "id"), render("lapor_stale", "id")}

# Presses on the menus the commands really sent: a closed menu tapped again, a page that is not there.
MENUS = {
    "/pic": ["pic:x", "pic:x", f"pic:ppg:{MAX}", "pic:ppg:-5", "pic:ppg:0"],
    "/undang": [f"inv:ppg:{MAX}", "inv:ppg:-1", "inv:ppg:0"],
    "/pengguna": [f"usr:pg:{MAX}", "usr:pg:-1", "usr:pg:0"],
    "/target": [f"tg:pp:{MAX}", "tg:pp:-1", "tg:pp:0"],
    "/riwayat": [f"rw:pp:{MAX}", "rw:pp:-1", "rw:pp:0", "rw:x", "rw:x"],
    "/kunci 2": [f"lk:L2:pp:{MAX}", "lk:L2:pp:-1", "lk:L2:pp:0", "lk:L2:x", "lk:L2:x"],
}


@pytest.fixture
def errors(caplog):
    """What reached the error handler (it logs every error it handles)."""
    caplog.set_level(logging.INFO, logger="rapk.errors")

    def taken() -> list[str]:
        found = [r.getMessage()[:120] for r in caplog.records if r.name == "rapk.errors" and r.levelno >= logging.ERROR]
        caplog.clear()
        return found

    return taken


async def press(fake, user: int, message: dict, data: str) -> dict | None:
    """Press `data` on `message`; the callback's answer (None when it was never answered)."""
    update = fake.press_button(user, message, data, forge=True)
    await fake.wait_idle()
    query_id = update["callback_query"]["id"]
    return next((c.params for c in fake.calls("answerCallbackQuery") if c.params["callback_query_id"] == query_id),
                None)


async def test_tampered_data_gets_the_stale_alert(harness, fake, small_plan, errors):
    for user in TAMPERED:
        fake.send_command(user, "/bantuan")
    await fake.wait_idle()
    wrong = []
    for user, samples in TAMPERED.items():
        for sample in samples:
            data = sample.format(big=BIG, bigint=BIGINT, max=MAX)
            answer = await press(fake, user, fake.messages_to(user)[-1], data)
            if answer is None:
                wrong.append(f"{data}: never answered")
            elif "{max}" in sample:
                pass  # well-formed, naming nothing that exists: the handler's own «not found» is fine too
            elif answer.get("text") not in STALE or not answer.get("show_alert"):
                wrong.append(f"{data}: answered {answer.get('text')!r}, not the stale-button alert")
            wrong += [f"{data}: {e}" for e in errors()]
    assert not wrong, "\n".join(wrong)


async def test_presses_that_change_nothing_on_real_menus(harness, fake, small_plan, errors):
    wrong = []
    for command, samples in MENUS.items():
        fake.send_message(ADMIN_ID, command)
        await fake.wait_idle()
        menu = fake.messages_to(ADMIN_ID)[-1]
        for data in samples:
            before = len(fake.messages_to(ADMIN_ID))
            if await press(fake, ADMIN_ID, menu, data) is None:
                wrong.append(f"{command} {data}: never answered")
            wrong += [f"{command} {data}: {e}" for e in errors()]
            if render("error", "id") in [m.get("text") for m in fake.messages_to(ADMIN_ID)[before:]]:
                wrong.append(f"{command} {data}: the apology")
    assert not wrong, "\n".join(wrong)


# Two agencies: on the real menus of OPD A's admin, buttons naming OPD B's people and items.
OTHER_AGENCY = ["pic:p:{budi}", "pic:t:{budi}:{k1}", "pic:g:{budi}:{program}", "inv:p:{budi}", "usr:p:{budi}",
                "usr:adm:{budi}:1", "usr:ver:{rina}:1", "tg:q:{a1}:2", "tg:i:{i1}", "rw:a:{a1}", "rw:g:{k1}",
                "lk:L2:ok:{k1}", "vf:a:{k1}:2", "rk:k:{k1}:2", "rk:d:{plan}:2", "rk:n:{budi}:{k1}:2"]


async def test_real_menus_refuse_buttons_naming_another_agency(fake, db_url, engine, small_plan, errors):
    with unit_of_work(engine) as session:
        _, other = add_agency_b(session, fake, small_plan)
    bot = BotHarness(fake, db_url)
    await bot.start()
    refused = {render("refused_alert", "id"), *STALE}
    wrong = []
    try:
        for command in MENUS:
            fake.send_message(A_ADMIN, command)
            await fake.wait_idle()
            menu = fake.messages_to(A_ADMIN)[-1]
            for sample in OTHER_AGENCY:
                data = sample.format(**other.ids)
                before = snapshot(engine, conversations=True)
                answer = await press(fake, A_ADMIN, menu, data)
                if answer is None or answer.get("text") not in refused or not answer.get("show_alert"):
                    wrong.append(f"{command} {data}: answered {answer and answer.get('text')!r}")
                wrong += [f"{command} {data}: {e}" for e in errors()]
                changed = changed_tables(before, snapshot(engine, conversations=True))
                wrong += [f"{command} {data}: changed {changed}"] if changed else []
    finally:
        await bot.stop()
    assert not wrong, "\n".join(wrong)
