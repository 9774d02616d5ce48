"""bot.domain.measure: how an item's quarters combine, before and after the deadline, the cap and the groups.

Every expected figure is worked out by hand in the comment next to it.
"""

from decimal import Decimal as D

import pytest

from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.measure import MISSING
from bot.domain.measure import NEGATIVE
from bot.domain.measure import NOT_DUE
from bot.domain.measure import OK
from bot.domain.measure import PARTIAL
from bot.domain.measure import PENDING
from bot.domain.measure import Coverage
from bot.domain.measure import Measure
from bot.domain.measure import Span
from bot.domain.measure import against_annual
from bot.domain.measure import arrear
from bot.domain.measure import combine_groups
from bot.domain.measure import combine_items
from bot.domain.measure import in_quarter
from bot.domain.measure import real_to_date
from bot.domain.measure import target_to_date
from bot.domain.measure import to_date

SHARE = {1: D(25), 2: D(25), 3: D(25), 4: D(25)}  # «Presentase terlaksananya …» 25% each quarter
RISING = {1: D(20), 2: D(25), 3: D(40), 4: D(100)}  # «Koordinasi dengan BKN»: 20%, 25%, 40%, 100% to date


def test_increment_sums_the_quarters_own_values():
    # TW I 25 + TW II 20 = 45 of 25 + 25 = 50 → 90,0 %; TW II alone 20 / 25 = 80,0 %.
    span = to_date(INCREMENT, SHARE, {1: D(25), 2: D(20)}, 2, closed={1})
    assert (span.target, span.real, span.pct, span.status) == (D(50), D(45), D("90.0"), OK)
    assert in_quarter(INCREMENT, D(25), D(20), 2, closed={1}).pct == D("80.0")


def test_level_takes_the_latest_value_not_the_sum():
    # The 20/25/40/100 aksi answered 20 in TW I and 45 in TW II («capaian s.d. TW II», 45 % done):
    # 45 against the 25 due to date is 180,0 %, shown as computed; summed it would have been
    # (20 + 45) / (20 + 25) = 144,4 % — nothing asked to date is added up.
    span = to_date(LEVEL, RISING, {1: D(20), 2: D(45)}, 2, closed={1})
    assert (span.target, span.real, span.pct) == (D(25), D(45), D("180.0"))
    # In TW III, 45 % done against 40 % due: 45 / 40 = 112,5 %.
    assert to_date(LEVEL, RISING, {1: D(20), 2: D(45), 3: D(45)}, 3, closed={1, 2}).pct == D("112.5")
    # The same answers read as shares would be 65 of 45: the mode decides, not the numbers.
    assert to_date(INCREMENT, RISING, {1: D(20), 2: D(45)}, 2, closed={1}).pct == D("144.4")


def test_kegiatan_indicator_of_12_months_answered_to_date():
    # «Tersedianya Jasa Pelaksana Administrasi Kantor BKD», 12 bulan, level: 3 in TW I, 6 in TW II
    # → 6 / 12 = 50,0 % (summing 3 + 6 = 9 would say 75 %).
    span = against_annual(LEVEL, D(12), {1: D(3), 2: D(6)}, 2, closed={1})
    assert (span.target, span.real, span.pct, span.status) == (D(12), D(6), D("50.0"), OK)
    # Answered as asked all year (3, 6, 9, 12) it ends at 12 / 12 = 100 %, not 30 / 12 = 250 %.
    assert against_annual(LEVEL, D(12), {1: D(3), 2: D(6), 3: D(9), 4: D(12)}, 4, closed={1, 2, 3}).pct == D(100)
    # «Jumlah peserta …» 30 orang, increment: 10 in TW I, 14 in TW II → 24 / 30 = 80,0 %.
    assert against_annual(INCREMENT, D(30), {1: D(10), 2: D(14)}, 2, closed={1}).pct == D("80.0")


@pytest.mark.parametrize(("real", "expected"), [
    ("10", "100"), ("8", "120.0"), ("12", "80.0"), ("25", "0"), ("20", "0.0"),
])
def test_negative_lower_is_better(real, expected):
    # Target 10: (2 × 10 − real) / 10 × 100, never below 0.
    assert to_date(NEGATIVE, {2: D(10)}, {2: D(real)}, 2, closed=()).pct == D(expected)


def test_negative_with_zero_target():
    assert to_date(NEGATIVE, {1: D(0)}, {1: D(0)}, 1, closed=()).pct == D(100)
    assert to_date(NEGATIVE, {1: D(0)}, {1: D(2)}, 1, closed=()).pct == D(0)


def test_before_the_deadline_an_unreported_value_is_pending_shown_not_scored():
    # TW I reported 25, TW II not yet, TW II's deadline still ahead: shown (25 so far), not scored.
    span = to_date(INCREMENT, SHARE, {1: D(25)}, 2, closed={1})
    assert (span.target, span.real, span.pct, span.status, span.pending) == (D(50), D(25), None, PENDING, (2,))
    assert in_quarter(INCREMENT, D(25), None, 2, closed={1}).status == PENDING


def test_after_the_deadline_an_unreported_value_counts_as_zero():
    # Increment: TW II adds 0 → 25 / 50 = 50,0 %, marked missing («tidak lapor»).
    span = to_date(INCREMENT, SHARE, {1: D(25)}, 2, closed={1, 2})
    assert (span.real, span.pct, span.status, span.missing) == (D(25), D("50.0"), MISSING, (2,))
    assert in_quarter(INCREMENT, D(25), None, 2, closed={1, 2}).pct == D(0)
    # Level: the value to date is unknown, so 0 % (the 20 of TW I is not carried over).
    level = to_date(LEVEL, RISING, {1: D(20)}, 2, closed={1, 2})
    assert (level.real, level.pct, level.status) == (None, D(0), MISSING)
    # Negative: silence is not «0 cases, perfect»: it scores 0 % too.
    assert to_date(NEGATIVE, {2: D(10)}, {}, 2, closed={1, 2}).pct == D(0)


def test_nothing_due_yet_and_helpers_for_the_question():
    assert to_date(INCREMENT, {4: D(3)}, {}, 2, closed={1}).status == NOT_DUE
    assert to_date(INCREMENT, {1: D(0), 2: D(5)}, {2: D(5)}, 2, closed=()).target == D(5)  # 0 is nothing due
    # «s.d. TW II» in /lapor's question: increment 25 + 25 = 50; level the latest, 25.
    assert (target_to_date(INCREMENT, SHARE, 2), target_to_date(LEVEL, RISING, 2)) == (D(50), D(25))
    assert (real_to_date(INCREMENT, {1: D(25), 2: D(20)}, 1), real_to_date(LEVEL, {1: D(20)}, 1)) == (D(25), D(20))
    assert real_to_date(INCREMENT, {}, 1) is None


# ---------------------------------------------------------------- late work (tunggakan)

ONLY_TW2 = {2: D(100)}  # «Pembentukan Panitia/Tim Pelaksana Kegiatan»: 100% in TW II, nothing else


@pytest.mark.parametrize("mode", [INCREMENT, LEVEL])
def test_a_later_quarters_value_counts_towards_an_earlier_target_in_both_modes(mode):
    # Reported 0 in TW II, done in July: TW III's 100 meets TW II's target → 100 / 100 = 100,0 % to TW III,
    # while TW II, as it stood, stays 0 / 100 = 0,0 %.
    reals = {2: D(0), 3: D(100)}
    span = to_date(mode, ONLY_TW2, reals, 3, closed={1, 2, 3})
    assert (span.target, span.real, span.pct, span.status) == (D(100), D(100), D(100), OK)
    assert to_date(mode, ONLY_TW2, reals, 2, closed={1, 2, 3}).pct == D(0)
    # TW III alone has no target of its own: not scored as a quarter.
    assert in_quarter(mode, None, D(100), 3, closed={1, 2, 3}).status == NOT_DUE


@pytest.mark.parametrize("mode", [INCREMENT, LEVEL])
def test_late_work_is_owed_until_the_target_to_date_is_met(mode):
    # TW II 0 of 100: in TW III 100 is owed since TW II.
    late = arrear(mode, ONLY_TW2, {2: D(0)}, 3)
    assert (late.since, late.target, late.before, late.owed, late.after, late.settled) == (2, D(100), D(0), D(100),
                                                                                          D(0), False)
    # TW III's value counts: 60 leaves 100 − 60 = 40; 100 settles it, and nothing is owed in TW IV.
    assert arrear(mode, ONLY_TW2, {2: D(0), 3: D(60)}, 3).remaining == D(40)
    assert arrear(mode, ONLY_TW2, {2: D(0), 3: D(100)}, 3).settled
    assert arrear(mode, ONLY_TW2, {2: D(0), 3: D(100)}, 4) is None
    # Not met by TW III either: still owed in TW IV, 100 − 60 = 40; never after TW IV, never before TW II.
    assert arrear(mode, ONLY_TW2, {2: D(0), 3: D(60)}, 4).owed == D(40)
    assert arrear(mode, ONLY_TW2, {}, 5) is None and arrear(mode, {1: D(100)}, {}, 1) is None
    # Met on time: nothing is owed. Silent (no value at all): all of it is.
    assert arrear(mode, ONLY_TW2, {2: D(100)}, 3) is None
    assert arrear(mode, ONLY_TW2, {}, 3).owed == D(100)


def test_late_work_of_a_share_is_owed_from_the_first_quarter_not_met():
    # 25/25/25/25, TW I 25 and TW II 10: to TW II 35 of 50 → TW I met, 15 owed since TW II.
    late = arrear(INCREMENT, SHARE, {1: D(25), 2: D(10)}, 3)
    assert (late.since, late.target, late.owed) == (2, D(50), D(15))
    # Nothing in TW I, 30 in TW II: 30 of 50 → TW I met late (30 ≥ 25), TW II short by 20.
    assert (arrear(INCREMENT, SHARE, {2: D(30)}, 3).since, arrear(INCREMENT, SHARE, {2: D(30)}, 3).owed) == (2, D(20))
    # 80/20 in TW II/III (seq 3 aksi 3) with TW II 0: in TW III 80 is owed on top of TW III's own 20.
    late = arrear(INCREMENT, {2: D(80), 3: D(20)}, {2: D(0), 3: D(100)}, 3)
    assert (late.since, late.owed, late.remaining, late.settled) == (2, D(80), D(0), True)


def test_late_work_of_a_level_item_is_owed_from_its_last_due_quarter():
    # 100%/100% in TW I and II (seq 41 aksi 2), reported 100 then 80: the level dropped in TW II, 20 owed
    # since TW II (not since TW I, which was met).
    late = arrear(LEVEL, {1: D(100), 2: D(100)}, {1: D(100), 2: D(80)}, 3)
    assert (late.since, late.target, late.before, late.owed) == (2, D(100), D(80), D(20))
    # Due again in TW III (20/25/40/100 reported 20, 20): TW III's own 40 to date is what is asked; nothing late.
    assert arrear(LEVEL, RISING, {1: D(20), 2: D(20)}, 3) is None
    # Negative (lower is better), 10 due in TW II, 14 reported: 4 too many; 9 in TW III settles it.
    late = arrear(NEGATIVE, {2: D(10)}, {2: D(14), 3: D(9)}, 3)
    assert (late.owed, late.remaining, late.settled) == (D(4), D(0), True)
    assert arrear(NEGATIVE, {2: D(10)}, {}, 3).owed is None  # nothing known to compare


def span(pct: str | None, status: str = OK) -> Span:
    return Span(D(100), None, None if pct is None else D(pct), status)


def test_group_caps_each_input_and_counts_its_items():
    # 180 counts as 100: (100 + 80) / 2 = 90,0 — not (180 + 80) / 2 = 130,0.
    pct, status, coverage = combine_items([(span("180.0"), False), (span("80.0"), False)], 100)
    assert (pct, status) == (D("90.0"), OK)
    assert coverage == Coverage(due=2, scored=2, capped=1)
    # With a ceiling of 120: (120 + 80) / 2 = 100,0.
    assert combine_items([(span("180.0"), False), (span("80.0"), False)], 120)[0] == D("100.0")


def test_group_leaves_out_flagged_and_pending_items_and_counts_missing_as_zero():
    # Items: 10.000 % on a flagged target (out), 80 (in), pending (out), missing 0 (in): (80 + 0) / 2 = 40,0.
    pct, status, coverage = combine_items([(span("10000.0"), True), (span("80.0"), False),
                                           (span(None, PENDING), False), (span("0", MISSING), False),
                                           (span(None, NOT_DUE), False)], 100)
    assert (pct, status) == (D("40.0"), PARTIAL)
    assert coverage == Coverage(due=4, scored=2, pending=1, missing=1, excluded=1)
    # Only flagged items: nothing to average, and the group says it is incomplete.
    assert combine_items([(span("10000.0"), True)], 100)[:2] == (None, PARTIAL)
    # Only pending items: pending.
    assert combine_items([(span(None, PENDING), False)], 100)[:2] == (None, PENDING)
    # Nothing reported after the deadline: 0, missing.
    assert combine_items([(span("0", MISSING), False)], 100)[:2] == (D(0), MISSING)


def test_group_of_groups_averages_the_rounded_group_figures_and_adds_coverage():
    a = Measure(D(100), D("90.0"), D("90.0"), None, OK, Coverage(due=2, scored=2))
    b = Measure(D(100), D("85.0"), D("85.0"), None, PARTIAL, Coverage(due=3, scored=2, pending=1))
    c = Measure(None, None, None, None, NOT_DUE, Coverage())
    pct, status, coverage = combine_groups([a, b, c], 100)
    assert (pct, status) == (D("87.5"), PARTIAL)  # (90,0 + 85,0) / 2
    assert coverage == Coverage(due=5, scored=4, pending=1)
    assert combine_groups([c], 100)[:2] == (None, NOT_DUE)


def test_group_of_groups_caps_each_group_and_says_what_is_left_out():
    over = Measure(D(100), D("130.0"), D("130.0"), None, OK, Coverage(due=1, scored=1, capped=1))
    at = Measure(D(100), D("70.0"), D("70.0"), None, MISSING, Coverage(due=2, scored=2, missing=1))
    waiting = Measure(D(100), None, None, None, PENDING, Coverage(due=1, pending=1))
    flagged = Measure(D(100), None, None, None, PARTIAL, Coverage(due=1, excluded=1))
    pct, status, coverage = combine_groups([over, at], 100)
    assert (pct, status) == (D("85.0"), MISSING)  # (100 capped from 130 + 70) / 2
    assert coverage == Coverage(due=3, scored=3, missing=1, capped=1)
    assert combine_groups([over, at], 120)[0] == D("95.0")  # (120 + 70) / 2
    assert combine_groups([at, waiting], 100)[:2] == (D("70.0"), PARTIAL)  # scored so far, one still pending
    assert combine_groups([waiting], 100)[:2] == (None, PENDING)
    assert combine_groups([flagged], 100)[:2] == (None, PARTIAL)  # nothing scored, nothing pending
