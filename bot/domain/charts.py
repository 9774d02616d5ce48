"""Phone-readable PNG chart of a quarter: the Perjanjian Kinerja first (the IKU's «capaian kinerja
sasaran» in the header), then achievement per program block against the 100% target, with budget
absorption beside it: against the pagu, and, when some kegiatan have an anggaran kas
(bot.domain.budget_plan), a third bar against the plan to date, labelled as such.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, safe in threads).
1080 px wide; each program gets its name on a line of its own above two full-width bars, so
the names are never squeezed into a margin. With more programs than fit, the chart shows the
lowest and highest ones and says so. Missing data is written as «belum ada data», never drawn
as a zero-length bar.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image

from bot.domain.digest import band_legend
from bot.domain.digest import program_labels
from bot.domain.scoring import BAND_NAMES
from bot.domain.scoring import PARTIAL
from bot.domain.scoring import Budget
from bot.domain.scoring import Measure
from bot.domain.scoring import PlanScore
from bot.text import formatting
from bot.text.render import labels

WIDTH_PX = 1080
DPI = 100
MAX_ITEMS = 12
LABEL_CHARS = 60  # characters per name line at the label font size across 1080 px
LINE_IN = 0.36  # one line of a program name (20 pt)
ITEM_IN = 0.85  # the two bars and the gap below them
FOOTER_IN = 0.45  # x tick labels  # characters per name line at the label font size across 1080 px
# As the digest's emoji: green, yellow, orange, and red for both low bands.
BAND_COLOURS = dict(zip(BAND_NAMES, ("#2e7d32", "#f2a900", "#ef6c00", "#c62828", "#c62828"), strict=True))
ABSORPTION_COLOUR = "#5b8fd9"
PLAN_COLOUR = "#1b4f8f"  # absorption against the anggaran kas to date: the same blue, darker
PLAN_BAR_IN = 0.28  # the third bar, only when some kegiatan have an anggaran kas
MISSING_COLOUR = "#9e9e9e"
PNG_COMPRESS_LEVEL = 1  # zlib 1–9: 1 is the fastest; the chart's flat colours compress well anyway

def achievement_chart(plan_score: PlanScore, quarter: int | None = None, *, lang: str = "id",
                      max_items: int = MAX_ITEMS) -> bytes:
    """PNG bytes: per program, achievement to TW n (band-coloured) and budget absorption."""
    ps = plan_score
    quarter = quarter or ps.quarter_no
    words = labels("chart_labels", lang)
    tw = formatting.quarter_label(quarter)
    items, subset_note = _pick_items(ps, max_items, words, lang)

    rows = [_wrap(name) for name, _, _ in items]
    # Lay out in inches first (one y unit = one inch), then size the figure to fit.
    partial = any(m.status == PARTIAL for _, m, _ in items)
    with_plan = ps.budget.kegiatan_planned > 0
    header_in = 2.5 + (0.35 if partial else 0) + (0.35 if with_plan else 0) + (0.4 if subset_note else 0)
    item_in = ITEM_IN + (PLAN_BAR_IN if with_plan else 0)
    body_in = sum(LINE_IN * len(r) + item_in for r in rows) if items else 1.0
    fig_h = header_in + body_in + FOOTER_IN
    fig = Figure(figsize=(WIDTH_PX / DPI, fig_h), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, FOOTER_IN / fig_h, 0.94, body_in / fig_h))

    band = f" ({ps.cumulative.band})" if ps.cumulative.band else ""
    fig.text(0.03, 1 - 0.5 / fig_h, words["title"].format(tw=tw, year=ps.year), fontsize=30,
             fontweight="bold", va="center")
    overall = words["overall"].format(pct=_pct(ps.cumulative.pct, lang), band=band,
                                      abs=_pct(ps.budget.absorption, lang))
    if with_plan:
        overall += words["overall_plan"].format(plan=_pct(ps.budget.absorption_plan, lang), tw=tw)
    fig.text(0.03, 1 - 1.0 / fig_h, iku_headline(ps, words, lang), fontsize=20, fontweight="bold", va="center",
             color="#222222")
    fig.text(0.03, 1 - 1.45 / fig_h, overall, fontsize=19, va="center", color="#333333")
    fig.legend(handles=_legend(ps.bands, words, tw), loc="center left", bbox_to_anchor=(0.02, 1 - 1.95 / fig_h),
               ncol=6, fontsize=14, frameon=False, handlelength=1.2, handletextpad=0.4, columnspacing=0.9)
    line_in = 2.3
    if partial:  # its own legend row, shown only when some bar is hatched
        fig.legend(handles=[Patch(facecolor=BAND_COLOURS[BAND_NAMES[0]], edgecolor="white", hatch="//",
                                  label=words["partial"])], loc="center left", bbox_to_anchor=(0.02, 1 - 2.3 / fig_h),
                   fontsize=14, frameon=False, handlelength=1.2, handletextpad=0.4)
        line_in += 0.35
    if with_plan:  # its own legend row: the third bar
        fig.legend(handles=[Patch(color=PLAN_COLOUR, label=words["absorption_plan"].format(tw=tw))], loc="center left",
                   bbox_to_anchor=(0.02, 1 - line_in / fig_h), fontsize=14, frameon=False, handlelength=1.2,
                   handletextpad=0.4)
        line_in += 0.35
    if subset_note:
        fig.text(0.03, 1 - (line_in + 0.1) / fig_h, subset_note, fontsize=16, va="center", color="#555555",
                 style="italic")

    xmax = _x_limit([m.pct for _, m, _ in items] + [b.absorption for _, _, b in items]
                    + [b.absorption_plan for _, _, b in items])
    y = 0.0
    for (name, measure, budget), lines in zip(items, rows, strict=True):
        # Above the 100% line, on white: long program names stay readable where the line crosses them.
        ax.text(0, y, "\n".join(lines), fontsize=20, va="top", ha="left", linespacing=1.1, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        y += LINE_IN * len(lines)
        _bar(ax, y + 0.2, 0.32, measure.pct, _colour(measure), xmax, lang, missing=_missing_word(measure, words),
             bold=True, partial=measure.status == PARTIAL)
        _bar(ax, y + 0.5, 0.2, budget.absorption, ABSORPTION_COLOUR, xmax, lang,
             missing=words["missing"] if budget.pagu else "", bold=False)
        if with_plan:
            _bar(ax, y + 0.5 + PLAN_BAR_IN, 0.2, budget.absorption_plan, PLAN_COLOUR, xmax, lang,
                 missing=words["missing"] if budget.kegiatan_planned else words["no_plan"], bold=False)
        y += item_in
    if not items:
        ax.text(0, 0.5, words["none"], fontsize=20, va="center")

    ax.axvline(100, color="#222222", linestyle="--", linewidth=1.6, zorder=3)
    ax.set_xlim(0, xmax)
    ax.set_ylim(body_in, 0)
    ax.set_yticks([])
    ax.set_xticks([t for t in (0, 25, 50, 75, 100, 125, 150, 175, 200) if t <= xmax])
    ax.xaxis.set_major_formatter(lambda v, _: f"{int(v)}%")
    ax.tick_params(axis="x", labelsize=15, length=0)
    ax.grid(axis="x", color="#e0e0e0", linewidth=1, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)

    return _png(fig)


def _png(fig: Figure) -> bytes:
    """The drawn figure as an RGB PNG (the background is white: no alpha channel to compress), at zlib's
    fastest level: lossless all the same, a tenth smaller than savefig's RGBA and quicker to encode."""
    fig.set_facecolor("white")
    canvas = fig.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def iku_headline(ps: PlanScore, words: dict, lang: str) -> str:
    """«Capaian kinerja sasaran (IKU)»: its figure and band, or that no IKU is due yet."""
    m = ps.iku_measure
    if m is None or not ps.iku:
        return words["iku_none"]
    if m.pct is None:
        return words["iku_not_due"] if m.status == "not_due" else words["iku_pending"]
    band = f" ({m.band})" if m.band else ""
    return words["iku"].format(pct=_pct(m.pct, lang), band=band, n=m.coverage.scored if m.coverage else 0,
                               due=m.coverage.due if m.coverage else 0)


def _pick_items(ps: PlanScore, max_items: int, words: dict, lang: str) -> tuple[list[tuple[str, Measure, Budget]], str]:
    """Every program when they fit; otherwise the lowest and highest scored ones."""
    programs = ps.programs
    labels = program_labels(ps, lang)
    items = [(labels[p.id], p.cumulative, p.budget) for p in programs]
    if len(items) <= max_items:
        return items, ""
    scored = sorted((i for i in items if i[1].pct is not None), key=lambda i: i[1].pct)
    low = scored[: max_items - max_items // 3]
    high = scored[len(low):][-(max_items // 3):]
    return low + high, words["subset"].format(n=len(low), m=len(high), total=len(programs))


def _legend(bands: Sequence[int], words: dict, tw: str) -> list[Patch]:
    """Bar colours are bands: one swatch per band range, then absorption and the target line."""
    swatches = [Patch(color=BAND_COLOURS[BAND_NAMES[i]], label=(words["physical"].format(tw=tw) + " " if i == 0
                                                                else "") + rng)
                for i, (_, rng, _) in enumerate(band_legend(bands))]
    return swatches + [Patch(color=ABSORPTION_COLOUR, label=words["absorption"]),
                       Patch(facecolor="white", edgecolor="#222222", linestyle="--", label=words["target"])]


def _bar(ax, y: float, height: float, value: Decimal | None, colour: str, xmax: float, lang: str, *,
         missing: str, bold: bool, partial: bool = False) -> None:
    """One horizontal bar with its value at the end; beyond the axis it is cut and marked with ▸.

    A hatched bar is an average of incomplete data (some kegiatan have not reported yet).
    """
    size = 19 if bold else 15
    if value is None:
        if missing:
            ax.text(0.5, y, missing, fontsize=size - 2, va="center", color=MISSING_COLOUR, style="italic")
        return
    shown = min(float(value), xmax * 0.86)
    ax.barh(y, shown, height=height, color=colour, zorder=2, hatch="//" if partial else None, edgecolor="white",
            linewidth=0)
    label = _pct(value, lang) + (" ▸" if shown < float(value) else "")
    ax.text(shown + xmax * 0.01, y, label, fontsize=size, va="center", fontweight="bold" if bold else "normal",
            color="#111111", zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})


def _x_limit(values: Sequence[Decimal | None]) -> float:
    """Room for 100% and the value labels; over-achievement widens the axis up to 200%."""
    top = max([float(v) for v in values if v is not None] + [100.0])
    return min(max(top, 100.0) * 1.18, 200.0 * 1.18)


def _colour(m: Measure) -> str:
    return BAND_COLOURS.get(m.band, MISSING_COLOUR)


def _missing_word(m: Measure, words: dict) -> str:
    return words["not_due"] if m.status == "not_due" else words["missing"]


def _wrap(name: str) -> list[str]:
    lines = textwrap.wrap(re.sub(r"[ \t\r\n]+", " ", name).strip(), LABEL_CHARS) or [""]  # keeps no-break spaces
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_CHARS, placeholder="…")]
    return lines


def _pct(value: Decimal | None, lang: str) -> str:
    return "–" if value is None else formatting.number(value, lang, decimals=1) + "%"
