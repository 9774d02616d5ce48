"""The achievement chart: a valid, phone-sized PNG whose bars show the bands a leader expects."""

import io
from datetime import UTC
from datetime import datetime

import pytest
from PIL import Image
from sqlmodel import Session

from bench.plan_gen import generate_plan
from bot.db import unit_of_work
from bot.domain.charts import ABSORPTION_COLOUR
from bot.domain.charts import BAND_COLOURS
from bot.domain.charts import MISSING_COLOUR
from bot.domain.charts import WIDTH_PX
from bot.domain.charts import achievement_chart
from bot.domain.scoring import score_plan_from_db
from tests.support.seed import seed_with_reports


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def colour_pixels(png: bytes) -> dict[str, int]:
    """How many pixels of each chart colour the image holds (bars are solid fills)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20)}
    named = {**{name: _rgb(c) for name, c in BAND_COLOURS.items()}, "absorption": _rgb(ABSORPTION_COLOUR),
             "missing": _rgb(MISSING_COLOUR)}
    return {name: counts.get(rgb, 0) for name, rgb in named.items()}


NOW = datetime(2020, 7, 9, 2, 0, tzinfo=UTC)  # 9 Juli 2020: TW II's deadline has passed


def chart(engine, plan_id: int, quarter: int = 2, now=NOW, **kwargs) -> bytes:
    with Session(engine) as session:
        return achievement_chart(score_plan_from_db(plan_id, quarter, session=session, now=now), quarter, **kwargs)


def test_seed_chart_is_a_phone_sized_png_with_band_colours(engine, seed_plan_path):
    png = chart(engine, seed_with_reports(engine, seed_plan_path))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.size[0] == WIDTH_PX and 1000 < image.size[1] < 2000  # 9 programs, scrolls on a phone
    pixels = colour_pixels(png)
    # The programs of tests/domain/test_digest.py's digest of 9 July: six at 96,7–100 %, Pendidikan dan
    # Pelatihan (89,4) and Mutasi (Sasaran 2, 90,0) Tinggi, Data Formasi (Sasaran 3) 50,0 with Jaringan's 0.
    assert pixels["Sangat Tinggi"] > 10_000
    assert pixels["Tinggi"] > 1_000
    assert pixels["Rendah"] > 1_000
    assert pixels["absorption"] > 10_000


def test_chart_before_any_report_draws_no_bars(engine, seed_plan_path):
    # 2 April 2020: TW I's reports are still coming in.
    png = chart(engine, seed_with_reports(engine, seed_plan_path, quarters=()), quarter=1,
                now=datetime(2020, 4, 2, 2, 0, tzinfo=UTC))
    pixels = colour_pixels(png)
    # Only the legend's swatches: no program is drawn as a 0% bar, «belum ada data» is written instead.
    assert all(pixels[name] < 500 for name in BAND_COLOURS) and pixels["absorption"] < 500
    assert pixels["missing"] > 200


@pytest.mark.parametrize("lang", ["id", "en"])
def test_many_programs_show_the_lowest_and_highest(engine, lang):
    with unit_of_work(engine) as session:
        plan_id = generate_plan(200, session=session, seed=3, quarters=2)  # 25 programs
    png = chart(engine, plan_id, lang=lang)
    width, height = Image.open(io.BytesIO(png)).size
    assert width == WIDTH_PX and height < 2400  # 12 programs, not 25
