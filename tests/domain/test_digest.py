"""Leadership digest: what a leader reads on a phone, drill-down buttons, splitting, and the CLI."""

import json
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
from fake_telegram.tghtml import parse_html
from fake_telegram.tghtml import utf16_len
from sqlmodel import Session

from bench.plan_gen import generate_plan
from bot.cli import main as rapk
from bot.db import unit_of_work
from bot.domain.digest import Drill
from bot.domain.digest import build_digest
from bot.domain.digest import html_to_plain
from bot.domain.digest import kegiatan_detail
from bot.domain.digest import program_detail
from bot.telegram import callbacks
from bot.telegram.sending import MESSAGE_LIMIT
from bot.telegram.sending import split_message
from tests.support.seed import JARINGAN
from tests.support.seed import MAKAN_MINUM
from tests.support.seed import PENEMPATAN
from tests.support.seed import PENJENJANGAN
from tests.support.seed import UJI_KESEHATAN
from tests.support.seed import seed_with_reports

NOW = datetime(2020, 7, 9, 2, 0, tzinfo=UTC)  # 9 Juli 2020, 09.00 WIB: TW II's deadline (7 Juli) has passed
BEFORE_DEADLINE = datetime(2020, 7, 1, 2, 0, tzinfo=UTC)  # 1 Juli 2020: TW II's reports are still coming in


@pytest.fixture
def seed_plan(engine, seed_plan_path) -> int:
    return seed_with_reports(engine, seed_plan_path)


def digest_of(engine, plan_id, quarter=2, now=NOW, **kwargs):
    with Session(engine) as session:
        return build_digest(plan_id, quarter, session=session, now=now, **kwargs)


def assert_valid_telegram_html(message: str) -> None:
    parsed = parse_html(message)  # raises what Telegram would answer for a malformed message
    assert parsed.warnings == []
    assert utf16_len(message) < MESSAGE_LIMIT


def test_seed_digest_headline_reads_right(engine, seed_plan):
    d = digest_of(engine, seed_plan)
    assert len(split_message(d.text)) == 1
    text = d.text
    assert_valid_telegram_html(text)
    lines = text.splitlines()
    assert lines[:3] == ["📊 <b>Capaian RAPK TW II 2020</b>", "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK",
                         "Keadaan 9 Juli 2020"]
    # After the deadline the silent aksi count as 0 and the flagged ones are left out: 93,7 %, worked out
    # by hand in tests/domain/test_scoring.py (test_seed_silent_kegiatan_after_the_deadline_lower_the_headline).
    assert "🎯 Progres rencana aksi s.d. TW II: 🟢 <b>93,7%</b> Sangat Tinggi (sebagian perlu dicek admin)" in lines
    c = d.numbers["physical"]["items"]
    assert (c["missing"], c["excluded"], c["pending"], c["scored"]) == (8, 4, 0, c["due"] - 4)
    assert (f"↳ dihitung: {c['scored']} dari {c['due']} aksi jatuh tempo · 8 tidak lapor (dihitung 0) · "
            "4 perlu dicek admin (tidak dihitung)") in lines
    assert "💰 Anggaran terserap: Rp6.422.349.132 dari Rp17.326.515.850 (37,1% terhadap pagu)" in lines
    # Completeness follows bot/due.py: 44 due kegiatan with a PIC, 42 complete (tests/test_scoring.py).
    assert "👥 PIC sudah lapor: <b>7 dari 9</b> · kegiatan 42 dari 44" in lines


def test_seed_digest_programs_lagging_and_unreported(engine, seed_plan):
    plain = html_to_plain(digest_of(engine, seed_plan).text)
    # One line per program, with its band; the program printed under two goals says which.
    # Pelayanan Administrasi: its 5 kegiatan other than Makan Minum (left out, targets 1000%/2000%) at 100.
    assert "🟢 100,0% Program Pelayanan Administrasi Perkantoran · serapan 45,0% terhadap pagu" in plain
    # Sasaran 2: Penempatan silent after the deadline, 50,0, and four at 100: (50 + 400) / 5 = 90,0.
    assert "🟡 90,0% Program Mutasi dan Kepangkatan ASN (Sasaran\u00a02) · serapan 39,4% terhadap pagu" in plain
    # Sasaran 3 prints it twice, as two blocks under one IKU, told apart by their first indicator:
    # Kenaikan Pangkat 90,0 (its «1, –, 1%» aksi left out) and one at 100: 190 / 2 = 95,0; the other 100.
    assert "🟢 95,0% Program Mutasi dan Kepangkatan ASN: Prosentase Kenaikan… · serapan 45,0% terhadap pagu" in plain
    assert "🟢 100,0% Program Mutasi dan Kepangkatan ASN: Prosentase KGB tepat waku · serapan 45,0% terhadap pagu" in plain
    # The same program under two IKU of one goal: the IKU it is printed under (goal 1, IKU 2 and 3).
    assert "🟢 100,0% Prog. Pembinaan & Kesejahteraan ASN (IKU\u00a01.3) · serapan 45,0% terhadap pagu" in plain
    lagging = plain.split("Kegiatan tertinggal")[1].split("\n\n")[0]
    assert lagging.splitlines()[1:] == [
        f"🔴 0,0% {JARINGAN} · serapan – terhadap pagu · ❌ tidak lapor · ⚠️ perlu dicek admin",
        f"🔴 45,8% {PENJENJANGAN} · serapan 20,0% terhadap pagu · ❌ tidak lapor",
        f"🔴 50,0% {PENEMPATAN} · serapan 20,0% terhadap pagu · ❌ tidak lapor",
        f"🟠 75,6% {UJI_KESEHATAN} · serapan 45,0% terhadap pagu",
    ]
    assert "Perlu dicek admin (target tidak wajar: tidak dihitung sampai diperbaiki)" in plain
    assert f"• {MAKAN_MINUM} — aksi 1, aksi 2, aksi 3: target di atas 100%" in plain
    assert "• Penyediaan Bahan Bacaan dan Peraturan Perundang-undangan — indikator 1: angka target tidak masuk akal" \
        in plain
    unreported = plain.split("Tidak lapor TW II")[1].strip().splitlines()
    # Two kegiatan held by a PIC (44 − 42), and Optimalisasi Jaringan that nobody holds.
    assert unreported[:4] == ["(batas lapor lewat: yang kosong dihitung 0; 2 kegiatan, 1 belum ada PIC)",
                              f"• {PENJENJANGAN} — Ani Rahmawati",
                              f"• {PENEMPATAN} — Eka Pratiwi",
                              f"• {JARINGAN} — belum ada PIC"]


def test_digest_escapes_plan_text(engine, seed_plan):
    text = digest_of(engine, seed_plan).text
    assert "Prog. Pembinaan &amp; Kesejahteraan ASN" in text
    with Session(engine) as session:
        health = next(k for k in _score(session, seed_plan).kegiatan if k.name == UJI_KESEHATAN)
        detail = kegiatan_detail(health.id, 2, session=session).text
    assert_valid_telegram_html(detail)
    assert "peserta belum lengkap &lt;b&gt;" in detail  # a PIC's «<b>» stays text


def test_digest_buttons_drill_down(engine, seed_plan):
    d = digest_of(engine, seed_plan)
    assert len(d.buttons) == 11  # one per program block
    for label, target in d.buttons:
        data = callbacks.DRILL.build(**target._asdict())
        assert len(data.encode()) <= 64 and callbacks.DRILL.parse(data) == target and target.kind == "p"
    label, target = next(b for b in d.buttons if "Pelayanan" in b[0])
    assert label == "🟢 Program Pelayanan Administrasi…"
    kind, program_id, quarter = target
    with Session(engine) as session:
        detail = program_detail(program_id, quarter, session=session)
        assert_valid_telegram_html(detail.text)
        plain = html_to_plain(detail.text)
        assert plain.startswith("📁 Program Pelayanan Administrasi Perkantoran\nTW II 2020")
        assert f"⚪ – {MAKAN_MINUM} · serapan 45,0% terhadap pagu · ⚠️ perlu dicek admin" in plain
        # Barang Cetak has no aksi target in TW II, but its pagu makes the TW II budget realisation
        # due (bot/due.py), and the seed entered it: all six kegiatan count, all six complete.
        assert "👥 Kegiatan sudah lapor TW II: 6 dari 6" in plain
        assert detail.buttons[-1] == ("⬅️ Kembali", Drill("d", seed_plan, 2))
        assert callbacks.DRILL.build(**detail.buttons[-1][1]._asdict()) == f"rk:d:{seed_plan}:2"  # the wire format
        food_button = next(b for b in detail.buttons if MAKAN_MINUM in b[0])
        kind, kegiatan_id, _ = food_button[1]
        assert kind == "k"
        food = html_to_plain(kegiatan_detail(kegiatan_id, 2, session=session).text)
    # Shown as computed, and said to be left out.
    assert "1.000% → 100% · 🔴 10,0% · ⚠️ target tidak wajar, tidak dihitung" in food
    assert "2.000% → 100% · 🔴 5,0% · ⚠️ target tidak wajar, tidak dihitung" in food
    assert "🎯 Progres rencana aksi s.d. TW II: ⚪ perlu dicek admin" in food
    assert "👤 PIC: Gita Permata" in food and "✅ Sudah lapor TW II" in food


def test_kegiatan_detail_shows_what_is_missing(engine, seed_plan):
    with Session(engine) as session:
        late = next(k for k in _score(session, seed_plan).kegiatan if k.name == PENJENJANGAN)
        before = html_to_plain(kegiatan_detail(late.id, 2, session=session, now=BEFORE_DEADLINE).text)
        after = html_to_plain(kegiatan_detail(late.id, 2, session=session, now=NOW).text)
    # Before the deadline: waiting, shown, not scored.
    assert "🎯 Progres rencana aksi s.d. TW II: 🟢 100,0% Sangat Tinggi (data belum lengkap)" in before
    assert "⏳ Belum lapor TW II: 0 dari 2 aksi terisi, realisasi anggaran belum diisi" in before
    assert "30 → – · ⏳ belum lapor TW II" in before  # a count due in TW II, nothing reported
    assert "80% → 30% · ⏳ belum lapor TW II" in before  # 30% + 50% due; TW I's 30 shown, not scored
    # After it: 0 for what is missing — (100 + 0 + 37,5) / 3 = 45,8.
    assert "🎯 Progres rencana aksi s.d. TW II: 🔴 45,8% Sangat Rendah (ada yang tidak lapor: dihitung 0)" in after
    assert "↳ dihitung: 3 dari 3 aksi jatuh tempo · 2 tidak lapor (dihitung 0)" in after
    assert "❌ Tidak lapor TW II: 0 dari 2 aksi terisi, realisasi anggaran belum diisi" in after
    assert "30 → 0 · 🔴 0,0% · ❌ tidak lapor TW II (dihitung 0)" in after
    assert "80% → 30% · 🔴 37,5% · ❌ tidak lapor TW II (dihitung 0)" in after  # 30 of 30 + 50
    assert "Rp298.352.400 dari Rp1.491.762.000 (20,0% terhadap pagu)" in after


def test_digest_numbers_match_the_text(engine, seed_plan):
    n = digest_of(engine, seed_plan).numbers
    assert n["physical"]["cumulative_pct"] == Decimal("93.7")
    assert (n["physical"]["cap_pct"], n["physical"]["past_deadline"]) == (100, True)
    assert (n["budget"]["pagu"], n["budget"]["realised"]) == (17_326_515_850, 6_422_349_132)
    assert n["reporting"] == {"pics_reported": 7, "pics_due": 9, "kegiatan_reported": 42, "kegiatan_due": 44}
    assert [k["name"] for k in n["lagging"]] == [JARINGAN, PENJENJANGAN, PENEMPATAN, UJI_KESEHATAN]
    assert n["items_excluded"][:2] == [{"kegiatan_seq": 8, "item": "aksi 1", "reason": "unit_mismatch"},
                                       {"kegiatan_seq": 16, "item": "indicator 3", "reason": "unit_mismatch"}]
    food = next(k for k in n["flagged"] if k["name"] == MAKAN_MINUM)
    assert food["flags"] == ["pct_over_100"]
    assert n["unreported"][2] == {"id": n["unreported"][2]["id"], "name": JARINGAN,
                                  "program_id": n["unreported"][2]["program_id"], "pics": []}


def test_english_digest(engine, seed_plan):
    plain = html_to_plain(digest_of(engine, seed_plan, lang="en").text)
    assert "🎯 Action plan progress to TW II: 🟢 93.7% Very high (some for the admin to check)" in plain
    assert "❌ Not reported for TW II (deadline passed: what is missing counts as 0;" in plain
    assert "👥 PICs reported: 7 of 9 · kegiatan 42 of 44" in plain


def test_first_quarter_before_anyone_reports(engine, seed_plan_path):
    plan_id = seed_with_reports(engine, seed_plan_path, quarters=())
    # 2 April 2020, before TW I's deadline: nothing is scored yet, nothing reads 0 %.
    plain = html_to_plain(digest_of(engine, plan_id, quarter=1, now=datetime(2020, 4, 2, 2, 0, tzinfo=UTC)).text)
    assert "🎯 Progres rencana aksi s.d. TW I: ⚪ belum lapor" in plain
    assert "💰 Anggaran terserap: belum dilaporkan (pagu Rp17.326.515.850)" in plain
    assert "👥 PIC sudah lapor: 0 dari 9" in plain
    assert "⏳ Belum lapor TW I" in plain
    assert "0,0%" not in plain
    # On 9 July nobody has still said anything about TW I: every due aksi is 0, and so is the plan.
    plain = html_to_plain(digest_of(engine, plan_id, quarter=1).text)
    assert "🎯 Progres rencana aksi s.d. TW I: 🔴 0,0% Sangat Rendah" in plain


def test_long_digest_splits_at_lines_under_the_limit(engine):
    with unit_of_work(engine) as session:
        plan_id = generate_plan(400, session=session, seed=7, quarters=2, missing_rate=0.3)
    d = digest_of(engine, plan_id)
    messages = split_message(d.text)
    assert len(messages) > 1
    for message in messages:
        assert_valid_telegram_html(message)
    # Nothing lost or cut: the messages hold the rendered digest's lines, whole and in order.
    sent = [line for m in messages for line in m.splitlines() if line.strip()]
    assert sent == [line for line in d.text.splitlines() if line.strip()]
    assert sent[-1].startswith("<i>🟢 ≥91")


def test_split_message_keeps_sections_and_lines():
    section = "\n".join(f"• kegiatan nomor {i} — PIC {i}" for i in range(60))
    text = "\n\n".join(f"<b>Bagian {n}</b>\n{section}" for n in range(6))
    parts = split_message(text, limit=2000)
    assert all(utf16_len(p) < 2000 for p in parts)
    assert "\n".join(parts).replace("\n\n", "\n") == text.replace("\n\n", "\n")
    assert all(not p.startswith("\n") and not p.endswith("\n") for p in parts)
    # A single line too long for one message (never produced by the templates) is cut, not lost.
    parts = split_message("x" * 5000 + "\nend")
    assert all(utf16_len(p) < MESSAGE_LIMIT for p in parts) and len(parts) == 2
    assert "".join(parts).replace("\n", "") == "x" * 5000 + "end"


def test_cli_summary_text_and_json(engine, seed_plan, db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert rapk(["summary", "--quarter", "2", "--chart", str(tmp_path / "c.png")]) == 0
    out = capsys.readouterr().out
    # Today is after every 2020 deadline: the figure of 9 July, 93,7 %.
    assert "🎯 Progres rencana aksi s.d. TW II: 🟢 93,7% Sangat Tinggi (sebagian perlu dicek admin)" in out
    assert "<b>" not in out and "&amp;" not in out and "Prog. Pembinaan & Kesejahteraan ASN" in out
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rapk(["summary", "-q", "2", "--json", "--plan-year", "2020"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["physical"]["cumulative_pct"] == 93.7
    assert numbers["budget"]["realised"] == 6_422_349_132
    assert rapk(["summary", "-q", "2", "--plan-year", "2031"]) == 1


def _score(session, plan_id):
    from bot.domain.scoring import score_plan_from_db

    return score_plan_from_db(plan_id, 2, session=session, now=NOW)


def test_bands_come_from_settings(engine, seed_plan, db_url):
    from bot.config import load_settings

    settings = load_settings(database_url=db_url, score_bands="80,70,60,50")
    plain = html_to_plain(digest_of(engine, seed_plan, settings=settings).text)
    lagging = plain.split("Kegiatan tertinggal")[1].split("\n\n")[0].splitlines()
    # 75,6 is Tinggi (≥70) with these bands: Uji Kesehatan no longer lags.
    assert lagging == [" (di bawah 70%)", f"🔴 0,0% {JARINGAN} · serapan – terhadap pagu · ❌ tidak lapor · ⚠️ perlu dicek admin",
                       f"🔴 45,8% {PENJENJANGAN} · serapan 20,0% terhadap pagu · ❌ tidak lapor",
                       f"🔴 50,0% {PENEMPATAN} · serapan 20,0% terhadap pagu · ❌ tidak lapor"]
    assert "🟢 ≥80 · 🟡 70–79 · 🟠 60–69 · 🔴 <60" in plain


def test_big_plan_keyboard_offers_the_weakest_programs(engine):
    with unit_of_work(engine) as session:
        plan_id = generate_plan(400, session=session, seed=5, quarters=2)  # 50 programs
    d = digest_of(engine, plan_id)
    assert len(d.buttons) == 40
    shown = {target.ident for _, target in d.buttons}
    programs = {p["id"]: p["cumulative_pct"] for p in d.numbers["programs"]}
    left_out = [pct for pid, pct in programs.items() if pid not in shown]
    assert len(left_out) == 10 and min(left_out) >= max(programs[pid] for pid in shown)
