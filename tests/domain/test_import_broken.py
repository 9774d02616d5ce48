"""Twenty files that are not plans: each is refused with its line and reason, and the database is untouched."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_file
from tests.fixtures.make_broken import broken_files
from tests.support.plans import snapshot
from tests.support.plans import store

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"

# file -> (line named in the message, what the message must say)
EXPECTED = {
    "empty.txt": (1, "berkas kosong"),
    "whitespace.txt": (1, "hanya berisi spasi"),
    "png_bytes.txt": (1, "gambar PNG"),
    "utf16_nobom.txt": (1, "UTF-16 tanpa penanda BOM"),
    "wrong_columns.txt": (12, "kolom AKSI/SUB KEGIATAN tidak ditemukan"),
    "header_only.txt": (12, "tabel kegiatan kosong"),
    "truncated.txt": (17, "terpotong"),
    "kegiatan_without_aksi.txt": (18, "“Pendidikan Penjurangan Struktural” tidak punya aksi"),
    "aksi_before_kegiatan.txt": (14, "muncul sebelum kegiatan mana pun"),
    "text_named.xlsx": (1, "bernama .xlsx tetapi isinya bukan buku kerja Excel"),
    "wrong_layout.xlsx": (1, "kolom KEGIATAN tidak ditemukan; kolom kedua kepala tabel berbunyi “Nama Kegiatan”"),
    "commas.csv": (6, "dipisah koma"),
    "page.html": (1, "berkas HTML"),
    "random.bin": (1, "berkas biner"),
    "document.pdf": (1, "berkas PDF"),
    "legacy.xls": (1, "Excel lama (.xls)"),
    "zip_not_xlsx.xlsx": (1, "bukan buku kerja Excel .xlsx yang utuh"),
    "duplicate_aksi.txt": (16, "nomor aksi 2 sudah dipakai di baris 15"),
    "no_program.txt": (6, "tanpa SASARAN STRATEGIS dan SASARAN PROGRAM"),
    "empty_sheet.xlsx": (1, "lembar kerja “Rencana Aksi” kosong"),
}


def test_there_are_twenty_fixtures_and_they_are_what_the_script_writes():
    written = broken_files()
    assert sorted(written) == sorted(EXPECTED) == sorted(p.name for p in BROKEN.iterdir())
    for name, data in written.items():
        if not name.endswith(".xlsx") or name == "text_named.xlsx":  # xlsx zips carry a timestamp
            assert (BROKEN / name).read_bytes() == data, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_file_names_its_line_and_reason(name):
    line, reason = EXPECTED[name]
    with pytest.raises(PlanFormatError) as info:
        parse_plan_file(BROKEN / name)
    assert info.value.line == line
    assert str(info.value).startswith(f"Baris {line}: ")
    assert reason in str(info.value)


def test_broken_files_leave_the_database_exactly_as_it_was(db_url, engine, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    store(engine)  # a plan is already there
    before = snapshot(engine)
    assert sum(len(rows) for rows in before.values()) > 1000
    for name, (line, reason) in sorted(EXPECTED.items()):
        assert main(["import", str(BROKEN / name)]) == 1, name
        err = capsys.readouterr().err
        assert f"rapk import: {name}: Baris {line}: " in err and reason in err, err
        assert snapshot(engine) == before, name
