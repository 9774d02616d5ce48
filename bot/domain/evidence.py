"""Bukti dukung rules: when evidence is required, and the evaluator's folder of every file.

* Required per kegiatan (`Kegiatan.evidence_required`: every report of it) or per aksi
  (`Aksi.evidence_required`: a quarter where that aksi has a target). Evidence is kept per kegiatan and
  quarter (models.Evidence), so an aksi's requirement is met by any file of its kegiatan's quarter.
  `save_report` refuses a report without it (`evidence_required`); /lapor then asks for the file.
  Set by `rapk evidence require` (audited `evidence.require`).
* `export_plan`: where each file of a quarter goes in the evaluator's folder, named by kegiatan (its
  number and name) and the aksi it covers; the download itself is the CLI's (bot/cli/evidence.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.obligations import aksi_owed
from models import Aksi
from models import Evidence
from models import Kegiatan


def required_by(kegiatan_id: int, quarter: int, *, session: Session) -> list[str]:
    """Why evidence is required for this report: `kegiatan`, or `aksi <no>` for each due aksi that asks."""
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None:
        return []
    reasons = ["kegiatan"] if kegiatan.evidence_required else []
    asking = set(session.exec(select(Aksi.id).where(Aksi.kegiatan_id == kegiatan_id,
                                                    Aksi.evidence_required.is_(True))).all())
    if asking:
        reasons += [f"aksi {o.no}" for o in aksi_owed([kegiatan_id], quarter, session=session)
                    if o.aksi_id in asking and o.due]
    return reasons


def stored_count(kegiatan_id: int, quarter: int, *, session: Session) -> int:
    return len(session.exec(select(Evidence.id).where(Evidence.kegiatan_id == kegiatan_id,
                                                      Evidence.quarter == quarter)).all())


def missing(kegiatan_id: int, quarter: int, *, session: Session, adding: int = 0) -> bool:
    """Evidence is required and none is stored nor being added."""
    return bool(required_by(kegiatan_id, quarter, session=session)) and \
        stored_count(kegiatan_id, quarter, session=session) + adding == 0


def set_required(kegiatan_id: int, aksi_no: int | None, value: bool, *, session: Session,
                 actor_label: str) -> str:
    """Require (or stop requiring) evidence for a kegiatan or one of its aksi; the name of what changed."""
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None:
        raise LookupError("kegiatan")
    row = kegiatan
    if aksi_no is not None:
        row = session.exec(select(Aksi).where(Aksi.kegiatan_id == kegiatan_id, Aksi.no == aksi_no)).first()
        if row is None:
            raise LookupError("aksi")
    if row.evidence_required != value:
        record(session, action="evidence.require", entity="aksi" if aksi_no is not None else "kegiatan",
               entity_id=row.id, field="evidence_required", old_value=str(row.evidence_required),
               new_value=str(value), actor_label=actor_label)
        row.evidence_required = value
    session.flush()
    return f"{kegiatan.seq}. {kegiatan.name}" + (f" — aksi {aksi_no}" if aksi_no is not None else "")


@dataclass(frozen=True)
class ExportItem:
    evidence_id: int
    file_id: str
    path: str  # relative to the output folder


def _slug(text: str, width: int = 60) -> str:
    value = re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-")
    return value[:width].rstrip("-") or "x"


def export_plan(plan_id: int, quarter: int, *, session: Session) -> list[ExportItem]:
    """Every evidence file of the quarter: `<nn>-<kegiatan>/TW<q>-<aksi>-<k>-<file name>`. The aksi part
    names the aksi due that quarter (`aksi-1-2`), as evidence belongs to the kegiatan's whole report."""
    rows = session.exec(select(Evidence, Kegiatan).join(Kegiatan, Kegiatan.id == Evidence.kegiatan_id)
                        .where(Kegiatan.plan_id == plan_id, Evidence.quarter == quarter)
                        .order_by(Kegiatan.seq, Evidence.uploaded_at, Evidence.id)).all()
    due: dict[int, str] = {}
    out, counts = [], {}
    for evidence, kegiatan in rows:
        if kegiatan.id not in due:
            numbers = [str(o.no) for o in aksi_owed([kegiatan.id], quarter, session=session) if o.due]
            due[kegiatan.id] = "aksi-" + "-".join(numbers) if numbers else "kegiatan"
        counts[kegiatan.id] = counts.get(kegiatan.id, 0) + 1
        name = evidence.file_name or ("foto.jpg" if evidence.kind == "photo" else "dokumen")
        stem, dot, ext = name.rpartition(".")
        safe = (_slug(stem, 40) + "." + _slug(ext, 8)) if dot else _slug(name, 40)
        folder = f"{kegiatan.seq:02d}-{_slug(kegiatan.name)}"
        out.append(ExportItem(evidence.id, evidence.file_id,
                              f"{folder}/TW{quarter}-{due[kegiatan.id]}-{counts[kegiatan.id]:02d}-{safe}"))
    return out
