"""SQLModel tables. Import from here so every table is registered on the metadata."""

from models.botstate import BotState
from models.outbox import GroupPost
from models.outbox import Reminder
from models.people import AgencyMember
from models.people import Invite
from models.people import LeadershipMembership
from models.people import OutcomeAssignment
from models.people import Person
from models.people import PicAssignment
from models.plan import Agency
from models.plan import Aksi
from models.plan import AksiTarget
from models.plan import Goal
from models.plan import GoalIndicator
from models.plan import ImportAnomaly
from models.plan import Kegiatan
from models.plan import KegiatanBudgetPlan
from models.plan import KegiatanIndicator
from models.plan import Plan
from models.plan import Program
from models.plan import ProgramIndicator
from models.plan import RenstraFigure
from models.report import AksiRealisation
from models.report import AuditLog
from models.report import Evidence
from models.report import GoalIndicatorRealisation
from models.report import IndicatorRealisation
from models.report import KegiatanRealisation
from models.report import LeadershipResponse
from models.report import PeriodLock
from models.report import ProgramIndicatorRealisation
from models.report import ReportReview

__all__ = [
    "Agency", "AgencyMember", "Aksi", "AksiRealisation", "AksiTarget", "AuditLog", "BotState", "Evidence",
    "Goal", "GoalIndicator", "GoalIndicatorRealisation", "GroupPost", "ImportAnomaly", "IndicatorRealisation", "Invite",
    "Kegiatan", "KegiatanBudgetPlan", "KegiatanIndicator", "KegiatanRealisation", "LeadershipMembership", "LeadershipResponse",
    "OutcomeAssignment", "PeriodLock", "Person",
    "PicAssignment", "Plan", "Program", "ProgramIndicator", "ProgramIndicatorRealisation", "Reminder", "RenstraFigure", "ReportReview",
]
