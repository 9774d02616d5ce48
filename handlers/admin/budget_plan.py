"""/anggarankas KEGIATAN [TW I TW II TW III TW IV | hapus]: a kegiatan's anggaran kas, set by the admin.

Stateless: `/anggarankas 3` shows kegiatan 3's pagu and plan; four amounts after it set the plan at
once, `hapus` removes it. The rules (not over the pagu, locked quarters stay, audited per quarter)
are bot.domain.budget_plan's. The kegiatan is named as /kunci names it: its number in document
order, or part of its name (then four amounts or `hapus` end the command).
"""

import re

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.budget_plan import BudgetPlanError
from bot.domain.budget_plan import budget_plan_card
from bot.domain.budget_plan import parse_amounts
from bot.domain.budget_plan import set_budget_plan
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.admin.common import kegiatan_matches
from handlers.admin.common import who
from handlers.auth import command

CLEAR = "hapus"
_AMOUNT = re.compile(r"^(?:rp\.?)?\d|^[-–—−]$", re.IGNORECASE)  # what may start a typed amount


def split_args(args: list[str]) -> tuple[str, list[str]]:
    """(the kegiatan as typed, what follows it): `3 …`, or `part of a name` then four amounts or `hapus`."""
    if not args:
        return "", []
    if args[0].isdigit():
        return args[0], args[1:]
    if args[-1].casefold() == CLEAR:
        return " ".join(args[:-1]), [CLEAR]
    if len(args) > 4 and all(_AMOUNT.match(a) for a in args[-4:]):
        return " ".join(args[:-4]), args[-4:]
    return " ".join(args), []


@command("anggarankas")
async def anggarankas(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    services = services_of(context)
    lang = services.lang
    message = update.effective_message
    ref, rest = split_args(context.args or [])
    if not ref:
        await message.reply_text(render("anggarankas_usage", lang))
        return
    found = await services.db(kegiatan_matches, ref[:200], settings=services.settings, now=services.now())
    if len(found) != 1:
        await message.reply_text(render("anggarankas_choices", lang, ref=ref[:200], found=found[:10],
                                        more=max(0, len(found) - 10)))
        return
    kegiatan_id = found[0][0]
    try:
        if not rest:
            card = await services.db(budget_plan_card, kegiatan_id)
        else:
            amounts = None if rest == [CLEAR] else parse_amounts(rest)
            card = await services.db(set_budget_plan, kegiatan_id, amounts, now=services.now(), **who(actor))
    except BudgetPlanError as exc:
        await message.reply_text(render("admin_error", lang, code=exc.code, d=exc.detail))
        return
    await message.reply_text(render("anggarankas_card", lang, c=card, saved=bool(rest)))
