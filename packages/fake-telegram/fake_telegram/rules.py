"""Telegram's content rules beyond field types: lengths, parse modes, keyboards, commands.

Each check raises `Rejected` with the description Telegram answers (what the bot sees) and a
plainer `problem` for the violation record.
"""

from __future__ import annotations

import re
from typing import Any

from fake_telegram.tghtml import HtmlError
from fake_telegram.tghtml import ParsedText
from fake_telegram.tghtml import parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes of UTF-8
MAX_CALLBACK_ANSWER = 200
MAX_BUTTONS = 100
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
# Fields of an inline button that are not its action ("exactly one of the other fields").
BUTTON_NON_ACTIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional response parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class Rejected(ApiError):
    """A request that breaks the API rules: a violation as well as a 400 answer."""

    def __init__(self, description: str, problem: str | None = None):
        super().__init__(400, description)
        self.problem = problem or description


def check_text(text: str, parse_mode: str | None, entities: Any, what: str = "text") -> ParsedText:
    """Parse a message text or caption as Telegram does and check its length.

    HTML that only breaks the documentation's escaping rule comes back in `warnings`.
    """
    parsed = _parse(text, parse_mode, entities)
    if what == "text" and not parsed.text.strip():
        raise Rejected("Bad Request: message text is empty", "text is empty after entity parsing")
    limit = MAX_TEXT if what == "text" else MAX_CAPTION
    # Telegram counts Unicode code points here (an astral emoji is one), not UTF-16 units.
    if len(parsed.text) > limit:
        description = ("Bad Request: message is too long" if what == "text"
                       else "Bad Request: message caption is too long")
        raise Rejected(description, f"{what} is {len(parsed.text)} characters after entity "
                                    f"parsing (limit {limit})")
    return parsed


def _parse(text: str, parse_mode: str | None, entities: Any) -> ParsedText:
    mode = (parse_mode or "").lower()
    if not mode:
        return ParsedText(text, list(entities or []))
    if mode == "html":
        try:
            return parse_html(text)
        except HtmlError as exc:
            raise Rejected(f"Bad Request: can't parse entities: {exc}",
                           f"HTML Telegram rejects: {exc}") from None
    if mode in ("markdown", "markdownv2"):
        # Not parsed by the fake: the length is checked on the raw text.
        return ParsedText(text)
    raise Rejected("Bad Request: unsupported parse_mode", f"parse_mode {parse_mode!r}")


def check_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Inline and reply keyboards: labels, one action per inline button, data sizes, URLs."""
    if not markup:
        return markup
    if "inline_keyboard" in markup:
        buttons = [button for row in markup["inline_keyboard"] for button in row]
        for button in buttons:
            check_inline_button(button)
        if len(buttons) > MAX_BUTTONS:
            raise Rejected("Bad Request: reply markup is too long",
                           f"{len(buttons)} inline buttons (max {MAX_BUTTONS})")
    for row in markup.get("keyboard", []):
        for button in row:
            label = button.get("text", "") if isinstance(button, dict) else button
            if not str(label).strip():
                raise Rejected("Bad Request: keyboard button text must be non-empty",
                               "reply keyboard button with empty text")
    return markup


def check_inline_button(button: dict[str, Any]) -> None:
    label = button.get("text", "")
    if not label.strip():
        raise Rejected("Bad Request: BUTTON_TEXT_INVALID", "inline button with empty text")
    actions = [k for k in button if k not in BUTTON_NON_ACTIONS]
    if not actions:
        raise Rejected("Bad Request: can't parse inline keyboard button: Text buttons are "
                       "unallowed in the inline keyboard", f"button [{label}] has no action")
    if len(actions) > 1:
        raise Rejected("Bad Request: can't parse inline keyboard button: exactly one of "
                       f"{actions} must be used", f"button [{label}] has {len(actions)} actions")
    if "callback_data" in button:
        size = len(button["callback_data"].encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise Rejected("Bad Request: BUTTON_DATA_INVALID",
                           f"callback_data of [{label}] is {size} bytes (1-{MAX_CALLBACK_DATA} allowed)")
    if "url" in button and not button["url"].startswith(("http://", "https://", "tg://")):
        raise Rejected(f"Bad Request: inline keyboard button URL '{button['url']}' is invalid: "
                       "Wrong HTTP URL", f"button [{label}] has URL {button['url']!r}")


def check_commands(commands: list[dict[str, str]]) -> list[dict[str, str]]:
    """setMyCommands: at most 100, names of 1-32 a-z/0-9/_, descriptions of 1-256 characters."""
    if len(commands) > 100:
        raise Rejected("Bad Request: too many commands", "more than 100 commands")
    for command in commands:
        if not _COMMAND_RE.fullmatch(command["command"]):
            raise Rejected("Bad Request: BOT_COMMAND_INVALID",
                           f"command {command['command']!r} must be 1-32 of a-z, 0-9, _")
        if not 1 <= len(command["description"]) <= 256:
            raise Rejected("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
                           f"description of /{command['command']} must be 1-256 characters")
    return commands


def check_chat_action(action: str) -> None:
    if action not in CHAT_ACTIONS:
        raise Rejected("Bad Request: wrong parameter action in request", f"unknown chat action {action!r}")


def check_callback_answer(text: str | None) -> str | None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise Rejected("Bad Request: MESSAGE_TOO_LONG",
                       f"callback answer text over {MAX_CALLBACK_ANSWER} characters")
    return text
