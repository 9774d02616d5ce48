"""Each aksi and kegiatan indicator's mode, inferred at import (bot.domain.modes) and stored.

The shapes are the seed plan's (BKD Gresik 2020); the level ones are listed from the document.
"""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.measure import NEGATIVE
from bot.domain.modes import aksi_mode
from bot.domain.modes import indicator_mode
from bot.domain.plan_import.modes import ModeCounts
from bot.domain.plan_import.modes import mode_counts
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from models import Aksi
from models import Kegiatan
from models import KegiatanIndicator
from tests.support.migrations import downgrade_to
from tests.support.migrations import upgrade_to_head


def pct(*values):
    return [("none", None) if v is None else ("percent", D(v)) for v in values]


def count(*values):
    return [("none", None) if v is None else ("count", D(v)) for v in values]


@pytest.mark.parametrize(("indicator", "targets", "mode"), [
    ("Presentase terlaksananya pelaksanaan kegiatan", pct(25, 25, 25, 25), INCREMENT),  # a share per quarter
    ("presentase kesiapan pelaksanaan diklat teknis", pct(None, 50, 50, None), INCREMENT),
    ("Presentase kesiapan (SK TIM, koordinasi)", pct(30, 40, 40, None), INCREMENT),  # 110: a share with a slip
    ("Presentase kesiapan (SK TIM, koordinasi)", pct(100, None, None, None), INCREMENT),  # one quarter: the same
    ("Presentase terlaksananya pelaksanaan kegiatan", pct(20, 25, 40, 100), LEVEL),  # progress to date
    ("presentase penyerahan SK tepat waktu", pct(100, None, 100, None), LEVEL),  # the same level each time
    ("Presentase terdistribusinya makanan dan minum", pct(2000, 2000, 2000, 2000), LEVEL),
    ("Presentase tersusunnya dokumen Analisis Kebutuhan", pct(25, 25, None, 25), INCREMENT),  # a lost cell
    ("Jumlah peserta pelaksanaan diklat yang di data", count(None, 60, 157, None), INCREMENT),  # 60 + 157
    ("Jumlah dokumen evaluasi atas pelaksanaan Kegiatan", count(1, 1, 1, 1), INCREMENT),
    ("Presentase kesiapan (koordinasi pihak terkait)", count(1, None, None, None), INCREMENT),  # seq 8: flagged
    ("Angka Kematian Ibu per 100.000 kelahiran hidup", count(80, 78, 76, 75), NEGATIVE),
    ("Prevalensi stunting pada balita", pct(20, 19, 18, 17), NEGATIVE),
])
def test_aksi_mode_from_targets_and_wording(indicator, targets, mode):
    assert aksi_mode(indicator, targets) == mode


@pytest.mark.parametrize(("text", "unit", "mode"), [
    ("Tersedianya Jasa Pelaksana Administrasi Kantor BKD", "bulan", LEVEL),  # 12 bulan: months to date
    ("Jumlah laporan monitoring evaluasi kegiatan BKD", "Bulan", LEVEL),
    ("Tersedianya barang cetakan pada BKD selama 12 bulan", "jenis", LEVEL),
    ("Jumlah kendaraan dinas BKD yang dipelihara", "unit", LEVEL),  # the same 7 cars, not 7 a quarter
    ("a. Prosentase pemenuhan formasi sesuai dengan kebutuhan", "%", LEVEL),
    ("Tersedianya biaya perjalanan dinas bagi pegawai BKD", "%", LEVEL),
    ("a. Jumlah peserta Diklat Penanggulangan Penyakit Menular", "Orang", INCREMENT),
    ("a Jumlah Peserta Diklat Pemeliharaan Aplikasi", "orang", INCREMENT),  # «Pemeliharaan» names the course
    ("Jumlah name tag (Kartu Identitas Pegawai) yang disampaikan kepada ASN", "buah", INCREMENT),
    ("Angka Kematian Bayi", "", NEGATIVE),
])
def test_indicator_mode_from_wording_and_unit(text, unit, mode):
    assert indicator_mode(text, unit) == mode


# The seed's level aksi, read off the document: rising or repeated percentages ending at 100
# (kegiatan seq, aksi no). Every other aksi is a share (adds up to about 100) or a count.
SEED_LEVEL_AKSI = {
    (18, 3),  # Proses Penanganan Kasus: «Koordinasi dengan BKN» 20%, 25%, 40%, 100%
    (21, 3),  # Penataan SDM: «presentase penyerahan SK tepat waktu» 100%, –, 100%
    (30, 1), (30, 2), (30, 3),  # Makan dan Minum: 1000%; 2000% ×4; 1000% in TW IV (all flagged)
    (41, 2), (41, 3),  # Kenaikan Pangkat: 100%, 100% and 100%, –, 100%
    (44, 2), (44, 3),  # Sistem Informasi: 100%, –, 100% twice
}
# Level kegiatan indicators: a percentage, a duration or a standing state (seq 18 and 39 say
# «Presentase/Prosentase …» over a count target, and are flagged for it).
SEED_LEVEL_INDICATORS = {18, 27, 28, 29, 30, 31, 32, 33, 34, 35, 39, 40, 43, 44, 45}


def test_seed_import_stores_each_items_mode(engine, seed_plan_path):
    parsed = parse_plan_file(seed_plan_path)
    # 168 aksi, 9 of them level; 64 indicators (58 entries, 5 packed cells split: tests/domain/test_packed.py),
    # 17 level (seq 27's «a. 95%» is one of its two; seq 30 and seq 34 «Tersedianya …» two each).
    # 6 IKU (3 under goal 1, 2 under goal 2, 1 under goal 3) and 13 program indicators (2 in block 1 and
    # block 10, 1 in each of the other 9), every one a percentage («Prosentase …», «Nilai Indeks … 79%»).
    assert mode_counts(parsed) == ModeCounts(aksi_increment=159, aksi_level=9, indicator_increment=47,
                                             indicator_level=17, outcome_level=19)
    with unit_of_work(engine) as session:
        plan_id = save_plan(parsed, session=session).plan_id
    with Session(engine) as session:
        aksi = session.exec(select(Kegiatan.seq, Aksi.no, Aksi.mode).join(Kegiatan)
                            .where(Kegiatan.plan_id == plan_id)).all()
        indicators = session.exec(select(Kegiatan.seq, KegiatanIndicator.mode).join(Kegiatan)
                                  .where(Kegiatan.plan_id == plan_id)).all()
    assert {(seq, no) for seq, no, mode in aksi if mode == LEVEL} == SEED_LEVEL_AKSI
    assert {mode for _, _, mode in aksi} == {INCREMENT, LEVEL}
    assert {seq for seq, mode in indicators if mode == LEVEL} == SEED_LEVEL_INDICATORS


def test_migration_fills_the_mode_of_plans_stored_before_it(engine):
    """0003 adds the column and infers every stored item's mode, on SQLite and PostgreSQL."""
    downgrade_to(engine, "0002")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO agency (id, name) VALUES (1, 'BKD')"))
            conn.execute(sa.text("INSERT INTO plan (id, agency_id, year, title, source_name) "
                                 "VALUES (1, 1, 2020, '', '')"))
            conn.execute(sa.text("INSERT INTO goal (id, plan_id, seq, no, name) VALUES (1, 1, 1, '1', 'G')"))
            conn.execute(sa.text("INSERT INTO program (id, plan_id, goal_id, seq, no, name) "
                                 "VALUES (1, 1, 1, 1, '1', 'P')"))
            conn.execute(sa.text("INSERT INTO kegiatan (id, plan_id, program_id, seq, no, name, budget_raw, "
                                 "source_line) VALUES (1, 1, 1, 1, '1', 'K', '', 0)"))
            for aksi_id, indicator in ((1, "Presentase terlaksananya kegiatan"), (2, "Presentase dokumen")):
                conn.execute(sa.text("INSERT INTO aksi (id, kegiatan_id, no, name, indicator, indicator_kind, "
                                     "source_line) VALUES (:i, 1, :i, 'A', :t, 'percentage', 0)"),
                             {"i": aksi_id, "t": indicator})
            shapes = {1: (20, 25, 40, 100), 2: (25, 25, 25, 25)}  # level, and a share
            for aksi_id, values in shapes.items():
                for q, v in enumerate(values, start=1):
                    conn.execute(sa.text("INSERT INTO aksitarget (aksi_id, quarter, raw, value, unit, kind) "
                                         "VALUES (:a, :q, :r, :v, '%', 'percent')"),
                                 {"a": aksi_id, "q": q, "r": f"{v}%", "v": v})
            for ind_id, (text, unit) in enumerate((("Tersedianya jasa kantor", "bulan"),
                                                   ("Jumlah peserta", "Orang")), start=1):
                conn.execute(sa.text("INSERT INTO kegiatanindicator (id, kegiatan_id, seq, text, target_raw, "
                                     "target_unit, indicator_kind) VALUES (:i, 1, :i, :t, '', :u, 'positive')"),
                             {"i": ind_id, "t": text, "u": unit})
    finally:
        upgrade_to_head(engine)
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT id, mode FROM aksi ORDER BY id")).all()) == {1: LEVEL, 2: INCREMENT}
        assert dict(conn.execute(sa.text("SELECT id, mode FROM kegiatanindicator ORDER BY id")).all()) == {
            1: LEVEL, 2: INCREMENT}
