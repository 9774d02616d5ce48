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
