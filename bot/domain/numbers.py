"""Indonesian numbers, money and targets as people write them: `1.018.175.000,00`, `50%`, `30 Orang`.

Everything here parses; formatting lives in bot.text.formatting (Babel, `id_ID`). Values are
Decimal or integer rupiah, never float. Every refusal is a NumberFormatError (a ValueError)
with a `code` and `params`; templates/<lang>/number_messages.j2 words it (bot.text.render.message).

What a user types is held to what the columns store exactly on SQLite and PostgreSQL
(models.base): a realised value to DECIMAL_LIMIT with DECIMAL_PLACES decimals, money to
BIGINT_MAX rupiah, a reference number to INTEGER_MAX. A refusal quotes at most EXCERPT
characters of what was typed, so the reply stays far below Telegram's message limit.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Context
from decimal import Decimal
from decimal import localcontext
from functools import lru_cache
from typing import NamedTuple

from bot.text.render import message
from models.base import BIGINT_MAX
from models.base import DECIMAL_EXACT_DIGITS
from models.base import DECIMAL_SCALE
from models.base import INTEGER_MAX
from models.base import RAW_VALUE_LENGTH

__all__ = [
    "DECIMAL_LIMIT",
    "DECIMAL_PLACES",
    "LARGEST_DECIMAL",
    "MoneyFormatError",
    "NumberFormatError",
    "Realised",
    "Target",
    "TargetPart",
    "UNIT_SYNONYMS",
    "fits_decimal_column",
    "is_money_text",
    "parse_money",
    "parse_number",
    "parse_realised",
    "parse_reference",
    "parse_target",
    "rupiah_from_decimal",
    "unit_of",
]

DECIMAL_PLACES = DECIMAL_SCALE  # 4 decimals
DECIMAL_LIMIT = Decimal(10) ** (DECIMAL_EXACT_DIGITS - DECIMAL_SCALE)  # every value below 10**11
LARGEST_DECIMAL = DECIMAL_LIMIT - Decimal(1).scaleb(-DECIMAL_PLACES)  # 99.999.999.999,9999
EXCERPT = 40  # characters of a refused answer quoted back


class NumberFormatError(ValueError):
    """A value that is not a number in Indonesian notation: a `code` and the `params` its message needs."""

    template = "number_messages"

    def __init__(self, text: str, code: str, **params):
        self.text = text
        self.code = code
        self.params = params
        super().__init__(code)  # worded only when shown: parse_target catches thousands of these

    def __str__(self) -> str:
        return self.reason

    @property
    def reason(self) -> str:
        """The message in Indonesian (logs and the default language); users get it in theirs."""
        return message(self, "id")


class MoneyFormatError(NumberFormatError):
    """A value that is not an amount of rupiah."""


def _excerpt(text: str) -> str:
    """What a refusal quotes of the typed text: whitespace collapsed, at most EXCERPT characters."""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def fits_decimal_column(value: Decimal) -> bool:
    """Whether a decimal column (models.base.decimal_field) gives `value` back exactly, on SQLite and
    PostgreSQL alike: below DECIMAL_LIMIT and no more than DECIMAL_PLACES decimals."""
    if not value.is_finite() or abs(value) >= DECIMAL_LIMIT:
        return False
    return value == value.quantize(Decimal(1).scaleb(-DECIMAL_PLACES))


def parse_reference(text: str, *, prefix: str = "") -> int | None:
    """A number typed to name something (`12`, a kegiatan's number; `#12` with prefix `#`, a person's id):
    ASCII digits only, and no more than an integer column holds (PostgreSQL refuses to compare an
    INTEGER with more); None for anything else."""
    text = text.strip()
    if not text.startswith(prefix):
        return None
    digits = text[len(prefix):]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(INTEGER_MAX)):
        return None
    value = int(digits)
    return value if value <= INTEGER_MAX else None


# `1.018.175.000,00`: dots group thousands (always three digits), a comma starts the decimals.
_GROUPED = re.compile(r"^(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?$")
# `3.5` typed by someone used to the English decimal point: not a valid grouping, so unambiguous.
_DOT_DECIMAL = re.compile(r"^(?P<int>\d+)\.(?P<frac>\d{1,2}|\d{4,})$")
_DASHES = {"-", "–", "—", "‐", "−"}


def _to_decimal(int_part: str, frac: str | None) -> Decimal:
    return Decimal(int_part.replace(".", "") + ("." + frac if frac else ""))


def parse_number(text: str) -> Decimal:
    """A number written the Indonesian way (`1.250`, `3,5`, `1.018.175.000,00`, `-2`), as Decimal."""
    s = text.strip()
    sign = 1
    if s[:1] in _DASHES and len(s) > 1:
        sign, s = -1, s[1:].strip()
    m = _GROUPED.match(s)
    if not m:
        if not s:
            raise NumberFormatError(text, "empty")
        if re.fullmatch(r"\d[\d.,]*", s):
            raise NumberFormatError(text, "bad_grouping", shown=_excerpt(text))
        raise NumberFormatError(text, "not_a_number", shown=_excerpt(text))
    value = _to_decimal(m["int"], m["frac"])  # exact: arithmetic would round to 28 digits
    return value.copy_negate() if sign < 0 else value


def _parse_lenient(text: str) -> Decimal:
    """Like parse_number, but also reads `3.5` (a dot not followed by three digits) as a decimal point."""
    try:
        return parse_number(text)
    except NumberFormatError:
        m = _DOT_DECIMAL.match(text.strip())
        if not m:
            raise
        return _to_decimal(m["int"], m["frac"])


def rupiah_from_decimal(value: Decimal) -> int:
    """Whole rupiah (half up): budgets are stored as integers."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


_MULTIPLIERS = {
    "rb": 10**3, "ribu": 10**3, "k": 10**3,
    "jt": 10**6, "juta": 10**6,
    "m": 10**9, "miliar": 10**9, "milyar": 10**9, "mlyr": 10**9,
    "t": 10**12, "triliun": 10**12,
}
_MONEY = re.compile(
    r"^(?:rp\.?\s*)?(?P<num>\d[\d.,]*?)(?:,-)?\s*(?P<mult>[a-z]+)?\.?$", re.IGNORECASE)


def parse_money(text: str) -> int:
    """Integer rupiah from `125.000.000`, `Rp 125 juta`, `125jt`, `1,5 M`, `Rp1.250.000`, `1.018.175.000,00`."""
    s = " ".join(text.split())
    if not s:
        raise MoneyFormatError(text, "money_empty")
    if s[:1] in _DASHES or s.lower().startswith(("rp-", "rp -", "rp.-")):
        raise MoneyFormatError(text, "money_negative")
    m = _MONEY.match(s)
    if not m:
        raise MoneyFormatError(text, "not_money", shown=_excerpt(s))
    mult_word = (m["mult"] or "").lower()
    if mult_word and mult_word not in _MULTIPLIERS:
        raise MoneyFormatError(text, "unknown_unit", unit=_excerpt(m["mult"]))
    try:
        value = _parse_lenient(m["num"]) if mult_word else parse_number(m["num"])
    except NumberFormatError as exc:
        raise MoneyFormatError(text, exc.code, **exc.params) from None
    with localcontext(Context(prec=len(s) + 20)):  # exact: 28 digits would round `1,0000…01 jt` to whole
        value *= _MULTIPLIERS.get(mult_word, 1)
    if value > BIGINT_MAX:
        raise MoneyFormatError(text, "money_too_large", largest=BIGINT_MAX)
    if value != value.to_integral_value():
        raise MoneyFormatError(text, "not_whole_rupiah", shown=_excerpt(s))
    return int(value)


_MONEY_CELL = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$|^\d{1,3}(?:\.\d{3}){2,}$")


def is_money_text(text: str) -> bool:
    """A cell written like a budget: thousands groups plus cents (`10.000.000,00`) or millions and up."""
    return bool(_MONEY_CELL.match(text.strip()))


@dataclass(frozen=True)
class Realised:
    """A value a PIC typed: `75`, `75%`, `1.250`, `3,5`, `45 orang`, `100 persen`."""

    value: Decimal
    percent: bool
    raw: str


# The unit words a PIC may type after a number, each spelling → the unit it means (`%` for a percentage).
UNIT_SYNONYMS = {
    "%": "%", "persen": "%", "prosen": "%",
    "orang": "orang", "org": "orang",
    "dokumen": "dokumen", "dok": "dokumen",
    "kali": "kali", "x": "kali",
    "bulan": "bulan", "bln": "bulan",
    "unit": "unit",
    "paket": "paket", "pkt": "paket",
    "buah": "buah", "bh": "buah",
}
# `45 orang`, `45org`, `100 persen`, `75%`: a number, then at most one unit (a word, optionally ending in `.`).
_WITH_UNIT = re.compile(r"^(?P<num>.*?\d)\s*(?P<unit>%|[^\W\d_][\w.]*?)\.?$")


def unit_of(unit: str) -> str:
    """The unit a target's or a typed unit means: `Orang` → `orang`, `org` → `orang`, `persen` → `%`;
    a unit nobody abbreviates (`OPD`, `jenis`) is itself, lower-cased."""
    word = unit.strip().lower().rstrip(".")
    return UNIT_SYNONYMS.get(word, UNIT_SYNONYMS.get(word.split(" ")[0], word) if word else "")


def _split_unit(s: str, expected: str) -> tuple[str, str | None]:
    """`45 orang` → (`45`, `orang`) when the unit is the item's (`expected`: a target's unit, `%` or "") or,
    for an item without a unit, any known unit word; a number alone → (it, None). `%` / `persen` is always
    read (a percentage of the target, as before). A unit that is not the item's is refused, naming it."""
    if s.endswith("%"):
        return s[:-1].strip(), "%"
    m = _WITH_UNIT.match(s)
    if not m:
        return s, None
    typed, meant, want = m["unit"], unit_of(m["unit"]), unit_of(expected)
    if meant == "%" or meant == want or (not want and meant in UNIT_SYNONYMS.values()):
        return m["num"].strip(), meant
    if want:
        raise NumberFormatError(s, "wrong_unit", unit=_excerpt(typed), expected="%" if want == "%" else expected)
    return s, None


def parse_realised(text: str, unit: str = "") -> Realised:
    """A realised value typed by a user; refuses empty, negative and non-numeric input, and values a
    decimal column would not give back exactly (too large, too many decimals, too long to keep as typed).

    `unit` is the item's (its target's unit, `%` for a percentage, "" for none): a number may be followed
    by it or a synonym (UNIT_SYNONYMS: `45 org` for «Orang», `100 persen` for `%`); a unit that contradicts
    it (`5 bulan` for «orang») is refused with `wrong_unit`, naming the expected one. `%` is always read."""
    s = " ".join(text.split())
    if not s:
        raise NumberFormatError(text, "realised_empty")
    if s[:1] in _DASHES:
        raise NumberFormatError(text, "negative")
    body, typed_unit = _split_unit(s, unit)
    percent = typed_unit == "%"
    try:
        value = _parse_lenient(body)
    except NumberFormatError:
        raise NumberFormatError(text, "realised_not_a_number", shown=_excerpt(s)) from None
    if value >= DECIMAL_LIMIT:
        raise NumberFormatError(text, "too_large", largest=LARGEST_DECIMAL, places=DECIMAL_PLACES)
    if not fits_decimal_column(value):
        raise NumberFormatError(text, "too_many_decimals", places=DECIMAL_PLACES)
    if len(s) > RAW_VALUE_LENGTH:  # only leading zeros make a storable number this long
        raise NumberFormatError(text, "realised_too_long", limit=RAW_VALUE_LENGTH)
    return Realised(value=value, percent=percent, raw=s)


class TargetPart(NamedTuple):
    """One number with its unit; unit is `%` for a percentage and "" when none is written."""

    value: Decimal
    unit: str


@dataclass(frozen=True)
class Target:
    """A target cell as written, the numbers found in it, and what kind of target it is.

    kind: `percent` (first number is a percentage), `count` (a number, with or without a unit),
    `none` (empty or `-`: nothing due), `text` (something is written but holds no number).
    """

    raw: str
    parts: tuple[TargetPart, ...] = ()
    kind: str = "none"

    @property
    def value(self) -> Decimal | None:
        return self.parts[0].value if self.parts else None

    @property
    def unit(self) -> str:
        return self.parts[0].unit if self.parts else ""


# `a. 45 orang b. 40 orang`, `a 505 orang`: a lone letter enumerating targets, before a number.
_ENUMERATOR = re.compile(r"(?:(?<=\s)|^)[a-zA-Z][.)]?\s+(?=\d)")
_NUMBER_TOKEN = re.compile(r"\d[\d.,]*")
_UNIT_TRIM = " \t,;:()[]&/"


def _clean_unit(text: str) -> str:
    unit = text.strip(_UNIT_TRIM)
    # `15000 pendaftar CPNS dan 5000 ...`: the connective belongs to neither part.
    unit = re.sub(r"\s+(?:dan|serta|&)$", "", unit, flags=re.IGNORECASE)
    return unit.strip(_UNIT_TRIM)


@lru_cache(maxsize=4096)  # a plan repeats the same few cells (`25%`, `1`, ``) thousands of times
def parse_target(raw: str) -> Target:
    """Parse a target cell: `50%`, `30 Orang`, `3,00`, `a. 45 orang b. 40 orang c. 52 OPD`, `-`, ""."""
    text = " ".join((raw or "").split())
    if not text or text in _DASHES:
        return Target(raw=raw or "", kind="none")
    body = _ENUMERATOR.sub(" ", text)
    tokens = list(_NUMBER_TOKEN.finditer(body))
    parts: list[TargetPart] = []
    for i, m in enumerate(tokens):
        token = m.group().rstrip(".,")
        try:
            value = parse_number(token)
        except NumberFormatError:
            return Target(raw=raw, kind="text")
        end = tokens[i + 1].start() if i + 1 < len(tokens) else len(body)
        tail = body[m.start() + len(token):end]
        stripped = tail.lstrip()
        unit = "%" if stripped.startswith("%") else _clean_unit(tail)
        parts.append(TargetPart(value, unit))
    if not parts:
        return Target(raw=raw, kind="text")
    return Target(raw=raw, parts=tuple(parts), kind="percent" if parts[0].unit == "%" else "count")

