"""The Permendagri 86/2017 quarterly Renja evaluation form, as rows: one model for the workbook and the PDF.

The table (Lampiran, «Evaluasi terhadap hasil Renja Perangkat Daerah»), its columns numbered as the
form prints them; each quantity has a K (kinerja) and an Rp (anggaran) sub-column:

    (1) No · (2) Sasaran · (3) Kode · (4) Urusan/Bidang Urusan dan Program/Kegiatan · (5) Indikator kinerja
    program (outcome) / kegiatan (output) · (6) target Renstra at its last year · (7) Renstra realisation
    to last year's Renja · (8) this year's Renja target · (9)–(12) realisation TW I–IV · (13) realisation
    of the Renja evaluated (to TW n) · (14) tingkat capaian of the Renja = (13) ÷ (8) × 100 · (15) Renstra
    realisation to this year = (7) + (13) · (16) tingkat capaian of the Renstra = (15) ÷ (6) × 100 ·
    (17) Unit Perangkat Daerah penanggung jawab (and the PIC beside it) · (18) Keterangan.

One basis, as the form's rule says: tingkat capaian K is against the annual target, never the target
to date (that view stays in the digest). Rp: realised ÷ pagu (bot.domain.scoring `Budget.absorption`).
Columns (6), (7), (15), (16) hold Renstra figures the plan does not: entered by the admin (`rapk renstra`,
bot.domain.renstra), blank otherwise.

Rows: sasaran, its IKU, program block, its program indicators, kegiatan (Rp) and its indicators (K).
The RAPK aksi stay on the workbook's «Rencana Aksi» sheet (bot.domain.workbook).
Footer: the average tingkat capaian K of the indicator rows (each capped at SCORE_CAP_PCT, flagged
targets left out: bot.domain.measure `combine_items`) and its predikat, faktor pendorong / penghambat,
tindak lanjut for the next quarter and for the next Renja (the TW IV report's tindak lanjut).
Signatures: «Disusun» the agency head read from the signed plan (Plan.signer_*), «Dievaluasi» the Kepala
Bappeda from configuration; both dated in the quarter's reporting window (`signing_date`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from bot.config import Settings
from bot.domain.calendar import ReportingCalendar
from bot.domain.measure import NOT_DUE
from bot.domain.measure import Measure
from bot.domain.measure import combine_items
from bot.domain.renstra import Renstra
from bot.domain.renstra import renstra_of
from bot.domain.scoring import DEFAULT_BANDS
from bot.domain.scoring import IndicatorScore
from bot.domain.scoring import KegiatanScore
from bot.domain.scoring import OutcomeScore
from bot.domain.scoring import PlanScore
from bot.domain.scoring import band_for
from bot.text import formatting
from models import Evidence
from models import KegiatanRealisation
from models import Plan

QUARTERS = (1, 2, 3, 4)
K, RP = "K", "Rp"

# (number as printed, header, sub-headers); a header with sub-headers spans them.
FORM_HEADERS: list[tuple[int, str, tuple[str, ...]]] = [
    (1, "No", ()),
    (2, "Sasaran", ()),
    (3, "Kode", ()),
    (4, "Urusan/Bidang Urusan Pemerintahan Daerah dan Program/Kegiatan", ()),
    (5, "Indikator Kinerja Program (outcome)/Kegiatan (output)", ()),
    (6, "Target Renstra Perangkat Daerah pada Tahun Akhir Periode Renstra", (K, RP)),
    (7, "Realisasi Capaian Kinerja Renstra Perangkat Daerah s.d. Renja Tahun Lalu", (K, RP)),
    (8, "Target Kinerja dan Anggaran Renja Perangkat Daerah Tahun {year} yang Dievaluasi", (K, RP)),
    (9, "Realisasi Kinerja pada Triwulan I", (K, RP)),
    (10, "Realisasi Kinerja pada Triwulan II", (K, RP)),
    (11, "Realisasi Kinerja pada Triwulan III", (K, RP)),
    (12, "Realisasi Kinerja pada Triwulan IV", (K, RP)),
    (13, "Realisasi Capaian Kinerja dan Anggaran Renja Perangkat Daerah yang Dievaluasi (s.d. {tw})", (K, RP)),
    (14, "Tingkat Capaian Kinerja dan Realisasi Anggaran Renja Perangkat Daerah yang Dievaluasi (%) "
         "(13 ÷ 8 × 100)", (K, RP)),
    (15, "Realisasi Kinerja dan Anggaran Renstra Perangkat Daerah s.d. Tahun {year} (7 + 13)", (K, RP)),
    (16, "Tingkat Capaian Kinerja dan Realisasi Anggaran Renstra Perangkat Daerah s.d. Tahun {year} (%) "
         "(15 ÷ 6 × 100)", (K, RP)),
    (17, "Unit Perangkat Daerah Penanggung Jawab", ("Unit", "Penanggung Jawab (PIC)")),
    (18, "Keterangan", ()),
]


def _leaf_columns() -> dict[tuple[int, str], int]:
    out, col = {}, 1
    for number, _, subs in FORM_HEADERS:
        for sub in subs or ("",):
            out[(number, sub)] = col
            col += 1
    return out


LEAF = _leaf_columns()  # (form number, sub-header) → leaf column, 1-based
N_FORM_COLS = len(LEAF)
C_NO, C_GOAL, C_CODE, C_NAME, C_INDICATOR = (LEAF[(n, "")] for n in (1, 2, 3, 4, 5))
C_TARGET_K, C_TARGET_RP = LEAF[(8, K)], LEAF[(8, RP)]
C_TW_K = {q: LEAF[(8 + q, K)] for q in QUARTERS}
C_TW_RP = {q: LEAF[(8 + q, RP)] for q in QUARTERS}
C_REAL_K, C_REAL_RP = LEAF[(13, K)], LEAF[(13, RP)]
C_PCT_K, C_PCT_RP = LEAF[(14, K)], LEAF[(14, RP)]
C_RENSTRA_K, C_RENSTRA_RP = LEAF[(6, K)], LEAF[(6, RP)]
C_RENSTRA_BEFORE_K, C_RENSTRA_BEFORE_RP = LEAF[(7, K)], LEAF[(7, RP)]
C_RENSTRA_REAL_K, C_RENSTRA_REAL_RP = LEAF[(15, K)], LEAF[(15, RP)]
C_RENSTRA_PCT_K, C_RENSTRA_PCT_RP = LEAF[(16, K)], LEAF[(16, RP)]
C_UNIT, C_PIC = LEAF[(17, "Unit")], LEAF[(17, "Penanggung Jawab (PIC)")]
C_NOTE = LEAF[(18, "")]
MONEY_COLS = frozenset({C_TARGET_RP, C_REAL_RP, *C_TW_RP.values(), C_RENSTRA_RP, C_RENSTRA_BEFORE_RP,
                        C_RENSTRA_REAL_RP})
PCT_COLS = frozenset({C_PCT_K, C_PCT_RP, C_RENSTRA_PCT_K, C_RENSTRA_PCT_RP})


@dataclass(frozen=True)
class FormRow:
    level: str  # goal / iku / program / outcome / kegiatan / indicator
    cells: dict[int, object]  # leaf column → value (int rupiah, Decimal, str)


@dataclass(frozen=True)
class Signer:
    role: str  # «Disusun» / «Dievaluasi»
    place_date: str
    title: str
    name: str
    rank: str
    nip: str


@dataclass(frozen=True)
class EvaluationForm:
    title_lines: tuple[str, ...]
    year: int
    quarter: int
    rows: list[FormRow]
    footer: list[tuple[str, str]]  # (label, text)
    signers: tuple[Signer, Signer]
    average: Decimal | None
    predikat: str | None


@dataclass
class FormExtras:
    """What the form prints that scoring does not carry: Rp per quarter, pendorong, evidence, the signer."""

    budget_by_quarter: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    pendorong: dict[int, str] = field(default_factory=dict)  # kegiatan → TW n's faktor pendorong
    tindak_tw4: dict[int, str] = field(default_factory=dict)  # kegiatan → TW IV's tindak lanjut
    evidence: dict[int, int] = field(default_factory=dict)  # kegiatan → bukti dukung files of TW n
    units: dict[int, str] = field(default_factory=dict)  # kegiatan → its PICs' units (Person.unit), when set
    remarks: dict[int, Remark] = field(default_factory=dict)  # kegiatan → verification and leadership's word
    renstra_kegiatan: dict[int, Renstra] = field(default_factory=dict)  # kegiatan → its Renstra rupiah
    renstra_indicators: dict[int, Renstra] = field(default_factory=dict)  # indicator → its Renstra K
    plan: Plan | None = None


@dataclass(frozen=True)
class Remark:
    """A kegiatan report's verification status of TW n («Diterima», …) and the remark text: the verifier's
    note and the leadership responses (bot.domain.verification, bot.domain.feedback)."""

    status: str | None
    text: str | None


def load_extras(plan_id: int, quarter: int, *, session: Session) -> FormExtras:
    """Four bulk queries over the plan's kegiatan."""
    from models import Kegiatan
    from models import Person
    from models import PicAssignment

    extras = FormExtras(plan=session.get(Plan, plan_id))
    keg_ids = sa.select(Kegiatan.id).where(Kegiatan.plan_id == plan_id)
    kr = KegiatanRealisation
    for keg_id, q, money, pendorong, tindak in session.execute(
            sa.select(kr.kegiatan_id, kr.quarter, kr.budget_realised, kr.pendorong, kr.tindak_lanjut)
            .where(kr.kegiatan_id.in_(keg_ids))):
        if money is not None:
            extras.budget_by_quarter[keg_id][q] = int(money)
        if q == quarter and pendorong:
            extras.pendorong[keg_id] = pendorong
        if q == 4 and tindak:
            extras.tindak_tw4[keg_id] = tindak
    extras.evidence = dict(session.execute(
        sa.select(Evidence.kegiatan_id, sa.func.count()).where(Evidence.kegiatan_id.in_(keg_ids),
                                                              Evidence.quarter == quarter)
        .group_by(Evidence.kegiatan_id)).all())
    units: dict[int, list[str]] = defaultdict(list)
    for keg_id, unit in session.execute(
            sa.select(PicAssignment.kegiatan_id, Person.unit).join(Person, Person.id == PicAssignment.person_id)
            .where(PicAssignment.kegiatan_id.in_(keg_ids), Person.unit != "").order_by(Person.unit)):
        if unit not in units[keg_id]:
            units[keg_id].append(unit)
    extras.units = {k: "; ".join(v) for k, v in units.items()}
    extras.remarks = _remarks(plan_id, quarter, session=session)
    extras.renstra_kegiatan, extras.renstra_indicators = renstra_of(plan_id, session=session)
    return extras


REVIEW_WORDS = {"pending": "Menunggu verifikasi", "accepted": "Diterima", "returned": "Dikembalikan"}


def _remarks(plan_id: int, quarter: int, *, session: Session) -> dict[int, Remark]:
    from bot.domain.feedback import response_text
    from bot.domain.feedback import responses_of
    from models import Kegiatan
    from models import ReportReview

    keg_ids = list(session.execute(sa.select(Kegiatan.id).where(Kegiatan.plan_id == plan_id)).scalars())
    reviews = {r.kegiatan_id: r for r in session.execute(sa.select(ReportReview).where(
        ReportReview.kegiatan_id.in_(keg_ids), ReportReview.quarter == quarter)).scalars()}
    responses = responses_of(keg_ids, quarter, session=session)
    out = {}
    for kegiatan_id in {*reviews, *responses}:
        review = reviews.get(kegiatan_id)
        text = "\n".join(filter(None, [f"Catatan verifikator: {review.note}" if review and review.note else "",
                                       response_text(responses.get(kegiatan_id, []))]))
        out[kegiatan_id] = Remark(status=REVIEW_WORDS.get(review.status) if review else None, text=text or None)
    return out


def signing_date(year: int, quarter: int, now: datetime, calendar: ReportingCalendar) -> date:
    """The day both signatures carry: today, held inside the quarter's reporting window (the day after
    the quarter ends to its deadline), so a form printed late or early is still dated in its window."""
    start = ReportingCalendar.quarter_end(year, quarter) + timedelta(days=1)
    end = calendar.deadline(year, quarter)
    today = now.astimezone(calendar.tz).date() if now.tzinfo else now.date()
    return min(max(today, start), end)


def keterangan(item: IndicatorScore | OutcomeScore | KegiatanScore, *, evidence: int = 0,
               remark: Remark | None = None) -> str | None:
    """Column (18): the one place a row's remark is made (with a kegiatan's verification status, the
    verifier's note and leadership's responses)."""
    parts = []
    if remark is not None and remark.status:
        parts.append(remark.status.lower())
    if item.flags:
        parts.append("target tidak wajar, tidak dihitung")
    pending = getattr(item, "pending_quarters", ())
    missing = getattr(item, "missing_quarters", ())
    if pending:
        parts.append("belum lapor " + ", ".join(formatting.quarter_label(q) for q in pending))
    if missing:
        parts.append("tidak lapor " + ", ".join(formatting.quarter_label(q) for q in missing) + " (dihitung 0)")
    if evidence:
        parts.append(f"{evidence} bukti dukung")
    if remark is not None and remark.text:
        parts.append(remark.text)
    return "; ".join(parts) or None


def build_form(ps: PlanScore, extras: FormExtras, *, now: datetime, settings: Settings | None = None,
               calendar: ReportingCalendar | None = None) -> EvaluationForm:
    n = ps.quarter_no
    tw = formatting.quarter_label(n)
    cap = ps.cap_pct
    bands = tuple(settings.score_bands) if settings else DEFAULT_BANDS
    agency = ps.agency or ""  # column (17) when no PIC of the kegiatan has a unit (Person.unit)
    rows: list[FormRow] = []
    measured: list[tuple[Measure, bool]] = []

    def money_cells(keg_ids: list[int], pagu: int | None, absorption: Decimal | None) -> dict[int, object]:
        cells: dict[int, object] = {C_TARGET_RP: pagu}
        total = 0
        for q in QUARTERS:
            if q > n:
                continue
            spent = [extras.budget_by_quarter.get(k, {}).get(q) for k in keg_ids]
            if any(s is not None for s in spent):
                cells[C_TW_RP[q]] = sum(s or 0 for s in spent)
                total += cells[C_TW_RP[q]]
        cells[C_REAL_RP] = total
        cells[C_PCT_RP] = absorption
        return cells

    def outcome_row(level: str, o: OutcomeScore) -> FormRow:
        cells: dict[int, object] = {C_INDICATOR: _with_unit(o.text, o.unit),
                                    C_TARGET_K: plain_number(o.annual) if o.annual is not None else (o.target_raw or None),
                                    C_REAL_K: plain_number(o.realised), C_PCT_K: o.progress_pct,
                                    C_NOTE: keterangan(o)}
        cells |= {C_TW_K[q]: plain_number(v) for q, v in o.reals.items() if q <= n}
        status = NOT_DUE if o.progress_pct is None else "ok"
        measured.append((Measure(o.annual, o.realised, o.progress_pct, None, status), bool(o.flags)))
        return FormRow(level, cells)

    for goal in ps.goals:
        keg_ids = [k.id for k in goal.kegiatan]
        rows.append(FormRow("goal", {C_NO: goal.no, C_GOAL: goal.name}
                            | money_cells(keg_ids, goal.budget.pagu, goal.budget.absorption)))
        rows += [outcome_row("iku", o) for o in goal.indicators]
        for program in goal.programs:
            rows.append(FormRow("program", {C_CODE: program.no or None, C_NAME: program.name}
                                | money_cells([k.id for k in program.kegiatan], program.budget.pagu,
                                              program.budget.absorption)))
            rows += [outcome_row("outcome", o) for o in program.indicators]
            for keg in program.kegiatan:
                code = ".".join(x for x in (program.no, keg.no) if x) or None
                money = money_cells([keg.id], keg.budget.pagu, keg.budget.absorption)
                rows.append(FormRow("kegiatan", {C_CODE: code, C_NAME: keg.name, C_UNIT: extras.units.get(keg.id, agency),
                                                 C_PIC: ", ".join(keg.pic_names) or None,
                                                 C_NOTE: keterangan(keg, evidence=extras.evidence.get(keg.id, 0),
                                                                    remark=extras.remarks.get(keg.id))}
                                    | money | renstra_cells(extras.renstra_kegiatan.get(keg.id), money[C_REAL_RP], RP)))
                for ind in keg.indicators:
                    cells = {C_INDICATOR: _with_unit(ind.text, ind.unit),
                             C_TARGET_K: plain_number(ind.target) if ind.target is not None else (ind.target_raw or None),
                             C_REAL_K: plain_number(ind.total), C_PCT_K: ind.pct, C_NOTE: keterangan(ind)}
                    cells |= {C_TW_K[q]: plain_number(v) for q, v in ind.reals.items() if q <= n}
                    cells |= renstra_cells(extras.renstra_indicators.get(ind.id), ind.total, K)
                    rows.append(FormRow("indicator", cells))
                    measured.append((Measure(ind.target, ind.total, ind.pct, ind.band, ind.status), bool(ind.flags)))
    average, _, coverage = combine_items(measured, cap)
    predikat = band_for(average, bands)
    kegiatan = ps.kegiatan
    footer = [
        ("Rata-rata capaian kinerja (%)",
         (f"{formatting.number(average)}%" if average is not None else "–")
         + f" (kolom 14 K: {coverage.scored} dari {coverage.due} indikator, tiap indikator dibatasi "
           f"{formatting.number(cap)}%, {coverage.excluded} target tidak wajar tidak dihitung)"),
        ("Predikat kinerja", predikat or "–"),
        ("Faktor pendorong keberhasilan pencapaian", _narrative(kegiatan, extras.pendorong)),
        ("Faktor penghambat pencapaian kinerja", _narrative(kegiatan, {k.id: k.kendala for k in kegiatan})),
        ("Tindak lanjut yang diperlukan dalam triwulan berikutnya",
         _narrative(kegiatan, {k.id: k.tindak_lanjut for k in kegiatan}) if n < 4 else "–"),
        ("Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
         _narrative(kegiatan, extras.tindak_tw4) if n == 4 else "(diisi pada evaluasi TW IV)"),
    ]
    calendar = calendar or (ReportingCalendar.from_settings(settings) if settings else ReportingCalendar())
    day = formatting.long_date(signing_date(ps.year, n, now, calendar))
    place = f"{settings.signing_place}, " if settings and settings.signing_place else ""
    plan = extras.plan
    disusun = Signer("Disusun", f"{place}{day}", (plan.signer_title if plan else "") or "KEPALA PERANGKAT DAERAH",
                     plan.signer_name if plan else "", plan.signer_rank if plan else "", plan.signer_nip if plan else "")
    s = settings
    dievaluasi = Signer("Dievaluasi", f"{place}{day}", (s.bappeda_head_title if s else "") or "KEPALA BAPPEDA",
                        s.bappeda_head_name if s else "", s.bappeda_head_rank if s else "", s.bappeda_head_nip if s else "")
    month_day = {1: "31 Maret", 2: "30 Juni", 3: "30 September", 4: "31 Desember"}[n]
    title = ("EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH", (ps.agency or "").upper(),
             f"Periode pelaksanaan: {tw} tahun {ps.year} (keadaan s.d. {month_day} {ps.year})")
    return EvaluationForm(tuple(t for t in title if t), ps.year, n, rows, footer, (disusun, dievaluasi),
                          average, predikat)


def signature_lines(signer: Signer) -> list[str]:
    """The block as printed: role, place and date, title, room to sign, name, rank, NIP."""
    return [f"{signer.role}:", signer.place_date, signer.title, "", "", signer.name or "(nama)", signer.rank,
            f"NIP. {signer.nip}" if signer.nip else "NIP."]


def headers(form: EvaluationForm) -> list[tuple[int, str, tuple[str, ...]]]:
    tw = formatting.quarter_label(form.quarter)
    return [(no, text.format(year=form.year, tw=tw), subs) for no, text, subs in FORM_HEADERS]


def _narrative(kegiatan: list[KegiatanScore], texts: dict[int, str]) -> str:
    lines = [f"{k.no}. {k.name}: {texts[k.id].strip()}" for k in kegiatan if texts.get(k.id, "").strip()]
    return "\n".join(lines) or "–"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} ({unit})" if unit and unit != "%" else text


def renstra_cells(figure: Renstra | None, this_year: Decimal | int | None, kind: str) -> dict[int, object]:
    """(6), (7), (15) = (7) + (13) and (16) = (15) ÷ (6) × 100 of one row, in K or Rp (bot.domain.renstra);
    blank without figures."""
    if figure is None:
        return {}
    k = kind == K
    shown = plain_number if k else (lambda v: None if v is None else int(v))  # rupiah are whole
    return {C_RENSTRA_K if k else C_RENSTRA_RP: shown(figure.target),
            C_RENSTRA_BEFORE_K if k else C_RENSTRA_BEFORE_RP: shown(figure.realised),
            C_RENSTRA_REAL_K if k else C_RENSTRA_REAL_RP: shown(figure.to_date(this_year)),
            C_RENSTRA_PCT_K if k else C_RENSTRA_PCT_RP: figure.achievement(this_year)}


def plain_number(value: Decimal | None) -> int | Decimal | None:
    """A stored Numeric(20,4) as the plainest exact number: 25.0000 → 25, 12.5000 → 12.5."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value.normalize()
