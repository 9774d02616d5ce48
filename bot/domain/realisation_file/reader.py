"""Read a filled realisation file, the template's own sheet or its JSON form, into entries. No database.

Every entry keeps where it stands (`Where`: the sheet's row, or a JSON path like `kegiatan[3].aksi.2`)
and its value as typed; nothing is parsed as a number here (bot.domain.realisation_file.store does
that, as /lapor does). Whatever cannot be read is a Problem at its place, and reading goes on, so
one pass lists every problem of the file.

A workbook is untrusted: it is read through the plan importer's limits
(bot.domain.plan_import.parser.read_xlsx_sheet: size, unpacked size, cell count, formulas without
values). It is a realisation file when a sheet's first cell is MARKER; JSON when it starts with `{`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from dataclasses import field

from bot.domain.numbers import parse_reference
from bot.domain.plan_import.parser import MAX_PLAN_BYTES
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import read_xlsx_sheet
from bot.text.formatting import parse_quarter
from bot.text.render import labels
from bot.text.render import macro
from bot.text.render import message

MARKER = "RAPK-REALISASI"  # cell A1 of the template's sheet: how /impor tells it from a plan workbook
LANGUAGES = ("id", "en")
# Item types, in the order the template lists a kegiatan's rows.
AKSI, INDICATOR, BUDGET, KENDALA, TINDAK_LANJUT = "aksi", "indicator", "budget", "kendala", "tindak_lanjut"
PENDORONG = "pendorong"  # faktor pendorong, a note like the kendala
IKU, PROGRAM_INDICATOR = "iku", "program_indicator"
KINDS = (IKU, PROGRAM_INDICATOR, AKSI, INDICATOR, BUDGET, KENDALA, TINDAK_LANJUT, PENDORONG)
NARRATIVE = (KENDALA, TINDAK_LANJUT, PENDORONG)
KEGIATAN_KINDS = (AKSI, INDICATOR, BUDGET, KENDALA, TINDAK_LANJUT, PENDORONG)
MAX_PROBLEMS = 200  # problems kept (listed); all are counted
MAX_JSON_DEPTH = 20
_PROGRAM_REF = re.compile(r"^(\d{1,9})[.,](\d{1,9})$")  # `3.1`: program block 3, its indicator 1
_JSON_KEYS = ("quarter", "by", "kegiatan", "iku", "program_indicators")
_KEGIATAN_KEYS = ("seq", "budget", "aksi", "indicators", "kendala", "tindak_lanjut", "pendorong")


@dataclass(frozen=True)
class Where:
    """A place in the file: a sheet row, or a JSON path; neither for the file as a whole."""

    row: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Entry:
    """One value to store: what it is for, as the file names it, and the value as typed."""

    where: Where
    kind: str
    kegiatan: int | None  # the kegiatan's seq (document order); None for IKU and program indicators
    ref: str  # aksi no, indicator n, IKU seq, program `block.n`; "" for budget and the narrative
    raw: str
    kegiatan_name: str = ""  # the sheet's «Kegiatan» cell, checked against the plan
    order: int = 0  # its place among the file's entries and problems, for listing problems in file order


class Problem:
    """What is wrong at a place: a `code` of templates/<lang>/realisasi_messages.j2 and its `params`,
    or a `cause` worded by its own template (a NumberFormatError, a PlanFormatError)."""

    template = "realisasi_messages"

    def __init__(self, where: Where, code: str = "", cause: Exception | None = None, *, order: int = -1, **params):
        self.where, self.code, self.cause, self.params = where, code, cause, params
        self.order = order  # as Entry.order; -1: the file as a whole, listed first

    def __repr__(self) -> str:
        return f"Problem({self.where}, {self.code or type(self.cause).__name__}, {self.params})"

    def text(self, lang: str = "id") -> str:
        """One line: the place, then what is wrong there."""
        what = message(self.cause, lang) if self.cause is not None else macro(self.template, self.code, lang,
                                                                               **self.params)
        return macro(self.template, "at", lang, text=what, where=self.where)


@dataclass
class RealisationFile:
    """A realisation file as read: what it says about itself (quarter, reporter, year), its entries,
    and what could not be read."""

    name: str
    form: str  # "xlsx" or "json"
    sha256: str
    quarter: int | None = None
    by: str | None = None
    year: int | None = None
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, Where] = field(default_factory=dict)  # where the quarter / by / year are written

    def problem(self, where: Where, code: str = "", cause: Exception | None = None, **params) -> None:
        self.problems.append(Problem(where, code, cause, order=self.next_order(), **params))

    def add(self, where: Where, kind: str, kegiatan: int | None, ref: str, raw: str, kegiatan_name: str = "") -> None:
        self.entries.append(Entry(where, kind, kegiatan, ref, raw, kegiatan_name, order=self.next_order()))

    def next_order(self) -> int:
        return len(self.entries) + len(self.problems)


class NotRealisationFile(Exception):
    """The file is no realisation file (a plan, most likely): /impor reads it as a plan."""


def looks_like_json(data: bytes, name: str) -> bool:
    return name.lower().endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def read_realisation_file(data: bytes, name: str) -> RealisationFile:
    """The file as entries and problems; NotRealisationFile when it is neither the JSON form nor a
    workbook with the template's marker. A workbook past the importer's limits (size, unpacked size,
    cells: checked before its sheets are read) raises PlanFormatError."""
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name, digest)
    if looks_like_json(data, name):
        return _read_json(data, name, digest)
    raise NotRealisationFile(name)


# -- the sheet ----------------------------------------------------------------------------------------

def _words(*keys: str) -> dict[str, str]:
    """Every language's label for each key, casefolded → key (the reader knows both languages)."""
    return {" ".join(labels("realisasi_labels", lang)[key].split()).casefold(): key
            for lang in LANGUAGES for key in keys}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Marked:
    """The sheet chooser: the first sheet with MARKER in A1 (NotRealisationFile when none has it). It
    remembers finding it: what the workbook refuses after that (formulas without values on that sheet)
    is a problem of a realisation file."""

    found = False

    def __call__(self, titles: list[tuple[str, bool]], sheets: list) -> int:
        for index, rows in enumerate(sheets):
            if rows and rows[0].line == 1 and rows[0].cell(0).strip() == MARKER:
                self.found = True
                return index
        raise NotRealisationFile()


_COLUMNS = ("col_seq", "col_kegiatan", "col_type", "col_no", "col_value")
_REQUIRED = ("col_seq", "col_type", "col_no", "col_value")


def _read_xlsx(data: bytes, name: str, digest: str) -> RealisationFile:
    out = RealisationFile(name=name, form="xlsx", sha256=digest)
    marked = _Marked()
    try:
        _title, _hidden, rows = read_xlsx_sheet(data, marked)
    except PlanFormatError as exc:
        if not marked.found:  # the file's own limits: the same refusal whatever it holds
            raise
        out.problem(Where(), cause=exc)
        return out
    meta_words = _words("quarter", "by", "year")
    column_words = _words(*_COLUMNS)
    header = None
    for row in rows[1:]:
        found = {column_words[_norm(c)]: i for i, c in enumerate(row.cells) if _norm(c) in column_words}
        if "col_type" in found and "col_value" in found:
            header = row, found
            break
        key = meta_words.get(_norm(row.cell(0)))
        if key is not None:
            _meta(out, key, row.cell(1), Where(row=row.line))
    if header is None:
        out.problem(Where(), "no_header")
        return out
    header_row, columns = header
    missing = [key for key in _REQUIRED if key not in columns]
    for key in missing:
        out.problem(Where(row=header_row.line), "missing_column", label=labels("realisasi_labels", "id")[key])
    if missing:
        return out
    types = _words(*(f"type_{kind}" for kind in KINDS))
    for row in rows[rows.index(header_row) + 1:]:
        value = row.cell(columns["col_value"])
        if not value.strip():
            continue  # a row left empty changes nothing
        where = Where(row=row.line)
        kind_text = row.cell(columns["col_type"])
        kind = types.get(_norm(kind_text), "").removeprefix("type_")
        if not kind:
            known = [labels("realisasi_labels", "id")[f"type_{k}"] for k in KINDS]
            out.problem(where, "unknown_type", shown=kind_text.strip(), known=known)
            continue
        seq = None
        if kind in KEGIATAN_KINDS:
            seq_text = row.cell(columns["col_seq"])
            seq = parse_reference(seq_text)
            if not seq:
                out.problem(where, "bad_kegiatan_seq", shown=seq_text.strip())
                continue
        ref = _ref(out, where, kind, row.cell(columns["col_no"]))
        if ref is None:
            continue
        name_cell = row.cell(columns["col_kegiatan"]) if "col_kegiatan" in columns else ""
        out.add(where, kind, seq, ref, value.strip(), kegiatan_name=name_cell.strip())
    return out


def _meta(out: RealisationFile, key: str, text: str, where: Where) -> None:
    text = text.strip()
    out.meta[key] = where
    if not text:
        return
    if key == "by":
        out.by = text
    elif key == "quarter":
        out.quarter = parse_quarter(text)
        if out.quarter is None:
            out.problem(where, "bad_quarter", shown=text)
    else:
        out.year = parse_reference(text)
        if out.year is None:
            out.problem(where, "bad_year", shown=text)


def _ref(out: RealisationFile, where: Where, kind: str, text: str) -> str | None:
    """An item's number as the plan knows it (`2`; `3.1` for a program indicator); None when unreadable."""
    text = text.strip()
    if kind in (BUDGET, *NARRATIVE):
        return ""
    if kind == PROGRAM_INDICATOR:
        m = _PROGRAM_REF.match(text)
        if m and int(m[1]) and int(m[2]):
            return f"{int(m[1])}.{int(m[2])}"
    elif parse_reference(text):
        return str(parse_reference(text))
    out.problem(where, "bad_ref", shown=text, kind=kind)
    return None


# -- JSON ---------------------------------------------------------------------------------------------

def _depth(value, limit: int) -> bool:
    """Whether `value` nests no deeper than `limit` (the template's JSON nests 4 deep)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return True


def _read_json(data: bytes, name: str, digest: str) -> RealisationFile:
    out = RealisationFile(name=name, form="json", sha256=digest)
    if len(data) > MAX_PLAN_BYTES:
        raise PlanFormatError(0, "file_too_big", size=len(data), limit=MAX_PLAN_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.problem(Where(), "json_not_utf8")
        return out
    try:
        doc = json.loads(text, parse_float=_Fraction, parse_constant=_Fraction)
    except json.JSONDecodeError as exc:
        out.problem(Where(), "not_json", line=exc.lineno, column=exc.colno)
        return out
    except RecursionError:
        out.problem(Where(), "json_too_deep")
        return out
    except ValueError:  # a whole number of thousands of digits (Python refuses to convert it)
        out.problem(Where(), "json_unreadable")
        return out
    if not isinstance(doc, dict):
        out.problem(Where(), "json_not_object")
        return out
    if not _depth(doc, MAX_JSON_DEPTH):
        out.problem(Where(), "json_too_deep")
        return out
    _unknown_keys(out, doc, _JSON_KEYS, "")
    if "quarter" in doc:
        out.meta["quarter"] = Where(path="quarter")
        if _is_int(doc["quarter"]) and 1 <= doc["quarter"] <= 4:
            out.quarter = doc["quarter"]
        elif _is_int(doc["quarter"]):
            out.problem(Where(path="quarter"), "bad_quarter", shown=doc["quarter"])
        else:
            out.problem(Where(path="quarter"), "expected_int")
    if doc.get("by") is not None:
        out.meta["by"] = Where(path="by")
        if isinstance(doc["by"], str) and not isinstance(doc["by"], _Fraction):
            out.by = doc["by"].strip() or None
        else:
            out.problem(Where(path="by"), "expected_text")
    kegiatan = doc.get("kegiatan")
    if kegiatan is not None and not isinstance(kegiatan, list):
        out.problem(Where(path="kegiatan"), "expected_list")
    seen: dict[int, Where] = {}
    for i, item in enumerate(kegiatan if isinstance(kegiatan, list) else []):
        _json_kegiatan(out, item, f"kegiatan[{i}]", seen)
    _json_values(out, doc.get("iku"), "iku", IKU, None)
    _json_values(out, doc.get("program_indicators"), "program_indicators", PROGRAM_INDICATOR, None)
    return out


class _Fraction(str):
    """A JSON number with a point or an exponent (or NaN): kept apart so it is refused, not read."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown_keys(out: RealisationFile, obj: dict, known: tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in known:
            out.problem(Where(path=f"{path}{key}"), "unknown_key", key=key, known=list(known))


def _json_kegiatan(out: RealisationFile, item, path: str, seen: dict[int, Where]) -> None:
    if not isinstance(item, dict):
        out.problem(Where(path=path), "expected_object")
        return
    _unknown_keys(out, item, _KEGIATAN_KEYS, f"{path}.")
    seq = item.get("seq")
    if seq is None:
        out.problem(Where(path=path), "missing_seq")
        return
    if not _is_int(seq) or not 1 <= seq <= 2**31 - 1:
        out.problem(Where(path=f"{path}.seq"), "expected_int")
        return
    if seq in seen:
        out.problem(Where(path=f"{path}.seq"), "duplicate_kegiatan", seq=seq, first=seen[seq])
        return
    seen[seq] = Where(path=path)
    _json_values(out, item.get("aksi"), f"{path}.aksi", AKSI, seq)
    _json_values(out, item.get("indicators"), f"{path}.indicators", INDICATOR, seq)
    for key, kind in (("budget", BUDGET), ("kendala", KENDALA), ("tindak_lanjut", TINDAK_LANJUT),
                      ("pendorong", PENDORONG)):
        if key in item:
            _json_value(out, item[key], f"{path}.{key}", kind, seq, "")


def _json_values(out: RealisationFile, values, path: str, kind: str, seq: int | None) -> None:
    """`{"<number>": value}`: each a value of the item of that number."""
    if values is None:
        return
    if not isinstance(values, dict):
        out.problem(Where(path=path), "expected_object")
        return
    for key, value in values.items():
        where = Where(path=f"{path}.{key}")
        if kind == PROGRAM_INDICATOR:
            m = _PROGRAM_REF.match(key.strip())
            ref = f"{int(m[1])}.{int(m[2])}" if m and int(m[1]) and int(m[2]) else None
            if ref is None:
                out.problem(where, "bad_program_key", key=key)
                continue
        else:
            number = parse_reference(key)
            if not number:
                out.problem(where, "bad_number_key", key=key)
                continue
            ref = str(number)
        _json_value(out, value, where.path, kind, seq, ref)


def _json_value(out: RealisationFile, value, path: str, kind: str, seq: int | None, ref: str) -> None:
    """A value as typed: text (a whole JSON number is read as its digits); null and, for numbers, ""
    are left out (nothing to store); "" for kendala or tindak lanjut stores «none» as /lapor's «Tidak ada»."""
    where = Where(path=path)
    if value is None:
        return
    if isinstance(value, _Fraction | bool) or not isinstance(value, str | int):
        shown = value if isinstance(value, _Fraction) else json.dumps(value, ensure_ascii=False)[:40]
        out.problem(where, "value_not_text", shown=shown)
        return
    text = str(value).strip()
    if not text and kind not in NARRATIVE:
        return
    out.add(where, kind, seq, ref, text)
