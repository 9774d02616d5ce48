"""Indonesian (or English) formatting of numbers, money and dates, through Babel."""

import re
from datetime import date
from datetime import datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency
from babel.numbers import NumberPattern
from babel.numbers import parse_pattern

LOCALES = {"id": "id_ID", "en": "en_US"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "id_ID")


def number(value: Decimal | int | float | None, lang: str = "id", *, decimals: int | None = None) -> str:
    """`1.250`, `3,5`; `decimals` forces that many places (`1.018.175.000,00`)."""
    if value is None:
        return "–"
    locale, pattern = _number_pattern(lang, decimals)
    return pattern.apply(value, locale)


@cache
def _number_pattern(lang: str, decimals: int | None) -> tuple[Locale, NumberPattern]:
    """What Babel's `format_decimal` parses on every call, parsed once: a report formats tens of thousands
    of numbers (the PDF form 40,000), and the parsing was a third of each."""
    locale = Locale.parse(_locale(lang))
    fmt = locale.decimal_formats[None] if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return locale, parse_pattern(fmt)


def rupiah(value: int | Decimal | None, lang: str = "id") -> str:
    """`Rp1.018.175.000` (no cents: budgets are whole rupiah)."""
    if value is None:
        return "–"
    return format_currency(value, "IDR", format="¤#,##0", locale=_locale(lang), currency_digits=False)


def percent(value: Decimal | float | None, lang: str = "id", *, decimals: int = 1) -> str:
    """`87,5%`; missing data stays visibly missing."""
    if value is None:
        return "–"
    return number(round(Decimal(str(value)), decimals), lang) + "%"


def long_date(value: date | datetime, lang: str = "id") -> str:
    """`31 Maret 2020`."""
    return _format_date(value, format="long", locale=_locale(lang))


def full_date(value: date | datetime, lang: str = "id") -> str:
    """`Selasa, 31 Maret 2020`."""
    return _format_date(value, format="full", locale=_locale(lang))


def date_time(value: datetime, lang: str = "id") -> str:
    """`31 Maret 2020 08.00`."""
    return _format_datetime(value, format="d MMMM y HH.mm" if lang == "id" else "d MMMM y HH:mm",
                            locale=_locale(lang))


QUARTER_LABELS = {1: "TW I", 2: "TW II", 3: "TW III", 4: "TW IV"}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"(?:tw|triwulan|q)?[\s.\-]*([1-4]|iv|i{1,3})", re.IGNORECASE)


def parse_quarter(text: str) -> int | None:
    """`2`, `II`, `TW2`, `tw ii`, `TW-II`, `triwulan 2` → 2; None for anything else."""
    m = _QUARTER.fullmatch(" ".join(text.split()))
    if m is None:
        return None
    value = m[1].casefold()
    return int(value) if value.isdigit() else _ROMAN[value]


def quarter_label(quarter: int) -> str:
    return QUARTER_LABELS[quarter]
