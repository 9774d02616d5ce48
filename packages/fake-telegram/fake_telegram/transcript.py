"""The conversation as readable lines: what `rapk demo` prints and what tests can read.

    Budi: /lapor
    Bot → Budi: Pilih kegiatan:
      [Diklat Teknis] [Diklat Fungsional]
    Budi taps [Diklat Teknis]
    Bot → Budi (edited): Kegiatan: Diklat Teknis
    [Pimpinan] Sari: /ringkasan
    Bot → Pimpinan: [photo] Capaian TW I
"""

from __future__ import annotations

from fake_telegram.records import Event
from fake_telegram.records import Group
from fake_telegram.records import User

INDENT = "  "


def render_transcript(events: list[Event], users: dict[int, User], groups: dict[int, Group],
                      names: dict[int, str], *, show_failures: bool = True,
                      shown: dict[tuple[int, int | None], str] | None = None) -> str:
    """One line per event (continuation lines indented); bot text is shown without HTML."""

    def person(user_id: int | None) -> str:
        if user_id is None:
            return "?"
        if user_id in names:
            return names[user_id]
        user = users.get(user_id)
        return user.display_name if user else str(user_id)

    def chat_name(chat_id: int) -> str:
        if chat_id in names:
            return names[chat_id]
        if chat_id in groups:
            return groups[chat_id].title
        return person(chat_id)

    def where(chat_id: int) -> str:
        return f"[{chat_name(chat_id)}] " if chat_id in groups else ""

    lines: list[str] = []
    # The latest text of each bot message (pass one dict to render a conversation in parts).
    shown = {} if shown is None else shown
    for event in events:
        chat = event.chat_id
        if event.kind == "user_text":
            lines += _block(f"{where(chat)}{person(event.user_id)}: ", event.text)
        elif event.kind == "user_edit":
            lines += _block(f"{where(chat)}{person(event.user_id)} edits a message: ", event.text)
        elif event.kind == "user_file":
            caption = f": {event.text}" if event.text else ""
            lines += _block(f"{where(chat)}{person(event.user_id)} sends {event.detail}", caption)
        elif event.kind == "press":
            lines.append(f"{where(chat)}{person(event.user_id)} taps [{event.text}]")
        elif event.kind in ("bot_text", "bot_file", "edit"):
            head = f"Bot → {chat_name(chat)}"
            body = event.text
            key = (chat, event.message_id)
            if event.kind == "edit":
                before = shown.get(key)
                if before is not None and body == before and not event.buttons:
                    shown[key] = body
                    continue  # only the buttons were taken away: nothing new to read
                head += " (edited)"
                if before and body.startswith(before) and len(body) > len(before):
                    body = "… " + body[len(before):].strip()
            shown[key] = event.text
            if event.kind == "bot_file":
                body = f"[{event.detail}] {body}".rstrip()
            lines += _block(f"{head}: ", body)
            lines += [INDENT + " ".join(f"[{label}]" for label in row) for row in event.buttons if row]
            lines += [INDENT + "keyboard: " + " ".join(f"[{label}]" for label in row)
                      for row in event.keyboard if row]
        elif event.kind == "notice":
            lines.append(f"Bot → {person(event.user_id)} ({event.detail}): {event.text}")
        elif event.kind == "delete":
            lines.append(f"Bot deletes its message to {chat_name(chat)}: {_first_line(event.text)}")
        elif event.kind == "failed" and show_failures:
            lines.append(f"Bot ✗ {chat_name(chat)}: {event.detail}")
    return "\n".join(lines)


def _block(head: str, text: str) -> list[str]:
    first, *rest = (text or "").split("\n") or [""]
    return [f"{head}{first}".rstrip()] + [f"{INDENT}{line}".rstrip() for line in rest]


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= 60 else line[:57] + "..."
