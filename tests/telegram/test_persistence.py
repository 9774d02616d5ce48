"""DatabasePersistence's user and chat data: what an update writes, and what a restart reads back."""

import asyncio
import threading

from sqlalchemy import event
from sqlmodel import Session
from sqlmodel import select

from bot.telegram.persistence import DatabasePersistence
from bot.telegram.persistence import _apply
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


async def test_writes_are_committed_off_the_event_loop_before_the_await_returns(engine):
    """SQL never runs on the event loop's thread, and what was awaited is in the database (a checkpoint
    is durable before its question is sent)."""
    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    await persistence.get_conversations("lapor")
    threads = []
    event.listen(engine, "before_cursor_execute", lambda *args: threads.append(threading.get_ident()))
    await persistence.checkpoint(conversation="lapor", key=(3001, 3001), state=2, user_id=3001, name="lapor_draft",
                                 draft={"asked": {"state": 2, "message_id": None}}, update_id=None)
    writers = set(threads)
    assert _rows(engine) == {("conversation:lapor", "[3001, 3001]"): "2",
                             ("draft:lapor_draft", "3001"): '{"asked":{"state":2,"message_id":null}}'}
    assert writers and threading.get_ident() not in writers


async def test_a_row_written_again_unchanged_costs_no_query(engine):
    """After every update PTB writes the user's data and the conversations: only what changed reaches SQL."""
    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    await persistence.get_conversations("lapor")
    await persistence.update_user_data(3001, {"lapor_saved": ["a1"]})
    await persistence.update_conversation("lapor", (3001, 3001), 4)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    await persistence.update_user_data(3001, {"lapor_saved": ["a1"]})
    await persistence.update_conversation("lapor", (3001, 3001), 4)
    assert statements == []
    await persistence.update_conversation("lapor", (3001, 3001), None)  # the conversation ended
    assert len(statements) == 1
    assert _rows(engine) == {("user_data", "3001"): '{"lapor_saved":["a1"]}'}


async def test_writes_committed_together_keep_each_rows_last_value(engine):
    """Under load the writer commits many updates' writes in one transaction, each sort of write as one
    statement: a row written, deleted and written again there ends as it was last written."""
    persistence = DatabasePersistence(engine)
    await persistence.get_user_data()
    await persistence.get_conversations("lapor")
    writes = []
    for n in range(40):  # 40 PICs' steps at once, two of them touching the same rows again and again
        writes.append(persistence.update_user_data(3001, {"step": n}))
        writes.append(persistence.update_conversation("lapor", (3002, 3002), None if n % 3 == 1 else n))
        writes.append(persistence.update_user_data(4000 + n, {"pic": n}))
    await asyncio.gather(*writes)
    rows = _rows(engine)
    assert rows[("user_data", "3001")] == '{"step":39}'
    assert rows[("conversation:lapor", "[3002, 3002]")] == "39"
    assert all(rows[("user_data", str(4000 + n))] == f'{{"pic":{n}}}' for n in range(40))
    await persistence.update_conversation("lapor", (3002, 3002), None)
    assert ("conversation:lapor", "[3002, 3002]") not in _rows(engine)


def test_one_commit_of_repeated_rows_is_one_statement_a_sort(engine):
    """The ops of a group commit as `_apply` gets them: a run of puts (one row twice), of drops, of puts again."""
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.begin() as connection:
        _apply(connection, [("put", "user_data", "1", '{"a":1}'), ("put", "user_data", "2", "{}"),
                            ("put", "user_data", "1", '{"a":2}'), ("drop", "user_data", "2"),
                            ("drop", "user_data", "2"), ("put", "user_data", "2", '{"b":3}')])
    assert len(statements) == 3
    assert _rows(engine) == {("user_data", "1"): '{"a":2}', ("user_data", "2"): '{"b":3}'}
