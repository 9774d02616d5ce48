"""What an item's wording and targets say about how it is measured: its mode, inferred at import.

Every measured item (an aksi, a kegiatan indicator; later an IKU or program indicator) has one
mode (bot.domain.measure does the arithmetic):

* ``increment`` — each quarter's own value, summed: «Realisasi TW II saja»;
* ``level`` — the value to date, the latest report counts: «Capaian s.d. TW II»;
* ``negative`` — lower is better (Angka Kematian Ibu, prevalensi stunting); read like a level.

The importer stores the inferred mode with the item (`aksi.mode`, `kegiatanindicator.mode`), so
/lapor's question, scoring, the digest and the workbook read one stored fact. The rules:

Items with quarterly targets (aksi), looking at the quarters with a number (empty, `-` or 0 is
nothing due):

1. Wording of a lower-is-better measure (`NEGATIVE_WORDS`) → negative.
2. All targets percentages:
   - they add up to 100 ± 10 → increment: a progress share per quarter (25/25/25/25, 50/50,
     30/40/40 with its slip, a single 100%);
   - else never falling and ending at 90 or more → level: progress written to date (20/25/40/100),
     or the same level due each time (100/100);
   - else increment (25/25/–/25: a share with a lost cell).
3. Anything else (counts such as 60 then 157 participants, 1/1/1/1 reports) → increment.

Items with an annual target only (kegiatan indicators):

1. Wording of a lower-is-better measure → negative.
2. A percentage (`95%`, or wording «Persentase …»), a duration (`12 bulan`, «… selama 12 bulan»)
   or a standing state («Tersedianya …», «Terpenuhinya …», «Tercapainya …», «… yang dipelihara»)
   → level: asked «capaian s.d. TW n» and the latest answer counts (3 then 6 of 12 bulan is 50%).
3. Anything else (participants, documents, name tags) → increment: each quarter's own count, summed.

Indicators of a goal or a program (IKU, program outcomes: an annual target and the four quarterly
cells of the signed document):

1. Wording of a lower-is-better measure → negative.
2. What the annual-target rule above calls a level (a percentage, a duration, a standing state) → level.
3. Quarterly counts written to date (two or more, never falling, the last one the annual target:
   25/50/75/100 of 100) → level.
4. Anything else → increment (25/25/25/25 of 100: each quarter's own).

Nothing here touches the database; `bot.domain.plan_import.store` calls `aksi_mode` and
`indicator_mode` and `outcome_mode` where it writes items, the migration that added the column calls them once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from itertools import pairwise

from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.measure import NEGATIVE

_HUNDRED = Decimal(100)
_SHARE_TOLERANCE = Decimal(10)
_WHOLE = Decimal(90)

PERCENT_WORDS = re.compile(r"\b(?:pre|pro|per)s(?:e)?nta(?:se|si)\b|\bpersen\b|\bprosen\b", re.IGNORECASE)
COUNT_WORDS = re.compile(r"\b(?:jumlah|banyaknya)\b", re.IGNORECASE)
NEGATIVE_WORDS = re.compile(
    r"\bangka\s+(?:kematian|kesakitan|kemiskinan|pengangguran|putus\s+sekolah|kecelakaan)\b"
    r"|\bprevalensi\b|\bstunting\b|\bgizi\s+buruk\b|\bpenduduk\s+miskin\b|\btingkat\s+(?:pengangguran|kriminalitas)\b"
    r"|\b(?:rasio|indeks)\s+gini\b",
    re.IGNORECASE)
_DURATION_UNITS = re.compile(r"^\s*(?:bulan|tahun|minggu|hari)\b", re.IGNORECASE)
_LEVEL_WORDS = re.compile(
    r"\bselama\s+\d+\s+bulan\b|\btersedia(?:nya)?\b|\bterpenuhi(?:nya)?\b|\btercapai(?:nya)?\b"
    r"|\b(?:di|ter)pelihara\b",
    re.IGNORECASE)


def wording(text: str) -> str | None:
    """What an indicator's wording promises: `percent`, `count`, or None when it says neither."""
    if PERCENT_WORDS.search(text or ""):
        return "percent"
    if COUNT_WORDS.search(text or ""):
        return "count"
    return None


def aksi_mode(indicator: str, targets: Iterable[tuple[str, Decimal | None]]) -> str:
    """The mode of an item with quarterly targets, given as (kind, value) per quarter in order.

    `kind` is the stored target kind (percent / count / none / text), `value` its first number.
    """
    if NEGATIVE_WORDS.search(indicator or ""):
        return NEGATIVE
    due = [(kind, value) for kind, value in targets
           if kind in ("percent", "count") and value is not None and value != 0]
    values = [value for _, value in due]
    if values and all(kind == "percent" for kind, _ in due):
        if abs(sum(values, Decimal(0)) - _HUNDRED) <= _SHARE_TOLERANCE:
            return INCREMENT
        if values[-1] >= _WHOLE and all(a <= b for a, b in pairwise(values)):
            return LEVEL
    return INCREMENT


def indicator_mode(text: str, unit: str) -> str:
    """The mode of an item with an annual target only: its wording and the unit of its target."""
    if NEGATIVE_WORDS.search(text or ""):
        return NEGATIVE
    unit = (unit or "").strip()
    if (unit == "%" or unit.lower() in ("persen", "percent") or wording(text) == "percent"
            or _DURATION_UNITS.match(unit) or _LEVEL_WORDS.search(text or "")):
        return LEVEL
    return INCREMENT


def stored_value(kind: str, parts: tuple) -> Decimal | None:
    """The one number of a target cell that scoring uses (its first), as the importer stores it."""
    return parts[0].value if kind in ("percent", "count") and parts else None


def stored_unit(parts: tuple) -> str:
    """The unit of an annual target as the importer stores it: the first number's, when it is the only
    number or a percentage (a cell holding several counts is stored without a value)."""
    if not parts or (len(parts) > 1 and parts[0].unit != "%"):
        return ""
    return parts[0].unit


def outcome_mode(text: str, unit: str, annual: Decimal | None, quarterly: Iterable[Decimal | None]) -> str:
    """The mode of an IKU or program indicator: its wording, the unit of its annual target, and the
    numbers of its quarterly cells in order (None where nothing is due)."""
    mode = indicator_mode(text, unit)
    if mode != INCREMENT:
        return mode
    values = [v for v in quarterly if v is not None and v != 0]
    if len(values) > 1 and all(a <= b for a, b in pairwise(values)) and values[-1] == annual:
        return LEVEL
    return INCREMENT
