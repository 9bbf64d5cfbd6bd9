"""Every enumerated state and kind of the application, in one module.

The values are the Chinese words stored in the database and shown to users (a state *is* its
word; there is no separate display label to parse back). Each enumeration is a ``StrEnum``, so a
member compares equal to its stored string and binds as one in SQL. ``db/models.py`` builds a
CHECK constraint from each enumeration (``check_in``), so no other word can be stored on SQLite,
PostgreSQL or MariaDB (Alembic revision 0002).

Code compares states with these members (``LetterStatus.FED_BACK``), never with a label made for
display, and never splits a label to recover a state.

This module imports nothing of the application: any layer may use it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role."""

    ADMIN = "admin"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    LEADER = "leader"


class DeputyStatus(StrEnum):
    """代表状态."""

    SERVING = "在任"
    RESIGNED = "辞职"
    RECALLED = "罢免"
    DECEASED = "去世"


class PeriodEnd(StrEnum):
    """Why a period of service (services.deputies) ended."""

    RESIGNED = "辞职"
    RECALLED = "罢免"
    DECEASED = "去世"
    MOVED = "调整代表组"


class Organiser(StrEnum):
    """Who organised a contact activity (R2)."""

    GROUP = "代表组统一组织"
    DEPUTY = "代表个人"


class ActivityKind(StrEnum):
    """三问 (R2), or other."""

    WENNAN = "问难"
    WENXU = "问需"
    WENJI = "问计"
    OTHER = "其他"


class OpinionSource(StrEnum):
    """Where a voter's opinion was raised."""

    ACTIVITY = "活动"
    REPORT = "述职"


class OpinionStatus(StrEnum):
    """群众意见的办理状态."""

    PENDING = "待转交"
    FORWARDED = "已转交"
    HANDLING = "办理中"
    RESOLVED = "已解决"
    UNRESOLVABLE = "无法解决"
    FED_BACK = "已反馈选民"


class CalendarDayKind(StrEnum):
    """A day of the office's working calendar (工作日历): a day off or a weekend day worked (调休)."""

    OFF = "放假"
    WORK = "调休上班"


class LetterStatus(StrEnum):
    """来信的办理状态 (DOMAIN.md, A letter's life)."""

    REGISTERED = "登记"
    HANDED = "已交代表"
    REPLIED = "已回复"
    FORWARDED = "已转办"
    HANDLING = "办理中"
    CONCLUDED = "已办结"
    FED_BACK = "已反馈"
    REJECTED = "不予受理"
    MERGED = "已合并"


class Outcome(StrEnum):
    """办理结果分类 of a letter, an opinion or a proposal (the usual classes of 建议办理): only A
    counts as solved (rules.letter_resolved / opinion_resolved); B, C and D are shown as they are."""

    A = "A 已解决"
    B = "B 正在解决"
    C = "C 列入计划逐步解决"
    D = "D 因条件限制留作参考"


class BodyKind(StrEnum):
    """承办单位的类别."""

    GOVERNMENT = "政府部门"
    COURT = "法院"
    PROCURATORATE = "检察院"
    STREET = "街道乡镇"
    ENTERPRISE = "企事业单位"
    OTHER = "其他"


class ReplyMethod(StrEnum):
    """How a writer was given the first reply (答复)."""

    PHONE = "电话"
    IN_PERSON = "当面"
    WRITTEN = "书面"


class Satisfaction(StrEnum):
    """A writer's or a deputy's view of an answer."""

    SATISFIED = "满意"
    BASIC = "基本满意"
    UNSATISFIED = "不满意"


class TopicStatus(StrEnum):
    """监督议题."""

    OPEN = "进行中"
    CLOSED = "已办结"


class ProposalKind(StrEnum):
    """议案 / 建议 / 批评和意见."""

    MOTION = "议案"
    SUGGESTION = "建议"
    CRITICISM = "批评和意见"


class ProposalStatus(StrEnum):
    """议案建议的办理状态."""

    SUBMITTED = "已提交"
    REGISTERED = "已立案"
    ASSIGNED = "已交办"
    HANDLING = "办理中"
    ANSWERED = "已答复"


class EventKind(StrEnum):
    """Congress sessions and standing-committee (and group) activities that deputies attend."""

    CONGRESS = "人代会"
    STANDING_SESSION = "列席常委会"
    INSPECTION = "视察"
    RESEARCH = "调研"
    LAW_CHECK = "执法检查"
    GROUP_ACTIVITY = "代表小组活动"


class AttendanceStatus(StrEnum):
    """出席 / 请假 / 缺席."""

    PRESENT = "出席"
    LEAVE = "请假"
    ABSENT = "缺席"


class PublicityKind(StrEnum):
    """宣传 / 普法 / 法制调研 (F2, F4)."""

    PUBLICITY = "宣传"
    LAW_EDUCATION = "普法"
    LAW_RESEARCH = "法制调研"


class ReportForm(StrEnum):
    """述职的形式 (R6, R7)."""

    FACE = "当面述职"
    WRITTEN = "书面报告"


class ReviewResult(StrEnum):
    """A group's review of a written report (R7)."""

    PASSED = "通过"
    RETURNED = "退回修改"


class RectificationSource(StrEnum):
    """Where a rectification item came from."""

    REPORT = "述职"
    SPOTCHECK = "抽查"


class RectificationStatus(StrEnum):
    """整改事项."""

    OPEN = "未完成"
    DONE = "已完成"


class KeeperKind(StrEnum):
    """Who keeps a mailbox (R11)."""

    DEPUTY = "代表本人"
    LIAISON = "联络员委托"


class SpotCheckStatus(StrEnum):
    """A spot check: 已封存 (the eligible list frozen, the random value not yet taken), 检查中
    (drawn, findings being recorded), 已完成, 已作废 (abandoned; kept in the history)."""

    SEALED = "已封存"
    CHECKING = "检查中"
    DONE = "已完成"
    ABANDONED = "已作废"


class DrawSource(StrEnum):
    """Where a spot check's random value comes from (fixed at 封存)."""

    LOTTERY = "彩票开奖"
    DICE = "现场掷骰"


class RecordKind(StrEnum):
    """Kinds of records a spot check draws."""

    ACTIVITY = "联系活动"
    LETTER = "来信"
    OPENING = "开箱记录"
    REPORT = "述职"


class Finding(StrEnum):
    """A spot check's finding on one record."""

    PASS = "合格"
    BASIC = "基本合格"
    FAIL = "不合格"


class GroupGrade(StrEnum):
    """A group's grade in a spot check."""

    EXCELLENT = "优秀"
    PASS = "合格"
    RECTIFY = "需整改"


class RubricStatus(StrEnum):
    """评分细则版本."""

    DRAFT = "草稿"
    PUBLISHED = "已发布"


class Focus(StrEnum):
    """The five focuses (R15) and the deductions."""

    F1 = "F1"
    F2 = "F2"
    F3 = "F3"
    F4 = "F4"
    F5 = "F5"
    DEDUCT = "扣分"


class Grade(StrEnum):
    """A deputy's grade from the score."""

    EXCELLENT = "优秀"
    COMPETENT = "称职"
    BASIC = "基本称职"
    INCOMPETENT = "不称职"


class SelectionKind(StrEnum):
    """Confirmed lists (R17)."""

    EXCELLENT = "优秀代表"
    ADVANCED = "先进代表组"


def values(enum: type[StrEnum]) -> list[str]:
    """The stored values of an enumeration, in declaration order (for pickers and checks)."""
    return [m.value for m in enum]


def check_in(column: str, enum: type[StrEnum], *, nullable: bool = False) -> str:
    """The SQL of a CHECK constraint that keeps ``column`` within ``enum`` (portable)."""
    words = ",".join("'" + v.replace("'", "''") + "'" for v in values(enum))
    text = f"{column} in ({words})"
    return f"{column} is null or {text}" if nullable else text
