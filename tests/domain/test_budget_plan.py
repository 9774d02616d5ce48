"""Anggaran kas (bot.domain.budget_plan): absorption against the plan to date, and the admin's rules.

Every figure below is worked out by hand in the comment beside it; percentages are rounded half-up
to 0,1 as everywhere else.
"""

from datetime import datetime
from decimal import Decimal as D

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.budget_plan import BudgetPlanError
from bot.domain.budget_plan import parse_amounts
from bot.domain.budget_plan import planned_to_date
from bot.domain.budget_plan import plans_of
from bot.domain.budget_plan import set_budget_plan
from bot.domain.scoring import GoalIn
from bot.domain.scoring import KegiatanIn
from bot.domain.scoring import ProgramIn
from bot.domain.scoring import ScoringInput
from bot.domain.scoring import score_plan
from models import AuditLog
from models import Kegiatan
from models import KegiatanBudgetPlan
from models import PeriodLock
from tests.support.harness import WIB

JT = 1_000_000  # one juta rupiah

# Program 10: A has a plan, B has none. Program 20: C has a plan that draws nothing before TW III.
A = KegiatanIn(1, 10, 1, "1", "Kegiatan A", budget=400 * JT, budget_reals={1: 40 * JT, 2: 95 * JT},
               budget_plan=(50 * JT, 100 * JT, 150 * JT, 100 * JT))
B = KegiatanIn(2, 10, 2, "2", "Kegiatan B", budget=200 * JT, budget_reals={1: 30 * JT, 2: 60 * JT})
C = KegiatanIn(3, 20, 3, "1", "Kegiatan C", budget=100 * JT, budget_plan=(0, 0, 50 * JT, 50 * JT))


def plan_input() -> ScoringInput:
    return ScoringInput(plan_id=1, year=2020, agency="Dinas", title="RAPK", goals=[GoalIn(1, 1, "1", "Sasaran")],
                        programs=[ProgramIn(10, 1, 1, "1", "Program X"), ProgramIn(20, 1, 2, "2", "Program Y")],
                        kegiatan=[A, B, C], aksi=[])


def test_planned_to_date_sums_the_quarters_so_far():
    assert [planned_to_date(A.budget_plan, q) for q in (1, 2, 3, 4)] == [50 * JT, 150 * JT, 300 * JT, 400 * JT]
    assert planned_to_date(None, 2) is None


def test_kegiatan_absorption_against_the_plan_and_against_the_pagu():
    ps = score_plan(plan_input(), 2)
    a, b, c = ps.kegiatan
    # A: realised 40 + 95 = 135 juta; planned TW I + TW II = 50 + 100 = 150 juta → 135 ÷ 150 = 90,0%;
    # of its pagu 135 ÷ 400 = 33,75 → 33,8%.
    assert (a.budget.real_cumulative, a.budget.planned_to_date, a.budget.absorption_plan, a.budget.absorption) == (
        135 * JT, 150 * JT, D("90.0"), D("33.8"))
    assert a.budget.plan == A.budget_plan and a.budget.kegiatan_planned == 1
    # B has no plan: 30 + 60 = 90 juta of 200 juta = 45,0% of the pagu, and no plan figure at all.
    assert (b.budget.absorption, b.budget.planned_to_date, b.budget.absorption_plan, b.budget.kegiatan_planned) == (
        D("45.0"), None, None, 0)
    # C planned nothing before TW III and reported nothing: no percentage against a plan of Rp0.
    assert (c.budget.planned_to_date, c.budget.real_planned, c.budget.absorption_plan) == (0, None, None)


def test_a_mixed_program_sums_the_plan_where_it_exists_and_says_how_many():
    ps = score_plan(plan_input(), 2)
    x, y = ps.programs
    # Program X against the pagu: (135 + 90) ÷ (400 + 200) = 225 ÷ 600 = 37,5%.
    assert (x.budget.pagu, x.budget.real_cumulative, x.budget.absorption) == (600 * JT, 225 * JT, D("37.5"))
    # Against the plan only A counts (B has none): 135 ÷ 150 = 90,0%, 1 of 2 kegiatan.
    assert (x.budget.planned_to_date, x.budget.real_planned, x.budget.absorption_plan) == (150 * JT, 135 * JT,
                                                                                           D("90.0"))
    assert (x.budget.kegiatan_planned, x.budget.kegiatan_count) == (1, 2)
    # Program Y: C planned Rp0 to TW II and reported nothing.
    assert (y.budget.planned_to_date, y.budget.absorption_plan, y.budget.kegiatan_planned) == (0, None, 1)
    # The plan: A and C have a plan: (135 + nothing) ÷ (150 + 0) = 90,0%, 2 of 3 kegiatan; B's 90 juta and
    # pagu stay out of it. Against the pagu: 225 ÷ 700 = 32,14 → 32,1%.
    assert (ps.budget.planned_to_date, ps.budget.real_planned, ps.budget.absorption_plan) == (150 * JT, 135 * JT,
                                                                                             D("90.0"))
    assert (ps.budget.kegiatan_planned, ps.budget.kegiatan_count, ps.budget.absorption) == (2, 3, D("32.1"))


def test_later_quarters_raise_the_plan_to_date():
    ps = score_plan(plan_input(), 3)
    a = ps.kegiatan[0]
    # TW III not reported yet: still 135 juta, now of 50 + 100 + 150 = 300 juta planned → 45,0%.
    assert (a.budget.planned_to_date, a.budget.absorption_plan) == (300 * JT, D("45.0"))
    # The plan: A 135 of 300 and C nothing of 50 → 135 ÷ 350 = 38,57 → 38,6%.
    assert (ps.budget.planned_to_date, ps.budget.absorption_plan) == (350 * JT, D("38.6"))


def test_without_any_plan_nothing_changes():
    data = plan_input()
    plain = ScoringInput(**{**data.__dict__, "kegiatan": [k._replace(budget_plan=None)
                                                           for k in data.kegiatan]})
    ps = score_plan(plain, 2)
    assert (ps.budget.planned_to_date, ps.budget.absorption_plan, ps.budget.kegiatan_planned) == (None, None, 0)
    assert ps.budget.absorption == D("32.1")


# -- what the admin types ------------------------------------------------------------------------------


def test_parse_amounts_reads_what_an_admin_types():
    assert parse_amounts(["100.000.000", "Rp250jt", "0", "-"]) == (100 * JT, 250 * JT, 0, 0)
    with pytest.raises(BudgetPlanError) as err:
        parse_amounts(["100.000.000", "banyak", "0", "0"])
    assert (err.value.code, err.value.detail) == ("kas_not_money", {"raw": "banyak", "quarter": 2})
    with pytest.raises(BudgetPlanError) as err:
        parse_amounts(["1", "2", "3"])
    assert (err.value.code, err.value.detail) == ("kas_count", {"given": 3})


def stored(engine, kegiatan_id):
    with unit_of_work(engine) as session:
        return plans_of([kegiatan_id], session=session).get(kegiatan_id)


def audit(engine) -> list[tuple]:
    with unit_of_work(engine) as session:
        return [(r.entity_id, r.field, r.old_value, r.new_value, r.actor_label) for r in session.exec(
            select(AuditLog).where(AuditLog.action == "budget_plan.set").order_by(AuditLog.id)).all()]


def set_plan(engine, kegiatan_id, amounts):
    with unit_of_work(engine) as session:
        return set_budget_plan(kegiatan_id, amounts, session=session, actor_label="Admin",
                               now=datetime(2020, 4, 2, 9, tzinfo=WIB))


def test_set_change_and_remove_are_audited_per_quarter(engine, small_plan):
    keg = small_plan["kegiatan"][0]  # pagu Rp1.018.175.000
    plan = (100 * JT, 300 * JT, 400 * JT, 218_175_000)  # exactly the pagu: allowed
    card = set_plan(engine, keg, plan)
    assert (card.old, card.new, card.total, card.share_of_pagu) == (None, plan, 1_018_175_000, D("100.0"))
    assert stored(engine, keg) == plan
    assert audit(engine) == [(keg, "tw1", None, "100000000", "Admin"), (keg, "tw2", None, "300000000", "Admin"),
                             (keg, "tw3", None, "400000000", "Admin"), (keg, "tw4", None, "218175000", "Admin")]
    assert not set_plan(engine, keg, plan).changed and len(audit(engine)) == 4  # the same plan: nothing written
    set_plan(engine, keg, (100 * JT, 250 * JT, 400 * JT, 218_175_000))
    assert audit(engine)[4:] == [(keg, "tw2", "300000000", "250000000", "Admin")]  # only the quarter that changed
    set_plan(engine, keg, None)
    assert stored(engine, keg) is None
    assert [row[1:4] for row in audit(engine)[5:]] == [("tw1", "100000000", None), ("tw2", "250000000", None),
                                                        ("tw3", "400000000", None), ("tw4", "218175000", None)]


def test_a_plan_over_the_pagu_is_refused_and_nothing_is_written(engine, small_plan):
    keg = small_plan["kegiatan"][0]
    with pytest.raises(BudgetPlanError) as err:
        set_plan(engine, keg, (100 * JT, 300 * JT, 400 * JT, 218_175_001))  # one rupiah over
    assert err.value.code == "kas_over_pagu"
    assert (err.value.detail["total"], err.value.detail["pagu"], err.value.detail["over"]) == (
        1_018_175_001, 1_018_175_000, 1)
    with unit_of_work(engine) as session:
        assert session.exec(select(KegiatanBudgetPlan)).all() == []
    assert audit(engine) == []


def test_a_locked_quarter_keeps_its_amount(engine, small_plan):
    keg, other = small_plan["kegiatan"]
    set_plan(engine, keg, (100 * JT, 300 * JT, 400 * JT, 200 * JT))
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=small_plan["plan"], quarter=1))
    with pytest.raises(BudgetPlanError) as err:
        set_plan(engine, keg, (90 * JT, 300 * JT, 400 * JT, 200 * JT))
    assert (err.value.code, err.value.detail["quarters"]) == ("kas_locked", [1])
    with pytest.raises(BudgetPlanError):
        set_plan(engine, keg, None)  # removing it would change TW I too
    set_plan(engine, keg, (100 * JT, 300 * JT, 350 * JT, 250 * JT))  # the open quarters may move
    assert stored(engine, keg) == (100 * JT, 300 * JT, 350 * JT, 250 * JT)
    # A kegiatan without a plan may get one mid-year: nothing was set for the locked quarter before.
    set_plan(engine, other, (0, 500 * JT, 500 * JT, 491_762_000))
    assert stored(engine, other) == (0, 500 * JT, 500 * JT, 491_762_000)


def test_a_kegiatan_without_a_pagu_gets_no_plan(engine, small_plan):
    keg = small_plan["kegiatan"][1]
    with unit_of_work(engine) as session:
        session.get(Kegiatan, keg).budget = None
    with pytest.raises(BudgetPlanError) as err:
        set_plan(engine, keg, (1, 2, 3, 4))
    assert err.value.code == "kas_no_pagu" and stored(engine, keg) is None
