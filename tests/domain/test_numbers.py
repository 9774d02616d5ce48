"""Indonesian numbers, money, targets and typed values: what people write is what we read."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import numbers
from bot.domain.numbers import LARGEST_DECIMAL
from bot.domain.numbers import MoneyFormatError
from bot.domain.numbers import NumberFormatError
from bot.domain.numbers import fits_decimal_column
from bot.domain.numbers import is_money_text
from bot.domain.numbers import parse_money
from bot.domain.numbers import parse_number
from bot.domain.numbers import parse_realised
from bot.domain.numbers import parse_reference
from bot.domain.numbers import parse_target
from bot.text import formatting
from bot.text.render import message

# Babel rounds to three decimals by default: generate what it can show exactly.
decimals_3 = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3,
                         allow_nan=False, allow_infinity=False)
# Realised values: what a decimal column gives back exactly on both databases (below 10**11).
storable_4 = st.decimals(min_value=Decimal(0), max_value=LARGEST_DECIMAL, places=4, allow_nan=False,
                         allow_infinity=False)
rupiah_amounts = st.integers(min_value=0, max_value=10**15)


@pytest.mark.parametrize(("text", "value"), [
    ("1.018.175.000,00", Decimal("1018175000")),
    ("3,00", Decimal(3)),
    ("3,5", Decimal("3.5")),
    ("1.250", Decimal(1250)),
    ("2835", Decimal(2835)),
    ("510000000", Decimal(510000000)),
    ("0,25", Decimal("0.25")),
    (" 60 ", Decimal(60)),
    ("-2", Decimal(-2)),
])
def test_parse_number_reads_indonesian_notation(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1.25", "1,250.00", "12.3456.789", "abc", "", "3 ,5", "1.2.3"])
def test_parse_number_refuses_what_is_not_indonesian_notation(text):
    with pytest.raises(NumberFormatError) as info:
        parse_number(text)
    assert info.value.reason  # an Indonesian sentence to show, not a traceback


@given(decimals_3)
def test_format_then_parse_number_round_trips(value):
    assert parse_number(formatting.number(value)) == value


@given(st.decimals(min_value=Decimal(0), max_value=Decimal("1e13"), places=2, allow_nan=False, allow_infinity=False))
def test_format_with_two_decimals_then_parse_round_trips(value):
    text = formatting.number(value, decimals=2)  # the budget notation: 1.018.175.000,00
    assert parse_number(text) == value


@pytest.mark.parametrize(("text", "rupiah"), [
    ("125.000.000", 125_000_000),
    ("Rp 125 juta", 125_000_000),
    ("125jt", 125_000_000),
    ("1,5 M", 1_500_000_000),
    ("1.5 M", 1_500_000_000),
    ("Rp1.250.000", 1_250_000),
    ("Rp. 1.250.000,-", 1_250_000),
    ("1.018.175.000,00", 1_018_175_000),
    ("750 rb", 750_000),
    ("2 miliar", 2_000_000_000),
])
def test_parse_money_reads_how_people_write_rupiah(text, rupiah):
    assert parse_money(text) == rupiah


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "kosong"),
    ("-5.000", "negatif"),
    ("10.000.000,50", "sen"),
    ("12 dolar", "Satuan"),
    ("seratus ribu", "bukan jumlah rupiah"),
    ("1,2345 rb", "sen"),
])
def test_parse_money_refuses_with_an_indonesian_reason(text, fragment):
    with pytest.raises(MoneyFormatError) as info:
        parse_money(text)
    assert fragment in info.value.reason
    assert isinstance(info.value, ValueError)


@given(rupiah_amounts)
def test_rupiah_format_then_parse_money_round_trips(amount):
    assert parse_money(formatting.rupiah(amount)) == amount


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from([("juta", 10**6), ("jt", 10**6), ("M", 10**9),
                                                                  ("rb", 10**3)]))
def test_money_with_a_multiplier_word(count, multiplier):
    word, factor = multiplier
    assert parse_money(f"Rp {count} {word}") == count * factor


@pytest.mark.parametrize(("text", "value", "percent"), [
    ("75", Decimal(75), False),
    ("75%", Decimal(75), True),
    ("75 %", Decimal(75), True),
    ("1.250", Decimal(1250), False),
    ("3,5", Decimal("3.5"), False),
    ("3.5", Decimal("3.5"), False),
    ("0", Decimal(0), False),
])
def test_parse_realised_accepts_what_a_pic_types(text, value, percent):
    realised = parse_realised(text)
    assert (realised.value, realised.percent) == (value, percent)


@pytest.mark.parametrize(("text", "fragment"), [("-5", "negatif"), ("", "kosong"), ("banyak", "bukan angka"),
                                                ("−3%", "negatif")])
def test_parse_realised_refuses_negative_and_non_numbers(text, fragment):
    with pytest.raises(NumberFormatError) as info:
        parse_realised(text)
    assert fragment in info.value.reason


@given(storable_4)
def test_format_then_parse_realised_round_trips(value):
    assert parse_realised(formatting.number(value, decimals=4)).value == value


@pytest.mark.parametrize(("text", "code"), [
    ("1.000.000.000.000.000.000", "too_large"),  # numeric overflow on PostgreSQL at Simpan
    ("9" * 26, "too_large"),  # InvalidOperation when the confirmation was formatted
    ("100.000.000.000", "too_large"),  # 10**11: SQLite's float no longer gives four decimals back
    ("100.000.000.000%", "too_large"),
    ("0,0000000000000000000001", "too_many_decimals"),  # stored as 0, audited as 1E-22
    ("3,14159", "too_many_decimals"),
    ("1," + "0" * 30 + "1", "too_many_decimals"),  # parse_number used to round it to 28 digits: 1
    ("0" * 199 + "50", "realised_too_long"),  # value_raw holds 200 characters
])
def test_parse_realised_refuses_what_the_columns_do_not_hold(text, code):
    with pytest.raises(NumberFormatError) as info:
        parse_realised(text)
    assert info.value.code == code
    assert info.value.reason  # worded in number_messages.j2


def test_parse_realised_keeps_the_largest_and_smallest_storable_values():
    assert LARGEST_DECIMAL == Decimal("99999999999.9999")
    assert parse_realised("99.999.999.999,9999").value == LARGEST_DECIMAL
    assert parse_realised("0,0001").value == Decimal("0.0001")
    assert parse_realised("50,0000000").value == 50  # trailing zeros are no extra precision
    assert parse_realised("50   %").raw == "50 %"  # what is stored as typed, whitespace collapsed
    assert "paling besar 99.999.999.999,9999" in NumberFormatError("", "too_large", largest=LARGEST_DECIMAL,
                                                                    places=4).reason


def test_parse_money_refuses_more_than_a_bigint_holds():
    assert parse_money("9.223.372.036.854.775.807") == 2**63 - 1
    for text in ("9.223.372.036.854.775.808", "10.000.000.000.000.000.000", "10.000.000 T", "9" * 40):
        with pytest.raises(MoneyFormatError) as info:
            parse_money(text)
        assert info.value.code == "money_too_large", text
    assert "Rp9.223.372.036.854.775.807" in info.value.reason
    with pytest.raises(MoneyFormatError) as info:  # exact arithmetic: not rounded to a whole million
        parse_money("1," + "0" * 30 + "1 jt")
    assert info.value.code == "not_whole_rupiah"


@pytest.mark.parametrize("parse", [parse_number, parse_money, parse_realised])
def test_a_refusal_quotes_a_short_excerpt_of_a_long_answer(parse):
    text = "lima puluh " * 400
    with pytest.raises(NumberFormatError) as info:
        parse(text)
    assert len(info.value.reason) < 200 and "lima puluh lima" in info.value.reason and "…" in info.value.reason
    with pytest.raises(MoneyFormatError) as info:
        parse_money("125" + "x" * 4000)  # an unknown unit, quoted too
    assert info.value.code == "unknown_unit" and len(info.value.reason) < 200


@pytest.mark.parametrize(("text", "prefix", "value"), [
    ("12", "", 12), (" 12 ", "", 12), ("#12", "#", 12), (str(2**31 - 1), "", 2**31 - 1),
    (str(2**31), "", None), (str(2**63 - 1), "", None), ("9" * 30, "", None), ("²", "", None), ("١٢", "", None), ("12", "#", None),
    ("#", "#", None), ("-1", "", None), ("", "", None),
])
def test_parse_reference_reads_what_an_integer_column_holds(text, prefix, value):
    assert parse_reference(text, prefix=prefix) == value


def test_fits_decimal_column():
    assert fits_decimal_column(Decimal("99999999999.9999")) and fits_decimal_column(Decimal("-0.0001"))
    assert not fits_decimal_column(Decimal(10**11)) and not fits_decimal_column(Decimal("0.00001"))
    assert not fits_decimal_column(Decimal("NaN")) and not fits_decimal_column(Decimal("Infinity"))


@given(st.decimals(min_value=Decimal(0), max_value=Decimal(1000), places=1, allow_nan=False, allow_infinity=False))
def test_percent_format_then_parse_realised_round_trips(value):
    realised = parse_realised(formatting.percent(value))
    assert realised.percent and realised.value == value


@given(st.text(max_size=30))
def test_parsers_refuse_garbage_only_with_their_own_error(text):
    for parse in (parse_number, parse_money, parse_realised):
        try:
            parse(text)
        except NumberFormatError:
            pass
    parse_target(text)  # a target is kept as written, never refused


@pytest.mark.parametrize(("raw", "kind", "parts"), [
    ("50%", "percent", [(Decimal(50), "%")]),
    ("30 Orang", "count", [(Decimal(30), "Orang")]),
    ("3,00", "count", [(Decimal(3), "")]),
    ("-", "none", []),
    ("", "none", []),
    ("a. 45 orang b. 40 orang c. 52 OPD", "count",
     [(Decimal(45), "orang"), (Decimal(40), "orang"), (Decimal(52), "OPD")]),
    ("100% (4250 SK KGB, 450 SK Pensiun)", "percent",
     [(Decimal(100), "%"), (Decimal(4250), "SK KGB"), (Decimal(450), "SK Pensiun")]),
    ("a 505 orang", "count", [(Decimal(505), "orang")]),
    ("15000 pendaftar CPNS dan 5000 pendaftar PPPK", "count",
     [(Decimal(15000), "pendaftar CPNS"), (Decimal(5000), "pendaftar PPPK")]),
    ("2 jabatan (1 kali seleksi)", "count", [(Decimal(2), "jabatan"), (Decimal(1), "kali seleksi")]),
    ("57 unit mesin check clock dan computer/PC", "count", [(Decimal(57), "unit mesin check clock dan computer/PC")]),
    ("2000%", "percent", [(Decimal(2000), "%")]),
    ("Terlaksana", "text", []),
])
def test_parse_target_keeps_raw_and_reads_parts(raw, kind, parts):
    target = parse_target(raw)
    assert target.raw == raw
    assert target.kind == kind
    assert [tuple(p) for p in target.parts] == parts


def test_parse_target_keeps_a_mistyped_unit_visible():
    # `52 OPD%` is a typing error in the seed: the unit keeps the % so the importer can report it.
    assert parse_target("a. 45 orang b. 40 orang c. 52 OPD%").parts[-1] == (Decimal(52), "OPD%")


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=99_999), st.sampled_from(["orang", "OPD", "kali"])),
                min_size=1, max_size=3))
def test_enumerated_multi_target_cells_give_every_part(items):
    raw = " ".join(f"{letter}. {n} {unit}" for letter, (n, unit) in zip("abc", items, strict=False))
    assert [tuple(p) for p in parse_target(raw).parts] == [(Decimal(n), unit) for n, unit in items]


@pytest.mark.parametrize(("text", "money"), [
    ("1.018.175.000,00", True), ("10.000.000,00", True), ("74.500.000", True), ("60", False), ("1.250", False),
    ("3,00", False), ("510000000", False), ("25%", False),
])
def test_money_cells_are_told_from_targets(text, money):
    assert is_money_text(text) is money


# -- a number with its unit (issue 19): the item's unit or a synonym; a contradicting unit names the expected one

@pytest.mark.parametrize(("text", "unit", "value", "percent"), [
    ("45 orang", "Orang", Decimal(45), False),        # the seed writes «157 Orang»
    ("45org", "orang", Decimal(45), False),
    ("157 Orang", "orang", Decimal(157), False),
    ("12 bulan", "bulan", Decimal(12), False),
    ("1 dokumen", "", Decimal(1), False),             # a bare `1` target («Jumlah SK Tim») counts anything
    ("2 dok", "dokumen evaluasi", Decimal(2), False),
    ("6 kali", "kali", Decimal(6), False),
    ("3 paket", "paket", Decimal(3), False),
    ("100 persen", "%", Decimal(100), True),
    ("75 persen", "%", Decimal(75), True),
    ("75%", "%", Decimal(75), True),
    ("1.250,5 orang", "orang", Decimal("1250.5"), False),  # Indonesian thousands and decimals as before
    ("3,5 bulan", "bulan", Decimal("3.5"), False),
    ("18 jenis", "jenis", Decimal(18), False),        # a unit nobody abbreviates is itself
    ("52 OPD", "OPD", Decimal(52), False),
    ("30", "orang", Decimal(30), False),              # without a unit, as before
])
def test_parse_realised_takes_a_number_with_the_items_unit(text, unit, value, percent):
    realised = numbers.parse_realised(text, unit)
    assert (realised.value, realised.percent, realised.raw) == (value, percent, text)


@pytest.mark.parametrize(("text", "unit", "expected"), [
    ("5 bulan", "Orang", "Orang"),
    ("45 orang", "%", "%"),
    ("2 kali", "dokumen", "dokumen"),
    ("5 buku", "jenis", "jenis"),
])
def test_parse_realised_refuses_a_unit_that_contradicts_the_item(text, unit, expected):
    with pytest.raises(numbers.NumberFormatError) as caught:
        numbers.parse_realised(text, unit)
    assert caught.value.code == "wrong_unit" and caught.value.params["expected"] == expected
    said = message(caught.value, "id")
    assert "tidak cocok" in said and (expected if expected != "%" else "persen") in said and "tanpa satuan" in said
    assert "does not match" in message(caught.value, "en")


def test_not_a_number_says_a_unit_may_be_left_out():
    with pytest.raises(numbers.NumberFormatError) as caught:
        numbers.parse_realised("lima puluh", "orang")
    said = message(caught.value, "id")
    assert "bukan angka" in said and "tanpa satuan" in said and "45 orang" in said


def test_unit_of_reads_synonyms():
    assert [numbers.unit_of(u) for u in ("Orang", "org", "persen", "%", "Dok.", "dokumen evaluasi", "OPD", "")] == \
        ["orang", "orang", "%", "%", "dokumen", "dokumen", "opd", ""]
