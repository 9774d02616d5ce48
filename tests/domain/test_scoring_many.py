"""Several plans scored at once (the kabupaten's /rekap) give each plan exactly what scoring it alone gives."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from bench.plan_gen import generate_plan
from bot.db import unit_of_work
from bot.domain.scoring import closed_quarters
from bot.domain.scoring import load_scoring_input
from bot.domain.scoring import score_aksi
from bot.domain.scoring import score_indicator
from bot.domain.scoring import score_plan_from_db
from bot.domain.scoring import score_plans_from_db

AUGUST = datetime(2020, 8, 20, tzinfo=UTC)  # TW I closed, TW II's deadline passed, TW III open


def test_plans_scored_together_are_each_scored_as_alone(engine):
    with unit_of_work(engine) as session:
        plans = [generate_plan(40, session=session, seed=seed, quarters=3, missing_rate=0.25) for seed in (2, 3, 4)]
    quarters = {plans[0]: 2, plans[1]: 3, plans[2]: 3}
    with unit_of_work(engine) as session:
        together = score_plans_from_db({**quarters, 999_999: 2}, session=session, now=AUGUST)
        assert set(together) == set(plans)  # a plan that does not exist is left out
        for plan_id, q in quarters.items():
            alone = score_plan_from_db(plan_id, q, session=session, now=AUGUST)
            assert repr(together[plan_id]) == repr(alone)  # repr: 1 and 1.0 are told apart
            # The kegiatan's aksi and indicators, built when read, are not in its repr.
            assert [(repr(k.aksi), repr(k.indicators)) for k in together[plan_id].kegiatan] == [
                (repr(k.aksi), repr(k.indicators)) for k in alone.kegiatan]
            # And every aksi and indicator as scored one by one.
            data = load_scoring_input(plan_id, session=session)
            closed = closed_quarters(data.year, AUGUST)
            aksi = {a.id: a for k in alone.kegiatan for a in k.aksi}
            for a in data.aksi:
                assert repr(aksi[a.id]) == repr(score_aksi(a, q, closed=closed))
            indicators = {i.id: i for k in alone.kegiatan for i in k.indicators}
            for i in data.indicators:
                assert repr(indicators[i.id]) == repr(score_indicator(i, q, closed=closed))
