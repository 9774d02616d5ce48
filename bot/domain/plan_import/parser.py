"""Read a RAPK plan (tab-separated text or .xlsx) into plain dataclasses. No database, no Telegram.

The text is extracted from a signed document and is messy: page-break headers, the aksi
number sometimes in its own column (every later cell shifts by one), indicator text
continued on the next line, the budget in whatever column it landed in or on a line of its
own, numbering gaps, typing errors in targets. The parser anchors on the aksi cell instead
of fixed column indexes, keeps every cell as written, and lists each oddity as an Anomaly
with its line number. A file that is not a plan raises PlanFormatError naming the line.
Neither carries prose: a `code` and `params`, worded by templates/<lang>/import_messages.j2.

A kegiatan table may carry anggaran kas columns (bot.domain.budget_plan) right of the quarterly
targets: four headed «ANGGARAN KAS TW I» … «TW IV» (or «RENCANA PENARIKAN DANA TW I» …), or one
«ANGGARAN KAS» heading over four columns whose sub-header row names the quarters. Their cells
move with the aksi cell as every cell right of the targets does, are read as rupiah wherever in
the kegiatan's rows they stand, and never as a budget, target or note.

Files are untrusted: the size limits below are checked before anything is parsed (a workbook's
uncompressed size from its zip directory, its cell count from a streamed scan of the sheet XML),
sheets are read in openpyxl's read-only mode, and only the first MAX_ANOMALIES anomalies are kept
(all are counted).
"""

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.etree.ElementTree import iterparse

from bot.domain.bulk import gc_paused
from bot.domain.numbers import MoneyFormatError
from bot.domain.numbers import NumberFormatError
from bot.domain.numbers import Target
from bot.domain.numbers import is_money_text
from bot.domain.numbers import parse_money
from bot.domain.numbers import parse_number
from bot.domain.numbers import parse_target
from bot.domain.numbers import rupiah_from_decimal
from bot.domain.plan_import.packed import note_target
from bot.domain.plan_import.packed import split_packed
from bot.text.formatting import number
from bot.text.render import macro
from bot.text.render import message
from models.base import BIGINT_MAX

__all__ = [
    "MAX_ANOMALIES", "MAX_PLAN_BYTES", "MAX_XLSX_CELLS", "MAX_XLSX_UNPACKED",
    "Anomaly", "ParsedAksi", "ParsedGoal", "ParsedIndicator", "ParsedKegiatan", "ParsedPlan",
    "ParsedProgram", "PlanFormatError", "TargetRow", "indicator_kind", "name_key", "parse_plan_bytes",
    "parse_plan_file", "parse_plan_text", "parse_plan_xlsx", "read_target", "read_xlsx_sheet", "split_names",
]

# Limits on what a plan file may be (README, «Import limits»). The real 2020 plan (45 kegiatan) is 30 KB
# of text, or a 17 KB workbook of 1,352 stored cells, 273 rows about 12 columns wide, 0.1 MB uncompressed.
# A large agency's plan of 300 kegiatan, every table cell bordered, is some 30,000 cells. The 100-fold
# benchmark plan (4,500 kegiatan) is 3 MB of text; as a workbook it would be 330,000 cells: text only.
# Reading 200,000 cells takes openpyxl a few seconds; 2 million took 27 s and 1.5 GB.
MAX_PLAN_BYTES = 5 * 1024 * 1024  # the file as sent, text or .xlsx (also Telegram's /impor limit)
MAX_XLSX_UNPACKED = 50 * 1024 * 1024  # every part of a workbook together, uncompressed
MAX_XLSX_CELLS = 200_000  # cells of all its sheets: as stored, and each row counted up to its last stored cell
MAX_ANOMALIES = 500  # anomalies kept (listed and stored), in line order; all are counted
_EXCEL_ROWS = 1_048_576  # a row past Excel's last one: not a workbook Excel wrote

QUARTERS = ("TW I", "TW II", "TW III", "TW IV")
ANNUAL = "annual"  # the annual-target cell in an anomaly's `cells`, next to the QUARTERS labels
# An aksi target with no unit above this is not a plausible count (`510000000`: money typed as a target).
ABSURD_COUNT = Decimal(1_000_000)


MESSAGES = "import_messages"  # templates/<lang>/import_messages.j2: one macro per code below


class PlanFormatError(ValueError):
    """The file is not a plan: the line, a `code` for the reason and its `params`; str() is Indonesian."""

    template = MESSAGES
    frame = "at_line"  # `Baris 12: …`

    def __init__(self, line: int, code: str, **params):
        self.line = line
        self.code = code
        self.params = params
        super().__init__(message(self))

    @property
    def reason(self) -> str:
        """The Indonesian reason without the line."""
        return macro(MESSAGES, self.code, "id", **self.params)


@dataclass
class Anomaly:
    """Something odd kept as written: 1-based line, the raw line, and a `code` (with `params`) for why."""

    line: int
    raw: str
    code: str
    params: dict = field(default_factory=dict)
    template = MESSAGES  # a class attribute, not a field

    @property
    def why(self) -> str:
        """In Indonesian: what the stored anomaly list keeps (ImportAnomaly.why holds text, not codes)."""
        return message(self)


@dataclass
class TargetRow:
    """An indicator of a goal or program with its annual and quarterly targets as written."""

    no: str
    text: str
    target_raw: str
    tw: list[str]
    line: int


@dataclass
class ParsedGoal:
    no: str  # as first printed; the same goal may be printed again with another number
    name: str
    line: int
    indicators: list[TargetRow] = field(default_factory=list)


@dataclass
class ParsedProgram:
    """A program block: one program row as printed, under the IKU printed last above it."""

    no: str
    name: str
    goal: str
    line: int
    indicators: list[TargetRow] = field(default_factory=list)
    goal_indicator: int | None = None  # 1-based position among the goal's indicators; None: it has none
    seq: int = 0  # block order in the document, 1-based


@dataclass
class ParsedIndicator:
    """Indikator kinerja kegiatan; a packed cell (`a. 45 orang b. 40 orang`) is split into one each
    (bot.domain.plan_import.packed), all on the cell's line."""

    text: str
    target_raw: str
    line: int
    target: Target = field(default_factory=lambda: parse_target(""))
    kind: str = "positive"
    packed_from: str = ""  # a part of a split cell: the cell's indicator text as printed
    part: int = 0  # and which part, from 1


@dataclass
class ParsedAksi:
    no: int
    name: str
    indicator: str
    tw: list[str]  # the four quarterly cells as written, "" where empty
    line: int
    targets: list[Target] = field(default_factory=list)
    kind: str = "positive"


@dataclass
class ParsedKegiatan:
    seq: int  # document order, 1-based
    no: str  # as printed
    name: str
    goal: str
    program: str
    line: int
    block: int = 0  # the program block it is printed in (ParsedProgram.seq)
    budget: int | None = None
    budget_raw: str = ""
    # Anggaran kas TW I..IV in rupiah, when its table has the columns and they hold a plan; with
    # `budget_plan_given` the file decides the stored plan (None removes it), else the stored one stays.
    budget_plan: list[int] | None = None
    budget_plan_given: bool = False
    indicators: list[ParsedIndicator] = field(default_factory=list)
    aksi: list[ParsedAksi] = field(default_factory=list)
    pics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Signature:
    """The signature lines that end a signed plan: title (KEPALA BADAN …), name, rank (pangkat), NIP."""

    title: str
    name: str
    rank: str
    nip: str


@dataclass
class ParsedPlan:
    agency: str | None
    year: int | None
    title: str
    source_name: str
    goals: list[ParsedGoal]
    programs: list[ParsedProgram]
    kegiatan: list[ParsedKegiatan]
    anomalies: list[Anomaly]  # the first MAX_ANOMALIES, in line order
    anomaly_count: int = 0  # all of them
    sheet: str = ""  # the worksheet read, for a workbook
    sheet_hidden: bool = False
    signature: Signature | None = None  # read_signature: None when the file ends without one

    @property
    def budget_total(self) -> int:
        return sum(k.budget or 0 for k in self.kegiatan)

    @property
    def aksi_count(self) -> int:
        return sum(len(k.aksi) for k in self.kegiatan)

    @property
    def budget_plan_count(self) -> int:
        """Kegiatan with an anggaran kas in the file."""
        return sum(1 for k in self.kegiatan if k.budget_plan is not None)

    @property
    def budget_plan_total(self) -> int:
        return sum(sum(k.budget_plan) for k in self.kegiatan if k.budget_plan is not None)

    @property
    def indicator_count(self) -> int:
        return sum(len(k.indicators) for k in self.kegiatan)

    def with_overrides(self, *, agency: str | None = None, year: int | None = None) -> "ParsedPlan":
        """The same plan with the agency and/or year given on the command line."""
        return replace(self, agency=agency or self.agency, year=year or self.year)


def name_key(name: str) -> str:
    """Identity of a goal, program or kegiatan name: case and spacing do not make a new one."""
    return " ".join(name.split()).casefold()


_PERCENT_WORDS = re.compile(r"\b(?:pre|pro|per)s(?:e)?nta(?:se|si)\b|\bpersen\b|\bprosen\b", re.IGNORECASE)
_COUNT_WORDS = re.compile(r"\b(?:jumlah|banyaknya)\b", re.IGNORECASE)


def _indicator_clue(text: str) -> str | None:
    """What the indicator's wording promises: `percent`, `count`, or None when it says neither."""
    if _PERCENT_WORDS.search(text):
        return "percent"
    if _COUNT_WORDS.search(text):
        return "count"
    return None


def indicator_kind(text: str, targets: Iterable[Target]) -> str:
    """Scoring kind from the wording, else from the targets: `percentage` or `positive` (sum of quarters)."""
    clue = _indicator_clue(text)
    if clue is None:
        clue = "percent" if any(t.kind == "percent" for t in targets) else "count"
    return "percentage" if clue == "percent" else "positive"


# Academic degrees after a comma belong to the name: `Drs. NADLIF, M.Si`, `Budi Santoso, ST`.
_DEGREE = re.compile(r"^(?:[A-Z][A-Za-z]{0,4}\.){1,3}[A-Za-z]{0,4}\.?$")
_DOTLESS_DEGREES = {"ST", "SE", "SH", "MT", "MM", "MH", "MSI", "SKOM", "SPD", "MPD", "SSOS", "SIP", "SAP", "MAP",
                    "SKM", "MKES", "AK", "CA", "SSTP", "MSC", "PHD", "MBA", "SKED", "SPSI", "MKOM", "SAN", "MAN"}


def split_names(text: str) -> list[str]:
    """People in a PIC cell: separated by `;` (or `,` when there is no `;`), degrees kept with the name."""
    text = " ".join(text.split())
    if not text:
        return []
    if ";" in text:
        return [p.strip() for p in text.split(";") if p.strip()]
    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if names and (_DEGREE.match(part) or part.upper() in _DOTLESS_DEGREES):
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(part)
    return names


# ---------------------------------------------------------------------------------------------
# rows


@dataclass
class _Row:
    line: int
    raw: str
    cells: list[str]

    def cell(self, i: int) -> str:
        return self.cells[i] if 0 <= i < len(self.cells) else ""

    @cached_property
    def filled(self) -> list[int]:
        return [i for i, c in enumerate(self.cells) if c]


def _norm(text: str) -> str:
    return " ".join(text.upper().split())


_NUMBER_CELL = re.compile(r"^\d{1,3}\.?$")
_NUMBERED = re.compile(r"^(\d{1,3})\.?\s+(\S.*)$")
_AKSI_INLINE = re.compile(r"^(\d{1,3})\.?\s+([A-Za-z(].*)$")
_ENUMERATED = re.compile(r"^[A-Za-z][.)]?\s+\S")
_TW_LABEL = re.compile(r"^TW\s*(?:I{1,3}|IV|[1-4])$")
_TITLE = re.compile(r"\bRENCANA\s+AKSI\b", re.IGNORECASE)
_YEAR = re.compile(r"\bTAHUN\s+(\d{4})\b", re.IGNORECASE)
_AGENCY = re.compile(
    r"^(?:BADAN|DINAS|KANTOR|SEKRETARIAT|INSPEKTORAT|SATUAN|RUMAH\s+SAKIT|KECAMATAN|BAGIAN|BIRO|KELURAHAN)\b",
    re.IGNORECASE)
_NIP = re.compile(r"^NIP\.?\s*:?\s*(\d[\d ]{7,28}\d)$", re.IGNORECASE)
# Civil-service ranks (pangkat, PP 99/2000): the line between the name and the NIP, when it is printed.
_RANK = re.compile(r"^(?:PEMBINA|PENATA|PENGATUR|JURU)\b", re.IGNORECASE)
_TOTAL_LABELS = {"JUMLAH", "TOTAL", "JUMLAH TOTAL", "TOTAL ANGGARAN", "JUMLAH ANGGARAN"}


def read_signature(lines: list[str]) -> Signature | None:
    """The block that ends a signed plan, from its last one-cell lines: the title, the name, the rank
    when printed, and the NIP last (`NIP. 19610926 198603 1 008`, spaces as printed). None without a NIP."""
    lines = [line for line in lines if line]
    if not lines or not (m := _NIP.match(lines[-1])):
        return None
    before = lines[:-1]
    rank = before.pop() if before and _RANK.match(before[-1]) else ""
    if not before:
        return None
    name = before.pop()
    title = before.pop() if before else ""
    return Signature(title=title[:300], name=name[:300], rank=rank[:100], nip=" ".join(m[1].split())[:30])


def _split_numbered(text: str) -> tuple[str, str]:
    """`1 Program X` -> ("1", "Program X"); text without a leading number -> ("", text)."""
    m = _NUMBERED.match(text)
    return (m[1], m[2].strip()) if m else ("", text)


def _is_tw_subheader(row: _Row) -> bool:
    labels = [_norm(row.cells[i]) for i in row.filled]
    return len(labels) >= 2 and all(_TW_LABEL.match(label) for label in labels)


@dataclass
class _Anchor:
    index: int
    no: int
    name: str
    inline: bool  # `1 Persiapan ...` in one cell, or `1` then `Persiapan ...` in the next


def _find_aksi(cells: list[str], expected: int) -> _Anchor | None:
    """The aksi cell of a kegiatan-table row, searched from the AKSI column rightwards."""
    candidates: list[_Anchor] = []
    for i in range(4, len(cells)):
        m = _AKSI_INLINE.match(cells[i])
        if m:
            candidates.append(_Anchor(i, int(m[1]), m[2].strip(), True))
        elif _NUMBER_CELL.match(cells[i]) and i + 1 < len(cells) and re.match(r"[A-Za-z(]", cells[i + 1]):
            candidates.append(_Anchor(i, int(cells[i].rstrip(".")), cells[i + 1], False))
    if not candidates:
        return None
    first = candidates[0]
    # A shifted indicator target such as `60 OPD` also looks like `number text`; when the next
    # candidate close by carries the aksi number we expect, that one is the aksi.
    if first.no != expected:
        for other in candidates[1:]:
            if other.index <= first.index + 2 and other.no == expected:
                return other
    return first


@dataclass(frozen=True)
class _Money:
    """A cell written as an amount of money: its value (None when it cannot be read) and its sign."""

    value: Decimal | None
    negative: bool


_DASH = "-–—−‐"
_DIGIT = re.compile(r"\d")
_CURRENCY = re.compile(r"^(?:rp|idr)\.?(?![a-z])\s*", re.IGNORECASE)
_NO_CENTS = re.compile(r"\s*[,.][-–—]$")  # `1.018.175.000,-`: Indonesian for «no cents»


@lru_cache(maxsize=4096)  # a plan repeats the same few cells (`25%`, `1`, ``) thousands of times
def _money(text: str, *, bare: bool = False) -> _Money | None:
    """The cell as money when it is written like a budget, else None (it may be a target).

    Money is marked by `Rp`/`IDR` or a trailing `,-` (then any amount, `125 juta` too), or is grouped
    like a budget (`1.018.175.000,00`, `10.000.000`); with `bare`, right of the targets, a plain
    amount of millions (`25000000`) as well. A sign in front is kept: a budget is never negative.
    """
    if not _DIGIT.search(text):
        return None
    s = " ".join(text.split())
    negative = len(s) > 1 and s[0] in _DASH
    body = s[1:].lstrip() if negative else s
    marked = _CURRENCY.match(body)
    if marked:
        body = body[marked.end():]
        if len(body) > 1 and body[0] in _DASH:
            negative, body = True, body[1:].lstrip()
    if _NO_CENTS.search(body):
        marked, body = True, _NO_CENTS.sub("", body)
    if marked:
        try:
            return _Money(parse_number(body), negative)
        except NumberFormatError:
            try:
                return _Money(Decimal(parse_money(body)), negative)
            except MoneyFormatError:
                return _Money(None, negative) if re.match(r"\d", body) else None
    if is_money_text(body) or (bare and re.fullmatch(r"\d{7,}", body)):
        return _Money(parse_number(body), negative)
    return None


# `02-01-2020`, `2/1/2020`, `2020-01-02`, `12:30`: a date or a time where a target belongs, mostly Excel
# turning a typed `2/1` or `1-2` into a date. Its numbers are not a target.
_DATE_OR_TIME = re.compile(
    r"^(?:(?:\d{1,2}[-/]\d{1,2}[-/]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?)$")


@lru_cache(maxsize=4096)
def _is_date(raw: str) -> bool:
    return bool(_DATE_OR_TIME.match(raw.strip()))


# An anggaran kas heading: «ANGGARAN KAS TW I», «RENCANA PENARIKAN DANA (Rp) TRIWULAN II», or a bare
# «ANGGARAN KAS» over four columns. Matched on the normalised (upper-case) label.
_KAS_LABEL = re.compile(r"^(?:ANGGARAN KAS|RENCANA PENARIKAN DANA|RENCANA PENARIKAN ANGGARAN)(?![A-Z])"
                        r"\s*(?:\(RP\.?\)|RP\.?(?![A-Z]))?\s*(.*)$")
_KAS_QUARTER = re.compile(r"^(?:TW|TRIWULAN)\s*(I{1,3}|IV|[1-4])$")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def read_kas(raw: str) -> tuple[int | None, str]:
    """An anggaran kas cell: (rupiah, "") or (None, why); `-` is nothing planned (0), empty is no cell.

    The column says it is money, so a plain `500000` counts too. Cents are rounded (`kas_with_cents`).
    """
    text = " ".join(raw.split())
    if not text:
        return None, ""
    if len(text) == 1 and text in _DASH:
        return 0, ""
    if text[0] in _DASH:
        return None, "kas_negative"
    money = _money(text, bare=True)
    if money is None:
        try:
            money = _Money(parse_number(text), False)
        except NumberFormatError:
            return None, "kas_not_read"
    if money.negative:
        return None, "kas_negative"
    if money.value is None or rupiah_from_decimal(money.value) > BIGINT_MAX:
        return None, "kas_not_read"
    return rupiah_from_decimal(money.value), "" if money.value == money.value.to_integral_value() else "kas_with_cents"


def read_target(raw: str) -> Target:
    """A target cell as the importer reads it: parse_target, except that a date holds no target (`text`)."""
    if _is_date(raw):
        return Target(raw=raw, kind="text")
    return parse_target(raw)


# ---------------------------------------------------------------------------------------------
# the parser


class _Parser:
    """A state machine over the rows: goal table → program table → kegiatan table, repeated."""

    def __init__(self, rows: list[_Row], source_name: str):
        self.rows = rows
        self.source_name = source_name
        self.anomalies: list[Anomaly] = []
        self.agency: str | None = None
        self.year: int | None = None
        self.title = ""
        self.goals: dict[str, ParsedGoal] = {}
        self.programs: list[ParsedProgram] = []
        self.kegiatan: list[ParsedKegiatan] = []
        self.kegiatan_lines: dict[str, int] = {}
        self.state: str | None = None  # goal / program / kegiatan
        self.goal: ParsedGoal | None = None
        self.program: ParsedProgram | None = None
        self.current: ParsedKegiatan | None = None
        self.kegiatan_header_line = 0
        self.pic_column = False
        self.tw_column = 0  # the header's first quarterly target column
        self.kas_columns: dict[int, int] = {}  # quarter → the header's anggaran kas column
        # Anggaran kas read so far, by kegiatan seq: quarter → (rupiah, cell); kegiatan with a bad cell.
        self.kas: dict[int, dict[int, tuple[int, str]]] = {}
        self.kas_bad: set[int] = set()
        self.expect_agency = False
        # Kegiatan numbers restart under each program table; a page-break header does not restart them.
        self.last_no: int | None = None
        # The one-cell lines since the last table row: the signature block when the file ends with them.
        self.tail: list[str] = []

    def anomaly(self, row: _Row, code: str, **params) -> None:
        self.anomalies.append(Anomaly(row.line, row.raw, code, params))

    # -- driver -------------------------------------------------------------------------------

    def parse(self) -> ParsedPlan:
        for row in self.rows:
            if not row.filled:
                continue
            self.dispatch(row)
        self.finish()
        anomalies = sorted(self.anomalies, key=lambda a: a.line)
        return ParsedPlan(
            agency=self.agency, year=self.year, title=self.title, source_name=self.source_name,
            goals=list(self.goals.values()), programs=self.programs, kegiatan=self.kegiatan,
            anomalies=anomalies[:MAX_ANOMALIES], anomaly_count=len(anomalies),
            signature=read_signature(self.tail),
        )

    def dispatch(self, row: _Row) -> None:
        first, second = _norm(row.cell(0)), _norm(row.cell(1))
        if first == "NO" and "SASARAN STRATEGIS" in second:
            self.state = "goal"
            return
        if (first == "SASARAN PROGRAM" and row.filled == [0]) or (first in ("", "NO") and second == "SASARAN PROGRAM"):
            if self.goal is None:
                raise PlanFormatError(row.line, "program_before_goal")
            self.state = "program"
            return
        if first == "NO":
            self.kegiatan_header(row)
            return
        if "TW" in row.raw and _is_tw_subheader(row):
            return
        if row.filled == [0]:
            self.single_cell(row)
            self.tail.append(" ".join(row.cell(0).split()))
            return
        self.tail = []
        self.expect_agency = False
        if self.state is None:
            raise PlanFormatError(row.line, "data_before_header")
        {"goal": self.goal_row, "program": self.program_row, "kegiatan": self.kegiatan_row}[self.state](row)

    # -- titles, headers and noise ------------------------------------------------------------

    def single_cell(self, row: _Row) -> None:
        """Page titles, the agency line, the lone `KEGIATAN` row and signature blocks: noise, but read."""
        text = row.cell(0)
        if _TITLE.search(text):
            self.title = self.title or " ".join(text.split())
            m = _YEAR.search(text)
            if m and self.year is None:
                self.year = int(m[1])
            self.expect_agency = True
            return
        if self.agency is None and (self.expect_agency or _AGENCY.match(text)) and self.state is None:
            self.agency = " ".join(text.split())
        self.expect_agency = False
        if _NUMBER_CELL.match(text) and self.state == "kegiatan":
            self.anomaly(row, "number_only_row")

    def kegiatan_header(self, row: _Row) -> None:
        labels = [_norm(c) for c in row.cells]
        if labels[1:2] != ["KEGIATAN"]:
            raise PlanFormatError(row.line, "no_kegiatan_column", cell=row.cell(1))
        required = [
            ("INDIKATOR KINERJA KEGIATAN", lambda s: s.startswith("INDIKATOR KINERJA")),
            ("TARGET KINERJA TAHUNAN", lambda s: s.startswith("TARGET") and "TRIWULAN" not in s),
            ("AKSI/SUB KEGIATAN", lambda s: s.startswith("AKSI") or s.startswith("SUB KEGIATAN")),
            ("INDIKATOR AKSI/SUB KEGIATAN", lambda s: s.startswith("INDIKATOR AKSI") or s.startswith("INDIKATOR SUB")),
            ("TARGET KINERJA TRIWULAN", lambda s: "TRIWULAN" in s or _TW_LABEL.match(s) is not None),
        ]
        position = 1
        for label, matches in required:
            found = next((i for i in range(position + 1, len(labels)) if matches(labels[i])), None)
            if found is None:
                raise PlanFormatError(row.line, "missing_column", label=label)
            position = found
        if self.program is None:
            raise PlanFormatError(row.line, "kegiatan_without_program")
        self.pic_column = any(s in ("PIC", "PENANGGUNG JAWAB") for s in labels)
        self.tw_column = position
        self.kas_columns = self.kas_header(row, labels, position)
        # A header straight after kegiatan rows is a page break: the kegiatan above goes on.
        self.state = "kegiatan"
        self.kegiatan_header_line = row.line

    def kas_header(self, row: _Row, labels: list[str], tw_column: int) -> dict[int, int]:
        """The anggaran kas columns of a kegiatan header, by quarter (none: the table has none)."""
        found: dict[int, int] = {}
        groups = []
        for i, label in enumerate(labels):
            m = _KAS_LABEL.match(label)
            if m is None:
                continue
            quarter = _KAS_QUARTER.match(m[1].strip())
            if not m[1].strip():
                groups.append(i)
            elif quarter is None or _ROMAN[quarter[1]] in found:
                raise PlanFormatError(row.line, "kas_column_label", label=row.cell(i))
            else:
                found[_ROMAN[quarter[1]]] = i
        if groups:
            start = groups[0]
            # One heading over four columns (merged in a workbook): the cells after it are empty.
            if found or len(groups) > 1 or any(row.cell(j) for j in range(start + 1, start + 4)):
                raise PlanFormatError(row.line, "kas_column_label", label=row.cell(start))
            found = {q: start + q - 1 for q in range(1, 5)}
        if not found:
            return {}
        missing = [QUARTERS[q - 1] for q in range(1, 5) if q not in found]
        if missing:
            raise PlanFormatError(row.line, "kas_columns_incomplete", quarters=missing)
        if min(found.values()) < tw_column + 4:
            raise PlanFormatError(row.line, "kas_columns_left")
        return found

    # -- goals and programs -------------------------------------------------------------------

    def target_row(self, row: _Row, text: str) -> TargetRow:
        no, text = _split_numbered(text)
        tw = [row.cell(i) for i in range(4, 8)]
        target = TargetRow(no=no, text=text, target_raw=row.cell(3), tw=tw, line=row.line)
        self.check_target_row(row, target)
        return target

    def goal_row(self, row: _Row) -> None:
        if _NUMBER_CELL.match(row.cell(0)) and row.cell(1):
            name = " ".join(row.cell(1).split())
            no = row.cell(0).rstrip(".")
            goal = self.goals.get(name_key(name))
            if goal is None:
                goal = self.goals[name_key(name)] = ParsedGoal(no=no, name=name, line=row.line)
            elif goal.no != no:
                self.anomaly(row, "goal_renumbered", first_no=goal.no, first_line=goal.line, no=no)
            self.goal, self.program, self.last_no, self.current = goal, None, None, None
        elif not self.indicator_only(row, self.goal, "goal"):
            return
        if row.cell(2):
            self.goal.indicators.append(self.target_row(row, row.cell(2)))

    def program_row(self, row: _Row) -> None:
        if row.cell(1) and (not row.cell(0) or _NUMBER_CELL.match(row.cell(0))):
            no, name = _split_numbered(" ".join(row.cell(1).split()))
            no = row.cell(0).rstrip(".") or no
            # Every program row is its own block, even with a name printed before under another IKU.
            program = ParsedProgram(no=no, name=name, goal=self.goal.name, line=row.line,
                                    goal_indicator=len(self.goal.indicators) or None, seq=len(self.programs) + 1)
            self.programs.append(program)
            self.program, self.last_no, self.current = program, None, None
        elif not self.indicator_only(row, self.program, "program"):
            return
        if row.cell(2):
            self.program.indicators.append(self.target_row(row, row.cell(2)))

    def indicator_only(self, row: _Row, owner: ParsedGoal | ParsedProgram | None, table: str) -> bool:
        """A row that only adds an indicator to the goal or program above; anything else is reported."""
        if not row.cell(0) and not row.cell(1) and row.cell(2) and owner is not None:
            return True
        self.anomaly(row, "unknown_row", table=table)
        return False

    # -- kegiatan tables ------------------------------------------------------------------------

    def kegiatan_row(self, row: _Row) -> None:
        kas: dict[int, str] = {}
        if self.kas_columns:
            row, kas = self.split_kas(row)
            if not row.filled:  # a line of its own holding only anggaran kas
                self.add_kas(row, kas)
                return
        cells = row.cells
        label = _norm(row.cell(0)) or _norm(row.cell(1))
        if label in _TOTAL_LABELS:
            self.total_row(row)  # its anggaran kas totals are not read either
            return
        if row.filled and row.filled[0] >= 2 and all(_money(cells[i]) for i in row.filled):
            self.budget_line(row)
            self.add_kas(row, kas)
            return
        if _NUMBER_CELL.match(row.cell(0)) and row.cell(1):
            self.start_kegiatan(row)
            is_start = True
        elif not row.cell(0):
            if self.current is None:
                self.orphan_row(row)
                return
            if row.cell(1):
                # The name went on past the end of its cell.
                line = self.kegiatan_lines.pop(name_key(self.current.name))
                self.current.name = f"{self.current.name} {' '.join(row.cell(1).split())}"
                self.kegiatan_lines[name_key(self.current.name)] = line
            is_start = False
        else:
            self.anomaly(row, "unknown_row", table="kegiatan")
            return
        self.add_kas(row, kas)
        kegiatan = self.current
        expected = kegiatan.aksi[-1].no + 1 if kegiatan.aksi else 1
        anchor = _find_aksi(cells, expected)
        end_left = anchor.index if anchor else len(cells)
        self.indicator_cells(row, end_left, is_start)
        if anchor is not None:
            self.aksi_cells(row, anchor, expected)

    def split_kas(self, row: _Row) -> tuple[_Row, dict[int, str]]:
        """The row without its anggaran kas cells, and those cells by quarter.

        Cells right of the targets move with the aksi cell: an aksi number in a column of its own
        shifts them one to the right (a row without an aksi is read at the header's columns).
        """
        starts = bool(_NUMBER_CELL.match(row.cell(0)) and row.cell(1))
        kegiatan = None if starts else self.current
        anchor = _find_aksi(row.cells, kegiatan.aksi[-1].no + 1 if kegiatan and kegiatan.aksi else 1)
        shift = 0 if anchor is None else anchor.index + (2 if anchor.inline else 3) - self.tw_column
        cells = list(row.cells)
        kas = {}
        for quarter, column in self.kas_columns.items():
            at = column + shift
            if 0 <= at < len(cells) and cells[at]:
                kas[quarter], cells[at] = cells[at], ""
        return (_Row(row.line, row.raw, cells) if kas else row), kas

    def add_kas(self, row: _Row, kas: dict[int, str]) -> None:
        """Read a row's anggaran kas cells into the current kegiatan's plan; a bad cell is an anomaly."""
        if not kas:
            return
        kegiatan = self.current
        if kegiatan is None:
            raise PlanFormatError(row.line, "kas_before_kegiatan")
        seen = self.kas.setdefault(kegiatan.seq, {})
        for quarter, raw in sorted(kas.items()):
            where = {"raw": raw, "quarter": QUARTERS[quarter - 1], "kegiatan": kegiatan.name}
            if quarter in seen:
                self.anomaly(row, "kas_second", first=seen[quarter][1], **where)
                continue
            amount, problem = read_kas(raw)
            if amount is None:
                self.kas_bad.add(kegiatan.seq)
                self.anomaly(row, problem, **where)
                continue
            if problem:
                self.anomaly(row, problem, rounded=amount, **where)
            seen[quarter] = (amount, raw)

    def finish_kas(self, kegiatan: ParsedKegiatan, row: _Row) -> None:
        """The kegiatan's plan from its cells: a bad cell keeps the stored plan; over the pagu is kept, and said."""
        if kegiatan.seq in self.kas_bad:
            kegiatan.budget_plan_given = False
            return
        seen = self.kas.get(kegiatan.seq)
        if not kegiatan.budget_plan_given or not seen:
            return
        kegiatan.budget_plan = [seen[q][0] if q in seen else 0 for q in range(1, 5)]
        total = sum(kegiatan.budget_plan)
        if kegiatan.budget is None:
            self.anomaly(row, "kas_without_pagu", kegiatan=kegiatan.name, total=total)
        elif total > kegiatan.budget:
            self.anomaly(row, "kas_over_pagu", kegiatan=kegiatan.name, total=total, pagu=kegiatan.budget)

    def orphan_row(self, row: _Row) -> None:
        anchor = _find_aksi(row.cells, 1)
        if anchor is not None:
            raise PlanFormatError(row.line, "aksi_before_kegiatan", no=anchor.no, name=anchor.name)
        raise PlanFormatError(row.line, "indicator_before_kegiatan")

    def start_kegiatan(self, row: _Row) -> None:
        name = " ".join(row.cell(1).split())
        no = row.cell(0).rstrip(".")
        key = name_key(name)
        if key in self.kegiatan_lines:
            raise PlanFormatError(row.line, "duplicate_kegiatan", name=name, first_line=self.kegiatan_lines[key])
        self.kegiatan_lines[key] = row.line
        previous = self.last_no
        if no.isdigit():
            expected = (previous or 0) + 1
            if int(no) != expected:
                how = "start" if previous is None else "jump" if int(no) > expected else "order"
                self.anomaly(row, f"kegiatan_numbering_{how}", no=no, previous=previous)
            self.last_no = int(no)
        self.current = ParsedKegiatan(seq=len(self.kegiatan) + 1, no=no, name=name, goal=self.goal.name,
                                      program=self.program.name, line=row.line, block=self.program.seq,
                                      budget_plan_given=bool(self.kas_columns))
        self.kegiatan.append(self.current)

    def indicator_cells(self, row: _Row, end_left: int, is_start: bool) -> None:
        """The INDIKATOR KINERJA KEGIATAN and TARGET cells left of the aksi (continuations joined)."""
        kegiatan = self.current
        text, target = row.cell(2), row.cell(3)
        extras = [(i, row.cells[i]) for i in range(4, end_left) if row.cells[i]]
        if extras and not text and not target and len(extras) <= 2:
            columns = extras[0][0] - 2
            text, target = extras[0][1], extras[1][1] if len(extras) > 1 else ""
            self.anomaly(row, "indicator_shifted", text=text, columns=columns)
            extras = []
        for _, value in extras:
            self.rest_cell(row, value, None)
        if not text and not target:
            return
        last = kegiatan.indicators[-1] if kegiatan.indicators else None
        if not text:
            if last is not None and not last.target_raw:
                last.target_raw = target
            else:
                self.anomaly(row, "target_without_indicator", target=target)
            return
        continues = (not is_start and last is not None and not _ENUMERATED.match(text)
                     and (not target or (not last.target_raw and text[:1].islower())))
        if continues:
            last.text = f"{last.text} {text}"
            last.target_raw = last.target_raw or target
            return
        kegiatan.indicators.append(ParsedIndicator(text=text, target_raw=target, line=row.line))

    def aksi_cells(self, row: _Row, anchor: _Anchor, expected: int) -> None:
        kegiatan = self.current
        cells = row.cells
        indicator_at = anchor.index + (1 if anchor.inline else 2)
        if indicator_at >= len(cells):
            raise PlanFormatError(row.line, "aksi_truncated", no=anchor.no, name=anchor.name)
        taken = {a.no: a.line for a in kegiatan.aksi}
        if anchor.no in taken:
            raise PlanFormatError(row.line, "duplicate_aksi", no=anchor.no, first_line=taken[anchor.no],
                                  kegiatan=kegiatan.name)
        if anchor.no != expected:
            how = "start" if expected == 1 else "jump" if anchor.no > expected else "order"
            self.anomaly(row, f"aksi_numbering_{how}", kegiatan=kegiatan.name, no=anchor.no, previous=expected - 1)
        tw = (cells[indicator_at + 1:indicator_at + 5] + [""] * 4)[:4]
        aksi = ParsedAksi(no=anchor.no, name=" ".join(anchor.name.split()), indicator=cells[indicator_at],
                          tw=tw, line=row.line)
        kegiatan.aksi.append(aksi)
        for q in range(4):
            money = _money(tw[q])
            if money is not None:
                if self.take_budget(row, tw[q], money):
                    self.anomaly(row, "budget_in_quarter", raw=tw[q], quarter=QUARTERS[q], aksi=aksi.no)
                tw[q] = ""
        for value in cells[indicator_at + 5:]:
            if value:
                self.rest_cell(row, value, aksi)

    def rest_cell(self, row: _Row, value: str, aksi: ParsedAksi | None) -> None:
        """A cell right of the quarterly targets (KETERANGAN and beyond): budget, moved target, PIC or note."""
        money = _money(value, bare=True)
        if money is not None:
            self.take_budget(row, value, money)
            return
        target = read_target(value)
        if aksi is not None and target.kind in ("percent", "count"):
            if not aksi.tw[3]:
                aksi.tw[3] = value
                self.anomaly(row, "note_read_as_tw4", value=value, aksi=aksi.no)
            else:
                self.anomaly(row, "note_not_a_target", value=value, aksi=aksi.no, tw4=aksi.tw[3])
            return
        if self.pic_column and target.kind == "text":
            for name in split_names(value):
                if name.casefold() not in (p.casefold() for p in self.current.pics):
                    self.current.pics.append(name)
            return
        self.anomaly(row, "note_not_imported" if aksi is not None else "cell_not_imported", value=value)

    def take_budget(self, row: _Row, raw: str, money: _Money) -> bool:
        """Read a money cell as the current kegiatan's budget; False when it was not taken.

        A negative amount refuses the file: a budget below zero is a typing error, not data.
        """
        kegiatan = self.current
        if money.negative:
            raise PlanFormatError(row.line, "negative_budget", raw=raw)
        value = money.value
        if value is None:
            self.anomaly(row, "money_not_read", raw=raw)
            return False
        if kegiatan.budget is not None:
            self.anomaly(row, "second_budget", raw=raw, kegiatan=kegiatan.name, first=kegiatan.budget_raw)
            return False
        kegiatan.budget = rupiah_from_decimal(value)
        kegiatan.budget_raw = raw
        if value != value.to_integral_value():
            self.anomaly(row, "budget_with_cents", raw=raw, rounded=kegiatan.budget)
        return True

    def budget_line(self, row: _Row) -> None:
        if self.current is None:
            raise PlanFormatError(row.line, "budget_before_kegiatan")
        raw = row.cells[row.filled[0]]
        if self.current.budget is None:
            self.anomaly(row, "budget_own_line", raw=raw, kegiatan=self.current.name)
        for i in row.filled:
            self.take_budget(row, row.cells[i], _money(row.cells[i]))

    def total_row(self, row: _Row) -> None:
        amounts = [(row.cells[i], _money(row.cells[i])) for i in row.filled]
        amounts = [(raw, m.value) for raw, m in amounts if m is not None and m.value is not None]
        if amounts:
            total = sum(rupiah_from_decimal(value) for _, value in amounts)
            so_far = sum(k.budget or 0 for k in self.kegiatan)
            if total != so_far:
                self.anomaly(row, "total_mismatch", shown=amounts[0][0], total=so_far)
                return
        self.anomaly(row, "total_row")

    # -- checks after reading -----------------------------------------------------------------

    def finish(self) -> None:
        if not self.kegiatan:
            if self.kegiatan_header_line:
                raise PlanFormatError(self.kegiatan_header_line, "empty_kegiatan_table")
            first = next((r.line for r in self.rows if r.filled), 1)
            raise PlanFormatError(first, "not_a_plan")
        by_line = {r.line: r for r in self.rows}
        for kegiatan in self.kegiatan:
            row = by_line[kegiatan.line]
            if not kegiatan.aksi:
                raise PlanFormatError(kegiatan.line, "kegiatan_without_aksi", name=kegiatan.name)
            if kegiatan.budget is None:
                self.anomaly(row, "no_budget", kegiatan=kegiatan.name)
            self.finish_kas(kegiatan, row)
            if not kegiatan.indicators:
                self.anomaly(row, "no_indicator", kegiatan=kegiatan.name)
            kegiatan.indicators = self.unpacked(by_line, kegiatan.indicators)
            for indicator in kegiatan.indicators:
                indicator.target = read_target(indicator.target_raw)
                noted = note_target(indicator.target_raw) if len(indicator.target.parts) > 1 else None
                if noted is not None and indicator.target.parts[0].unit != "%":
                    indicator.target = read_target(noted[0])  # «2 jabatan (1 kali seleksi)»: scored as 2 jabatan
                    self.anomaly(by_line[indicator.line], "indicator_note", raw=indicator.target_raw,
                                 target=noted[0], note=noted[1])
                indicator.kind = indicator_kind(indicator.text, [indicator.target])
                self.check_indicator(by_line[indicator.line], indicator)
            for aksi in kegiatan.aksi:
                aksi.targets = [read_target(cell) for cell in aksi.tw]
                aksi.kind = indicator_kind(aksi.indicator, aksi.targets)
                self.check_aksi(by_line[aksi.line], aksi)

    def unpacked(self, by_line: dict[int, _Row], indicators: list[ParsedIndicator]) -> list[ParsedIndicator]:
        """Packed cells split into one indicator each (bot.domain.plan_import.packed), each split listed."""
        out = []
        for indicator in indicators:
            split = split_packed(indicator.text, indicator.target_raw)
            if split is None:
                out.append(indicator)
                continue
            how, pieces = split
            self.anomaly(by_line[indicator.line], "indicator_split", text=indicator.text, raw=indicator.target_raw,
                         how=how,
                         parts=[(p.text, p.target_raw) for p in pieces])
            out += [ParsedIndicator(text=p.text, target_raw=p.target_raw, line=indicator.line, packed_from=indicator.text,
                                    part=n) for n, p in enumerate(pieces, start=1)]
        return out

    def check_target_row(self, row: _Row, target: TargetRow) -> None:
        if not target.target_raw:
            self.anomaly(row, "annual_target_empty", text=target.text)
        cells = [(ANNUAL, target.target_raw)] + list(zip(QUARTERS, target.tw, strict=True))
        self.check_dates(row, cells)
        self.check_percent_over_100(row, [(label, read_target(raw)) for label, raw in cells])

    def check_dates(self, row: _Row, cells: list[tuple[str, str]]) -> None:
        dates = [(label, raw) for label, raw in cells if _is_date(raw)]
        if dates:
            self.anomaly(row, "date_as_target", cells=dates)

    def check_percent_over_100(self, row: _Row, cells: list[tuple[str, Target]]) -> None:
        over = [(label, t.raw) for label, t in cells if any(p.unit == "%" and p.value > 100 for p in t.parts)]
        if over:
            self.anomaly(row, "percent_over_100", cells=over)

    def check_indicator(self, row: _Row, indicator: ParsedIndicator) -> None:
        target = indicator.target
        if not indicator.target_raw:
            self.anomaly(row, "annual_target_empty", text=indicator.text)
            return
        self.check_dates(row, [(ANNUAL, indicator.target_raw)])
        self.check_percent_over_100(row, [(ANNUAL, target)])
        self.check_kind(row, indicator.text, [(ANNUAL, target)])
        for part in target.parts:
            if part.unit and "%" in part.unit and part.unit != "%":
                self.anomaly(row, "unit_with_percent", raw=target.raw, unit=part.unit)

    def check_aksi(self, row: _Row, aksi: ParsedAksi) -> None:
        cells = list(zip(QUARTERS, aksi.targets, strict=True))
        self.check_dates(row, [(label, t.raw) for label, t in cells])
        self.check_percent_over_100(row, cells)
        self.check_kind(row, aksi.indicator, cells)
        text = [(label, t.raw) for label, t in cells if t.kind == "text" and not _is_date(t.raw)]
        if text:
            self.anomaly(row, "quarter_target_not_a_number", cells=text)

    def check_kind(self, row: _Row, text: str, cells: list[tuple[str, Target]]) -> None:
        """Percent on a count indicator, a count on a percentage indicator, absurd counts."""
        clue = _indicator_clue(text)
        absurd = [(label, t.raw) for label, t in cells if t.kind == "count" and not t.unit and t.value >= ABSURD_COUNT]
        if absurd:
            self.anomaly(row, "absurd_target", cells=absurd)
        if clue == "count":
            wrong = [(label, t.raw) for label, t in cells if t.kind == "percent"]
            if wrong:
                self.anomaly(row, "percent_on_count", cells=wrong)
        elif clue == "percent":
            wrong = [(label, t.raw) for label, t in cells if t.kind == "count" and t.value < ABSURD_COUNT]
            if wrong:
                self.anomaly(row, "count_on_percent", cells=wrong)


# ---------------------------------------------------------------------------------------------
# reading files


def _rows_from_text(text: str) -> list[_Row]:
    # str.splitlines also splits on form feeds and other separators: line numbers would drift.
    lines = re.split(r"\r\n|\r|\n", text)
    return [_Row(i, line, [c.strip() for c in line.split("\t")]) for i, line in enumerate(lines, start=1)]


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _check_text(text: str, rows: list[_Row]) -> None:
    """Refuse what is plainly not a tab-separated plan, with the line that shows it."""
    nonblank = [r for r in rows if r.raw.strip()]
    if not text:
        raise PlanFormatError(1, "empty_file")
    if not nonblank:
        raise PlanFormatError(1, "blank_file")
    bad = _CONTROL.search(text)
    if bad is not None:
        line = len(re.findall(r"\r\n|\r|\n", text[:bad.start()])) + 1
        raise PlanFormatError(line, "control_character", char=f"{ord(bad.group()):#04x}")
    head = nonblank[0].raw.lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")):
        raise PlanFormatError(nonblank[0].line, "html_file")
    if not any("\t" in r.raw for r in nonblank):
        comma = next((r for r in nonblank if r.raw.count(",") >= 3 or r.raw.count(";") >= 3), None)
        if comma is not None:
            raise PlanFormatError(comma.line, "csv_file")
        raise PlanFormatError(nonblank[0].line, "no_tabs")


def parse_plan_text(text: str, source_name: str = "") -> ParsedPlan:
    """Parse the tab-separated text of a plan."""
    text = text.removeprefix("\ufeff")
    with gc_paused():  # linear in the plan's size: see bot.domain.bulk
        rows = _rows_from_text(text)
        _check_text(text, rows)
        return _Parser(rows, source_name).parse()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode Text"), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise PlanFormatError(1, "broken_utf16") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        try:
            # An old Windows editor ("ANSI"): Indonesian text survives cp1252.
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise PlanFormatError(line, "not_utf8") from None


_MAGIC = [
    (b"\x89PNG", "png_file"),
    (b"\xff\xd8\xff", "jpeg_file"),
    (b"GIF8", "gif_file"),
    (b"%PDF", "pdf_file"),
    (b"\xd0\xcf\x11\xe0", "old_office_file"),
]


def _check_size(size: int) -> None:
    if size > MAX_PLAN_BYTES:
        raise PlanFormatError(0, "file_too_big", size=size, limit=MAX_PLAN_BYTES)


def parse_plan_bytes(data: bytes, source_name: str = "", *, sheet: str | None = None) -> ParsedPlan:
    """Parse a plan from the bytes of a file (a chat attachment or a file on disk); sniffs xlsx by content.

    `sheet` names the worksheet to read in a workbook (needed when several hold a plan).
    """
    _check_size(len(data))
    if data.startswith(b"PK\x03\x04"):
        return parse_plan_xlsx(io.BytesIO(data), source_name, sheet=sheet)
    if source_name.lower().endswith((".xlsx", ".xlsm")):
        if not data:
            raise PlanFormatError(1, "empty_file")
        raise PlanFormatError(1, "xlsx_not_a_workbook")
    if sheet is not None:
        raise PlanFormatError(0, "sheet_not_a_workbook")
    for magic, why in _MAGIC:
        if data.startswith(magic):
            raise PlanFormatError(1, why)
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        sample = data[:200]
        if sample[1::2].count(0) > len(sample) // 3 or sample[0::2].count(0) > len(sample) // 3:
            raise PlanFormatError(1, "utf16_without_bom")
        raise PlanFormatError(data[:data.index(b"\x00")].count(b"\n") + 1, "binary_file")
    return parse_plan_text(_decode(data), source_name)


def parse_plan_file(path: str | Path, *, sheet: str | None = None) -> ParsedPlan:
    """Parse a plan file (.txt tab-separated or .xlsx) from disk; a file past MAX_PLAN_BYTES is not read."""
    path = Path(path)
    _check_size(path.stat().st_size)
    return parse_plan_bytes(path.read_bytes(), path.name, sheet=sheet)


# -- xlsx -------------------------------------------------------------------------------------


def _plain_decimal(value: Decimal, decimals: int | None, grouping: bool) -> str:
    """Indonesian notation of a number read from a spreadsheet cell, as its number format shows it."""
    if decimals is not None:
        value = value.quantize(Decimal(1).scaleb(-decimals))
    elif value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    if grouping:
        return number(value, decimals=decimals if decimals is not None else None)
    return format(value, "f").replace(".", ",")


def _xlsx_cell_text(value: object, number_format: str) -> str:
    """The cell as the sheet shows it: `50%`, `3,00`, `1.018.175.000,00`, text as is."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if isinstance(value, int | float | Decimal):
        fmt = (number_format or "General").split(";")[0]
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        m = re.search(r"\.(0+)", fmt)
        decimals = len(m[1]) if m else (0 if re.search(r"0", fmt) else None)
        if "%" in fmt:
            return _plain_decimal(number * 100, decimals, False) + "%"
        return _plain_decimal(number, decimals, "," in fmt)
    return str(value).strip()


# Whatever zipfile, openpyxl or the XML parser raises on a damaged workbook (NotImplementedError: a
# compression zipfile cannot read; RuntimeError: an encrypted part).
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError, TypeError, AttributeError,
           IndexError, ParseError, NotImplementedError, RuntimeError)
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# A tag, with or without a namespace prefix: `<c r="A1">`, `<x:c>`, `<c/>` (and `<f>` for formulas).
_TAG = rb"<(?:[A-Za-z_][\w.-]{0,30}:)?"
_CELL_TAG = re.compile(_TAG + rb"c[\s/>]")
_FORMULA_TAG = re.compile(_TAG + rb"f[\s/>]")
_TAG_SPAN = 40  # a tag name and its prefix end within this many bytes of the `<`
_CHUNK = 1 << 20


def _too_many_cells() -> PlanFormatError:
    return PlanFormatError(0, "too_many_cells", limit=MAX_XLSX_CELLS)


@dataclass
class _SheetScan:
    cells: int = 0
    formulas: bool = False


def _scan_parts(archive: zipfile.ZipFile) -> dict[str, _SheetScan]:
    """Every part's cell count and whether it holds formulas, before openpyxl opens the workbook.

    All parts are scanned, whatever their names (openpyxl finds sheets through relationships, and
    merely opening a sheet without a `<dimension>` parses all of it): only sheets hold `<c>` cells,
    so counting the rest costs time, not accuracy. Refuses past MAX_XLSX_CELLS cells in all.
    """
    scans: dict[str, _SheetScan] = {}
    budget = MAX_XLSX_CELLS
    for info in archive.infolist():
        if info.is_dir():
            continue
        scan = scans[info.filename] = _scan_part(archive, info, budget)
        budget -= scan.cells
        if budget < 0:
            raise _too_many_cells()
    return scans


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> _SheetScan:
    """Count the cells stored in a part's XML, and see whether it holds formulas, without parsing it.

    The part is decompressed 1 MB at a time and its tags counted with a regular expression: a
    2-million-cell sheet is refused in well under a second, in a few megabytes, before openpyxl
    builds a single cell. Stops as soon as more than `budget` cells are seen.
    """
    scan = _SheetScan()
    carry = b""
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buf = carry + chunk
            # Keep a `<` near the end for the next round: its tag may not be complete yet.
            last = buf.rfind(b"<", max(0, len(buf) - _TAG_SPAN)) if chunk else -1
            cut = last if last >= 0 else len(buf)
            part, carry = buf[:cut], buf[cut:]
            scan.cells += len(_CELL_TAG.findall(part))
            scan.formulas = scan.formulas or _FORMULA_TAG.search(part) is not None
            if scan.cells > budget or not chunk:
                return scan


def _check_formulas(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a sheet whose formula cells carry no cached value (written by a script, never opened in Excel).

    openpyxl reads the cached values (`data_only`), and there are none: every such budget and
    target would silently come out empty. A formula whose result is an empty string (`t="str"`,
    `<v></v>`) does have its value.
    """
    cell, formula, value, row, sheet_data = (f"{{{_SHEET_NS}}}{tag}" for tag in ("c", "f", "v", "row", "sheetData"))
    found: list[str] = []
    count = 0
    parent = None
    with archive.open(name) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            if event == "start":
                parent = element if element.tag == sheet_data else parent
            elif element.tag == cell and element.find(formula) is not None:
                cached = element.find(value)
                if cached is None or (not cached.text and element.get("t") != "str"):
                    count += 1
                    if len(found) < 5:
                        found.append(element.get("r", ""))
            elif element.tag == row and parent is not None:
                parent.clear()  # rows already read: memory stays flat
    if count:
        line = int(re.sub(r"\D", "", found[0]) or 0)
        raise PlanFormatError(line, "formula_without_value", cells=found, count=count)


def _read_sheet(sheet, budget: int) -> tuple[list[_Row], int]:
    """The sheet's non-empty rows (row number = line number) and the cells it took, at most `budget`."""
    sheet.reset_dimensions()  # a stored dimension may be wrong, or hostile (`A1:XFD1048576`): read rows as stored
    rows: list[_Row] = []
    used = 0
    for r, cells in enumerate(sheet.iter_rows(), start=1):
        if r > _EXCEL_ROWS:
            raise PlanFormatError(1, "broken_xlsx")
        if not cells:
            continue
        used += len(cells)  # a row is as wide as its last stored cell: `XFD1` alone is 16,384 cells to read
        if used > budget:
            raise _too_many_cells()
        texts = [_xlsx_cell_text(c.value, c.number_format) if c.value is not None and not isinstance(c.value, str)
                 else (c.value or "").strip() for c in cells]
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            rows.append(_Row(r, "\t".join(texts), texts))
    return rows, used


def _has_kegiatan_table(rows: list[_Row]) -> bool:
    return any(_norm(r.cell(0)) == "NO" and _norm(r.cell(1)) == "KEGIATAN" for r in rows)


def _choose_sheet(titles: list[tuple[str, bool]], sheets: list[list[_Row]], wanted: str | None) -> int:
    """The sheet to read: the one named, else the one holding a kegiatan table; several is ambiguous."""
    listing = [{"title": title, "hidden": hidden} for title, hidden in titles]
    if wanted is not None:
        exact = [i for i, (title, _) in enumerate(titles) if title == wanted]
        loose = [i for i, (title, _) in enumerate(titles) if name_key(title) == name_key(wanted)]
        if exact or loose:
            return (exact or loose)[0]
        raise PlanFormatError(0, "unknown_sheet", name=wanted, sheets=listing)
    plans = [i for i, rows in enumerate(sheets) if _has_kegiatan_table(rows)]
    if len(plans) > 1:
        raise PlanFormatError(0, "ambiguous_sheet", sheets=[listing[i] for i in plans])
    if plans:
        return plans[0]
    # No sheet holds a plan: the parser says what is wrong with the first one that holds anything.
    return next((i for i, rows in enumerate(sheets) if rows), 0)


def read_xlsx_sheet(data: bytes, choose: Callable[[list[tuple[str, bool]], list[list[_Row]]], int]
                    ) -> tuple[str, bool, list[_Row]]:
    """One sheet of an untrusted workbook: (title, hidden, its non-empty rows; row number = line number).

    `choose(titles, sheets)` picks the sheet from every sheet's (title, hidden) and rows. Refused
    before anything is parsed: a file past MAX_PLAN_BYTES, a workbook past MAX_XLSX_UNPACKED
    uncompressed (its zip directory says, and zipfile never inflates a part past its stated size),
    past MAX_XLSX_CELLS cells (a streamed count); then formulas without cached values on the chosen
    sheet. The plan importer and the realisation file reader (bot.domain.realisation_file) both read
    workbooks through here. Any damage is PlanFormatError `broken_xlsx`.
    """
    from openpyxl import load_workbook  # here, not at the top: `rapk` commands that never read a workbook start faster
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (*_BROKEN, InvalidFileException)
    _check_size(len(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except broken as exc:
        raise PlanFormatError(1, "broken_xlsx") from exc
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            raise PlanFormatError(0, "xlsx_unpacked_too_big", size=unpacked, limit=MAX_XLSX_UNPACKED)
        try:
            scans = _scan_parts(archive)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except PlanFormatError:
            raise
        except broken as exc:
            raise PlanFormatError(1, "broken_xlsx") from exc
        try:
            return _chosen_sheet(workbook, archive, scans, choose)
        except PlanFormatError:
            raise
        except broken as exc:
            raise PlanFormatError(1, "broken_xlsx") from exc
        finally:
            workbook.close()


def _chosen_sheet(workbook, archive: zipfile.ZipFile, scans: dict[str, _SheetScan], choose
                  ) -> tuple[str, bool, list[_Row]]:
    worksheets = workbook.worksheets
    if not worksheets:
        raise PlanFormatError(1, "broken_xlsx")
    parts = [ws._worksheet_path.lstrip("/") for ws in worksheets]  # a read-only sheet knows its zip part
    budget = MAX_XLSX_CELLS
    sheets = []
    for ws in worksheets:
        rows, used = _read_sheet(ws, budget)
        budget -= used
        sheets.append(rows)
    titles = [(ws.title, ws.sheet_state != "visible") for ws in worksheets]
    index = choose(titles, sheets)
    if scans.get(parts[index], _SheetScan(formulas=True)).formulas:
        _check_formulas(archive, parts[index])
    return (*titles[index], sheets[index])


def parse_plan_xlsx(source: str | Path | io.BytesIO, source_name: str = "", *, sheet: str | None = None) -> ParsedPlan:
    """Parse the plan on a workbook's sheet: `sheet` by name, else the one sheet holding a kegiatan table
    (read under read_xlsx_sheet's limits)."""
    if isinstance(source, str | Path):
        source_name = source_name or Path(source).name
        _check_size(Path(source).stat().st_size)
        data = Path(source).read_bytes()
    else:
        data = source.getvalue()
    with gc_paused():  # linear in the plan's size: see bot.domain.bulk
        title, hidden, rows = read_xlsx_sheet(data, lambda titles, sheets: _choose_sheet(titles, sheets, sheet))
        if not rows:
            raise PlanFormatError(1, "empty_sheet", title=title)
        return replace(_Parser(rows, source_name).parse(), sheet=title, sheet_hidden=hidden)
