"""The small plan's signed indicators: one IKU and two program indicators, and who reports them.

- IKU 1 «Prosentase ASN yang memiliki sertifikat diklat kompetensi»: 73%, due in TW IV only (level), as in
  the seed; at TW II it is not due yet and what is typed is progress.
- Program indicator 1.1 «Persentase ASN yang mengikuti diklat»: 20/50/70/80% (level), due in TW II at 50%.
- Program indicator 1.2 «Jumlah peserta diklat teknis»: 30 a quarter, 120 orang (increment), due in TW II at 30.
"""

from decimal import Decimal as D

from bot.db import unit_of_work
from bot.domain.people import assign_outcome
from models import GoalIndicator
from models import Program
from models import ProgramIndicator

IKU_TEXT = "Prosentase ASN yang memiliki sertifikat diklat kompetensi"
SHARE_TEXT = "Persentase ASN yang mengikuti diklat"
COUNT_TEXT = "Jumlah peserta diklat teknis"


def _cells(raws: list[str]) -> dict:
    out = {}
    for q, raw in enumerate(raws, start=1):
        out[f"tw{q}_raw"] = raw
        out[f"tw{q}_value"] = D(raw.rstrip("%")) if raw not in ("", "-") else None
    return out


def add_outcomes(engine, small_plan: dict, holder: str | None = "budi") -> dict:
    """The three indicators on the small plan, held by `holder` (a small_plan person key; None: nobody)."""
    with unit_of_work(engine) as session:
        program = session.get(Program, small_plan["program"])
        iku = GoalIndicator(goal_id=program.goal_id, seq=1, no="1", text=IKU_TEXT, target_raw="73%", target_value=D(73),
                            target_unit="%", mode="level", **_cells(["-", "-", "-", "73%"]))
        share = ProgramIndicator(program_id=program.id, seq=1, no="1", text=SHARE_TEXT, target_raw="80%",
                                 target_value=D(80), target_unit="%", mode="level",
                                 **_cells(["20%", "50%", "70%", "80%"]))
        count = ProgramIndicator(program_id=program.id, seq=2, no="2", text=COUNT_TEXT, target_raw="120 orang",
                                 target_value=D(120), target_unit="orang", mode="increment",
                                 **_cells(["30", "30", "30", "30"]))
        session.add_all([iku, share, count])
        session.flush()
        program.goal_indicator_id = iku.id
        if holder is not None:
            person = small_plan[holder]
            assign_outcome(person, goal_indicator_id=iku.id, session=session, actor_label="test")
            assign_outcome(person, program_indicator_id=share.id, session=session, actor_label="test")
            assign_outcome(person, program_indicator_id=count.id, session=session, actor_label="test")
        return {"iku": iku.id, "share": share.id, "count": count.id}
