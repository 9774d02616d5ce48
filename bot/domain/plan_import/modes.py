"""The mode of each parsed aksi, kegiatan indicator, IKU and program indicator (bot.domain.modes' rules),
for the store and the preview.

The targets are read as the store keeps them (the first number of a cell, the unit of an annual
target that holds one number or a leading percentage), so the mode a preview shows is the one
that is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.measure import NEGATIVE
from bot.domain.modes import aksi_mode
from bot.domain.modes import indicator_mode
from bot.domain.modes import outcome_mode
from bot.domain.modes import stored_unit
from bot.domain.modes import stored_value
from bot.domain.plan_import.parser import ParsedAksi
from bot.domain.plan_import.parser import ParsedIndicator
from bot.domain.plan_import.parser import ParsedPlan
from bot.domain.plan_import.parser import TargetRow
from bot.domain.plan_import.parser import read_target


def parsed_aksi_mode(aksi: ParsedAksi) -> str:
    return aksi_mode(aksi.indicator, [(t.kind, stored_value(t.kind, t.parts)) for t in aksi.targets])


def parsed_indicator_mode(ind: ParsedIndicator) -> str:
    return indicator_mode(ind.text, stored_unit(ind.target.parts))


def parsed_outcome_mode(row: TargetRow) -> str:
    annual = read_target(row.target_raw)
    return outcome_mode(row.text, stored_unit(annual.parts), stored_value(annual.kind, annual.parts),
                        [stored_value(t.kind, t.parts) for t in map(read_target, row.tw)])


@dataclass(frozen=True)
class ModeCounts:
    """How many aksi and kegiatan indicators of a plan are measured each way (the import preview)."""

    aksi_increment: int = 0
    aksi_level: int = 0
    aksi_negative: int = 0
    indicator_increment: int = 0
    indicator_level: int = 0
    indicator_negative: int = 0
    outcome_increment: int = 0  # IKU and program indicators
    outcome_level: int = 0
    outcome_negative: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def mode_counts(parsed: ParsedPlan) -> ModeCounts:
    aksi = [parsed_aksi_mode(a) for k in parsed.kegiatan for a in k.aksi]
    indicators = [parsed_indicator_mode(i) for k in parsed.kegiatan for i in k.indicators]
    outcomes = [parsed_outcome_mode(r) for owner in (*parsed.goals, *parsed.programs) for r in owner.indicators]
    return ModeCounts(*(modes.count(m) for modes in (aksi, indicators, outcomes) for m in (INCREMENT, LEVEL, NEGATIVE)))
