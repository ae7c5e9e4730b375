"""What the bot's handlers need: the services they call, who may do what, the zone and
language of the replies, and the clock."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from sigtrack.core.texts import Lang
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.announcements import AnnouncementService
from sigtrack.services.backups import BackupReport
from sigtrack.services.feedback import FeedbackService
from sigtrack.services.status import StatusService
from sigtrack.services.tracking import TrackingService

# Every command, in the order /help lists them; `help` is everyone's, `winrate` everyone's
# when the operator makes it public, the rest the admins'.
COMMANDS = ("winrate", "signal_stats", "weekly_report", "stats", "open", "close", "cancel",
            "feedback", "upload_logs", "admin", "help")  # fmt: skip
PUBLIC = frozenset({"help"})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """Admins by Telegram user id (ADMIN_IDS, ADMIN1…9); `public_winrate` opens /winrate."""

    admin_ids: frozenset[int]
    public_winrate: bool = False

    @classmethod
    def of(cls, admin_ids: Collection[int], *, public_winrate: bool = False) -> Access:
        return cls(admin_ids=frozenset(admin_ids), public_winrate=public_winrate)

    def allows(self, user_id: int | None, command: str) -> bool:
        if command in PUBLIC or (command == "winrate" and self.public_winrate):
            return True
        return user_id is not None and user_id in self.admin_ids

    def commands_for(self, user_id: int | None) -> list[str]:
        return [c for c in COMMANDS if self.allows(user_id, c)]


@dataclass(frozen=True, slots=True, kw_only=True)
class BotServices:
    tracking: TrackingService
    analysis: AnalysisService
    status: StatusService
    feedback: FeedbackService
    announcements: AnnouncementService
    zone: tzinfo
    lang: Lang = Lang.ID
    clock: Callable[[], datetime] = field(default=utc_now)
    backup_now: Callable[[datetime], BackupReport] | None = None  # to the configured targets
