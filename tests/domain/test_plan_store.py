"""Saving a plan, and re-importing a revised plan as a merge that keeps realisations."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.store import MergeRefused
from bot.domain.plan_import.store import PlanStoreError
from bot.domain.plan_import.store import load_plan_tree
from bot.domain.plan_import.store import save_plan
from bot.text.render import plain
from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import AuditLog
from models import Goal
from models import ImportAnomaly
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import PicAssignment
from models import Plan
from models import Program
from tests.support.plans import FIRST
from tests.support.plans import LAST
from tests.support.plans import aksi_id
from tests.support.plans import count
from tests.support.plans import kegiatan_id
from tests.support.plans import parse_lines
from tests.support.plans import report
from tests.support.plans import seed_lines
from tests.support.plans import snapshot
from tests.support.plans import store


def test_first_import_stores_the_whole_plan(engine):
    result = store(engine)
    assert result.created and result.kegiatan_count == 45 and result.budget_total == 17_326_515_850
    with unit_of_work(engine) as s:
        assert [count(s, m) for m in (Goal, Program, Kegiatan, KegiatanIndicator, Aksi, AksiTarget)] == [
            3, 11, 45, 64, 168, 168 * 4]  # 11 program blocks as printed (two names are printed twice)
        assert s.exec(select(sa.func.sum(Kegiatan.budget))).one() == 17_326_515_850
        assert count(s, ImportAnomaly) == result.anomaly_count == len(parse_lines(seed_lines()).anomalies)
        plan = s.exec(select(Plan)).one()
        assert (plan.year, s.get(Agency, plan.agency_id).name) == (2020, "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK")
        audit = s.exec(select(AuditLog)).all()
        assert [(a.action, a.entity, a.entity_id, a.actor_label) for a in audit] == [
            ("plan.import", "plan", plan.id, "cli")]
        targets = s.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id(s, FIRST, 1))
                         .order_by(AksiTarget.quarter)).all()
        assert [(t.raw, t.value, t.unit, t.kind) for t in targets] == [
            ("", None, "", "none"), ("50%", Decimal(50), "%", "percent"), ("50%", Decimal(50), "%", "percent"),
            ("", None, "", "none")]
        kasus = s.exec(select(KegiatanIndicator).where(
            KegiatanIndicator.kegiatan_id == kegiatan_id(s, "Pengadministrasian Pelayanan Kepegawaian"))).one()
        assert (kasus.target_value, kasus.target_unit, kasus.indicator_kind) == (Decimal(100), "%", "percentage")
        split = s.exec(select(KegiatanIndicator).where(
            KegiatanIndicator.kegiatan_id == kegiatan_id(s, "Pembinaan Jiwa Korsa Anggota KOPRI"))
            .order_by(KegiatanIndicator.seq)).all()
        # three targets in one cell: three indicators, each scored on its own (tests/domain/test_packed.py)
        assert [(i.target_value, i.target_unit) for i in split] == [(45, "orang"), (40, "orang"), (52, "OPD%")]
        assert s.get(Aksi, aksi_id(s, FIRST, 2)).indicator_kind == "positive"


def test_reimporting_the_same_file_changes_nothing(engine):
    store(engine)
    before = snapshot(engine)
    result = store(engine)
    assert result.unchanged and not result.created
    after = snapshot(engine)
    for table in ("goal", "program", "kegiatan", "kegiatanindicator", "aksi", "aksitarget", "goalindicator",
                  "programindicator"):
        assert after[table] == before[table], table


def test_revised_file_changes_a_target_and_adds_an_aksi_and_keeps_realisations(engine):
    store(engine)
    realisation = report(engine, FIRST, 2, value="60")
    lines = seed_lines()
    lines[14] = lines[14].replace("\t60\t157\t", "\t70\t157\t")  # line 15: aksi 2, TW II 60 -> 70
    lines.insert(17, "\t\t\t\t5 Pelaporan hasil diklat\tJumlah laporan\t\t\t\t1\t")
    result = store(engine, lines)
    assert [(c.kind, c.key, c.detail) for c in result.changed] == [
        ("aksi", f"{FIRST} · aksi 2", "target TW II: “60” → “70”")]
    assert [(c.kind, c.key) for c in result.added] == [("aksi", f"{FIRST} · aksi 5")]
    assert result.removed == []
    with unit_of_work(engine) as s:
        kept = s.get(AksiRealisation, realisation)
        assert kept is not None and kept.aksi_id == aksi_id(s, FIRST, 2) and kept.value == Decimal(60)
        target = s.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id(s, FIRST, 2),
                                                 AksiTarget.quarter == 2)).one()
        assert (target.raw, target.value) == ("70", Decimal(70))
        assert count(s, Aksi) == 169
        change = s.exec(select(AuditLog).where(AuditLog.action == "plan.change")).one()
        assert (change.entity, change.field, change.old_value, change.new_value) == ("aksi_target", "raw", "60", "70")


def test_budget_change_is_reported_in_rupiah(engine):
    store(engine)
    lines = seed_lines()
    lines[13] = lines[13].replace("1.018.175.000,00", "1.100.000.000,00")
    result = store(engine, lines)
    assert [c.detail for c in result.changed] == ["pagu: “Rp1.018.175.000” → “Rp1.100.000.000”"]


def test_kegiatan_moved_to_another_program_keeps_its_realisations(engine):
    store(engine)
    moved = "Penyelenggaraan diklat teknis, fungsional dan kepemimpinan"
    realisation = report(engine, moved, 1, value="1")
    lines = seed_lines()
    block = lines[43:47]  # lines 44-47: the kegiatan and its aksi, under Program Pendidikan dan Pelatihan ASN
    del lines[43:47]
    lines[55:55] = block  # now after kegiatan 1 of Prog. Pembinaan & Kesejahteraan ASN
    result = store(engine, lines)
    changes = [(c.kind, c.key, c.detail) for c in result.changed]
    assert ("kegiatan", moved, "program: “Program Pendidikan dan Pelatihan ASN” → "
                               "“Prog. Pembinaan & Kesejahteraan ASN”") in changes
    assert result.added == [] and result.removed == []
    with unit_of_work(engine) as s:
        assert s.get(AksiRealisation, realisation).aksi_id == aksi_id(s, moved, 1)


@pytest.mark.parametrize("what", ["aksi", "kegiatan"])
def test_removing_what_has_realisations_is_refused_and_nothing_changes(engine, what):
    store(engine)
    with unit_of_work(engine) as s:
        s.add(KegiatanRealisation(kegiatan_id=kegiatan_id(s, LAST), quarter=2, budget_realised=10_000_000))
    report(engine, LAST, 4, quarter=1, value="1")
    lines = seed_lines()
    if what == "aksi":
        del lines[270]  # line 271: aksi 4 of the last kegiatan
        expected = f"aksi 4 “Evaluasi atas Pelaksanaan Kegiatan” pada kegiatan “{LAST}” (realisasi TW I)"
    else:
        del lines[267:272]  # lines 268-272: the whole last kegiatan and its budget line
        expected = f"kegiatan “{LAST}” (realisasi TW I, TW II)"
    before = snapshot(engine)
    with pytest.raises(MergeRefused) as info:
        store(engine, lines)
    assert info.value.blocked == [expected]
    assert "--force" in str(info.value)
    assert snapshot(engine) == before


def test_forced_removal_deletes_the_item_and_its_realisations(engine):
    store(engine)
    report(engine, LAST, 4)
    lines = seed_lines()
    del lines[270]
    result = store(engine, lines, force=True)
    assert [(c.kind, c.key, c.detail) for c in result.removed] == [
        ("aksi", f"{LAST} · aksi 4", "Evaluasi atas Pelaksanaan Kegiatan")]
    with unit_of_work(engine) as s:
        assert count(s, AksiRealisation) == 0 and count(s, Aksi) == 167
        removal = s.exec(select(AuditLog).where(AuditLog.action == "plan.remove")).one()
        assert (removal.entity, removal.old_value) == ("aksi", "Evaluasi atas Pelaksanaan Kegiatan")
        assert "dipaksa" in s.exec(select(AuditLog).where(AuditLog.action == "plan.import")
                                   .order_by(AuditLog.id.desc())).first().reason


def test_a_kegiatan_without_realisations_missing_from_the_file_is_removed(engine):
    store(engine)
    lines = seed_lines()
    del lines[17:22]  # lines 18-22: kegiatan 2 with its aksi (and the blank line)
    result = store(engine, lines)
    assert [(c.kind, c.key) for c in result.removed] == [("kegiatan", "Pendidikan Penjurangan Struktural")]
    with unit_of_work(engine) as s:
        assert count(s, Kegiatan) == 44 and count(s, Aksi) == 164
        assert s.exec(select(Kegiatan.seq).where(Kegiatan.name == LAST)).one() == 44


def test_indicator_with_realisation_removed_is_refused(engine):
    from models import IndicatorRealisation

    store(engine)
    with unit_of_work(engine) as s:
        third = s.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id(s, FIRST),
                                                       KegiatanIndicator.seq == 3)).one()
        s.add(IndicatorRealisation(indicator_id=third.id, quarter=1, value=Decimal(150), value_raw="150"))
    lines = seed_lines()
    lines[15] = lines[15].replace("c. Jumlah Peserta Wawasan Kebangsaan\t157 Orang", "\t")
    with pytest.raises(MergeRefused) as info:
        store(engine, lines)
    assert info.value.blocked == [f"indikator “c. Jumlah Peserta Wawasan Kebangsaan” pada kegiatan “{FIRST}” "
                                  f"(realisasi TW I)"]


def test_pic_column_creates_people_and_assignments_once(engine):
    with unit_of_work(engine) as s:
        agency = Agency(name="Badan Kepegawaian Daerah Kabupaten Gresik")  # same agency, other case
        s.add(agency)
        s.flush()
        s.add(Person(name="SITI AMINAH", agency_id=agency.id))
    lines = seed_lines()
    lines[11] += "\tPIC"
    lines[13] += "\tSiti Aminah; Budi Santoso"
    lines[17] += "\t\tBudi Santoso"
    first = store(engine, lines)
    assert sorted(c.key for c in first.added if c.kind == "pic") == sorted([
        f"{FIRST} · Budi Santoso", f"{FIRST} · SITI AMINAH", "Pendidikan Penjurangan Struktural · Budi Santoso"])
    again = store(engine, lines)
    assert again.unchanged
    with unit_of_work(engine) as s:
        assert sorted(p.name for p in s.exec(select(Person)).all()) == ["Budi Santoso", "SITI AMINAH"]
        assert count(s, PicAssignment) == 3 and count(s, Agency) == 1


def test_agency_and_year_given_by_the_caller_make_another_plan(engine):
    store(engine)
    with unit_of_work(engine) as s:
        result = save_plan(parse_lines(seed_lines()), session=s, agency="BKD Gresik (uji)", year=2021)
    assert result.created
    with unit_of_work(engine) as s:
        assert sorted((p.year, s.get(Agency, p.agency_id).name) for p in s.exec(select(Plan)).all()) == [
            (2020, "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"), (2021, "BKD Gresik (uji)")]


def test_a_cell_longer_than_its_column_is_refused_by_line_before_writing(engine):
    store(engine)
    before = snapshot(engine)
    lines = seed_lines()
    long_name = "sangat panjang " * 80
    lines[14] = lines[14].replace("\t2 Pendataan Peserta Kegiatan dan koordinasi\t", f"\t2 {long_name}\t")
    refused = r"^Baris 15: nama aksi terlalu panjang \(1199 karakter, paling banyak 1000\)"
    with pytest.raises(PlanFormatError, match=refused):
        store(engine, lines)
    assert snapshot(engine) == before


def test_a_plan_without_agency_or_year_is_refused(engine):
    lines = [line for line in seed_lines() if "RENCANA AKSI" not in line and "BADAN KEPEGAWAIAN DAERAH KAB" not in line]
    parsed = parse_lines(lines)
    assert parsed.agency is None and parsed.year is None
    with unit_of_work(engine) as s, pytest.raises(PlanStoreError, match="--agency"):
        save_plan(parsed, session=s)
    with unit_of_work(engine) as s, pytest.raises(PlanStoreError, match="--year"):
        save_plan(parsed, session=s, agency="BKD")
    with unit_of_work(engine) as s:
        assert save_plan(parsed, session=s, agency="BKD", year=2020).created


def test_load_plan_tree_gives_goals_programs_and_kegiatan(engine):
    plan_id = store(engine).plan_id
    with unit_of_work(engine) as s:
        tree = load_plan_tree(plan_id, session=s)
    assert [g["name"] for g in tree["goals"]] == [
        "Meningkatnya Kualitas Kinerja dan Kompetensi ASN",
        "Meningkatnya kualitas penataan SDM Aparatur Sipil Negara sesuai dengan kebutuhan dan Kompetensi",
        "Meningkatnya kualitas pelayanan publik di bidang kepegawaian"]
    # Kegiatan per program block, counted in the document: lines 14-47 hold 8, 56-76 5, 84-118 6, …
    assert [len(p["kegiatan"]) for g in tree["goals"] for p in g["programs"]] == [8, 5, 6, 5, 3, 6, 3, 4, 2, 1, 2]
    blocks = [(p["seq"], p["name"], p["goal_indicator"]) for g in tree["goals"] for p in g["programs"]]
    assert blocks[1:3] == [
        (2, "Prog. Pembinaan & Kesejahteraan ASN", "Prosentase ASN yang memiliki nilai SKP baik"),
        (3, "Prog. Pembinaan & Kesejahteraan ASN", "Prosentase ASN yang memenuhi ketentuan jam kerja")]
    iku = tree["goals"][0]["indicators"][0]
    assert (iku["text"], iku["target_raw"], iku["tw"], iku["mode"]) == (
        "Prosentase ASN yang memiliki sertifikat diklat kompetensi", "73%", ["-", "-", "-", "73%"], "level")
    last = tree["goals"][2]["programs"][-1]["kegiatan"][-1]
    assert (last["seq"], last["name"], last["budget"]) == (45, LAST, 74_500_000)
    assert last["aksi"][3]["tw"] == ["", "", "", "100%"]
    assert tree["budget_total"] == 17_326_515_850 and tree["aksi_count"] == 168


def test_a_merge_that_empties_targets_with_realisations_is_refused_naming_them(engine):
    """A careless re-upload (values lost) must not wipe targets that PICs already reported against."""
    from models import IndicatorRealisation

    store(engine)
    report(engine, FIRST, 2, quarter=2, value="60")  # TW II target 60
    report(engine, FIRST, 1, quarter=3, value="50")  # TW III target 50%
    with unit_of_work(engine) as s:
        s.add(KegiatanRealisation(kegiatan_id=kegiatan_id(s, FIRST), quarter=2, budget_realised=10_000_000))
        first = s.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id(s, FIRST),
                                                       KegiatanIndicator.seq == 1)).one()
        s.add(IndicatorRealisation(indicator_id=first.id, quarter=2, value=Decimal(30), value_raw="30"))
    lines = seed_lines()
    lines[13] = lines[13].replace("\t30 Orang\t", "\t\t").replace("\t50%\t50%\t\t1.018.175.000,00", "\t50%\t\t\t")
    lines[14] = lines[14].replace("\t\t60\t157\t", "\t\t\t157\t")
    lines[15] = lines[15].replace("\t50%\t50%\t", "\t\t\t")  # aksi 3 has no realisation: emptying it is fine
    before = snapshot(engine)
    with pytest.raises(MergeRefused) as info:
        store(engine, lines)
    assert info.value.blocked == [
        f"pagu kegiatan “{FIRST}” dikosongkan (realisasi TW II)",
        (f"target indikator “a. Jumlah peserta Diklat Penanggulangan Penyakit Menular” pada kegiatan “{FIRST}” "
         f"dikosongkan (realisasi TW II)"),
        (f"target TW III aksi 1 “Persiapan pelaksanaan kegiatan diklat” pada kegiatan “{FIRST}” dikosongkan "
         f"(realisasi TW III)"),
        (f"target TW II aksi 2 “Pendataan Peserta Kegiatan dan koordinasi” pada kegiatan “{FIRST}” dikosongkan "
         f"(realisasi TW II)"),
    ]
    assert str(info.value).startswith("Impor dibatalkan: berkas baru menghapus atau mengosongkan data yang sudah "
                                      "punya realisasi:\n")
    assert snapshot(engine) == before
    result = store(engine, lines, force=True)
    assert f"{FIRST} · aksi 2" in [c.key for c in result.changed]
    with unit_of_work(engine) as s:
        target = s.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id(s, FIRST, 2),
                                                 AksiTarget.quarter == 2)).one()
        assert (target.raw, target.value) == ("", None)
        assert count(s, AksiRealisation) == 2  # forced: the targets go, the realisations stay


def test_emptying_targets_without_realisations_is_an_ordinary_change(engine):
    store(engine)
    report(engine, FIRST, 2, quarter=3, value="157")  # a realisation in another quarter than the one emptied
    lines = seed_lines()
    lines[14] = lines[14].replace("\t\t60\t157\t", "\t\t\t157\t")
    result = store(engine, lines)
    assert [(c.key, c.detail) for c in result.changed] == [(f"{FIRST} · aksi 2", "target TW II: “60” → “”")]


def test_the_refusal_names_the_first_ten_items_and_counts_the_rest(engine):
    store(engine)
    with unit_of_work(engine) as s:
        names = s.exec(select(Kegiatan.name).order_by(Kegiatan.seq).limit(12)).all()
    for name in names:
        report(engine, name, 1)
    lines = seed_lines()[:13] + seed_lines()[267:]  # only the last kegiatan is left
    with pytest.raises(MergeRefused) as info:
        store(engine, lines)
    assert [item.name for item in info.value.items] == names
    text = str(info.value)
    assert text.count("\n  • ") == 10 and f"kegiatan “{names[9]}” (realisasi TW I)" in text
    assert names[10] not in text and "\n  … dan 2 lainnya\n" in text


def test_only_the_first_anomalies_are_stored(engine):
    from bot.domain.plan_import.parser import MAX_ANOMALIES

    lines = seed_lines()
    result = store(engine, lines[:271] + ["x\ty"] * 1_000 + lines[271:])
    assert result.anomaly_count == 1_038
    with unit_of_work(engine) as s:
        assert count(s, ImportAnomaly) == MAX_ANOMALIES == 500
        tree = load_plan_tree(result.plan_id, session=s)
    assert len(tree["anomalies"]) == 500 and tree["anomalies_capped"]
    assert plain("plan_tree", "id", **tree).endswith(
        "Anomali impor terakhir (500, hanya yang pertama disimpan): lihat `rapk import --dry-run` untuk rinciannya.")


def test_a_date_in_a_target_cell_is_stored_as_written_with_no_value(engine):
    lines = seed_lines()
    lines[14] = lines[14].replace("\t\t60\t157\t", "\t\t02-01-2020\t157\t")
    store(engine, lines)
    with unit_of_work(engine) as s:
        target = s.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id(s, FIRST, 2),
                                                 AksiTarget.quarter == 2)).one()
        assert (target.raw, target.value, target.kind) == ("02-01-2020", None, "text")


def test_a_forced_removal_takes_the_kegiatans_review_response_and_renstra_with_it(engine):
    # A kegiatan removed by a forced re-import leaves no row naming it: its verification review, a
    # leadership response and its Renstra figures (kegiatan and indicator) go with its reports.
    from bot.domain.renstra import set_renstra
    from models import LeadershipResponse
    from models import RenstraFigure
    from models import ReportReview

    store(engine)
    report(engine, LAST, 4)
    with unit_of_work(engine) as s:
        k = kegiatan_id(s, LAST)
        s.add(ReportReview(kegiatan_id=k, quarter=1, status="pending", note=""))
        s.add(LeadershipResponse(kegiatan_id=k, quarter=1, author="Kepala", text="Percepat"))
        set_renstra(k, target=Decimal(5_000_000), realised=Decimal(1_000_000), session=s)
        set_renstra(k, indicator_seq=1, target=Decimal(10), realised=Decimal(2), session=s)
    lines = seed_lines()
    del lines[267:272]  # lines 268-272: the whole last kegiatan and its budget line
    result = store(engine, lines, force=True)
    assert ("kegiatan", LAST) in [(c.kind, c.key) for c in result.removed]
    with unit_of_work(engine) as s:
        assert count(s, ReportReview) == count(s, LeadershipResponse) == count(s, RenstraFigure) == 0
        assert s.exec(select(Kegiatan).where(Kegiatan.name == LAST)).first() is None
