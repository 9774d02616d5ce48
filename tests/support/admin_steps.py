"""Steps shared by the admin console's end-to-end tests: act as someone, wait, read what the bot said."""

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel import select

from bot.db import unit_of_work
from models import BotState
from tests.support.harness import ADMIN_ID


def _text(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def buttons_of(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def find_button(fake, user: int, starts_with: str, chat: int | None = None) -> tuple[dict, dict]:
    """The newest bot message in the chat with a button whose label starts with `starts_with`."""
    chat = user if chat is None else chat
    for message in reversed(fake.messages_to(chat)):
        for button in buttons_of(message):
            if button["text"].startswith(starts_with) and "callback_data" in button:
                return message, button
    shown = [[b["text"] for b in buttons_of(m)] for m in fake.messages_to(chat)[-3:]]
    raise AssertionError(f"no button starting with {starts_with!r} in chat {chat}; latest buttons: {shown}")


async def act(fake, user: int = ADMIN_ID, *, text: str | None = None, press: str | None = None,
              document: tuple[str, bytes, str] | None = None, chat: int | None = None) -> str:
    """Do one thing (a message or command, a tap on a button starting with `press`, a document upload);
    return the text of every bot message in that chat sent or edited since, joined by `---`."""
    chat_id = user if chat is None else chat
    mark = fake.mark()
    if text is not None:
        fake.send_message(user, text, chat_id=chat)
    elif press is not None:
        message, button = find_button(fake, user, press, chat)
        fake.press_button(user, message, button["callback_data"], chat_id=chat)
    elif document is not None:
        fake.send_document(user, *document, chat_id=chat)
    await fake.wait_idle()
    return "\n---\n".join(_text(m) for m in _since(fake, chat_id, mark))


def _since(fake, chat_id: int, mark: int) -> list[dict]:
    """Bot messages in the chat sent or edited after `mark` (edits replace their message in place)."""
    return [m.data for m in fake._chat_messages(chat_id, True) if m.seq > mark]


def alerts(fake) -> list[str]:
    """Texts of the callback answers shown so far (notices and alerts)."""
    return [call.params.get("text") or "" for call in fake.calls("answerCallbackQuery")]


def snapshot(engine, *, conversations: bool = False) -> dict[str, list[tuple]]:
    """Every row of every table except the bot's own persistence (user_data, chat_data) and what it
    has learned about the leadership group's members; with `conversations`, the persisted
    conversation states too (kind, key, state)."""
    out = {}
    with unit_of_work(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("botstate", "leadershipmembership"):
                continue
            rows = session.connection().execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(str(v) for v in row) for row in rows))
        if conversations:
            states = session.exec(select(BotState).where(BotState.kind.like("conversation:%"))).all()
            out["conversations"] = sorted((s.kind, s.key, s.data) for s in states)
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]
