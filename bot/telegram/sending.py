"""Sending: replies, button answers, keyboards, labels, message splitting, what a Telegram error
means, and notices — the Telegram helpers handlers and jobs share."""

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram import Message
from telegram import Update
from telegram import WebAppInfo
from telegram.error import BadRequest
from telegram.error import ChatMigrated
from telegram.error import Forbidden
from telegram.error import RetryAfter
from telegram.error import TelegramError

from bot.domain.digest import Drill
from bot.domain.outbox import person_unreachable
from bot.telegram import callbacks
from bot.telegram.services import services_of

log = logging.getLogger("rapk.handlers")


async def ack(update: Update, context, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press exactly once (Telegram refuses a second answer)."""
    if update.callback_query and not getattr(context, "_rapk_answered", False):
        context._rapk_answered = True
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as exc:
            # Too old, or answered already: a press handled again after a restart. The spinner is gone
            # either way; what the press does still happens.
            log.info("button press not answered: %s", exc)


async def say(update: Update, context, text: str, markup=None) -> Message:
    """Reply in the chat, whether the update is a message or a button press; the message sent (after the question
    being closed, `close_question`, is)."""
    await question_closed(context)
    if update.callback_query:
        await ack(update, context)
        return await update.callback_query.message.reply_text(text, reply_markup=markup)
    return await update.effective_message.reply_text(text, reply_markup=markup)


def pressed_label(update: Update) -> str:
    """The text of the inline button that was tapped ("" when it is not on the message any more)."""
    query = update.callback_query
    markup = query.message.reply_markup if query.message else None
    for row in (markup.inline_keyboard if markup else ()):
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return ""


def close_question(update: Update, context, answer: str | None = None) -> asyncio.Task:
    """The tapped answer stays visible under its question and the buttons go, as on a paper form.

    Started at once and awaitable; a handler may go on meanwhile (its checkpoint, its SQL): `say` and
    `question_closed` wait for it, so the old question is closed before the next one is sent."""
    task = asyncio.ensure_future(_close(update, context, answer))
    task.add_done_callback(_retrieved)
    context._rapk_closing = task
    return task


def _retrieved(task: asyncio.Task) -> None:
    """A failed close is logged (a handler that failed before waiting for it would leave it to the collector)."""
    if not task.cancelled() and task.exception() is not None:
        log.info("question not closed: %s", task.exception())


async def question_closed(context) -> None:
    """Wait for the question `close_question` is closing (nothing when none is)."""
    task = getattr(context, "_rapk_closing", None)
    if task is not None:
        context._rapk_closing = None
        await task


async def _close(update: Update, context, answer: str | None) -> None:
    """The press answered and the question edited at the same time (two round trips in the time of one)."""
    from html import escape

    answer = answer if answer is not None else pressed_label(update)
    message = update.callback_query.message

    async def edit() -> None:
        try:
            if not answer:
                await update.callback_query.edit_message_reply_markup(None)
                return
            await update.callback_query.edit_message_text(f"{message.text_html}\n\n➡️ <b>{escape(answer)}</b>")
        except BadRequest as exc:  # too old to edit, or closed already (a press handled again after a restart)
            log.info("question not closed: %s", exc)

    outcomes = await asyncio.gather(ack(update, context), edit(), return_exceptions=True)
    for outcome in outcomes:  # both have finished: the first failure is the handler's, as when they ran in turn
        if isinstance(outcome, BaseException):
            raise outcome


MESSAGE_LIMIT = 4096  # Telegram's maximum message length (UTF-16 units); every chunk stays below it


def short(text: str, limit: int = 48) -> str:
    """A button label that stays readable on a phone: whitespace collapsed, cut at a word with «…»
    (mid-word only when the first word alone is longer than the label)."""
    text = re.sub(r"[ \t\r\n]+", " ", text).strip()  # not str.split(): it would eat the no-break space
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def button_column(buttons) -> InlineKeyboardMarkup | None:
    """One (label, callback data) button per row, as reminders and digests carry them."""
    return keyboard([[button] for button in buttons])


def keyboard(rows) -> InlineKeyboardMarkup | None:
    """Inline buttons from (label, callback data) rows; None when there are none (Telegram refuses `{}`)."""
    rows = [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def with_webapp(markup: InlineKeyboardMarkup | None, url: str | None, lang: str) -> InlineKeyboardMarkup | None:
    """`markup` with a last row «Buka formulir» opening the Mini App at `url` (a web_app button, private
    chats only); `markup` itself when the Mini App is off."""
    if not url:
        return markup
    from bot.text.render import labels

    button = InlineKeyboardButton(labels("reminder_buttons", lang)["open_form"], web_app=WebAppInfo(url))
    return InlineKeyboardMarkup([*(markup.inline_keyboard if markup else ()), [button]])


def page_of(items: Sequence, page: int, size: int) -> tuple[list, int, int]:
    """The items of page `page` (clamped into range), the page shown and how many pages there are."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return list(items[page * size:(page + 1) * size]), page, pages


def drill_keyboard(buttons: Sequence[tuple[str, Drill]]) -> InlineKeyboardMarkup | None:
    """A digest's (label, Drill) buttons, one per row."""
    return button_column([(label, callbacks.DRILL.build(**d._asdict())) for label, d in buttons])


def report_buttons(kegiatan: Sequence[tuple[int, str]], lang: str, *,
                   outcomes: bool = False) -> tuple[tuple[str, str], ...]:
    """One «Lapor sekarang» button per (kegiatan id, name), and one for the IKU / program indicators the
    person reports (`outcomes`); with several, each names what it opens."""
    from bot.text.render import labels

    label = labels("reminder_buttons", lang)["report_now"]
    if len(kegiatan) == 1 and not outcomes:
        return ((label, callbacks.REPORT.build(kegiatan=kegiatan[0][0])),)
    buttons = [(f"{label}: {short(name, 36)}", callbacks.REPORT.build(kegiatan=kid)) for kid, name in kegiatan]
    return (*buttons, outcomes_button(lang)) if outcomes else tuple(buttons)


def outcomes_button(lang: str, *, plan: int | None = None, quarter: int | None = None) -> tuple[str, str]:
    """«Lapor sekarang: Indikator kinerja (IKU/program)»: /lapor's form of the indicators the person reports
    (of one plan and quarter when given: a PIC of several OPD)."""
    from bot.text.render import labels

    label = labels("reminder_buttons", lang)["report_now"]
    data = (callbacks.LP_PLAN_OUTCOMES.build(plan=plan, quarter=quarter) if plan is not None
            else callbacks.REPORT_OUTCOMES.build())
    return f"{label}: {labels('lapor_buttons', lang)['outcomes']}", data


# -- message splitting ------------------------------------------------------------------------------

def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line boundaries into chunks shorter than `limit` (Telegram counts UTF-16 units).

    A cut prefers the last blank line of a chunk when that keeps it at least half full, so a
    section stays together. The templates keep every HTML tag within one line, so any line
    boundary is a safe cut; a single line too long by itself is cut at spaces.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in _fit_lines(text.split("\n"), limit):
        n = tg_len(line) + 1  # with its newline
        if current and size + n > limit - 1:
            cut = _blank_cut(current, limit)
            chunks.append("\n".join(current[:cut]))
            current = current[cut:]
            size = sum(tg_len(x) + 1 for x in current)
        current.append(line)
        size += n
    chunks.append("\n".join(current))
    return [c.strip("\n") for c in chunks if c.strip()]


def _blank_cut(lines: list[str], limit: int) -> int:
    """Where to end a full chunk: after its last blank line if that is past half, else at its end."""
    size = 0
    best = len(lines)
    for i, line in enumerate(lines):
        size += tg_len(line) + 1
        if not line.strip() and size >= limit // 2:
            best = i + 1
    return best


def _fit_lines(lines: Sequence[str], limit: int) -> list[str]:
    out = []
    for line in lines:
        while tg_len(line) >= limit - 1:
            cut = line.rfind(" ", 0, limit // 2) if " " in line[: limit // 2] else limit // 2
            out.append(line[:cut])
            line = line[cut:].lstrip()
        out.append(line)
    return out


def tg_len(s: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(s.encode("utf-16-le")) // 2


# -- what a Telegram error means ----------------------------------------------------------------------

DELIVERED, RETRY, BACKOFF, UNREACHABLE, FAILED = "delivered", "retry", "backoff", "unreachable", "failed"


@dataclass(frozen=True)
class Verdict:
    """What became of a send: delivered / retry (after `retry_after` s) / backoff / unreachable / failed."""

    result: str
    error: str = ""
    retry_after: float | None = None


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is a number of seconds, or a timedelta with PTB_TIMEDELTA set."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(exc: BaseException) -> Verdict:
    """The one reading of a failed send, for reminders, group posts, digests and notices alike.

    429 → retry after what Telegram asked; 403 or «chat not found» → unreachable (the person is
    marked and the admins told once); a migrated chat or any other 400 → failed (sending again
    changes nothing); timeouts, 5xx, network and unexpected errors → back off and try again.
    """
    if isinstance(exc, RetryAfter):
        return Verdict(RETRY, str(exc), retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Verdict(UNREACHABLE, str(exc))
    if isinstance(exc, ChatMigrated):
        return Verdict(FAILED, f"chat migrated to {exc.new_chat_id}")
    if isinstance(exc, BadRequest):
        return Verdict(UNREACHABLE if "chat not found" in exc.message.lower() else FAILED, str(exc))
    return Verdict(BACKOFF, f"{type(exc).__name__}: {exc}")


def not_modified(exc: BaseException) -> bool:
    """Telegram's «message is not modified»: an edit asked for what the message already shows (a
    second tap on «Selesai», a page button naming the page shown). Nothing went wrong."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


async def notify_person(context, *, person_id: int, telegram_user_id: int | None, text: str, markup=None) -> bool:
    """A notice to one person; True when delivered. A 403 or a vanished chat marks them unreachable
    and tells the admins once (the rule of `classify`)."""
    if telegram_user_id is None:
        return False
    services = services_of(context)
    try:
        await context.bot.send_message(telegram_user_id, text, reply_markup=markup)
        return True
    except TelegramError as exc:
        verdict = classify(exc)
        if verdict.result != UNREACHABLE:
            log.warning("notice to person %s not sent: %s", person_id, exc)
            return False
        now = services.now()
        await services.db(person_unreachable, person_id, now=now, today=now.astimezone(services.settings.tz).date(),
                          admin_config_ids=services.settings.admin_telegram_ids, error=verdict.error)
        return False
