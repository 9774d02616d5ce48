"""Packed indicator cells: several indicators (or one with a note) printed in one INDIKATOR / TARGET cell.

The signed documents print some kegiatan indicators together. What an admin expects of each kind
(the BKD Gresik seed has all of them):

* **Enumerated** — the target cell lists `a. … b. … c. …` (seq 16: «a. 45 orang b. 40 orang c. 52
  OPD%»): one indicator per letter, each target the cell's own slice («a. 45 orang»); the text is split
  at the same letters when it has them, else each part is the text with its letter.
* **Joined** — numbers with their units joined by «dan», «serta», «&», «,» or «;» (seq 25a «a. 15000
  pendaftar CPNS dan 5000 pendaftar PPPK», 25b «b. 500 CPNS dan 250 PPPK», seq 30 «1600 dos snack dan
  370 galon», seq 34 «40 jenis ATK dan 17 Jenis Barang»): one indicator per number. When the text ends
  «… A dan B» with A and B the units' last words (25a, 25b) each part keeps its own word («Jumlah
  Pendaftar CPNS», «Jumlah Pendaftar PPPK»); otherwise the text with the part's unit in brackets.
* **A note** — one number followed by another in brackets (seq 23 «2 jabatan (1 kali seleksi)»): one
  indicator, scored on the number before the brackets; the cell is kept as written.

Anything else stays one indicator as written. The parser (`_Parser.finish`) applies `split_packed`
and lists each split as an anomaly by line (`indicator_split`, `indicator_note`), so the admin sees
what was done and can fix any part with /target. Pure functions; no database.
"""

import re
from dataclasses import dataclass

from bot.domain.numbers import parse_target

__all__ = ["Piece", "is_packed", "note_target", "split_packed"]

_LETTER = re.compile(r"(?:(?<=\s)|^)([a-z])[.)]\s+", re.IGNORECASE)
_JOIN = re.compile(r"\s*(?:[;,]|\s(?:dan|serta|&))\s+(?=\d)", re.IGNORECASE)
_NOTE = re.compile(r"^(?P<main>[^()]*\d[^()]*?)\s*\((?P<note>[^()]*\d[^()]*)\)\s*$")
_LEADING_LETTER = re.compile(r"^([a-z])[.)]\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Piece:
    """One indicator cut out of a packed cell: its text and its own slice of the target cell."""

    text: str
    target_raw: str


def _enumerated(text: str) -> list[tuple[str, int]]:
    """(letter, offset) of `a.`, `b.`, `c.` … in order from `a`; [] when there are fewer than two."""
    found, expected = [], "a"
    for m in _LETTER.finditer(text):
        if m[1].lower() == expected:
            found.append((expected, m.start()))
            expected = chr(ord(expected) + 1)
    return found if len(found) > 1 else []


def _slices(text: str, marks: list[tuple[str, int]]) -> list[str]:
    ends = [offset for _, offset in marks[1:]] + [len(text)]
    return [text[start:end].strip(" ;,") for (_, start), end in zip(marks, ends, strict=True)]


def _is_one_number(raw: str) -> bool:
    target = parse_target(raw)
    return target.kind in ("percent", "count") and len(target.parts) == 1


def _joined_texts(text: str, units: list[str]) -> list[str]:
    """«Jumlah Pendaftar CPNS dan PPPK» with units «pendaftar CPNS», «pendaftar PPPK» → one text per unit."""
    words = [u.split()[-1] if u.split() else "" for u in units]
    if len(units) == 2 and all(words):
        m = re.search(rf"\b{re.escape(words[0])}\s+(?:dan|serta|&)\s+{re.escape(words[1])}\s*$", text, re.IGNORECASE)
        if m:
            head = text[:m.start()]
            return [f"{head}{words[0]}".strip(), f"{head}{words[1]}".strip()]
    return [f"{text} ({u})" if u else f"{text} ({i})" for i, u in enumerate(units, start=1)]


def split_packed(text: str, target_raw: str) -> tuple[str, list[Piece]] | None:
    """How a packed cell splits — ("enumerated" | "joined", its pieces) — or None when it is one indicator."""
    text, raw = " ".join(text.split()), " ".join(target_raw.split())
    marks = _enumerated(raw)
    if marks:
        targets = _slices(raw, marks)
        if not all(parse_target(t).kind in ("percent", "count") for t in targets):
            return None
        text_marks = _enumerated(text)
        if [m for m, _ in text_marks] == [m for m, _ in marks]:
            texts = _slices(text, text_marks)
        else:
            texts = [f"{text} ({letter})" for letter, _ in marks]
        return "enumerated", [Piece(t, r) for t, r in zip(texts, targets, strict=True)]
    letter = _LEADING_LETTER.match(raw)
    body = raw[letter.end():] if letter else raw
    parts = _JOIN.split(body)
    if len(parts) < 2 or not all(_is_one_number(p) for p in parts):
        return None
    units = [parse_target(p).parts[0].unit for p in parts]
    if any(u == "%" for u in units):
        return None  # «25%, 50%» is a list of shares, not of indicators
    text_letter = _LEADING_LETTER.match(text)
    prefix = text[:text_letter.end()] if text_letter else ""
    texts = _joined_texts(text[len(prefix):], units)
    return "joined", [Piece(f"{prefix}{t}", p) for t, p in zip(texts, parts, strict=True)]


def is_packed(target_raw: str) -> bool:
    """Does a stored target hold several numbers (the admin may split it: bot.domain.indicator_split)?"""
    return len(parse_target(target_raw).parts) > 1


def note_target(target_raw: str) -> tuple[str, str] | None:
    """(the target scored, the note) for «2 jabatan (1 kali seleksi)»; None without such a note."""
    m = _NOTE.match(" ".join(target_raw.split()))
    if m is None or not _is_one_number(m["main"]):
        return None
    return m["main"].strip(), m["note"].strip()
