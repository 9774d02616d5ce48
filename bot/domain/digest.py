"""Leadership digest: the quarter's progress picture as Telegram HTML, plus drill-down messages.

`build_digest` scores the plan and renders templates/<lang>/digest.j2: a headline (physical
achievement, budget absorbed of the pagu and, where kegiatan have an anggaran kas, of the plan to
date; PICs reported X of Y), one line per program with its
band, the lagging kegiatan, the items left out for an anomalous target («perlu dicek admin»), and the
kegiatan not yet reported (before the deadline) or not reported (after it, counted as 0) with
their PICs. The runtime splits the text into Telegram messages (bot/telegram/sending.py). Buttons
drill down: a `Drill("p", program_id, q)` → `program_detail`, `Drill("k", kegiatan_id, q)` →
`kegiatan_detail`; the details carry a way back (`Drill("d", plan_id, q)` to the digest, "p" to the
program). The runtime turns each Drill into callback data (bot/telegram/callbacks.py) and puts the
buttons under the last message. No Telegram imports here.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from functools import cached_property
from functools import partial
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlmodel import Session
from sqlmodel import select

from bot.config import Settings
from bot.domain import verification
from bot.domain.bulk import gc_paused
from bot.domain.scoring import BAND_NAMES
from bot.domain.scoring import DEFAULT_BANDS
from bot.domain.scoring import MISSING
from bot.domain.scoring import NOT_DUE
from bot.domain.scoring import PENDING
from bot.domain.scoring import AksiScore
from bot.domain.scoring import KegiatanScore
from bot.domain.scoring import Measure
from bot.domain.scoring import OutcomeScore
from bot.domain.scoring import PlanScore
from bot.domain.scoring import ProgramScore
from bot.domain.scoring import score_plan_from_db
from bot.text.render import render
from models import Kegiatan
from models import Person
from models import Program

MAX_LAGGING = 10
MAX_FLAGGED = 10
NAME_WIDTH = 64  # long activity names are cut so one line stays a line on a phone
BUTTON_WIDTH = 32
MAX_BUTTONS = 40  # an inline keyboard holds about 100 buttons; 40 one-per-row is already a long scroll

BAND_EMOJI = dict(zip(BAND_NAMES, ("🟢", "🟡", "🟠", "🔴", "🔴"), strict=True))
NO_DATA_EMOJI = "⚪"


class Drill(NamedTuple):
    """Where a digest button leads: d (the digest of plan `ident`), p (program), k (kegiatan)."""

    kind: str
    ident: int
    quarter: int


@dataclass(frozen=True)
class Digest:
    """The rendered text (HTML), the numbers behind it and its (label, Drill) buttons."""

    text: str
    numbers_of: Callable[[], dict] = field(default=dict, repr=False, compare=False)
    buttons: list[tuple[str, Drill]] = field(default_factory=list)

    @cached_property
    def numbers(self) -> dict:
        """The numbers behind the text as plain data, worked out when asked (`rapk summary --json`): the
        digest's cascade reads every aksi's score, which the text does not need."""
        with gc_paused():  # as build_digest: the aksi's scores are tens of thousands of new objects
            return self.numbers_of()

    @property
    def plain(self) -> str:
        """The text for a terminal: tags stripped, entities unescaped."""
        return html_to_plain(self.text)


# ---------------------------------------------------------------- public API


def build_digest(plan_id: int, quarter: int, *, session: Session, settings: Settings | None = None,
                 lang: str | None = None, now: datetime | None = None, score: PlanScore | None = None) -> Digest:
    """The leadership digest of TW `quarter` (scores the plan unless `score` is given)."""
    with gc_paused():  # the score is half a million live objects: a collection while rendering scans them all
        return _build_digest(plan_id, quarter, session, settings, lang, now, score)


def _build_digest(plan_id: int, quarter: int, session: Session, settings: Settings | None, lang: str | None,
                  now: datetime | None, score: PlanScore | None) -> Digest:
    lang, bands, tz = _options(settings, lang)
    now = now or datetime.now(UTC)
    ps = score or score_plan_from_db(plan_id, quarter, session=session, now=now, settings=settings, bands=bands)
    lagging = ps.lagging()
    flagged = _flagged(ps)
    text = render(
        "digest", lang, ps=ps, q=quarter, now=now.astimezone(tz),
        lagging=lagging[:MAX_LAGGING], lagging_more=max(0, len(lagging) - MAX_LAGGING),
        flagged=flagged[:MAX_FLAGGED], flagged_more=max(0, len(flagged) - MAX_FLAGGED),
        legend=band_legend(ps.bands), mentions=pic_mentions(ps, session), **_helpers(ps, lang),
        waiting=_waiting(plan_id, quarter, session, settings),
    )
    labels = program_labels(ps, lang)
    buttons = [(f"{band_emoji(p.cumulative)} {shorten(labels[p.id], BUTTON_WIDTH)}", Drill("p", p.id, quarter))
               for p in _worst_first(ps.programs)]
    return Digest(text, partial(digest_numbers, ps, lagging, flagged), buttons)


def _waiting(plan_id: int, quarter: int, session: Session, settings: Settings | None) -> int | None:
    """Reports of the quarter not yet accepted while verification is on (None: off): not counted above."""
    if settings is None or not verification.verification_on(settings.verification, session=session):
        return None
    return verification.waiting(plan_id, quarter, session=session)


def pic_mentions(ps: PlanScore, session: Session) -> dict[int, int]:
    """Person id → Telegram id of the unreported kegiatan's PICs: «belum lapor» mentions them
    (`tg://user?id=`, a tap opens them; no username needed)."""
    ids = {p for k in ps.completeness.unreported for p in k.pic_ids}
    if not ids:
        return {}
    return dict(session.exec(select(Person.id, Person.telegram_user_id)
                             .where(Person.id.in_(ids), Person.telegram_user_id.is_not(None))).all())


def _flagged(ps: PlanScore) -> list[tuple[KegiatanScore, list[tuple[str, int]]]]:
    """Kegiatan with items left out for an anomalous target, each with those items: («a», aksi no) or
    («i», indicator number), in document order."""
    out: dict[int, tuple[KegiatanScore, list[tuple[str, int]]]] = {}
    for k, item in ps.excluded():
        out.setdefault(k.id, (k, []))[1].append(("a", item.no) if isinstance(item, AksiScore) else ("i", item.seq))
    return list(out.values())


def _worst_first(items: list, limit: int = MAX_BUTTONS) -> list:
    """All items when they fit a keyboard; otherwise the `limit` lowest scored, in document order."""
    if len(items) <= limit:
        return items
    keep = {id(i) for i in sorted(items, key=lambda i: (i.cumulative.pct is None, i.cumulative.pct or 0))[:limit]}
    return [i for i in items if id(i) in keep]


def program_detail(program_id: int, quarter: int, *, session: Session, settings: Settings | None = None,
                   lang: str | None = None, score: PlanScore | None = None, now: datetime | None = None) -> Digest:
    """One program: its achievement, budget and a line per kegiatan, with a button per kegiatan."""
    lang, ps, program = _detail(Program, PlanScore.find_program, program_id, quarter, session, settings, lang,
                                score, now)
    text = render("digest_program", lang, ps=ps, p=program, q=quarter, **_helpers(ps, lang))
    buttons = [(f"{band_emoji(k.cumulative)} {shorten(k.name, BUTTON_WIDTH)}", Drill("k", k.id, quarter))
               for k in _worst_first(program.kegiatan)]
    buttons.append((render("button_back", lang), Drill("d", ps.plan_id, quarter)))
    return Digest(text, partial(_program_numbers, program), buttons)


def kegiatan_detail(kegiatan_id: int, quarter: int, *, session: Session, settings: Settings | None = None,
                    lang: str | None = None, score: PlanScore | None = None, now: datetime | None = None) -> Digest:
    """One kegiatan: each aksi's target and realisation, indicators, budget, PICs and narrative."""
    lang, ps, keg = _detail(Kegiatan, PlanScore.find_kegiatan, kegiatan_id, quarter, session, settings, lang, score,
                            now)
    text = render("digest_kegiatan", lang, ps=ps, k=keg, p=ps.find_program(keg.program_id), q=quarter,
                  review=_review(kegiatan_id, quarter, session, settings), **_helpers(ps, lang))
    buttons = [(render("button_back", lang), Drill("p", keg.program_id, quarter))]
    return Digest(text, partial(_kegiatan_numbers, keg), buttons)


def _review(kegiatan_id: int, quarter: int, session: Session, settings: Settings | None):
    """(status, the stored form) of the kegiatan's report while verification is on, else None: a report
    not yet accepted is shown with its provisional values, which the numbers above do not count."""
    if settings is None or not verification.verification_on(settings.verification, session=session):
        return None
    status = verification.status_of(kegiatan_id, quarter, session=session)
    if status is None:
        return None
    from bot.domain.reporting import load_form

    return status, (load_form(kegiatan_id, quarter, session=session) if status != verification.ACCEPTED else None)


def _detail(table, find, row_id: int, quarter: int, session: Session, settings: Settings | None,
            lang: str | None, score: PlanScore | None, now: datetime | None):
    """(lang, plan score, the program or kegiatan) for a drill-down; LookupError for a stale id."""
    lang, bands, _ = _options(settings, lang)
    if score is None:
        row = session.get(table, row_id)
        if row is None:
            raise LookupError(f"no {table.__name__.lower()} {row_id}")
        score = score_plan_from_db(row.plan_id, quarter, session=session, now=now or datetime.now(UTC),
                                   settings=settings, bands=bands)
    item = find(score, row_id)
    if item is None:
        raise LookupError(f"no {table.__name__.lower()} {row_id} in plan {score.plan_id}")
    return lang, score, item


# ---------------------------------------------------------------- text helpers


def html_to_plain(text: str) -> str:
    return html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", "", text))


def shorten(name: str, width: int = NAME_WIDTH) -> str:
    """One line of a name: whitespace collapsed, cut at a word with «…»."""
    name = re.sub(r"[ \t\r\n]+", " ", name or "").strip()  # not str.split(): it would eat the no-break space
    if len(name) <= width:
        return name
    cut = name.rfind(" ", 0, width - 1)
    return name[: cut if cut > width // 2 else width - 1].rstrip(" ,;:-") + "…"


def band_emoji(m: Measure | None) -> str:
    return BAND_EMOJI.get(m.band, NO_DATA_EMOJI) if m is not None else NO_DATA_EMOJI


def band_legend(bands: Sequence[int] = DEFAULT_BANDS) -> list[tuple[str, str, str]]:
    """(emoji, range, band) per emoji, from the configured lower bounds: ≥91, 76–90, 66–75, <66."""
    b = list(bands)
    # Rendah and Sangat Rendah share red: one legend entry, "<66".
    return [(BAND_EMOJI[BAND_NAMES[0]], f"≥{b[0]}", BAND_NAMES[0])] + [
        (BAND_EMOJI[BAND_NAMES[i]], f"{b[i]}–{b[i - 1] - 1}", BAND_NAMES[i]) for i in (1, 2)
    ] + [(BAND_EMOJI[BAND_NAMES[3]], f"<{b[2]}", f"{BAND_NAMES[3]} / {BAND_NAMES[4]}")]


def program_labels(ps: PlanScore, lang: str = "id") -> dict[int, str]:
    """Program block names for lists and buttons; a name printed more than once says which block it is.

    The seed plan prints «Program Mutasi dan Kepangkatan ASN» three times: under two goals, and
    twice under one IKU. Names that repeat get the goal's number when that tells them apart, else
    the IKU they are printed under (IKU 1.2: goal 1, its second indicator), else their first outcome
    indicator; without this a leader sees identical lines with different numbers.
    """
    word = "Sasaran" if lang == "id" else "Goal"
    goal_seq = {g.id: i for i, g in enumerate(ps.goals, start=1)}
    iku_no = {i.id: f"{goal_seq[g.id]}.{n}" for g in ps.goals for n, i in enumerate(g.indicators, start=1)}
    groups: dict[str, list[ProgramScore]] = defaultdict(list)
    for p in ps.programs:
        groups[" ".join(p.name.split()).casefold()].append(p)
    labels = {}
    for same in groups.values():
        ways = [lambda p: p.name,
                lambda p: f"{p.name} ({word}\u00a0{goal_seq.get(p.goal_id, '?')})",
                lambda p: f"{p.name} (IKU\u00a0{iku_no.get(p.goal_indicator_id, '?')})",
                lambda p: f"{p.name}: {p.indicators[0].text}" if p.indicators else f"{p.name} ({p.seq})",
                lambda p: f"{p.name} ({p.seq})"]
        for p in same:  # the first way that tells this block from every other of its name
            labels[p.id] = next(w(p) for w in ways if all(w(p) != w(o) for o in same if o is not p))
    return labels


def _helpers(ps: PlanScore, lang: str) -> dict:
    labels = program_labels(ps, lang)
    return {"short": shorten, "emoji": band_emoji, "label": lambda p: labels.get(p.id, p.name)}


def _options(settings: Settings | None, lang: str | None) -> tuple[str, tuple[int, ...], ZoneInfo]:
    if settings is None:
        return lang or "id", DEFAULT_BANDS, ZoneInfo("Asia/Jakarta")
    return lang or settings.language, tuple(settings.score_bands), settings.tz


# ---------------------------------------------------------------- numbers (for --json and checks)


def digest_numbers(ps: PlanScore, lagging: list[KegiatanScore],
                   flagged: list[tuple[KegiatanScore, list[tuple[str, int]]]]) -> dict:
    """The digest's numbers as plain data (Decimal percentages, integer rupiah)."""
    c = ps.completeness
    iku_seq = {i.id: n for n, i in enumerate(ps.iku, start=1)}
    return {
        "plan": {"id": ps.plan_id, "year": ps.year, "agency": ps.agency},
        "quarter": ps.quarter_no,
        "physical": {"cumulative_pct": ps.cumulative.pct, "quarter_pct": ps.quarter.pct,
                     "band": ps.cumulative.band, "status": ps.cumulative.status,
                     "items": _coverage_numbers(ps.cumulative), "cap_pct": ps.cap_pct,
                     "past_deadline": ps.past_deadline},
        "budget": _budget_numbers(ps.budget),
        "reporting": {"pics_reported": c.pics_reported, "pics_due": c.pics_due,
                      "kegiatan_reported": c.kegiatan_reported, "kegiatan_due": c.kegiatan_due},
        "programs": [_program_numbers(p) for p in ps.programs],
        "lagging": [_kegiatan_numbers(k, brief=True) for k in lagging],
        "flagged": [{"id": k.id, "name": k.name, "flags": list(k.flags)} for k, _ in flagged],
        "items_excluded": [{"kegiatan_seq": k.seq, "item": f"{'aksi' if isinstance(i, AksiScore) else 'indicator'} "
                                                            f"{i.no if isinstance(i, AksiScore) else i.seq}",
                            "reason": ",".join(i.flags)} for k, i in ps.excluded()]
                          + [{"kegiatan_seq": None, "item": f"{level} {ref}", "reason": ",".join(i.flags)}
                             for level, ref, i in _outcome_refs(ps) if i.excluded],
        "unreported": [{"id": k.id, "name": k.name, "program_id": k.program_id, "pics": list(k.pic_names)}
                       for k in c.unreported],
        # The whole cascade as signed, for automated checks (README «Cara menghitung capaian»).
        "iku": [{"seq": n, "text": i.text, **_outcome_numbers(i), "band": i.cumulative.band}
                for n, i in enumerate(ps.iku, start=1)],
        "program_blocks": [{"seq": p.seq, "name": p.name, "goal_indicator_seq": iku_seq.get(p.goal_indicator_id),
                            "cumulative_pct": p.cumulative.pct, "band": p.cumulative.band,
                            "indicators": [{"n": n, **_outcome_numbers(i)}
                                           for n, i in enumerate(p.indicators, start=1)]}
                           for p in ps.programs],
        "kegiatan": [_cascade_kegiatan(k) for k in ps.kegiatan],
        "coverage": _coverage_by_level(ps),
    }


def _outcome_refs(ps: PlanScore) -> list[tuple[str, str, OutcomeScore]]:
    """Each IKU as `iku <n>` (its place in the plan) and each program indicator as `program <block>.<n>`."""
    return [("iku", str(n), i) for n, i in enumerate(ps.iku, start=1)] + [
        ("program", f"{p.seq}.{n}", i) for p in ps.programs for n, i in enumerate(p.indicators, start=1)]


def _outcome_numbers(i: OutcomeScore) -> dict:
    m = i.cumulative
    # Not due yet: the target it will be measured against (the annual one when no quarter is written).
    target = m.target if m.status != NOT_DUE else (i.targets[max(i.targets)] if i.targets else i.annual)
    return {"mode": i.mode, "target": target, "realised": m.real if m.status != NOT_DUE else i.realised,
            "achievement_pct": m.pct, "status": m.status}


def _cascade_kegiatan(k: KegiatanScore) -> dict:
    return {"seq": k.seq, "cumulative_pct": k.cumulative.pct, "quarter_pct": k.quarter.pct,
            "band": k.cumulative.band, "status": k.cumulative.status, "budget_realised": k.budget.real_cumulative,
            "absorption_pct": k.budget.absorption,
            "aksi": [{"no": a.no, "mode": a.mode, "target_to_date": a.cumulative.target,
                      "realised_to_date": a.cumulative.real, "achievement_pct": a.cumulative.pct,
                      "status": a.cumulative.status, "flagged": a.excluded} for a in k.aksi],
            "indicators": [{"n": i.seq, "mode": i.mode, "target": i.target, "realised": i.total,
                            "achievement_pct": i.pct, "status": i.status, "flagged": i.excluded}
                           for i in k.indicators]}


def _coverage_by_level(ps: PlanScore) -> dict:
    """Per level, how many items are due to date and how many of those are reported (not pending or missing)."""
    def count(statuses: list[str]) -> dict:
        due = [st for st in statuses if st != NOT_DUE]
        return {"reported": sum(1 for st in due if st not in (PENDING, MISSING)), "due": len(due)}

    c = ps.completeness
    return {
        "iku": count([i.cumulative.status for i in ps.iku]),
        "program_indicators": count([i.cumulative.status for i in ps.program_indicators]),
        "kegiatan_indicators": count([i.status for k in ps.kegiatan for i in k.indicators]),
        "aksi": count([a.cumulative.status for k in ps.kegiatan for a in k.aksi]),
        "kegiatan": {"reported": c.kegiatan_reported, "due": c.kegiatan_due},
    }


def _coverage_numbers(m: Measure) -> dict:
    """How many aksi a figure stands on (bot.domain.measure.Coverage)."""
    c = m.coverage
    return {} if c is None else {"due": c.due, "scored": c.scored, "pending": c.pending, "missing": c.missing,
                                 "excluded": c.excluded, "capped": c.capped}


def _budget_numbers(b) -> dict:
    """Absorption against the pagu, and against the anggaran kas to date of the kegiatan that have one
    (`kegiatan_with_plan` of them; the planned keys are null when none has: bot.domain.budget_plan)."""
    return {"pagu": b.pagu, "realised": b.real_cumulative, "realised_quarter": b.real_quarter,
            "absorption_pct": b.absorption, "budget_planned_to_date": b.planned_to_date,
            "budget_planned_realised": b.real_planned, "absorption_plan_pct": b.absorption_plan,
            "kegiatan_with_plan": b.kegiatan_planned}


def _program_numbers(p: ProgramScore) -> dict:
    due = [k for k in p.kegiatan if k.counted]  # as the plan's completeness counts: due and held by a PIC
    return {"id": p.id, "name": p.name, "cumulative_pct": p.cumulative.pct, "quarter_pct": p.quarter.pct,
            "band": p.cumulative.band, "status": p.cumulative.status, "items": _coverage_numbers(p.cumulative),
            **_budget_numbers(p.budget),
            "kegiatan_reported": sum(1 for k in due if k.reported), "kegiatan_due": len(due)}


def _kegiatan_numbers(k: KegiatanScore, *, brief: bool = False) -> dict:
    out = {"id": k.id, "name": k.name, "program_id": k.program_id, "cumulative_pct": k.cumulative.pct,
           "quarter_pct": k.quarter.pct, "band": k.cumulative.band, "status": k.cumulative.status,
           "absorption_pct": k.budget.absorption, "absorption_plan_pct": k.budget.absorption_plan,
           "flags": list(k.flags), "items": _coverage_numbers(k.cumulative)}
    if brief:
        return out
    out.update(_budget_numbers(k.budget), pics=list(k.pic_names), reported=k.reported,
               budget_plan=None if k.budget.plan is None else list(k.budget.plan),
               aksi=[{"id": a.id, "no": a.no, "name": a.name, "mode": a.mode,
                      "target_to_date": a.cumulative.target, "real_to_date": a.cumulative.real,
                      "cumulative_pct": a.cumulative.pct, "quarter_pct": a.quarter.pct,
                      "status": a.cumulative.status, "flags": list(a.flags), "flagged": a.excluded,
                      "pending_quarters": list(a.pending_quarters), "missing_quarters": list(a.missing_quarters)}
                     for a in k.aksi],
               indicators=[{"id": i.id, "n": i.seq, "mode": i.mode, "target": i.target, "realised": i.total,
                            "achievement_pct": i.pct, "status": i.status, "flagged": i.excluded} for i in k.indicators])
    return out
