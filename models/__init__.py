"""SQLModel tables. Import from here so every table is registered on the metadata."""

from models.botstate import BotState
from models.outbox import GroupPost, Reminder
from models.people import Invite, LeadershipMembership, Person, PicAssignment
from models.plan import (
    Agency,
    Aksi,
    AksiTarget,
    Goal,
    GoalIndicator,
    ImportAnomaly,
    Kegiatan,
    KegiatanIndicator,
    Plan,
    Program,
    ProgramIndicator,
)
from models.report import (
    AksiRealisation,
    AuditLog,
    Evidence,
    IndicatorRealisation,
    KegiatanRealisation,
    PeriodLock,
)

__all__ = [
    "Agency", "Aksi", "AksiRealisation", "AksiTarget", "AuditLog", "BotState", "Evidence",
    "Goal", "GoalIndicator", "GroupPost", "ImportAnomaly", "IndicatorRealisation", "Invite",
    "Kegiatan", "KegiatanIndicator", "KegiatanRealisation", "PeriodLock", "Person",
    "PicAssignment", "Plan", "Program", "ProgramIndicator", "Reminder",
]
