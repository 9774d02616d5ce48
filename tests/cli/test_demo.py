"""`rapk demo`: the newcomer's first look plays a whole quarter and leaves its files behind."""

import os
import subprocess
import sys

from openpyxl import load_workbook


def test_demo_plays_a_quarter_and_writes_its_files(tmp_path):
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "bot", "demo", "--out", str(out)], capture_output=True, text=True,
                         timeout=240, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    transcript = (out / "transcript.txt").read_text(encoding="utf-8")
    assert transcript in run.stdout  # printed as well as written
    # Invites accepted, reminders at H-7 naming the aksi and the deadline in Indonesian.
    assert transcript.count("Akun Telegram Anda sekarang terhubung sebagai PIC") == 3
    h7 = transcript.split("━━ H-7", 1)[1].split("━━", 1)[0]
    assert "Aksi 1. Persiapan pelaksanaan kegiatan diklat: target TW II 50%" in h7
    assert h7.count("Batas akhir laporan: 7 Juli 2020") == 3
    # Budi's typo is caught and asked again; both reports are saved.
    assert "“lima puluh persen” bukan angka" in transcript
    assert transcript.count("Tersimpan ✅ Pendidikan") == 3  # Budi, Sari, and Budi's fix after the return
    # Verification: Budi's report returned with a note, fixed from «Perbaiki» with evidence, accepted.
    verify = transcript.split("━━ Admin memverifikasi", 1)[1].split("━━", 1)[0]
    assert "«Lampirkan daftar hadir peserta diklat sebagai bukti dukung»" in verify and "[✏️ Perbaiki]" in verify
    assert "Budi taps [✏️ Perbaiki]" in verify and "📎 Bukti dukung: 1 berkas" in verify
    assert "Bot → Wati (admin): [photo]" in verify and "✅ Diterima: Pendidikan dan Pelatihan Teknis (TW II)." in verify
    # One leadership response, reaching Budi and the admin.
    response = transcript.split("━━ Kepala Badan menanggapi", 1)[1].split("━━", 1)[0]
    assert "Bot → Budi: 💬 Tanggapan pimpinan — Pendidikan dan Pelatihan Teknis (TW II)" in response
    assert "Bot → Wati (admin): 💬 Tanggapan pimpinan" in response
    # The admin, the Kasubag Perencanaan, takes IKU 1 with /pic and reports its progress before TW IV.
    iku = transcript.split("━━ Kasubag Perencanaan", 1)[1].split("━━", 1)[0]
    assert "Wati (admin) taps [▫️ IKU 1 · Prosentase ASN yang memiliki sertifikat…]" in iku
    assert "belum jatuh tempo (dinilai TW IV) — progres s.d. TW II terhadap target tahunan 73%" in iku
    assert "Tersimpan ✅ Indikator kinerja (IKU/program) — TW II 2020" in iku
    # Only Rina, who did not report, is reminded at H-3, on the deadline and after it.
    for title in ("━━ H-3", "━━ Hari batas akhir", "━━ Pengingat keterlambatan"):
        part = transcript.split(title, 1)[1].split("━━", 1)[0]
        assert "Bot → Rina" in part and "Bot → Budi" not in part and "Bot → Sari" not in part
    # Leadership gets the late list and the digest with its chart; the admin changes a target.
    after = transcript.split("━━ Sehari setelah batas akhir", 1)[1].split("━━", 1)[0]
    assert "Belum lapor TW II 2020" in after and "Rina Lestari" in after
    assert "[photo]" in after and "PIC sudah lapor: 6 dari 7" in after
    # The digest opens with the IKU: not due before TW IV, IKU 1's progress 60 / 73 × 100 = 82,19… → 82,2%.
    assert "Prosentase ASN yang memiliki sertifikat diklat kompetensi: ⚪ dinilai TW IV · progres 82,2% dari target " \
           "tahunan" in after
    assert "Progres rencana aksi s.d. TW II: 🟢 95,9% Sangat Tinggi" in after  # the aksi figures as before
    assert "TW III 2020: 20% → 25%" in transcript and "Bot → Sari: 🎯 Target diubah oleh admin" in transcript
    # Late work: Rina reports TW II honestly as 0 (late), TW II is locked, she does it all in July. In TW III
    # the reminder and the form offer it as «tunggakan TW II» and it is recorded as TW III's realisation.
    assert "Tersimpan ✅ Peningkatan Keterampilan dan Profesionalisme — TW II 2020 (dicatat terlambat)." in transcript
    tw3 = transcript.split("━━ H-7 sebelum akhir TW III", 1)[1].split("━━", 1)[0]
    assert "Aksi 1. Pembentukan Panitia/Tim Pelaksana Kegiatan: ↪️ tunggakan TW II (kurang 100%)" in tw3
    assert "Aksi 3. Pelaksanaan Kegiatan: target TW III 20% + ↪️ tunggakan TW II (kurang 80%)" in tw3
    late = transcript.split("━━ Rina melaporkan tunggakan TW II", 1)[1].split("━━", 1)[0]
    assert "Tunggakan TW II: kurang 100% (target s.d. TW II: 100%)" in late
    assert "Tunggakan yang dicatat di TW III: aksi 1 terpenuhi; aksi 2 terpenuhi; aksi 3 terpenuhi." in late
    # What the Kepala Badan reads in her kegiatan's card: to TW III (0 + 100) / 100, (0 + 200) / 200 and
    # (0 + 100) / (80 + 20), each 100,0 % → 100,0 % Sangat Tinggi, with TW II shown late on each aksi.
    card = transcript.split("━━ Kepala Badan melihat kegiatan Rina", 1)[1].split(
        "📌 Peningkatan Keterampilan dan Profesionalisme", 1)[1]
    assert "Progres rencana aksi s.d. TW III: 🟢 100,0% Sangat Tinggi\n" in card
    assert card.count("🟢 100,0% · ↪️ tunggakan TW II dipenuhi di TW III") == 3
    # The files: a real PNG and a workbook with the plan in it.
    png = (out / "capaian-tw2-2020.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    book = load_workbook(out / "Evaluasi-RAPK-2020-TW-II.xlsx")
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]
    assert any("Pendidikan dan Pelatihan Teknis" in c for c in cells)
    # The kabupaten: Bappeda reads /rekap with both OPD ranked, opens the second's digest, takes the workbook.
    kab = transcript.split("━━ Bappeda membaca /rekap", 1)[1]
    assert "Rekap kabupaten TW III · 2 dari 2 OPD punya rencana" in kab
    assert kab.index("1. BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK") < kab.index("2. DINAS KESEHATAN KABUPATEN GRESIK")
    assert "Ratna (Bappeda) taps [2. DINAS KESEHATAN KABUPATEN GRESIK]" in kab and "[⬅️ Rekap]" in kab
    assert "[document Rekap-Kabupaten-2020-TW-III.xlsx]" in kab
    assert load_workbook(out / "Rekap-Kabupaten-2020-TW-III.xlsx").sheetnames == [
        "Rekap", "BADAN KEPEGAWAIAN DAERAH KABUPA", "DINAS KESEHATAN KABUPATEN GRESI"]  # 31 characters
    assert (out / "rekap-kabupaten-tw3-2020.png").read_bytes().startswith(b"\x89PNG")
    assert "RAPK demo finished" in run.stdout
    # Run again into the same folder: its own earlier output is replaced.
    again = subprocess.run([sys.executable, "-m", "bot", "demo", "--quiet", "--out", str(out)], capture_output=True,
                           text=True, timeout=240, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Tersimpan ✅ Pendidikan" in (out / "transcript.txt").read_text(encoding="utf-8")


def test_demo_in_english_reads_english(tmp_path):
    out = tmp_path / "demo-en"
    env = {**os.environ, "RAPK_LANGUAGE": "en"}
    run = subprocess.run([sys.executable, "-m", "bot", "demo", "--out", str(out), "--quiet"], capture_output=True,
                         text=True, timeout=240, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    transcript = (out / "transcript.txt").read_text(encoding="utf-8")
    assert transcript.count("Your Telegram account is now linked as a PIC") == 3
    assert "━━ 7 days before the end of TW II" in transcript and "Report deadline: July 7, 2020" in transcript
    assert "“fifty percent” is not a number" in transcript and transcript.count("Saved ✅ Pendidikan") == 3
    assert "Saved ✅ Performance indicators (IKU/program) — TW II 2020" in transcript
    assert "assessed in TW IV · progress 82.2% of the annual target" in transcript
    assert "Bot → BKD Leadership Group: 📋 Not reported yet: TW II 2020" in transcript
    assert "TW III 2020: 20% → 25%" in transcript and "Bot → Sari: 🎯 Target changed by the admin" in transcript
    assert "Aksi 3. Pelaksanaan Kegiatan: TW III target 20% + ↪️ late from TW II (80% short)" in transcript
    assert transcript.count("↪️ late from TW II, caught up in TW III") == 3
    assert "Kabupaten summary TW III · 2 of 2 OPD have a plan" in transcript
    # The plan's own names stay as signed; none of the bot's Indonesian words show through.
    indonesian = ["Tersimpan", "bukan angka", "Batas akhir", "Simpan", "Lewati", "Belum lapor", "Sesuai target",
                  "Kepala Badan", "Terima kasih", "Ketik", "Pilih", "Batal", "Tidak ada", "Juni", "Juli"]
    assert [w for w in indonesian if w in transcript] == []


def test_demo_refuses_a_folder_it_did_not_fill(tmp_path, capsys):
    """`rapk demo --out .` in a checkout once deleted `.git`: a foreign folder is left alone."""
    from bot.cli import main

    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", "--quiet", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rapk demo:" in err[0] and str(tmp_path) in err[0]
    assert (tmp_path / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_demo_output_folder_is_reused_only_when_it_holds_only_earlier_demo_output(tmp_path):
    from bot.cli.demo import prepare_output

    fresh = tmp_path / "new" / "demo"
    assert prepare_output(fresh) is None and fresh.is_dir()  # created
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prepare_output(empty) is None
    # An earlier run's folder (its marker names what it wrote) is emptied of exactly those files.
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    assert prepare_output(earlier) is None
    from bot.cli.demo import record_output

    record_output(earlier, "transcript.txt")
    (earlier / "transcript.txt").write_text("old run")
    assert prepare_output(earlier) is None
    assert not (earlier / "transcript.txt").exists()
    # Something the demo did not write makes it a foreign folder again.
    (earlier / "thesis.docx").write_text("precious")
    assert prepare_output(earlier) is not None
    assert (earlier / "thesis.docx").read_text() == "precious"
