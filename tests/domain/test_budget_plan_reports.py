"""What leadership reads once a kegiatan has an anggaran kas: the digest lines, the drill-down, the chart,
the workbook and `rapk summary --json`, on the small plan (two kegiatan, one program).

The figures, by hand, for TW II:
* Kegiatan 1 (Pendidikan dan Pelatihan Teknis): pagu Rp1.018.175.000, anggaran kas 100 / 300 / 400 /
  218,175 juta. Realised TW I Rp80.000.000 + TW II Rp280.000.000 = Rp360.000.000. Planned s.d. TW II
  100 + 300 = Rp400.000.000 → 360 ÷ 400 = 90,0% terhadap rencana; 360 ÷ 1.018,175 = 35,36 → 35,4%
  terhadap pagu.
* Kegiatan 2 (Pendidikan Penjurangan Struktural): pagu Rp1.491.762.000, no anggaran kas; realised TW II
  Rp298.352.400 → 20,0% terhadap pagu only.
* Program and plan: 360.000.000 + 298.352.400 = 658.352.400 of 1.018.175.000 + 1.491.762.000 =
  2.509.937.000 → 26,23 → 26,2% terhadap pagu; against the plan only kegiatan 1 counts: 90,0%, 1 of 2.
"""

import io
import json
from datetime import UTC
from datetime import datetime
from decimal import Decimal as D

from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session

from bot.cli.reports import _json_default
from bot.db import unit_of_work
from bot.domain.budget_plan import set_budget_plan
from bot.domain.charts import PLAN_COLOUR
from bot.domain.charts import achievement_chart
from bot.domain.digest import build_digest
from bot.domain.digest import kegiatan_detail
from bot.domain.digest import program_detail
from bot.domain.scoring import score_plan_from_db
from bot.domain.workbook import COL_ABSORPTION
from bot.domain.workbook import COL_ABSORPTION_PLAN
from bot.domain.workbook import COL_PLANNED
from bot.domain.workbook import build_workbook
from models import KegiatanRealisation

JT = 1_000_000
PLAN = (100 * JT, 300 * JT, 400 * JT, 218_175_000)
NOW = datetime(2020, 6, 23, 2, tzinfo=UTC)  # before TW II's deadline


def setup(engine, small_plan, *, with_plan: bool = True) -> None:
    k1, k2 = small_plan["kegiatan"]
    with unit_of_work(engine) as session:
        session.add_all([KegiatanRealisation(kegiatan_id=k1, quarter=1, budget_realised=80 * JT),
                         KegiatanRealisation(kegiatan_id=k1, quarter=2, budget_realised=280 * JT),
                         KegiatanRealisation(kegiatan_id=k2, quarter=2, budget_realised=298_352_400)])
        if with_plan:
            set_budget_plan(k1, PLAN, session=session, actor_label="Admin")


def test_the_digest_says_against_what_absorption_is_measured(engine, small_plan):
    setup(engine, small_plan)
    with Session(engine) as session:
        digest = build_digest(small_plan["plan"], 2, session=session, now=NOW)
    lines = digest.plain.splitlines()
    assert "💰 Anggaran terserap: Rp658.352.400 dari Rp2.509.937.000 (26,2% terhadap pagu)" in lines
    assert ("↳ terhadap rencana s.d. TW II: 90,0% (Rp360.000.000 dari Rp400.000.000) · "
            "1 dari 2 kegiatan punya anggaran kas") in lines
    program = next(line for line in lines if "Program Pendidikan dan Pelatihan ASN" in line)
    assert program.endswith("· serapan 90,0% terhadap rencana s.d. TW II (1 dari 2 kegiatan), 26,2% terhadap pagu")
    numbers = digest.numbers["budget"]
    assert (numbers["absorption_pct"], numbers["budget_planned_to_date"], numbers["budget_planned_realised"],
            numbers["absorption_plan_pct"], numbers["kegiatan_with_plan"]) == (D("26.2"), 400 * JT, 360 * JT,
                                                                             D("90.0"), 1)


def test_without_a_plan_the_digest_says_terhadap_pagu_and_nothing_more(engine, small_plan):
    setup(engine, small_plan, with_plan=False)
    with Session(engine) as session:
        text = build_digest(small_plan["plan"], 2, session=session, now=NOW).plain
    assert "(26,2% terhadap pagu)" in text and "terhadap rencana" not in text


def test_the_drill_downs_show_the_plan_and_its_quarters(engine, small_plan):
    setup(engine, small_plan)
    k1, k2 = small_plan["kegiatan"]
    with Session(engine) as session:
        one = kegiatan_detail(k1, 2, session=session, now=NOW)
        two = kegiatan_detail(k2, 2, session=session, now=NOW)
        program = program_detail(small_plan["program"], 2, session=session, now=NOW)
    lines = one.plain.splitlines()
    assert "💰 Anggaran terserap: Rp360.000.000 dari Rp1.018.175.000 (35,4% terhadap pagu)" in lines
    assert "↳ terhadap rencana s.d. TW II: 90,0% (Rp360.000.000 dari Rp400.000.000)" in lines
    assert ("↳ anggaran kas: TW I Rp100.000.000 · TW II Rp300.000.000 · TW III Rp400.000.000 · "
            "TW IV Rp218.175.000") in lines
    assert "💰 Anggaran terserap: Rp298.352.400 dari Rp1.491.762.000 (20,0% terhadap pagu)" in two.plain
    assert "terhadap rencana" not in two.plain
    assert ("⚪ – Pendidikan dan Pelatihan Teknis · serapan 90,0% terhadap rencana s.d. TW II, 35,4% terhadap pagu · "
            "⏳ belum lapor") in program.plain.splitlines()
    assert "🔴 0,0% Pendidikan Penjurangan Struktural · serapan 20,0% terhadap pagu · ⏳ belum lapor" in \
        program.plain.splitlines()
    assert one.numbers["budget_plan"] == list(PLAN) and two.numbers["budget_plan"] is None
    # In English too, never a bare percentage.
    with Session(engine) as session:
        english = kegiatan_detail(k1, 2, session=session, now=NOW, lang="en").plain
    assert "(35.4% of the budget)" in english and "against the plan to TW II: 90.0%" in english


def test_summary_json_keeps_its_keys_and_adds_the_plan(engine, small_plan):
    setup(engine, small_plan)
    with Session(engine) as session:
        numbers = build_digest(small_plan["plan"], 2, session=session, now=NOW).numbers
    data = json.loads(json.dumps(numbers, default=_json_default))  # what `rapk summary --json` prints
    program = data["programs"][0]
    assert {"pagu", "realised", "realised_quarter", "absorption_pct"} <= set(program)  # the keys of before
    assert (program["absorption_pct"], program["budget_planned_to_date"], program["absorption_plan_pct"]) == (
        26.2, 400 * JT, 90)
    assert data["budget"]["kegiatan_with_plan"] == 1


def test_the_workbook_has_the_plan_columns(engine, small_plan):
    setup(engine, small_plan)
    with Session(engine) as session:
        ws = load_workbook(io.BytesIO(build_workbook(small_plan["plan"], 2, session=session, now=NOW)))["Rencana Aksi"]
    rows = {row[2].value: row for row in ws.iter_rows(min_row=9) if row[2].value}
    one = rows["Pendidikan dan Pelatihan Teknis"]
    assert (one[COL_ABSORPTION - 1].value, one[COL_PLANNED - 1].value, one[COL_ABSORPTION_PLAN - 1].value) == (
        35.4, 400 * JT, 90)
    two = rows["Pendidikan Penjurangan Struktural"]
    assert (two[COL_ABSORPTION - 1].value, two[COL_PLANNED - 1].value, two[COL_ABSORPTION_PLAN - 1].value) == (
        20, None, None)
    program = rows["Program Pendidikan dan Pelatihan ASN"]
    assert (program[COL_ABSORPTION - 1].value, program[COL_ABSORPTION_PLAN - 1].value) == (26.2, 90)
    note = ws.cell(ws.max_row, 3).value
    assert note.endswith("Serapan terhadap rencana s.d. TW II = realisasi ÷ anggaran kas TW I s.d. TW II, hanya "
                         "kegiatan yang punya anggaran kas (1 dari 2 kegiatan); serapan terhadap pagu = realisasi ÷ "
                         "pagu setahun, semua kegiatan.")


def plan_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    rgb = tuple(int(PLAN_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    return {colour: n for n, colour in image.getcolors(maxcolors=1 << 20)}.get(rgb, 0)


def test_the_chart_draws_the_plan_bar_only_when_there_is_a_plan(engine, small_plan):
    setup(engine, small_plan, with_plan=False)
    with Session(engine) as session:
        without = achievement_chart(score_plan_from_db(small_plan["plan"], 2, session=session, now=NOW), 2)
        set_budget_plan(small_plan["kegiatan"][0], PLAN, session=session, actor_label="Admin")
        session.commit()
        with_plan = achievement_chart(score_plan_from_db(small_plan["plan"], 2, session=session, now=NOW), 2)
    assert plan_pixels(without) == 0
    assert plan_pixels(with_plan) > 5_000  # a 90% bar across a 1080-px chart, and its legend swatch
    assert Image.open(io.BytesIO(with_plan)).height > Image.open(io.BytesIO(without)).height  # a row per bar
