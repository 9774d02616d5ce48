"""DatabasePersistence's user and chat data: what an update writes, and what a restart reads back."""

from sqlalchemy import event
from sqlmodel import Session
from sqlmodel import select

from bot.telegram.persistence import DatabasePersistence
from models import BotState


def _rows(engine) -> dict[tuple[str, str], str]:
    with Session(engine) as session:
        return {(r.kind, r.key): r.data for r in session.exec(select(BotState)).all()}


async def test_empty_data_of_a_new_user_costs_no_query(engine):
    # PTB writes the user's and the chat's data after every update, empty for nearly everyone.
    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    await persistence.get_chat_data()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    await persistence.update_user_data(3001, {})
    await persistence.update_chat_data(3001, {})
    assert statements == []
    assert _rows(engine) == {}


async def test_data_emptied_later_is_stored_empty(engine):
    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    await persistence.update_user_data(3001, {"lapor_saved": ["a1"]})
    await persistence.update_user_data(3001, {})
    assert _rows(engine) == {("user_data", "3001"): "{}"}
    # Also a row from before a restart, which this process never wrote.
    await persistence.update_user_data(3002, {"lapor_saved": ["b1"]})
    restarted = DatabasePersistence(engine)
    assert (await restarted.get_user_data())[3002] == {"lapor_saved": ["b1"]}
    await restarted.update_user_data(3002, {})
    assert _rows(engine)[("user_data", "3002")] == "{}"


async def test_a_checkpoint_writes_only_what_changed_and_never_on_the_event_loop(engine):
    import threading

    persistence = DatabasePersistence(engine)
    persistence.checkpointed.add("lapor")
    await persistence.get_user_data()
    await persistence.get_conversations("lapor")
    statements: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *args: statements.append((statement, threading.current_thread())))

    async def step(state, draft):
        statements.clear()
        await persistence.checkpoint(conversation="lapor", key=(3001, 3001), state=state, user_id=3001, name="lapor",
                                     draft=draft, update_id=None)
        return [s for s, _thread in statements]

    assert len(await step(1, {"idx": 0})) == 2  # the state and the draft, new
    assert all(thread is not threading.main_thread() for _s, thread in statements)
    assert await step(1, {"idx": 0}) == []  # nothing changed: no statement at all
    assert len(await step(1, {"idx": 1})) == 1  # only the draft
    assert _rows(engine) == {("conversation:lapor", "[3001, 3001]"): "1", ("draft:lapor", "3001"): '{"idx":1}'}
    restarted = DatabasePersistence(engine)
    restarted.checkpointed.add("lapor")
    assert (await restarted.get_user_data())[3001] == {"lapor": {"idx": 1}}
    assert await restarted.get_conversations("lapor") == {(3001, 3001): 1}


async def test_writes_of_updates_handled_at_once_are_committed_in_order(engine):
    import asyncio

    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    # Submitted in this order from concurrent updates: the later one is what stays.
    await asyncio.gather(*(persistence.update_user_data(3001, {"n": n}) for n in range(20)),
                         *(persistence.update_user_data(4000 + n, {"n": n}) for n in range(20)))
    rows = _rows(engine)
    assert rows[("user_data", "3001")] == '{"n":19}'
    assert [rows[("user_data", str(4000 + n))] for n in range(20)] == [f'{{"n":{n}}}' for n in range(20)]
