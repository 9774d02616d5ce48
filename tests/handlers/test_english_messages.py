"""English mode is English everywhere: the importer's anomalies and refusals, and a mistyped number."""

import json
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from bot.text.render import environment
from models import Aksi
from models import AksiRealisation
from models import Kegiatan
from tests.support.admin_steps import act
from tests.support.harness import PIC_ID
from tests.support.harness import BotHarness
from tests.support.plans import SEED
from tests.support.plans import seed_lines
from tests.support.plans import store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED_TEXT = "\n".join(seed_lines()).encode("utf-8")
TXT = "text/plain"
# Words of the Indonesian importer and number messages that must not show through in English.
INDONESIAN = ("Baris ", "Penomoran", "bukan angka", "Pagu", "tidak diimpor", "Persentase", "berkas", "Satuan")


@pytest.fixture
async def english_bot(fake, db_url):
    """The real bot in English on an empty database."""
    h = BotHarness(fake, db_url, language="en")
    await h.start()
    yield h
    await h.stop()


def assert_english(text: str) -> None:
    shown = [w for w in INDONESIAN if w in text]
    assert not shown, f"Indonesian {shown} in: {text}"


async def test_import_preview_and_summary_list_anomalies_in_english(english_bot, fake, engine):
    await act(fake, text="/impor")
    text = await act(fake, document=("rapk-2020.txt", SEED_TEXT, TXT))
    assert "Anomalies (38)" in text and "Line 44: Activity numbering jumps from 7 to 9." in text
    assert_english(text)
    text = await act(fake, press="Next ➡️")
    assert "Line 184: Percentage above 100%: TW I 1000%." in text
    assert_english(text)
    text = await act(fake, press="✅ Apply")
    assert "New action plan saved: rapk-2020.txt" in text and "Line 44: Activity numbering jumps" in text
    assert_english(text)


async def test_broken_file_and_refused_merge_are_explained_in_english(english_bot, fake, engine):
    await act(fake, text="/impor")
    text = await act(fake, document=("rencana.pdf", (FIXTURES / "broken" / "document.pdf").read_bytes(),
                                     "application/pdf"))
    assert "Line 1: a PDF file; an action plan must be tab-separated text (.txt) or .xlsx." in text
    assert_english(text)
    store(engine)
    with unit_of_work(engine) as session:
        kegiatan = session.exec(select(Kegiatan).where(Kegiatan.name == "Pendidikan Penjurangan Struktural")).one()
        aksi_id = session.exec(select(Aksi.id).where(Aksi.kegiatan_id == kegiatan.id)).first()
        session.add(AksiRealisation(aksi_id=aksi_id, quarter=1, value=100, value_raw="100"))
    renamed = SEED_TEXT.replace(b"Pendidikan Penjurangan Struktural", b"Pendidikan Penjenjangan Struktural")
    await act(fake, document=("rapk-salah.txt", renamed, TXT))
    text = await act(fake, press="✅ Apply")
    assert "• activity “Pendidikan Penjurangan Struktural” (realised in TW I)" in text
    assert_english(text)


async def test_a_mistyped_number_is_explained_in_english(fake, db_url, small_plan):
    bot = BotHarness(fake, db_url, language="en")
    await bot.start()
    try:
        await act(fake, PIC_ID, text="/lapor")
        await act(fake, PIC_ID, press="📝 Pendidikan dan Pelatihan Teknis")
        text = await act(fake, PIC_ID, text="lima puluh")
        assert "⚠️ “lima puluh” is not a number. Type the number, with or without its unit: for example 75, 75%, 45 orang, 1.250 or 3,5." in text
        assert_english(text)
        await act(fake, PIC_ID, text="50%")
        await act(fake, PIC_ID, press="🎯 As targeted")
        text = await act(fake, PIC_ID, text="12 dolar")
        assert "Unknown unit “dolar”. Use rb, juta/jt, M (billion) or T." in text
        assert_english(text)
    finally:
        await bot.stop()


def test_rapk_import_json_words_anomalies_in_the_configured_language(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "en")
    assert main(["import", str(SEED), "--dry-run", "--json"]) == 0
    out, err = capsys.readouterr()
    first = json.loads(out)["anomalies"][0]
    assert first == {"line": 44, "raw": first["raw"], "why": "Activity numbering jumps from 7 to 9.",
                     "code": "kegiatan_numbering_jump"}
    assert "Anomalies (38), kept as written" in err and "Line 44: Activity numbering jumps from 7 to 9." in err
    assert_english(err)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    assert main(["import", str(SEED), "--dry-run", "--json"]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out)["anomalies"][0]["why"] == "Penomoran kegiatan melompat dari 7 ke 9."


def test_rapk_import_refuses_a_broken_file_in_english(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "en")
    assert main(["import", str(FIXTURES / "broken" / "duplicate_aksi.txt"), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "duplicate_aksi.txt: Line " in err and "is already used on line" in err
    assert_english(err)


@pytest.mark.parametrize("family", ["import_messages", "number_messages"])
def test_every_message_code_is_worded_in_both_languages(family):
    def codes(lang):
        module = environment(lang).get_template(f"{family}.j2").module
        return {name for name in dir(module) if not name.startswith("_")}

    assert codes("en") == codes("id") and len(codes("id")) > 10
