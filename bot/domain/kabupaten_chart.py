"""The kabupaten chart: one PNG of every OPD in rank order, three bars each — IKU achievement, aksi progress
and absorption against the pagu — with the 100% line and the kabupaten means in the header.

Drawn like bot.domain.charts (matplotlib's object API on the Agg canvas, 1080 px wide, each name on its own
line above its bars); an OPD without a figure says «belum ada data», never a zero bar. Its own module: the
one-OPD chart is bot.domain.charts'.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.domain.kabupaten import Rekap
from bot.text import formatting
from bot.text.render import labels

WIDTH_PX, DPI = 1080, 100
NAME_CHARS = 60
LINE_IN, BARS_IN, HEADER_IN, FOOTER_IN = 0.36, 0.95, 2.2, 0.45
SERIES = (("iku", "#1b5e20"), ("aksi", "#f2a900"), ("absorption", "#5b8fd9"))


def _pct(value: Decimal | None, lang: str) -> str:
    return "–" if value is None else f"{formatting.number(value, lang, decimals=1)}%"


def kabupaten_chart(rekap: Rekap, *, lang: str = "id", year: int | None = None) -> bytes:
    """PNG bytes of the rekap (rows in rank order)."""
    words = labels("rekap_labels", lang)
    rows = rekap.rows
    names = [textwrap.wrap(f"{r.rank or '–'}. {r.agency}", NAME_CHARS) or [""] for r in rows]
    body_in = sum(LINE_IN * len(n) + BARS_IN for n in names) or 1.0
    fig_h = HEADER_IN + body_in + FOOTER_IN
    fig = Figure(figsize=(WIDTH_PX / DPI, fig_h), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, FOOTER_IN / fig_h, 0.94, body_in / fig_h))
    t = rekap.totals
    tw = formatting.quarter_label(rekap.quarter) if rekap.quarter else ""
    year = year or next((r.year for r in rows if r.year), "")
    fig.text(0.03, 1 - 0.5 / fig_h, words["title"].format(tw=tw, year=year), fontsize=28, fontweight="bold",
             va="center")
    fig.text(0.03, 1 - 1.05 / fig_h, f"{words['iku']} {_pct(t.iku_pct, lang)} · {words['aksi']} "
             f"{_pct(t.aksi_pct, lang)} · {words['absorption']} {_pct(t.absorption, lang)}", fontsize=18,
             va="center", color="#333333")
    fig.legend(handles=[Patch(color=c, label=words[k]) for k, c in SERIES], loc="center left",
               bbox_to_anchor=(0.02, 1 - 1.6 / fig_h), ncol=3, fontsize=15, frameon=False)
    values = [v for r in rows for v in (r.iku_pct, r.aksi_pct, r.absorption) if v is not None]
    xmax = float(max([Decimal(110), *values])) * 1.08
    y = 0.0
    for row, lines in zip(rows, names, strict=True):
        ax.text(0, y, "\n".join(lines), fontsize=19, va="top", ha="left", zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        y += LINE_IN * len(lines)
        for i, (key, colour) in enumerate(SERIES):
            value = {"iku": row.iku_pct, "aksi": row.aksi_pct, "absorption": row.absorption}[key]
            middle = y + 0.15 + i * 0.24
            if value is None:
                missing = words["no_plan"] if row.plan_id is None else words["no_data"]
                ax.text(0.5, middle, missing, fontsize=13, va="center", color="#9e9e9e", style="italic")
                continue
            ax.barh(middle, float(value), height=0.2, color=colour, zorder=2)
            ax.text(float(value) + xmax * 0.01, middle, _pct(value, lang), fontsize=13, va="center", zorder=4)
        y += BARS_IN
    ax.axvline(100, color="#222222", linestyle="--", linewidth=1.4, zorder=3)
    ax.set_xlim(0, xmax)
    ax.set_ylim(body_in, 0)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: f"{int(v)}%")
    ax.tick_params(axis="x", labelsize=14, length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()
