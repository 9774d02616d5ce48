"""The Permendagri 86/2017 evaluation form: the workbook's «Evaluasi» sheet read back, and the PDF rendered."""

import io
import os
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import Session

from bot.cli import main as rapk
from bot.config import Settings
from bot.db import unit_of_work
from bot.domain import evaluation_form as ef
from bot.domain.calendar import ReportingCalendar
from bot.domain.form_pdf import build_pdf
from bot.domain.plan_import.parser import Signature
from bot.domain.plan_import.parser import parse_plan_text
from bot.domain.plan_import.parser import read_signature
from bot.domain.plan_import.store import save_plan
from bot.domain.workbook import build_workbook
from models import Evidence
from models import Kegiatan
from models import KegiatanRealisation
from models import Plan
from tests.support.migrations import downgrade_to
from tests.support.migrations import upgrade_to_head
from tests.support.seed import DIKLAT_TEKNIS
from tests.support.seed import seed_with_reports
from tests.support.workbook import number

NOW = datetime(2020, 7, 9, 2, 0, tzinfo=UTC)  # 9 Juli 2020, inside TW II's window (deadline 7 Juli passed)
SETTINGS = Settings(telegram_bot_token="1:x", bappeda_head_name="Ir. BAPPEDA CONTOH, M.T.",
                    bappeda_head_rank="Pembina Tingkat I", bappeda_head_nip="19700101 199503 1 001",
                    signing_place="Gresik")


@pytest.fixture
def seed_plan(engine, seed_plan_path) -> int:
    return seed_with_reports(engine, seed_plan_path)


def form_sheet(engine, plan_id, quarter=2, now=NOW):
    with Session(engine) as session:
        data = build_workbook(plan_id, quarter, session=session, settings=SETTINGS, now=now)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Evaluasi", "Rencana Aksi", "Kelengkapan"]
    return book["Evaluasi"]


def header_row(ws) -> int:
    return next(r for r in range(1, 12) if ws.cell(r, 1).value == "No")


def test_every_column_of_the_form_is_numbered_as_printed(engine, seed_plan):
    ws = form_sheet(engine, seed_plan)
    top = header_row(ws)
    got = {}
    for col in range(1, ef.N_FORM_COLS + 1):
        number_cell = ws.cell(top + 2, col).value
        if number_cell:
            got[number_cell] = (ws.cell(top, col).value, ws.cell(top + 1, col).value, ws.cell(top + 1, col + 1).value)
    assert list(got) == [f"({n})" for n in range(1, 19)]
    assert got["(1)"][0] == "No" and got["(2)"][0] == "Sasaran" and got["(3)"][0] == "Kode"
    assert got["(4)"][0] == "Urusan/Bidang Urusan Pemerintahan Daerah dan Program/Kegiatan"
    assert got["(5)"][0] == "Indikator Kinerja Program (outcome)/Kegiatan (output)"
    assert got["(6)"][0].startswith("Target Renstra")
    assert got["(7)"][0].startswith("Realisasi Capaian Kinerja Renstra")
    assert got["(8)"][0] == "Target Kinerja dan Anggaran Renja Perangkat Daerah Tahun 2020 yang Dievaluasi"
    for n, tw in zip(range(9, 13), ("I", "II", "III", "IV"), strict=True):
        assert got[f"({n})"][0] == f"Realisasi Kinerja pada Triwulan {tw}"
    for n in range(6, 17):  # every quantity has K and Rp
        assert got[f"({n})"][1:] == ("K", "Rp"), n
    assert "(13 ÷ 8 × 100)" in got["(14)"][0] and got["(14)"][0].startswith("Tingkat Capaian")
    assert "(7 + 13)" in got["(15)"][0] and "(15 ÷ 6 × 100)" in got["(16)"][0]
    assert got["(17)"][0] == "Unit Perangkat Daerah Penanggung Jawab"
    assert got["(17)"][1:] == ("Unit", "Penanggung Jawab (PIC)")
    assert got["(18)"][0] == "Keterangan"
    assert ws.page_setup.orientation == "landscape"


def column_texts(ws, col):
    return [ws.cell(r, col).value for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, col).value, str)]


def test_signature_block_has_the_seed_head_and_the_configured_bappeda(engine, seed_plan):
    ws = form_sheet(engine, seed_plan)
    texts = column_texts(ws, 1) + column_texts(ws, ef.C_TW_K[3])
    # The seed's last lines: KEPALA BADAN KEPEGAWAIAN DAERAH / Drs. NADLIF, M.Si / Pembina Utama Muda / NIP.
    start = texts.index("Disusun:")
    assert texts[start:start + 6] == ["Disusun:", "Gresik, 7 Juli 2020", "KEPALA BADAN KEPEGAWAIAN DAERAH",
                                      "Drs. NADLIF, M.Si", "Pembina Utama Muda", "NIP. 19610926 198603 1 008"]
    start = texts.index("Dievaluasi:")
    assert texts[start:start + 6] == ["Dievaluasi:", "Gresik, 7 Juli 2020", "KEPALA BAPPEDA",
                                      "Ir. BAPPEDA CONTOH, M.T.", "Pembina Tingkat I", "NIP. 19700101 199503 1 001"]


def test_signing_date_is_held_in_the_reporting_window():
    cal = ReportingCalendar()
    deadline = cal.deadline(2020, 2)  # 5 working days after 30 Juni 2020: 7 Juli
    assert deadline.isoformat() == "2020-07-07"
    assert ef.signing_date(2020, 2, datetime(2020, 7, 2, 3, tzinfo=UTC), cal).isoformat() == "2020-07-02"
    assert ef.signing_date(2020, 2, datetime(2020, 6, 20, tzinfo=UTC), cal).isoformat() == "2020-07-01"
    assert ef.signing_date(2020, 2, datetime(2020, 9, 1, tzinfo=UTC), cal) == deadline


def _rows(ws):
    top = header_row(ws)
    for r in range(top + 3, ws.max_row + 1):
        yield r, [ws.cell(r, c).value for c in range(1, ef.N_FORM_COLS + 1)]


def test_rp_per_quarter_equals_the_database(engine, seed_plan):
    ws = form_sheet(engine, seed_plan)
    with engine.connect() as conn:
        spent = {(name, q): int(v) for name, q, v in conn.execute(sa.select(
            Kegiatan.name, KegiatanRealisation.quarter, KegiatanRealisation.budget_realised)
            .join(Kegiatan, Kegiatan.id == KegiatanRealisation.kegiatan_id)
            .where(Kegiatan.plan_id == seed_plan, KegiatanRealisation.budget_realised.is_not(None)))}
        pagu = dict(conn.execute(sa.select(Kegiatan.name, Kegiatan.budget).where(Kegiatan.plan_id == seed_plan)).all())
    kegiatan_rows = {v[ef.C_NAME - 1]: v for _, v in _rows(ws) if v[ef.C_NAME - 1] in pagu}
    assert set(kegiatan_rows) == set(pagu)
    checked = 0
    for name, values in kegiatan_rows.items():
        assert number(values[ef.C_TARGET_RP - 1]) == pagu[name]
        for q in (1, 2):
            assert number(values[ef.C_TW_RP[q] - 1]) == spent.get((name, q)), (name, q)
            checked += (name, q) in spent
        assert values[ef.C_TW_RP[3] - 1] is None and values[ef.C_TW_RP[4] - 1] is None  # not evaluated yet
        assert number(values[ef.C_REAL_RP - 1]) == spent.get((name, 1), 0) + spent.get((name, 2), 0)
    assert checked >= 4
    # Diklat Teknis (tests/support/seed.py BUDGET): Rp101.817.500 in TW I and Rp203.635.000 in TW II of a
    # Rp1.018.175.000 pagu: (101.817.500 + 203.635.000) / 1.018.175.000 × 100 = 10 + 20 = 30,0 (col 14 Rp).
    diklat = kegiatan_rows[DIKLAT_TEKNIS]
    assert number(diklat[ef.C_TW_RP[1] - 1]) == 101_817_500 and number(diklat[ef.C_TW_RP[2] - 1]) == 203_635_000
    assert number(diklat[ef.C_REAL_RP - 1]) == 305_452_500
    assert number(diklat[ef.C_PCT_RP - 1]) == 30


def test_iku_rows_sit_under_their_sasaran_against_the_annual_target(engine, seed_plan):
    ws = form_sheet(engine, seed_plan)
    rows = list(_rows(ws))
    goal_rows = [i for i, (_, v) in enumerate(rows) if v[ef.C_GOAL - 1]]
    assert goal_rows and goal_rows[0] == 0
    first_goal = rows[0][1]
    iku = rows[1][1]
    with engine.connect() as conn:
        texts = list(conn.execute(sa.text(
            "SELECT gi.text, gi.target_raw FROM goalindicator gi JOIN goal g ON g.id = gi.goal_id "
            "WHERE g.plan_id = :p ORDER BY g.seq, gi.seq"), {"p": seed_plan}))
    assert first_goal[ef.C_NO - 1] is not None
    assert iku[ef.C_INDICATOR - 1].startswith(texts[0][0])
    assert iku[ef.C_TARGET_K - 1] is not None
    # An IKU row holds K only; the program row under it holds the program name and Rp.
    assert iku[ef.C_TARGET_RP - 1] is None
    program = next(v for _, v in rows[1:] if v[ef.C_NAME - 1] and v[ef.C_NAME - 1].upper().startswith("PROGRAM"))
    assert program[ef.C_TARGET_RP - 1] > 0


def diklat_tw2_pendorong(engine, plan_id: int, text: str, *, evidence: int = 0) -> None:
    """Diklat Teknis's TW II report gets a faktor pendorong (and `evidence` bukti dukung files)."""
    with Session(engine) as session:
        keg = session.exec(sa.select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.name == DIKLAT_TEKNIS)
                           ).scalar_one()
        real = session.exec(sa.select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == keg.id,
                                                                 KegiatanRealisation.quarter == 2)).scalar_one()
        real.pendorong = text
        for i in range(evidence):
            session.add(Evidence(kegiatan_id=keg.id, quarter=2, file_id=f"f{i}", file_unique_id=f"u{i}"))
        session.commit()


def test_footer_has_pendorong_penghambat_and_both_tindak_lanjut(engine, seed_plan):
    diklat_tw2_pendorong(engine, seed_plan, "=HYPERLINK(\"x\") dukungan <b>pimpinan</b>", evidence=1)
    ws = form_sheet(engine, seed_plan)
    labels = {ws.cell(r, 1).value: ws.cell(r, ef.C_INDICATOR + 1) for r in range(1, ws.max_row + 1)}
    pendorong = labels["Faktor pendorong keberhasilan pencapaian"]
    assert pendorong.data_type == "s" and "dukungan <b>pimpinan</b>" in pendorong.value  # text, not a formula
    assert labels["Faktor penghambat pencapaian kinerja"].value != "–"
    assert "Tindak lanjut yang diperlukan dalam triwulan berikutnya" in labels
    assert labels["Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya"].value == \
        "(diisi pada evaluasi TW IV)"
    assert labels["Predikat kinerja"].value in {"Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah"}
    assert labels["Rata-rata capaian kinerja (%)"].value.split("%")[0].replace(",", "").isdigit()
    diklat = next(v for _, v in _rows(ws) if v[ef.C_NAME - 1] == DIKLAT_TEKNIS)
    assert "1 bukti dukung" in diklat[ef.C_NOTE - 1]
    aksi_sheet = load_workbook(io.BytesIO(_xlsx(engine, seed_plan)))["Rencana Aksi"]
    header = [c.value for c in aksi_sheet[6]]
    assert header[-3:] == ["Bukti Dukung TW II (berkas)", "Status Verifikasi", "Keterangan"]


def _xlsx(engine, plan_id):
    with Session(engine) as session:
        return build_workbook(plan_id, 2, session=session, settings=SETTINGS, now=NOW)


@pytest.mark.parametrize("paper", ["a4", "folio"])
def test_pdf_first_page_is_landscape_and_not_blank(engine, seed_plan, paper, request):
    with Session(engine) as session:
        data = build_pdf(seed_plan, 2, session=session, settings=SETTINGS, now=NOW, paper=paper)
    assert data.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(data)
    page = pdf[0]
    width, height = page.get_size()
    assert width > height  # landscape
    assert round(height) == {"a4": 595, "folio": 612}[paper]
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH" in text
    assert "Drs. NADLIF, M.Si" in text and "NIP. 19610926 198603 1 008" in text
    image = page.render(scale=1.5).to_pil().convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert 0.01 < dark < 0.6, dark  # text and grid, not an empty or black page
    if paper == "a4" and "sqlite" in request.node.name and os.environ.get("RAPK_WRITE_DOCS"):
        image.save(Path(__file__).parents[2] / "docs" / "evaluasi-form-page1.png")  # RAPK_WRITE_DOCS=1 pytest -k pdf


def test_late_export_is_dated_on_the_deadline(engine, seed_plan):
    ws = form_sheet(engine, seed_plan, now=NOW + timedelta(days=60))
    texts = column_texts(ws, 1)
    assert texts[texts.index("Disusun:") + 1] == "Gresik, 7 Juli 2020"


def test_cli_export_pdf(engine, seed_plan, db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "tw2.pdf"
    assert rapk(["export", "--quarter", "2", "--pdf", "--paper", "folio", "--out", str(out)]) == 0
    assert "evaluasi TW 2 2020, PDF" in capsys.readouterr().out
    page = pypdfium2.PdfDocument(out.read_bytes())[0]
    assert [round(x) for x in page.get_size()] == [936, 612]  # F4/folio 13 × 8,5 in, landscape


# ------------------------------------------------------------------ the signature lines, read by the importer


def test_importer_reads_the_signature_lines_that_end_the_plan(engine, seed_plan):
    with Session(engine) as session:
        plan = session.get(Plan, seed_plan)
        assert (plan.signer_title, plan.signer_name, plan.signer_rank, plan.signer_nip) == (
            "KEPALA BADAN KEPEGAWAIAN DAERAH", "Drs. NADLIF, M.Si", "Pembina Utama Muda", "19610926 198603 1 008")


@pytest.mark.parametrize(("lines", "expected"), [
    (["KEPALA DINAS KESEHATAN", "dr. SITI AMINAH, M.Kes", "Pembina Tingkat I", "NIP: 19700101 199503 2 004"],
     Signature("KEPALA DINAS KESEHATAN", "dr. SITI AMINAH, M.Kes", "Pembina Tingkat I", "19700101 199503 2 004")),
    (["Plt. KEPALA BADAN", "BUDI, S.H.", "NIP.197001011995031001"],  # no rank printed
     Signature("Plt. KEPALA BADAN", "BUDI, S.H.", "", "197001011995031001")),
    (["Gresik, 2 Januari 2020", "KEPALA BADAN"], None),  # no NIP: no block
    (["NIP. 19610926 198603 1 008"], None),  # a NIP without a name
])
def test_read_signature(lines, expected):
    assert read_signature(lines) == expected


def test_a_file_without_the_block_keeps_the_stored_signature(engine, seed_plan, seed_plan_path):
    text = seed_plan_path.read_text(encoding="utf-8")
    cut = text[:text.index("KEPALA BADAN KEPEGAWAIAN DAERAH")]
    parsed = parse_plan_text(cut, "tanpa-ttd.txt")
    assert parsed.signature is None
    with unit_of_work(engine) as session:
        save_plan(parsed, session=session)
    with Session(engine) as session:
        assert session.get(Plan, seed_plan).signer_nip == "19610926 198603 1 008"


def test_migration_0010_adds_and_drops_the_signature_columns(engine, seed_plan):
    downgrade_to(engine, "0009")
    assert "signer_nip" not in {c["name"] for c in sa.inspect(engine).get_columns("plan")}
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT signer_name, signer_nip FROM plan")).one() == ("", "")


def test_unit_of_a_pic_is_printed_for_their_kegiatan(engine, seed_plan, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    too_long = "B" * 201
    assert rapk(["assign", "Ani Rahmawati", "--unit", too_long]) == 1
    assert "longer than 200" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM auditlog WHERE action = 'person.unit'")).scalar() == 0
    assert rapk(["assign", "Ani Rahmawati", "--unit", "Bidang  Pengembangan Aparatur"]) == 0
    ws = form_sheet(engine, seed_plan)
    rows = {v[ef.C_NAME - 1]: v for _, v in _rows(ws)}
    assert rows[DIKLAT_TEKNIS][ef.C_UNIT - 1] == "Bidang Pengembangan Aparatur"
    assert rows[DIKLAT_TEKNIS][ef.C_PIC - 1] == "Ani Rahmawati"
    # A kegiatan whose PICs have no unit prints the agency (the Perangkat Daerah).
    others = [v for name, v in rows.items() if name != DIKLAT_TEKNIS and v[ef.C_PIC - 1]
              and "Ani Rahmawati" not in v[ef.C_PIC - 1]]
    assert others and {v[ef.C_UNIT - 1] for v in others} == {"BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT old_value, new_value, actor_label FROM auditlog "
                                    "WHERE action = 'person.unit'")).one() == ("", "Bidang Pengembangan Aparatur", "cli")


def test_pdf_prints_user_text_as_typed(engine, seed_plan):
    diklat_tw2_pendorong(engine, seed_plan, "dukungan <b>pimpinan</b> & tim")
    with Session(engine) as session:
        data = build_pdf(seed_plan, 2, session=session, settings=SETTINGS, now=NOW)
    pdf = pypdfium2.PdfDocument(data)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "dukungan <b>pimpinan</b> & tim" in " ".join(text.split())


def test_a_footer_longer_than_a_page_breaks_across_pages(engine, seed_plan):
    # Every kegiatan's TW II kendala at the /lapor limit (1,000 characters): about 44 × 4 lines of 6 pt,
    # taller than one landscape page, so the footer must split (one cell of it once overflowed the page).
    with Session(engine) as session:
        for real in session.exec(sa.select(KegiatanRealisation).where(KegiatanRealisation.quarter == 2)).scalars():
            real.kendala = ("cuaca & jadwal <narasumber> " * 40)[:1000]
        session.commit()
        data = build_pdf(seed_plan, 2, session=session, settings=SETTINGS, now=NOW)
    pdf = pypdfium2.PdfDocument(data)
    last = pdf[len(pdf) - 1].get_textpage().get_text_range()
    assert "NIP. 19610926 198603 1 008" in last  # the signatures close the form, after the footer


def test_renstra_figures_fill_columns_6_7_15_16_of_their_rows(engine, seed_plan, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert rapk(["renstra", DIKLAT_TEKNIS, "--target", "5.000.000.000", "--realised", "Rp2.000.000.000"]) == 0
    assert rapk(["renstra", DIKLAT_TEKNIS, "--indicator", "1", "--target", "150", "--realised", "60"]) == 0
    out = capsys.readouterr().out
    assert "target (6) Rp5.000.000.000, realised to last year (7) Rp2.000.000.000" in out
    assert "indicator 1, " in out and "target (6) 150, realised to last year (7) 60" in out
    assert rapk(["renstra", DIKLAT_TEKNIS, "--indicator", "9", "--target", "1"]) == 1
    assert rapk(["renstra", DIKLAT_TEKNIS, "--target", "banyak"]) == 1
    assert "no number 9" in capsys.readouterr().err
    rows = [(r, v) for r, v in _rows(form_sheet(engine, seed_plan))]
    at = next(i for i, (_, v) in enumerate(rows) if v[ef.C_NAME - 1] == DIKLAT_TEKNIS)
    kegiatan, indicator = rows[at][1], rows[at + 1][1]
    # Rp: (13) = 101.817.500 + 203.635.000 = 305.452.500 (TW I + TW II); (15) = (7) + (13) =
    # 2.000.000.000 + 305.452.500 = 2.305.452.500; (16) = 2.305.452.500 ÷ 5.000.000.000 × 100 = 46,1.
    assert number(kegiatan[ef.C_RENSTRA_RP - 1]) == 5_000_000_000
    assert number(kegiatan[ef.C_RENSTRA_BEFORE_RP - 1]) == 2_000_000_000
    assert number(kegiatan[ef.C_RENSTRA_REAL_RP - 1]) == 2_305_452_500
    assert number(kegiatan[ef.C_RENSTRA_PCT_RP - 1]) == Decimal("46.1")
    # K of its first indicator: (13) = 12 (TW II); (15) = 60 + 12 = 72; (16) = 72 ÷ 150 × 100 = 48,0.
    assert number(indicator[ef.C_REAL_K - 1]) == 12
    assert (number(indicator[ef.C_RENSTRA_K - 1]), number(indicator[ef.C_RENSTRA_BEFORE_K - 1])) == (150, 60)
    assert number(indicator[ef.C_RENSTRA_REAL_K - 1]) == 72 and number(indicator[ef.C_RENSTRA_PCT_K - 1]) == 48
    # Every other row leaves them blank, and clearing blanks them again (audited both times).
    others = [v for i, (_, v) in enumerate(rows) if i not in (at, at + 1) and (v[ef.C_NAME - 1] or v[ef.C_INDICATOR - 1])]
    assert not any(v[ef.C_RENSTRA_K - 1] or v[ef.C_RENSTRA_RP - 1] for v in others)
    assert rapk(["renstra", DIKLAT_TEKNIS, "--clear"]) == 0
    rows = [v for _, v in _rows(form_sheet(engine, seed_plan))]
    assert next(v for v in rows if v[ef.C_NAME - 1] == DIKLAT_TEKNIS)[ef.C_RENSTRA_RP - 1] is None
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM auditlog WHERE action = 'renstra.set'")).scalar() == 3


def _text_runs(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The page's runs of text as pdfium finds them (a line of a cell), each with its box (left, bottom,
    right, top)."""
    textpage = page.get_textpage()
    runs = []
    for i in range(textpage.count_rects()):
        box = textpage.get_rect(i)
        runs.append((textpage.get_text_bounded(*box).strip(), box))
    return runs


def test_pdf_rows_hold_their_lines_and_figures_align_right(engine, seed_plan):
    """A row is as tall as its longest cell (no line drawn over the next row's), and figures end at the
    right edge of their column."""
    with Session(engine) as session:
        data = build_pdf(seed_plan, 2, session=session, settings=SETTINGS, now=NOW)
    pdf = pypdfium2.PdfDocument(data)
    figure = re.compile(r"\d{1,3}(\.\d{3})*(,\d+)?")
    for n in range(len(pdf)):
        runs = [(text, box) for text, box in _text_runs(pdf[n]) if text]
        for i, (text, (left, bottom, right, top)) in enumerate(runs):
            for other, (o_left, o_bottom, o_right, o_top) in runs[i + 1:]:
                overlap_x = min(right, o_right) - max(left, o_left)
                overlap_y = min(top, o_top) - max(bottom, o_bottom)
                assert overlap_x <= 0.5 or overlap_y <= 0.5, (n + 1, text, other)
        if n == 0:
            figures = [box for text, box in runs if figure.fullmatch(text)]
            assert len(figures) > 30
            # Right-aligned: the figures of a column share its right edge, whatever their length.
            assert len({round(box[2]) for box in figures}) < len({round(box[0]) for box in figures}) / 1.5
