"""The number parsers' limits are what the columns hold: every value parse_realised or parse_money
accepts is read back exactly from its column, on SQLite (where a decimal column is a float) and on
PostgreSQL (numeric(20, 4), bigint); the first values beyond them are refused."""

import random
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.numbers import LARGEST_DECIMAL
from bot.domain.numbers import NumberFormatError
from bot.domain.numbers import parse_money
from bot.domain.numbers import parse_realised
from bot.domain.reporting import ReportError
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from bot.text.formatting import number
from models import AksiRealisation
from models import KegiatanRealisation

NOW = datetime(2020, 6, 23, 2, 0, tzinfo=UTC)


def _storable_samples(count: int) -> list[Decimal]:
    """Values parse_realised accepts, spread over every magnitude and number of decimals."""
    rng = random.Random(20200623)
    out = [LARGEST_DECIMAL, Decimal("0.0001"), Decimal("12345678901.2345"), Decimal("54975581388.7999")]
    for _ in range(count):
        digits = rng.randint(1, 15)
        places = rng.randint(0, min(4, digits))
        out.append(Decimal(rng.randrange(10 ** digits)).scaleb(-places))
    return [v for v in out if v <= LARGEST_DECIMAL]


def test_every_accepted_value_reads_back_exactly(engine):
    values = _storable_samples(2000)
    for value in values[:50]:  # what a PIC would type for it is accepted as that very value
        assert parse_realised(number(value, decimals=4)).value == value
    table = sa.Table("roundtrip", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("value", AksiRealisation.__table__.c.value.type),
                     sa.Column("money", KegiatanRealisation.__table__.c.budget_realised.type))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": i, "value": v, "money": 2**63 - 1 - i} for i, v in enumerate(values)])
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(table.c.id, table.c.value)).all())
            money = dict(conn.execute(sa.select(table.c.id, table.c.money)).all())
    finally:
        table.drop(engine)
    wrong = [(v, back[i]) for i, v in enumerate(values) if back[i] != v]
    assert not wrong, f"{len(wrong)} values changed in the column, e.g. {wrong[:3]}"
    assert all(money[i] == 2**63 - 1 - i for i in money)


def test_the_limits_through_the_real_rows(engine, small_plan):
    kegiatan_id = small_plan["kegiatan"][0]
    aksi_id = small_plan["aksi"][kegiatan_id][0]
    with unit_of_work(engine) as session:
        session.add(AksiRealisation(aksi_id=aksi_id, quarter=2, value=parse_realised("99.999.999.999,9999").value,
                                    value_raw="99.999.999.999,9999"))
        session.add(KegiatanRealisation(kegiatan_id=kegiatan_id, quarter=2,
                                        budget_realised=parse_money("9.223.372.036.854.775.807")))
    with unit_of_work(engine) as session:
        assert session.exec(select(AksiRealisation.value)).one() == Decimal("99999999999.9999")
        assert session.exec(select(KegiatanRealisation.budget_realised)).one() == 2**63 - 1


@pytest.mark.parametrize("change", [
    {"aksi": Decimal(10) ** 18},  # numeric overflow on PostgreSQL: every further Simpan failed the same way
    {"aksi": Decimal("1E-22")},  # stored as 0, audited as 1E-22
    {"raw": "5" * 201},
    {"budget": 10**19},  # bigint out of range
])
def test_save_report_refuses_values_the_columns_do_not_hold(engine, small_plan, change):
    """A draft kept from before the parsers' limits (or any other caller) is refused whole, not half-stored."""
    kegiatan_id = small_plan["kegiatan"][0]
    first, second = small_plan["aksi"][kegiatan_id][:2]
    sub = Submission(kegiatan_id, 2, aksi_values={first: (Decimal(50), "50"),
                                                  second: (change.get("aksi", Decimal(60)), change.get("raw", "x"))},
                     budget_realised=change.get("budget", 1000))
    with pytest.raises(ReportError) as info, unit_of_work(engine) as session:
        save_report(sub, session=session, person_id=small_plan["budi"], actor_label="Budi", now=NOW, late=False)
    assert info.value.code == "bad_value"
    with unit_of_work(engine) as session:
        assert session.exec(select(AksiRealisation)).all() == []
        assert session.exec(select(KegiatanRealisation)).all() == []


@pytest.mark.parametrize("text", ["100.000.000.000", "99.999.999.999,99999", "0,00001"])
def test_just_beyond_is_refused(text):
    with pytest.raises(NumberFormatError):
        parse_realised(text)
