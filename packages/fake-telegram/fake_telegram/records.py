"""What the fake server remembers: calls, violations, files, users, groups, counters, events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import NamedTuple

# Methods that put a new message in a chat: they are what rate limits, blocks and the per-chat
# delivered counter are about.
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
    "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendSticker", "copyMessage", "forwardMessage", "sendInvoice",
})


@dataclass
class SentCall:
    """One HTTP request the bot made, with what the fake answered."""

    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    time: float  # event loop time when the request arrived
    status: int = 0  # HTTP status answered; 0 while pending, -1 when the client went away
    response: Any = None  # the `result` on success
    error: str | None = None  # the `description` on failure, "timeout" for held requests
    delivered: bool = False  # a message reached the chat (or an edit/delete took effect)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Violation:
    """A request that breaks the Bot API reference or Telegram's rules."""

    method: str
    problem: str
    params: dict[str, Any]

    def __str__(self) -> str:
        shown = {k: (v if len(repr(v)) < 120 else repr(v)[:117] + "...") for k, v in self.params.items()}
        return f"{self.method}: {self.problem}  params={shown}"


class SentFile(NamedTuple):
    """A file the bot sent: unpacks as (filename, content, method)."""

    filename: str
    content: bytes
    method: str


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    filename: str | None
    mime_type: str | None
    content: bytes | None  # None for files the bot sent by URL (the fake fetches nothing)

    def file_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.content is not None:
            out["file_size"] = len(self.content)
        return out


@dataclass
class User:
    """A Telegram user talking to the bot."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "id"
    started: bool = True  # has opened the bot; a bot cannot write first to a user who has not
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def chat_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        return out

    @property
    def display_name(self) -> str:
        return self.first_name


@dataclass
class Group:
    """A group or supergroup (ids below -10**12 are supergroups, as on Telegram)."""

    id: int
    title: str
    members: set[int]
    admins: set[int]
    creator_id: int | None = None
    bot_is_member: bool = True
    bot_is_admin: bool = False

    @property
    def type(self) -> str:
        return "supergroup" if self.id <= -10**12 else "group"

    def chat_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class StoredMessage:
    """A message in a chat as Telegram holds it now (edits applied)."""

    chat_id: int
    message_id: int
    from_bot: bool
    data: dict[str, Any]  # the Message object as the Bot API returns it
    markup: dict[str, Any] | None = None  # reply_markup as sent (reply keyboards included)
    seq: int = 0  # event number of the last change (send or edit)
    deleted: bool = False


@dataclass
class CallbackState:
    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass
class Stats:
    """Counters over everything the bot asked."""

    requests: int = 0
    ok: int = 0
    bad_requests: int = 0  # 400
    rate_limited: int = 0  # 429
    server_errors: int = 0  # 5xx
    timeouts: int = 0
    forbidden: int = 0  # 403
    disconnects: int = 0
    delivered: Counter[int] = field(default_factory=Counter)  # chat_id -> messages delivered

    @property
    def delivered_total(self) -> int:
        return sum(self.delivered.values())


@dataclass
class Event:
    """One line of the conversation, in order, for the transcript."""

    kind: str  # user_text, user_edit, user_file, press, bot_text, bot_file, edit, delete, notice, failed
    chat_id: int
    user_id: int | None = None
    text: str = ""
    buttons: list[list[str]] = field(default_factory=list)
    keyboard: list[list[str]] = field(default_factory=list)
    detail: str = ""
    seq: int = 0
    message_id: int | None = None  # the bot message a bot_text / bot_file / edit event is about
