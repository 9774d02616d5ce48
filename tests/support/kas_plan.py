"""A small plan whose kegiatan table carries anggaran kas columns, as text and as an Excel workbook.

Six kegiatan, each showing one way the columns are read (bot.domain.plan_import.parser):

1. Kegiatan Satu    the plan on its first row; aksi number and name in one cell
2. Kegiatan Dua     the aksi number in a column of its own: every cell after it one to the right;
                    `-`, a bare `80000000` and `Rp 60 juta` are amounts too
3. Kegiatan Tiga    no anggaran kas cells: no plan (its table has the columns, so the file decides)
4. Kegiatan Empat   the plan on its second row
5. Kegiatan Lima    `sepuluh juta` is not money: an anomaly; no plan taken from the file
6. Kegiatan Enam    4 × Rp30.000.000 over a pagu of Rp100.000.000: kept as written, an anomaly

Amounts are ints (text: `50.000.000`; workbook: a number formatted `#,##0`), budgets end in `,00`.
"""

from pathlib import Path

from openpyxl import Workbook

JT = 1_000_000
NAMES = ["Kegiatan Satu", "Kegiatan Dua", "Kegiatan Tiga", "Kegiatan Empat", "Kegiatan Lima", "Kegiatan Enam"]
# What the file holds, as bot.domain.plan_import.parser should read it.
PLANS = {1: [50 * JT, 100 * JT, 150 * JT, 100 * JT], 2: [0, 80 * JT, 60 * JT, 60 * JT], 3: None,
         4: [30 * JT] * 4, 5: None, 6: [30 * JT] * 4}
BUDGETS = {1: 400 * JT, 2: 200 * JT, 3: 100 * JT, 4: 120 * JT, 5: 50 * JT, 6: 100 * JT}
HEADER_LINE = 9  # the kegiatan table's header
BAD_LINE, OVER_LINE = 17, 18  # Kegiatan Lima's row, Kegiatan Enam's row


def rows(*, kas: bool = True, satu: list[int] | None = None, without: tuple[str, ...] = ()) -> list[list]:
    """The plan's rows (one list of cells per line); `kas=False`: the same plan without the columns;
    `satu`: other amounts for Kegiatan Satu; `without`: kegiatan left out."""
    satu = satu or PLANS[1]

    def k(amounts: list) -> list:
        return list(amounts) if kas else []

    blank4 = ["", "", "", ""]
    kegiatan = {
        "Kegiatan Satu": [
            ["1", "Kegiatan Satu", "Jumlah peserta", "30 Orang", "1 Persiapan kegiatan", "Persentase kesiapan",
             "50%", "50%", "", "", *k(satu), "400.000.000,00"],
            ["", "", "", "", "2 Pelaksanaan kegiatan", "Persentase terlaksana", "", "50%", "50%", ""]],
        "Kegiatan Dua": [
            ["2", "Kegiatan Dua", "Jumlah dokumen", "4 dokumen", "1", "Penyusunan dokumen",
             "Persentase dokumen tersusun", "25%", "25%", "25%", "25%", *k(["-", "80000000", "Rp 60 juta", 60 * JT]),
             "200.000.000,00"]],
        "Kegiatan Tiga": [
            ["3", "Kegiatan Tiga", "Jumlah laporan", "1 laporan", "1 Penyusunan laporan", "Persentase laporan",
             "", "", "", "100%", *k(blank4), "100.000.000,00"]],
        "Kegiatan Empat": [
            ["4", "Kegiatan Empat", "Jumlah kegiatan", "2 kali", "1 Persiapan", "Persentase kesiapan",
             "100%", "", "", "", *k(blank4), "120.000.000,00"],
            ["", "", "", "", "2 Pelaksanaan", "Persentase terlaksana", "", "50%", "50%", "", *k([30 * JT] * 4)]],
        "Kegiatan Lima": [
            ["5", "Kegiatan Lima", "Jumlah peserta", "20 Orang", "1 Pelaksanaan", "Persentase terlaksana",
             "25%", "25%", "25%", "25%", *k([10 * JT, "sepuluh juta", 10 * JT, 10 * JT]), "50.000.000,00"]],
        "Kegiatan Enam": [
            ["6", "Kegiatan Enam", "Jumlah peserta", "10 Orang", "1 Pelaksanaan", "Persentase terlaksana",
             "", "100%", "", "", *k([30 * JT] * 4), "100.000.000,00"]],
    }
    head = ["NO", "KEGIATAN", "INDIKATOR KINERJA KEGIATAN", "TARGET KINERJA TAHUNAN", "AKSI/SUB KEGIATAN",
            "INDIKATOR AKSI/SUB KEGIATAN", "TARGET KINERJA TRIWULAN", "", "", ""]
    tw = ["TW I", "TW II", "TW III", "TW IV"]
    out = [
        ["RENCANA AKSI PERJANJIAN KINERJA TAHUN 2021"],
        ["DINAS CONTOH KABUPATEN GRESIK"],
        [],
        ["NO", "SASARAN STRATEGIS", "INDIKATOR SASARAN", "TARGET KINERJA TAHUNAN", "TARGET KINERJA TRIWULAN"],
        ["", "", "", "", *tw],
        ["1", "Meningkatnya pelayanan", "1 Persentase layanan tepat waktu", "80%", "-", "-", "-", "80%"],
        ["SASARAN PROGRAM"],
        ["", "1 Program Pelayanan", "1 Persentase layanan yang dievaluasi", "90%", "-", "-", "-", "90%"],
        [*head, *(["ANGGARAN KAS", "", "", ""] if kas else []), "KETERANGAN"],
        ["", "", "", "", "", "", *tw, *(tw if kas else [])],
    ]
    for name in NAMES:
        if name not in without:
            out += kegiatan[name]
    return out


def text(**kwargs) -> str:
    return "\n".join("\t".join(str(c) if not isinstance(c, int) else f"{c:,}".replace(",", ".") for c in row)
                     for row in rows(**kwargs))


def write_xlsx(path: Path, **kwargs) -> Path:
    """The same rows in a workbook, the columns headed «RENCANA PENARIKAN DANA TW I» … one by one."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "RAPK 2021"
    for r, cells in enumerate(rows(**kwargs), start=1):
        for c, value in enumerate(cells, start=1):
            if value == "ANGGARAN KAS":  # the other heading the parser reads: one per quarter
                for q, label in enumerate(("TW I", "TW II", "TW III", "TW IV")):
                    sheet.cell(r, c + q, f"RENCANA PENARIKAN DANA {label}")
                continue
            if value in ("", None) or sheet.cell(r, c).value is not None:
                continue
            cell = sheet.cell(r, c, value)
            if isinstance(value, int):
                cell.number_format = "#,##0"
    workbook.save(path)
    return path
