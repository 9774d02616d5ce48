"""The seed plan read cell for cell, through every quirk of the extracted text."""

import re
from decimal import Decimal

import pytest

from bot.domain.numbers import is_money_text
from bot.domain.numbers import parse_target
from bot.domain.plan_import import SAMPLE_PLAN
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import indicator_kind
from bot.domain.plan_import.parser import parse_plan_bytes
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.parser import parse_plan_text
from bot.domain.plan_import.parser import split_names
from bot.domain.plan_import.store import plan_json

GOAL_KINERJA = "Meningkatnya Kualitas Kinerja dan Kompetensi ASN"
GOAL_SDM = "Meningkatnya kualitas penataan SDM Aparatur Sipil Negara sesuai dengan kebutuhan dan Kompetensi"
GOAL_PELAYANAN = "Meningkatnya kualitas pelayanan publik di bidang kepegawaian"
P_DIKLAT = "Program Pendidikan dan Pelatihan ASN"
P_PEMBINAAN = "Prog. Pembinaan & Kesejahteraan ASN"
P_MUTASI = "Program Mutasi dan Kepangkatan ASN"
P_FORMASI = "Program Data Formasi dan Pengembangan ASN"
P_ADMIN = "Program Pelayanan Administrasi Perkantoran"
P_SARANA = "Program Peningkatkan Sarana dan Prasarana Aparatur"
P_PELAPORAN = "Program Peningkatan Pengembangan Sistem Pelaporan Capaian Kinerja dan Keuangan"

# (line, number as printed, name, budget): read off the document with awk, not with the importer.
KEGIATAN = [
    (14, "1", "Pendidikan dan Pelatihan Teknis", 1018175000),
    (18, "2", "Pendidikan Penjurangan Struktural", 1491762000),
    (23, "3", "Peningkatan Keterampilan dan Profesionalisme", 1043317500),
    (27, "4", "Pendidikan dan Pelatihan Prajabatan Bagi Calon PNS Daerah", 3692075000),
    (31, "5", "Pendidikan dan Pelatihan Teknis Tugas dan Fungsi Bagi PNS Daerah", 631004700),
    (36, "6", "Pendidikan dan pelatihan fungsional bagi PNS Daerah", 407525000),
    (40, "7", "Diklat Fungsional, Sosialisasi, Workshop, Seminar dan Lokakarya", 464079000),
    (44, "9", "Penyelenggaraan diklat teknis, fungsional dan kepemimpinan", 547065000),
    (56, "1", "Workshop Sasaran Kerja Pegawai (Program E-SKP)", 924509000),
    (60, "2", "Pelaksanaan Uji Kesehatan Bagi Aparatur Pemerintah", 100000000),
    (64, "3", "Bimbingan Teknis Pembekalan Bagi PNS yang akan purna tugas", 391005000),
    (69, "4", "Penyelenggaraan HUT KOPRI", 127610000),
    (73, "5", "Fasilitasi peningkatan kesejahteraan ASN", 17070000),
    (85, "1", "Pengadaan Pakaian Dinas Beserta Perlengkapannya", 185968000),
    (90, "2", "Pembinaan Aparatur Negara", 63410500),
    (94, "3", "Pembinaan Jiwa Korsa Anggota KOPRI", 120800000),
    (98, "4", "Pemberian Penghargaan Bagi PNS yang berprestasi", 38509000),
    (103, "5", "Proses Penanganan Kasus - kasus pelanggaran disiplin PNS", 74004000),
    (107, "6", "Pembinaan Mental dan Rohani Anggota KORPRI", 148510000),
    (128, "1", "Penempatan PNS", 307905000),
    (132, "2", "Penataan Sumber Daya Aparatur sesuai Kebutuhan dan Kompetensi (Struktural)", 160000000),
    (137, "3", "Penyelenggaraan Pelantikan Pejabat Struktural", 255729000),
    (141, "4", "Seleksi Pemangku Jabatan Struktural/Fungsional", 248517000),
    (145, "6", "Pelaksanaan Uji Kelayakan Pejabat Struktural dan/atau Fungsional", 400000000),
    (157, "1", "Seleksi Penerimaan Calon PNS", 1267352400),
    (160, "4", "Pemberian Bantuan Tugas Belajar dan Ikatan Dinas", 91250000),
    (163, "6", "Analisis Kebutuhan Pegawai (Penyusunan Formasi Kebutuhan Calon PNS)", 139502600),
    (177, "1", "Penyediaan Barang Cetak dan Penggandaan", 198000000),
    (180, "2", "Penyediaan Bahan Bacaan dan Peraturan Perundang-undangan", 10000000),
    (184, "3", "Penyediaan Makanan dan Minuman", 48510000),
    (187, "4", "Rapat-rapat Koordinasi dan Konsultasi ke Luar Daerah", 369401000),
    (190, "5", "Penyediaan Jasa Administrasi Kantor", 123400000),
    (193, "6", "Penyediaan Jasa Operasional Kantor", 52850000),
    (202, "1", "Pengadaan peralatan/perlengkapan kantor/rumah tangga", 550000000),
    (205, "2", "Pemeliharaan rutin/berkala kendaraan jabatan/dinas/operasional", 160000000),
    (208, "3", "Pemeliharaan rutin/berkala peralatan dan perlengkapan", 358100000),
    (217, "1", "Penyusunan Laporan Capaian Kinerja dan Ikhtisar Realisasi", 19999500),
    (221, "2", "Penyusunan Rencana Kerja SKPD", 20005050),
    (225, "3", "Penyusunan Profil SKPD", 24999900),
    (230, "4", "Pengendalian Perencanaan Program dan Kegiatan", 19999800),
    (239, "1", "Penataan Sistem Administrasi Kenaikan Pangkat Otomatis PNS", 250000000),
    (243, "3", "Sosialisasi Jabatan Fungsional Analis kepegawaian, Pranata Komputer dan Arsiparis", 337970000),
    (254, "2", "Pengadministrasian Pelayanan Kepegawaian", 180000000),
    (263, "1", "Pembangunan/pengembangan Sistem Informasi Kepegawaian Daerah", 172125900),
    (268, "3", "Optimalisasi Pemanfaatan Jaringan dan Teknologi Informasi", 74500000),
]

# Which goal and program each kegiatan falls under, by document order (seq ranges, inclusive).
SECTIONS = [
    (1, 8, GOAL_KINERJA, P_DIKLAT), (9, 19, GOAL_KINERJA, P_PEMBINAAN), (20, 24, GOAL_SDM, P_MUTASI),
    (25, 27, GOAL_SDM, P_FORMASI), (28, 33, GOAL_PELAYANAN, P_ADMIN), (34, 36, GOAL_PELAYANAN, P_SARANA),
    (37, 40, GOAL_PELAYANAN, P_PELAPORAN), (41, 43, GOAL_PELAYANAN, P_MUTASI), (44, 45, GOAL_PELAYANAN, P_FORMASI),
]


SEED = SAMPLE_PLAN


@pytest.fixture(scope="module")
def plan():
    return plan_json(parse_plan_file(SEED))


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def kegiatan(plan, seq: int) -> dict:
    return plan["kegiatan"][seq - 1]


def aksi(plan, seq: int, no: int) -> dict:
    return next(a for a in kegiatan(plan, seq)["aksi"] if a["no"] == no)


def anomaly_lines(plan, fragment: str) -> list[int]:
    return sorted({a["line"] for a in plan["anomalies"] if fragment in a["why"]})


def test_agency_and_year_come_from_the_title(plan):
    assert plan["agency"] == "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"
    assert plan["year"] == 2020


def test_all_45_kegiatan_in_document_order_with_their_budgets(plan):
    got = [(k["seq"], k["no"], k["name"], k["budget"]) for k in plan["kegiatan"]]
    assert got == [(seq, no, name, budget) for seq, (_, no, name, budget) in enumerate(KEGIATAN, start=1)]
    assert plan["budget_total"] == 17_326_515_850 == sum(b for *_, b in KEGIATAN)


def test_each_kegiatan_falls_under_its_goal_and_program(plan):
    for first, last, goal, program in SECTIONS:
        for seq in range(first, last + 1):
            assert (kegiatan(plan, seq)["goal"], kegiatan(plan, seq)["program"]) == (goal, program), seq


def test_the_json_has_exactly_the_agreed_shape(plan):
    assert set(plan) == {"agency", "year", "kegiatan", "budget_total", "anomalies"}
    for k in plan["kegiatan"]:
        assert set(k) == {"seq", "no", "name", "goal", "program", "budget", "indicators", "aksi"}
        assert all(set(i) == {"text", "target_raw"} for i in k["indicators"])
        for a in k["aksi"]:
            assert set(a) == {"no", "name", "indicator", "tw"}
            assert isinstance(a["no"], int) and len(a["tw"]) == 4 and all(isinstance(c, str) for c in a["tw"])
    assert all(set(a) == {"line", "raw", "why", "code"} for a in plan["anomalies"])


def test_aksi_counts_and_numbers(plan):
    counts = [len(k["aksi"]) for k in plan["kegiatan"]]
    assert counts == [4] * 24 + [3] * 12 + [4] * 9
    for k in plan["kegiatan"]:
        assert [a["no"] for a in k["aksi"]] == list(range(1, len(k["aksi"]) + 1))


def test_aksi_number_inline_and_in_its_own_column_read_the_same(plan):
    # line 14: `1 Persiapan ...` in one cell; line 36: `1` then `Perencanaan dan Persiapan` (every cell shifts)
    assert aksi(plan, 1, 1) == {"no": 1, "name": "Persiapan pelaksanaan kegiatan diklat",
                                "indicator": "presentase kesiapan (SK TIM, koordinasi pihak terkait) "
                                             "pelaksanaan diklat teknis", "tw": ["", "50%", "50%", ""]}
    assert aksi(plan, 6, 1) == {"no": 1, "name": "Perencanaan dan Persiapan",
                                "indicator": "Presentase kesiapan (SK TIM, koordinasi pihak terkait) "
                                             "pelaksanaan diklat", "tw": ["", "50%", "50%", ""]}
    # line 35: one aksi of kegiatan 5 has its number in its own column while its siblings do not
    assert aksi(plan, 5, 4)["tw"] == ["", "", "", "3"]
    assert aksi(plan, 5, 3)["tw"] == ["40%", "30%", "30%", ""]


def test_quarterly_cells_exactly_as_written(plan):
    assert aksi(plan, 1, 4)["tw"] == ["", "", "", "3,00"]
    assert aksi(plan, 8, 2)["tw"] == ["", "", "50,00", ""]
    assert aksi(plan, 13, 4)["tw"] == ["1", "1", "1", "1"]
    assert aksi(plan, 18, 3)["tw"] == ["20%", "25%", "40%", "100%"]
    assert aksi(plan, 16, 2)["tw"] == ["45", "40", "", ""]
    assert aksi(plan, 25, 1)["tw"] == ["1,00", "", "", ""]


def test_page_break_titles_headers_and_signatures_are_not_data(plan):
    # Lines 111-127 hold a signature block, the repeated title and a new header; nothing of it is a kegiatan.
    names = {k["name"] for k in plan["kegiatan"]}
    assert not names & {"KEGIATAN", "Kepala BADAN KEPEGAWAIAN DAERAH", "Drs. NADLIF, M.Si", "Pembina Utama Muda"}
    assert kegiatan(plan, 19)["aksi"][-1]["tw"] == ["", "", "", "1"]  # the row before the signature block
    assert kegiatan(plan, 20)["name"] == "Penempatan PNS"  # the row after the repeated title and headers


def test_a_page_break_inside_a_kegiatan_does_not_end_it(plan, seed_lines):
    # Signature, page title and the repeated kegiatan header between aksi 2 and aksi 3 of kegiatan 1.
    page_break = seed_lines[110:119] + seed_lines[11:13]
    lines = seed_lines[:15] + page_break + seed_lines[15:]
    moved = plan_json(parse_plan_text("\n".join(lines)))
    assert moved["kegiatan"] == plan["kegiatan"]


def test_a_kegiatan_name_continued_on_the_next_line():
    parsed = parse_plan_text(small_plan([
        "1\tPenyusunan Laporan\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00",
        "\tKinerja Tahunan\t\t\t2 Pelaksanaan\tJumlah laporan\t\t1\t\t1",
    ]))
    assert parsed.kegiatan[0].name == "Penyusunan Laporan Kinerja Tahunan"
    assert [a.no for a in parsed.kegiatan[0].aksi] == [1, 2]


def test_blank_lines_inside_a_kegiatan_do_not_break_it(plan):
    # Line 20 is blank between aksi 2 and 3 of kegiatan 2; line 244 between aksi 1 and 2 of kegiatan 42.
    assert [a["no"] for a in kegiatan(plan, 2)["aksi"]] == [1, 2, 3, 4]
    assert aksi(plan, 42, 2)["tw"] == ["", "524", "", ""]


def test_continuation_lines_join_the_indicator_above(plan):
    assert kegiatan(plan, 14)["indicators"] == [{
        "text": "Jumlah name tag (Kartu Identitas Pegawai) yang disampaikan kepada ASN "
                "ASN di Lingkungan Pemerintah Kabupaten Gresik", "target_raw": "2835 buah"}]
    assert aksi(plan, 14, 2) == {"no": 2, "name": "Pendataan pegawai dan perencanaan pelaksanaan kegiatan",
                                 "indicator": "Jumlah data pegawai yang akan diberi name tag",
                                 "tw": ["", "", "2835", ""]}
    (indicator,) = kegiatan(plan, 44)["indicators"]
    assert indicator["text"].startswith("Tersedianya database kepegawaian yang update sehingga dapat menampilkan data")
    assert indicator["text"].endswith("UPT Dinas Kesehatan") and indicator["target_raw"] == "100%"


def test_budget_on_a_line_of_its_own_belongs_to_the_last_kegiatan(plan):
    assert kegiatan(plan, 45)["budget"] == 74_500_000
    assert 272 in anomaly_lines(plan, "baris tersendiri")


def test_budget_in_the_tw_iv_column_is_the_budget_not_a_target(plan):
    for seq, budget, line in [(34, 550_000_000, 202), (35, 160_000_000, 205), (36, 358_100_000, 208)]:
        assert kegiatan(plan, seq)["budget"] == budget
        assert aksi(plan, seq, 1)["tw"] == ["100%", "", "", ""]
        assert line in anomaly_lines(plan, "kolom TW IV")


def test_budget_one_column_past_keterangan(plan):
    assert kegiatan(plan, 18)["budget"] == 74_004_000  # line 103
    assert aksi(plan, 18, 1)["tw"] == ["100%", "", "", ""]


def test_value_in_keterangan_with_tw_iv_empty_is_read_as_tw_iv_and_reported(plan):
    assert aksi(plan, 35, 2)["tw"] == ["25%", "25%", "25%", "25%"]  # line 206: 25% 25% 25% _ 25%
    assert aksi(plan, 35, 3)["tw"] == ["", "", "", "100%"]
    assert aksi(plan, 36, 2)["tw"] == ["25%", "25%", "25%", "25%"]
    assert aksi(plan, 36, 3)["tw"] == ["", "", "", "100%"]
    assert aksi(plan, 44, 4)["tw"] == ["", "", "", "1"]
    assert anomaly_lines(plan, "sementara TW IV kosong") == [206, 207, 209, 211, 267, 271]


def test_row_shifted_two_more_columns(plan):
    # Line 164: the b. indicator of Analisis Kebutuhan Pegawai starts two columns late.
    assert kegiatan(plan, 27)["indicators"] == [
        {"text": "a. Prosentase pemenuhan formasi sesuai dengan kebutuhan", "target_raw": "a. 95%"},
        {"text": "b. Jumlah OPD penerima manfaat", "target_raw": "b. 60 OPD"}]
    assert aksi(plan, 27, 2) == {"no": 2, "name": "Pelaksanaan Kegiatan",
                                 "indicator": "Presentase tersusunnya dokumen Analisis Kebutuhan Pegawai Kab. Gresik",
                                 "tw": ["25%", "25%", "", "25%"]}
    assert anomaly_lines(plan, "bergeser 2 kolom") == [164]
    # The fifth 25% stood in KETERANGAN while TW IV was filled: kept out of tw, reported.
    assert anomaly_lines(plan, "tidak dibaca sebagai target") == [164]


def test_packed_cells_are_split_and_others_stay_one_indicator(plan):
    # The splitting rules and every packed cell of the seed: tests/domain/test_packed.py.
    assert [i["target_raw"] for i in kegiatan(plan, 16)["indicators"]] == ["a. 45 orang", "b. 40 orang",
                                                                          "c. 52 OPD%"]
    assert kegiatan(plan, 43)["indicators"][0]["target_raw"] == "100% (4250 SK KGB, 450 SK Pensiun)"
    assert [i["target_raw"] for i in kegiatan(plan, 20)["indicators"]] == ["a 505 orang", "b. 505 orang",
                                                                          "c 500 orang"]


def test_numbering_gaps_are_kept_and_reported(plan):
    assert [kegiatan(plan, s)["no"] for s in (7, 8)] == ["7", "9"]
    assert anomaly_lines(plan, "Penomoran kegiatan melompat") == [44, 145, 160, 163, 243, 268]
    assert anomaly_lines(plan, "dimulai dari 2") == [254]


def test_the_same_goal_printed_with_two_numbers_is_one_goal(plan):
    goals = {k["goal"] for k in plan["kegiatan"]}
    assert goals == {GOAL_KINERJA, GOAL_SDM, GOAL_PELAYANAN}
    assert anomaly_lines(plan, "nomor berbeda") == [152]


def test_goal_and_program_tables_are_read(seed_plan_path):
    parsed = parse_plan_file(seed_plan_path)
    goals = {g.name: g for g in parsed.goals}
    assert [i.text for i in goals[GOAL_KINERJA].indicators] == [
        "Prosentase ASN yang memiliki sertifikat diklat kompetensi", "Prosentase ASN yang memiliki nilai SKP baik",
        "Prosentase ASN yang memenuhi ketentuan jam kerja"]
    assert goals[GOAL_KINERJA].indicators[0].tw == ["-", "-", "-", "73%"]
    # Every program row is a block of its own, under the IKU printed last above it: the 11 rows at
    # lines 10, 53, 81, 125, 154, 174, 199, 214, 236, 250 and 260.
    assert [p.line for p in parsed.programs] == [10, 53, 81, 125, 154, 174, 199, 214, 236, 250, 260]
    assert [(p.seq, p.goal_indicator) for p in parsed.programs][:5] == [(1, 1), (2, 2), (3, 3), (4, 1), (5, 2)]
    mutasi = [p for p in parsed.programs if p.goal == GOAL_PELAYANAN and p.name == P_MUTASI]
    assert [[i.text for i in p.indicators] for p in mutasi] == [
        ["Prosentase Kenaikan Pangkat tepat waktu"],
        ["Prosentase KGB tepat waku", "Prosentase penyerahan SK Pensiun tepatwaktu"]]
    pembinaan = [p for p in parsed.programs if p.name == P_PEMBINAAN]
    assert [p.line for p in pembinaan] == [53, 81]  # under IKU 2 and IKU 3 of the first goal
    assert pembinaan[1].indicators[0].target_raw == ""  # line 81: annual target left empty
    # Each kegiatan knows its block: the second Pembinaan block holds kegiatan 1-6 of lines 84-118.
    assert [k.no for k in parsed.kegiatan if k.block == pembinaan[1].seq] == ["1", "2", "3", "4", "5", "6"]


def test_anomalies_in_the_seed(plan):
    expected = {
        (44, "Angka tanpa % pada indikator persentase"),
        (103, "Angka tanpa % pada indikator persentase"),
        (225, "Angka tanpa % pada indikator persentase"),
        (81, "Target tahunan indikator"),
        (94, "bercampur dengan tanda %"),
        (180, "Target tidak wajar"),
        (184, "Persentase lebih dari 100%"),
        (185, "Persentase lebih dari 100%"),
        (186, "Persentase lebih dari 100%"),
        (239, "Persentase pada indikator jumlah"),
        (242, "Persentase pada indikator jumlah"),
        (271, "Persentase pada indikator jumlah"),
    }
    for line, fragment in expected:
        assert line in anomaly_lines(plan, fragment), (line, fragment)
    over_100 = next(a for a in plan["anomalies"] if a["line"] == 185 and "lebih dari 100" in a["why"])
    assert "TW I 2000%" in over_100["why"] and "TW IV 2000%" in over_100["why"]


def test_each_anomaly_carries_its_raw_line(plan, seed_lines):
    assert plan["anomalies"]
    for a in plan["anomalies"]:
        assert a["raw"] == seed_lines[a["line"] - 1]
        assert a["why"]


def test_no_cell_is_lost(plan, seed_lines):
    """Every non-empty cell lands in the JSON, in a goal or program, or is named by an anomaly."""
    parsed = parse_plan_file(SEED)
    kept = [c for g in parsed.goals + parsed.programs for c in (g.no, g.name)]
    kept += [c for g in parsed.goals + parsed.programs for r in g.indicators
             for c in (r.no, r.text, r.target_raw, *r.tw)]
    for k in plan["kegiatan"]:
        kept += [k["no"], k["name"], str(k["budget"])]
        kept += [w for i in k["indicators"] for w in (i["text"], i["target_raw"])]
        kept += [w for a in k["aksi"] for w in (str(a["no"]), a["name"], a["indicator"], *a["tw"])]
    text = " ".join(kept) + " " + " ".join(a["why"] for a in plan["anomalies"])
    noise = re.compile(r"^(NO|KEGIATAN|KETERANGAN|TW I{1,3}|TW IV|INDIKATOR.*|TARGET.*|AKSI.*|SASARAN.*|"
                       r"RENCANA AKSI.*|BADAN KEPEGAWAIAN.*|K[Ee][Pp][Aa][Ll][Aa] .*|Drs\..*|Pembina.*|NIP\..*)$")
    for line in seed_lines:
        for cell in (c.strip() for c in line.split("\t")):
            if not cell or noise.match(cell):
                continue
            if is_money_text(cell):
                cell = str(int(Decimal(cell.replace(".", "").replace(",", "."))))
            assert cell in text or cell.split(" ", 1)[-1] in text, cell


def test_indicator_kinds_come_from_wording_then_targets(seed_plan_path):
    parsed = parse_plan_file(seed_plan_path)
    kinds = {(k.seq, a.no): a.kind for k in parsed.kegiatan for a in k.aksi}
    assert kinds[(1, 1)] == "percentage"  # presentase ...
    assert kinds[(1, 2)] == "positive"  # Jumlah ...
    assert kinds[(36, 2)] == "percentage"  # no clue word, targets in %
    assert kinds[(40, 2)] == "positive"  # undangan rapat monev: 3 3 3 3
    assert parsed.kegiatan[26].indicators[0].kind == "percentage"
    assert parsed.kegiatan[0].indicators[0].kind == "positive"
    assert indicator_kind("Presentasi persiapan", []) == "percentage"
    assert indicator_kind("Terselenggaranya kegiatan", [parse_target("100%")]) == "percentage"


def test_aksi_targets_are_parsed_per_quarter(seed_plan_path):
    parsed = parse_plan_file(seed_plan_path)
    targets = parsed.kegiatan[0].aksi[0].targets
    assert [t.kind for t in targets] == ["none", "percent", "percent", "none"]
    assert targets[1].value == Decimal(50)
    assert parsed.kegiatan[0].aksi[3].targets[3].value == Decimal(3)


# -- shapes beyond the seed ----------------------------------------------------------------------

HEAD = ("RENCANA AKSI PERJANJIAN KINERJA TAHUN 2021\nDINAS KOMUNIKASI DAN INFORMATIKA\n"
        "NO\tSASARAN STRATEGIS\tINDIKATOR SASARAN\tTARGET KINERJA TAHUNAN\tTARGET KINERJA TRIWULAN\n"
        "\t\t\t\tTW I\tTW II\tTW III\tTW IV\n"
        "1\tMeningkatnya layanan\t1 Indeks layanan\t80%\t-\t-\t-\t80%\n"
        "SASARAN PROGRAM\n"
        "\t1 Program Layanan\tPersentase layanan\t100%\t-\t-\t-\t100%\n"
        "NO\tKEGIATAN\tINDIKATOR KINERJA KEGIATAN\tTARGET KINERJA TAHUNAN\tAKSI/SUB KEGIATAN\t"
        "INDIKATOR AKSI/SUB KEGIATAN\tTARGET KINERJA TRIWULAN\t\t\t\tKETERANGAN{pic}\n"
        "\t\t\t\t\t\tTW I\tTW II\tTW III\tTW IV\t\n")


def small_plan(rows: list[str], pic: bool = False) -> str:
    return HEAD.format(pic="\tPIC" if pic else "") + "\n".join(rows) + "\n"


def test_a_header_with_tw_labels_in_one_row_and_crlf_line_ends():
    text = small_plan(
        ["1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00"])
    parsed = parse_plan_text(text.replace("\n", "\r\n"), "a.txt")
    assert parsed.agency == "DINAS KOMUNIKASI DAN INFORMATIKA" and parsed.year == 2021
    assert parsed.kegiatan[0].budget == 5_000_000 and parsed.kegiatan[0].aksi[0].tw == ["1", "1", "1", "1"]


def test_pic_column_names_people_and_keeps_degrees():
    text = small_plan([
        "1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00\t"
        "Drs. NADLIF, M.Si; Siti Aminah",
        "\t\t\t\t2 Pelaksanaan\tJumlah laporan\t\t1\t\t1\t\tBudi Santoso",
    ], pic=True)
    parsed = parse_plan_text(text, "pic.txt")
    assert parsed.kegiatan[0].pics == ["Drs. NADLIF, M.Si", "Siti Aminah", "Budi Santoso"]
    assert parsed.kegiatan[0].aksi[1].tw == ["", "1", "", "1"]
    assert parsed.anomalies == []


def test_split_names():
    assert split_names("Budi, Siti") == ["Budi", "Siti"]
    assert split_names("Ir. Budi Santoso, M.T., Siti Aminah, S.E.") == ["Ir. Budi Santoso, M.T.", "Siti Aminah, S.E."]
    assert split_names("Budi Santoso, ST; Ani") == ["Budi Santoso, ST", "Ani"]
    assert split_names("  ") == []


def test_text_in_keterangan_without_a_pic_column_is_reported_not_lost():
    parsed = parse_plan_text(small_plan(
        ["1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00\tDana DAK"]))
    assert [a.why for a in parsed.anomalies] == ["Isi kolom KETERANGAN “Dana DAK” tidak diimpor."]


def test_aksi_numbering_gap_missing_budget_and_cents_are_reported():
    parsed = parse_plan_text(small_plan([
        "1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,50",
        "\t\t\t\t3 Pelaksanaan\tJumlah laporan\t\t1\t\t1",
        "2\tKegiatan B\tJumlah dokumen\t\t1 Persiapan\tJumlah dokumen\t1\t\t\t",
    ]))
    whys = {(a.line, a.why.split(" ")[0]) for a in parsed.anomalies}
    assert (10, "Pagu") in whys  # cents
    assert (11, "Penomoran") in whys  # aksi 1 -> 3
    assert (12, "Pagu") in whys and (12, "Target") in whys  # no budget, no annual target
    assert parsed.kegiatan[0].budget == 5_000_001


def test_a_total_row_is_not_a_kegiatan():
    parsed = parse_plan_text(small_plan([
        "1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00",
        "JUMLAH\t\t\t\t\t\t\t\t\t\t5.000.000,00",
    ]))
    assert len(parsed.kegiatan) == 1 and parsed.budget_total == 5_000_000
    assert parsed.anomalies[0].why.startswith("Baris jumlah tidak diimpor")


def test_duplicate_kegiatan_name_is_refused_with_both_lines():
    with pytest.raises(PlanFormatError) as info:
        parse_plan_text(small_plan([
            "1\tKegiatan A\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00",
            "2\tkegiatan  a\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1\t5.000.000,00",
        ]))
    assert str(info.value).startswith("Baris 11: kegiatan “kegiatan a” sudah ada di baris 10")


def test_utf16_with_bom_and_windows_1252_are_read(seed_plan_path):
    text = seed_plan_path.read_text(encoding="utf-8")
    expected = plan_json(parse_plan_text(text))
    assert plan_json(parse_plan_bytes(text.encode("utf-16"), "unicode.txt")) == expected
    ansi = small_plan(["1\tKegiatan é\tJumlah dokumen\t4 dokumen\t1 Persiapan\tJumlah dokumen\t1\t1\t1\t1"])
    assert parse_plan_bytes(ansi.encode("cp1252"), "ansi.txt").kegiatan[0].name == "Kegiatan é"


def seed_with(line: int, old: str, new: str) -> str:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    return "\n".join(lines)


@pytest.mark.parametrize("written", ["Rp 1.018.175.000,-", "Rp1.018.175.000", "Rp. 1.018.175.000,00", "1.018.175.000,-",
                                     "IDR 1.018.175.000", "Rp 1.018.175 rb"])
def test_a_budget_written_with_rp_or_a_dash_is_the_budget_not_a_tw_iv_target(written):
    """Line 14: TW IV of aksi 1 is empty, so any count in KETERANGAN used to land there as a target."""
    parsed = parse_plan_text(seed_with(14, "\t1.018.175.000,00", f"\t{written}"))
    first = parsed.kegiatan[0]
    assert (first.budget, first.budget_raw) == (1_018_175_000, written)
    assert first.aksi[0].tw == ["", "50%", "50%", ""]
    assert not [a for a in parsed.anomalies if a.line == 14]


@pytest.mark.parametrize("written", ["-1.018.175.000,00", "Rp -1.018.175.000,-", "– Rp 1.018.175.000", "-1018175000"])
def test_a_negative_budget_is_refused_with_its_line(written):
    with pytest.raises(PlanFormatError) as info:
        parse_plan_text(seed_with(14, "\t1.018.175.000,00", f"\t{written}"))
    assert (info.value.code, info.value.line) == ("negative_budget", 14)
    assert f"pagu negatif “{written}”" in str(info.value)


def test_a_negative_budget_in_a_quarter_column_or_on_its_own_line_is_refused():
    with pytest.raises(PlanFormatError, match=r"^Baris 202: pagu negatif “-550.000.000,00”"):
        parse_plan_text(seed_with(202, "\t550.000.000,00", "\t-550.000.000,00"))  # the budget in TW IV
    with pytest.raises(PlanFormatError, match=r"^Baris 272: pagu negatif “-Rp 74.500.000,-”"):
        parse_plan_text(seed_with(272, "74.500.000,00", "-Rp 74.500.000,-"))  # the budget on its own line


def test_money_that_cannot_be_read_is_reported_never_a_target():
    parsed = parse_plan_text(seed_with(14, "\t1.018.175.000,00", "\tRp 1.018.17.000"))
    first = parsed.kegiatan[0]
    assert first.budget is None and first.aksi[0].tw == ["", "50%", "50%", ""]
    assert [a.why for a in parsed.anomalies if a.line == 14] == [
        "Nilai uang “Rp 1.018.17.000” tidak terbaca sebagai pagu; tidak diimpor.",
        "Pagu anggaran kegiatan “Pendidikan dan Pelatihan Teknis” tidak ditemukan."]


@pytest.mark.parametrize("written", ["02-01-2020", "2/1/2020", "2020-01-02", "12:30"])
def test_a_date_in_a_target_cell_is_an_anomaly_and_no_target(written):
    parsed = parse_plan_text(seed_with(15, "\t\t60\t157", f"\t\t{written}\t157"))  # TW II of aksi 2
    aksi = parsed.kegiatan[0].aksi[1]
    assert aksi.tw[1] == written and (aksi.targets[1].kind, aksi.targets[1].value) == ("text", None)
    assert [a.code for a in parsed.anomalies if a.line == 15] == ["date_as_target"]


def test_anomalies_are_counted_all_but_only_the_first_ones_kept():
    from bot.domain.plan_import.parser import MAX_ANOMALIES

    junk = ["x\ty"] * 2_000  # an unknown row in the kegiatan table: one anomaly each
    lines = SEED.read_text(encoding="utf-8").split("\n")
    parsed = parse_plan_text("\n".join(lines[:271] + junk + lines[271:]))
    assert MAX_ANOMALIES == 500
    assert parsed.anomaly_count == 38 + 2_000
    assert len(parsed.anomalies) == 500
    assert [a.line for a in parsed.anomalies] == sorted(a.line for a in parsed.anomalies)
    before_junk = len([a for a in parse_plan_file(SEED).anomalies if a.line <= 271])
    assert 0 < before_junk < 38
    assert parsed.anomalies[-1].line == 272 + (500 - before_junk) - 1  # the junk starts on line 272
    assert len(parsed.kegiatan) == 45 and parsed.budget_total == 17_326_515_850


def test_the_parser_runs_with_the_garbage_collector_paused_and_turns_it_back_on(monkeypatch):
    """Parsing builds hundreds of thousands of live objects; with the collector on it grew faster than
    linear (bench/reports_bench.py --scale). Paused while the rows are read, on again after, also on a refusal."""
    import gc

    from bot.domain.plan_import import parser

    seen = []
    parse = parser._Parser.parse

    def watched(self):
        seen.append(gc.isenabled())
        return parse(self)

    monkeypatch.setattr(parser._Parser, "parse", watched)
    assert gc.isenabled()
    plan = parse_plan_text(SAMPLE_PLAN.read_text(encoding="utf-8"))
    assert len(plan.kegiatan) == 45
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(PlanFormatError):
        parse_plan_text("no tabs here\nnor here\n")
    assert gc.isenabled()
