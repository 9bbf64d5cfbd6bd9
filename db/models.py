"""The data model: every entity of DOMAIN.md as SQLAlchemy 2 typed declarative classes.

Later features add behaviour, not tables. Records two people may edit at once carry a
``version`` column used for optimistic locking (``version_id_col``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services import clock
from services import states as S


def _now() -> datetime:
    """Return the current local time without microseconds (portable across databases)."""
    return clock.now()


def _ck(column: str, enum: type, name: str, *, nullable: bool = False) -> CheckConstraint:
    """A CHECK constraint keeping ``column`` within an enumeration of services.states."""
    return CheckConstraint(S.check_in(column, enum, nullable=nullable), name=name)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Versioned:
    """Mixin: an optimistic-locking version column."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


# ---------------------------------------------------------------- users & security


class User(Versioned, Base):
    """A login account with one role and an optional office / group scope."""

    __tablename__ = "users"
    __table_args__ = (
        _ck("role", S.Role, "ck_user_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("deputy_groups.id"))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # cookies issued before this instant are refused (logout, password change)
    tokens_valid_after: Mapped[datetime | None] = mapped_column(DateTime)
    # login throttling (services.auth): failures reached the per-user ceiling at / an admin unlocked at
    login_locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    login_unlocked_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)

    office: Mapped[Office | None] = relationship()
    group: Mapped[DeputyGroup | None] = relationship()
    __mapper_args__ = {"version_id_col": Versioned.version}


class LoginSession(Base):
    """One login (the cookie it issued, by user and start) and when it was last used: the idle
    timeout is judged here on the server, so a copied cookie of an idle login is refused too."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_seen", "last_seen_at"),)

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class LoginAttempt(Base):
    """One login attempt, kept for throttling by user and by client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_user_at", "username", "at"),
        Index("ix_login_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    client: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class AuditLog(Base):
    """操作日志: who changed what, when, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_user", "username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # 新增/修改/删除/查看/撤销...
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(255))


class DataVersion(Base):
    """A counter that every committed write moves on (db/dataversion.py): caches of computed
    figures are keyed by it, so a write makes them stale at once, in every process."""

    __tablename__ = "data_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Setting(Base):
    """A named setting (deadlines, thresholds, lists) stored as JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | list | int | float | str | None] = mapped_column(JSON)


class CalendarYear(Base):
    """A year of the office's working calendar (工作日历) entered by an administrator.

    An entered year overrides the ``holidays`` package (services.workdays). ``stamp`` is a new
    random value at every save: caches of the calendar are keyed by it."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[str] = mapped_column(String(32), nullable=False)
    entered_by: Mapped[str] = mapped_column(String(64), nullable=False)
    entered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    note: Mapped[str | None] = mapped_column(String(255))  # e.g. the notice: 国办发明电〔2026〕x号


class CalendarDay(Base):
    """One day of an entered year: a day off (放假) or a weekend day worked (调休上班)."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        _ck("kind", S.CalendarDayKind, "ck_calendar_day_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"), nullable=False,
                                      index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str | None] = mapped_column(String(32))


# ---------------------------------------------------------------- master data


class Term(Versioned, Base):
    """届次: a term of the congress."""

    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    start_year: Mapped[int] = mapped_column(Integer, nullable=False)
    end_year: Mapped[int] = mapped_column(Integer, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    __mapper_args__ = {"version_id_col": Versioned.version}


class Office(Versioned, Base):
    """办事处: a sub-district office."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    __mapper_args__ = {"version_id_col": Versioned.version}


class DeputyGroup(Versioned, Base):
    """代表组: one or more per office, with a liaison (联络员)."""

    __tablename__ = "deputy_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), nullable=False, index=True)
    liaison_name: Mapped[str | None] = mapped_column(String(64))
    liaison_phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    office: Mapped[Office] = relationship()
    __mapper_args__ = {"version_id_col": Versioned.version}


class District(Versioned, Base):
    """选区: an electoral district belonging to a group."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False, index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    group: Mapped[DeputyGroup] = relationship()
    __mapper_args__ = {"version_id_col": Versioned.version}


class HandlingBody(Versioned, Base):
    """承办单位: an organisation letters, opinions and proposals are forwarded to (master data).

    R3 is structural: a letter or opinion is forwarded to, and resolved by, a body of this
    directory, never a person (services.bodies.organisation decides)."""

    __tablename__ = "handling_bodies"
    __table_args__ = (
        _ck("kind", S.BodyKind, "ck_body_kind"),
        Index("ix_body_key", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    name_key: Mapped[str] = mapped_column(String(128), nullable=False)  # identity.body_key(name)
    pinyin: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # initials, e.g. qjyj
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="政府部门")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("handling_bodies.id"))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Deputy(Versioned, Base):
    """代表."""

    __tablename__ = "deputies"
    __table_args__ = (
        Index("ix_deputy_group_status", "group_id", "status"),
        Index("ix_deputy_name", "name"),
        _ck("status", S.DeputyStatus, "ck_deputy_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    pinyin: Mapped[str] = mapped_column(String(32), nullable=False, default="")  # initials, e.g. zsf
    gender: Mapped[str | None] = mapped_column(String(4))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    party: Mapped[str | None] = mapped_column(String(32))
    unit_title: Mapped[str | None] = mapped_column(String(128))  # 工作单位及职务
    occupation: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="在任")
    leads_enterprise: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_office_leader: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    joined_on: Mapped[date | None] = mapped_column(Date)  # elected / took office
    left_on: Mapped[date | None] = mapped_column(Date)  # resigned, recalled, died

    group: Mapped[DeputyGroup] = relationship()
    district: Mapped[District | None] = relationship()
    term: Mapped[Term] = relationship()
    periods: Mapped[list[DeputyPeriod]] = relationship(
        back_populates="deputy", cascade="all, delete-orphan", order_by="DeputyPeriod.start_on"
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class DeputyPeriod(Base):
    """任职记录: one stretch of a deputy's service in one group, from ``start_on`` to ``end_on``
    (both days served; ``end_on`` empty while serving). A deputy who moves group or is reinstated
    has several; whether a deputy counts in a year follows these dates (services.deputies), never
    today's status. Kept in step with the deputy's fields by db/periods.py."""

    __tablename__ = "deputy_periods"
    __table_args__ = (
        Index("ix_period_deputy_start", "deputy_id", "start_on"),
        Index("ix_period_group", "group_id"),
        CheckConstraint("end_on is null or end_on >= start_on", name="ck_period_dates"),
        _ck("end_reason", S.PeriodEnd, "ck_period_end_reason", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id", ondelete="CASCADE"), nullable=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    start_on: Mapped[date] = mapped_column(Date, nullable=False)
    end_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(8))

    deputy: Mapped[Deputy] = relationship(back_populates="periods")


class Mailbox(Versioned, Base):
    """代表信箱: per district (or per deputy), with its keeper."""

    __tablename__ = "mailboxes"
    __table_args__ = (
        _ck("keeper_kind", S.KeeperKind, "ck_mailbox_keeper"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False, index=True)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"))  # keeper deputy
    keeper_kind: Mapped[str] = mapped_column(String(8), nullable=False, default="代表本人")  # or 联络员委托
    keeper_name: Mapped[str | None] = mapped_column(String(64))
    delegation_start: Mapped[date | None] = mapped_column(Date)
    delegation_end: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(128))
    established_on: Mapped[date] = mapped_column(Date, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    district: Mapped[District] = relationship()
    deputy: Mapped[Deputy | None] = relationship()
    __mapper_args__ = {"version_id_col": Versioned.version}


class MailboxOpening(Base):
    """开箱记录."""

    __tablename__ = "mailbox_openings"
    __table_args__ = (Index("ix_opening_box_date", "mailbox_id", "opened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), nullable=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    opened_by: Mapped[str] = mapped_column(String(64), nullable=False)
    letters_found: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now, onupdate=_now)

    mailbox: Mapped[Mailbox] = relationship()


# ---------------------------------------------------------------- contact activities


class Activity(Versioned, Base):
    """联系选民活动."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activity_date", "held_on"),
        Index("ix_activity_group_date", "group_id", "held_on"),
        Index("ix_activity_office_date", "office_id", "held_on"),
        _ck("organiser", S.Organiser, "ck_activity_organiser"),
        _ck("kind", S.ActivityKind, "ck_activity_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(128), nullable=False)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False, index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)  # denormalized
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), nullable=False)  # denormalized
    organiser: Mapped[str] = mapped_column(String(16), nullable=False)  # 代表组统一组织 / 代表个人
    kind: Mapped[str] = mapped_column(String(8), nullable=False, index=True)  # 问难/问需/问计/其他
    targets: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # 联系对象
    mode: Mapped[str] = mapped_column(String(16), nullable=False, index=True)  # 活动形式
    voters_reached: Mapped[int] = mapped_column(Integer, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    has_signin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    has_photos: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    has_other: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    typical: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    verified_by: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now, onupdate=_now)

    district: Mapped[District] = relationship()
    deputies: Mapped[list[Deputy]] = relationship(secondary="activity_deputies")

    __mapper_args__ = {"version_id_col": Versioned.version}


class ActivityDeputy(Base):
    """参加代表: which deputies took part in an activity."""

    __tablename__ = "activity_deputies"
    __table_args__ = (Index("ix_actdep_deputy", "deputy_id"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)


class Opinion(Versioned, Base):
    """群众意见/诉求 raised at an activity or a report meeting."""

    __tablename__ = "opinions"
    __table_args__ = (
        Index("ix_opinion_cat_district_day", "category", "district_id", "raised_on"),  # R4 groups by year
        Index("ix_opinion_status", "status"),
        Index("ix_opinion_status_resolve_due", "status", "resolve_due"),
        Index("ix_opinion_group_raised", "group_id", "raised_on"),
        _ck("source", S.OpinionSource, "ck_opinion_source"),
        _ck("status", S.OpinionStatus, "ck_opinion_status"),
        _ck("outcome", S.Outcome, "ck_opinion_outcome", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="活动")  # 活动/述职
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"), index=True)  # in charge
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    raised_on: Mapped[date] = mapped_column(Date, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    is_livelihood: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    forwarded_to: Mapped[str | None] = mapped_column(String(128))
    # 待转交 → 已转交 → 办理中 → 已解决 / 无法解决 → 已反馈选民
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="待转交")
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[str | None] = mapped_column(Text)
    unresolvable_reason: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("handling_bodies.id"), index=True)  # 转交单位
    resolved_body_id: Mapped[int | None] = mapped_column(ForeignKey("handling_bodies.id"))  # 解决单位
    outcome: Mapped[str | None] = mapped_column(String(16))  # A/B/C/D (states.Outcome)
    # the opinion's clock (services.opinions, deadlines like a letter's): date of the last step, the
    # round (a reopened opinion starts a new one on round_start), the working days paused, and the
    # due dates of 转交, 办结 and 反馈选民
    status_on: Mapped[date | None] = mapped_column(Date)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    round_start: Mapped[date | None] = mapped_column(Date)
    paused_since: Mapped[date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    forward_due: Mapped[date | None] = mapped_column(Date)
    resolve_due: Mapped[date | None] = mapped_column(Date)
    feedback_due: Mapped[date | None] = mapped_column(Date)

    __mapper_args__ = {"version_id_col": Versioned.version}


class OpinionEvent(Base):
    """One step of an opinion's life: who, when, a note."""

    __tablename__ = "opinion_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8), nullable=False)
    happened_on: Mapped[date] = mapped_column(Date, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    by: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- letters


class Letter(Versioned, Base):
    """来信 with its lifecycle (see DOMAIN.md, A letter's life)."""

    __tablename__ = "letters"
    __table_args__ = (
        Index("ix_letter_received", "received_on"),
        Index("ix_letter_group_received", "group_id", "received_on"),
        Index("ix_letter_office_received", "office_id", "received_on"),
        Index("ix_letter_status", "status"),
        Index("ix_letter_status_resolve_due", "status", "resolve_due"),  # the overdue list
        Index("ix_letter_cat_district_day", "category", "district_id", "received_on"),  # R4 groups by year
        Index("ix_letter_phone", "writer_phone"),
        Index("ix_letter_deputy", "deputy_id"),
        _ck("status", S.LetterStatus, "ck_letter_status"),
        _ck("satisfaction", S.Satisfaction, "ck_letter_satisfaction", nullable=True),
        _ck("outcome", S.Outcome, "ck_letter_outcome", nullable=True),
        _ck("reply_method", S.ReplyMethod, "ck_letter_reply_method", nullable=True),
        Index("ix_letter_writer_key", "writer_key"),
        Index("ix_letter_body", "body_id"),
        Index("ix_letter_merged_into", "merged_into_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)  # 编号
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), nullable=False, index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False)  # denormalized
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    writer_name: Mapped[str | None] = mapped_column(String(64))  # personal data
    writer_phone: Mapped[str | None] = mapped_column(String(32))  # personal data
    writer_address: Mapped[str | None] = mapped_column(String(255))  # personal data
    # who wrote it, for counting distinct writers (services.identity.writer_key; None: anonymous)
    writer_key: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"))  # 承办代表
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="登记")
    status_on: Mapped[date | None] = mapped_column(Date)  # date of the last step
    forwarded_to: Mapped[str | None] = mapped_column(String(128))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("handling_bodies.id"))  # 转办单位 (directory)
    reply_content: Mapped[str | None] = mapped_column(Text)  # 答复: what the writer was told
    reply_method: Mapped[str | None] = mapped_column(String(8))  # 电话/当面/书面
    result: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # A/B/C/D (states.Outcome)
    feedback_method: Mapped[str | None] = mapped_column(String(32))
    satisfaction: Mapped[str | None] = mapped_column(String(8))  # 满意/基本满意/不满意
    close_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # reopen rounds
    paused_since: Mapped[date | None] = mapped_column(Date)  # waiting for writer's clarification
    paused_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # working days paused
    reply_due: Mapped[date | None] = mapped_column(Date)
    resolve_due: Mapped[date | None] = mapped_column(Date)
    step_due: Mapped[date | None] = mapped_column(Date)  # deadline of the current step (交代表/转办)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now, onupdate=_now)

    mailbox: Mapped[Mailbox] = relationship()
    deputy: Mapped[Deputy | None] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}


class LetterEvent(Base):
    """One step of a letter's life: who, when, a note."""

    __tablename__ = "letter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8), nullable=False)
    happened_on: Mapped[date] = mapped_column(Date, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    by: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    undone: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    prior: Mapped[dict | None] = mapped_column(JSON)  # the letter's fields before this step (for undo)


class QuarterlySummary(Versioned, Base):
    """季度汇总 submission state per group and quarter (R13)."""

    __tablename__ = "quarterly_summaries"
    __table_args__ = (UniqueConstraint("group_id", "year", "quarter", name="uq_summary_gyq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    __mapper_args__ = {"version_id_col": Versioned.version}


class SupervisionTopic(Base):
    """监督议题 made from concentrated appeals (R14)."""

    __tablename__ = "supervision_topics"
    __table_args__ = (
        _ck("status", S.TopicStatus, "ck_topic_status"),
        _ck("outcome_class", S.Outcome, "ck_topic_outcome_class", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128), nullable=False)
    category: Mapped[str | None] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="进行中")  # 进行中/已办结
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_class: Mapped[str | None] = mapped_column(String(16))  # A/B/C/D (states.Outcome), given on closing
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class TopicLetter(Base):
    """A letter covered by a supervision topic, and whether its writer was told the outcome."""

    __tablename__ = "topic_letters"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_topics.id", ondelete="CASCADE"), primary_key=True
    )
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), primary_key=True)
    told_at: Mapped[datetime | None] = mapped_column(DateTime)
    told_by: Mapped[str | None] = mapped_column(String(64))


# ---------------------------------------------------------------- proposals, attendance, publicity


class Proposal(Versioned, Base):
    """议案 / 建议 / 批评和意见."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposal_kind_date", "kind", "submitted_on"),
        _ck("kind", S.ProposalKind, "ck_proposal_kind"),
        _ck("status", S.ProposalStatus, "ck_proposal_status"),
        _ck("deputy_view", S.Satisfaction, "ck_proposal_view", nullable=True),
        _ck("outcome", S.Outcome, "ck_proposal_outcome", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 议案/建议/批评和意见
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), nullable=False)
    session_no: Mapped[int | None] = mapped_column(Integer)  # 会次; None = 闭会期间
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    lead_deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), nullable=False, index=True)
    submitted_on: Mapped[date] = mapped_column(Date, nullable=False)
    handling_body: Mapped[str | None] = mapped_column(String(128))  # 承办单位
    body_id: Mapped[int | None] = mapped_column(ForeignKey("handling_bodies.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))  # A/B/C/D (states.Outcome)
    # 已提交 → 已立案/已交办 → 办理中 → 已答复
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="已提交")
    deputy_view: Mapped[str | None] = mapped_column(String(8))  # 满意/基本满意/不满意
    result: Mapped[str | None] = mapped_column(Text)
    result_on: Mapped[date | None] = mapped_column(Date)
    law_related: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))

    lead_deputy: Mapped[Deputy] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}


class ProposalSigner(Base):
    """A deputy signing a proposal: 领衔 (lead) or 附议 (co-signer)."""

    __tablename__ = "proposal_signers"
    __table_args__ = (Index("ix_signer_deputy", "deputy_id"),)

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ProposalSource(Base):
    """A letter or opinion a proposal came from (R4)."""

    __tablename__ = "proposal_sources"
    __table_args__ = (
        CheckConstraint(
            "(letter_id is null) <> (opinion_id is null)", name="ck_source_one_of"
        ),
        Index("ix_source_letter", "letter_id"),
        Index("ix_source_opinion", "opinion_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True
    )
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("opinions.id"))


class ProposalEvent(Base):
    """One status step of a proposal (timeline): from, to, when, who, a note."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8), nullable=False)
    happened_on: Mapped[date] = mapped_column(Date, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    by: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class CongressEvent(Base):
    """人代会会议 or standing-committee activity that deputies attend."""

    __tablename__ = "congress_events"
    __table_args__ = (
        Index("ix_event_date", "held_on"),
        _ck("kind", S.EventKind, "ck_event_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # 人代会/列席常委会/视察/调研/执法检查/代表小组活动
    title: Mapped[str] = mapped_column(String(128), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), nullable=False)
    session_no: Mapped[int | None] = mapped_column(Integer)


class Attendance(Versioned, Base):
    """One invited deputy's attendance at an event: 出席 / 请假 / 缺席."""

    __tablename__ = "attendance"
    __table_args__ = (
        _ck("status", S.AttendanceStatus, "ck_attendance_status"),
        Index("ix_attendance_deputy", "deputy_id"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("congress_events.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(4), nullable=False, default="出席")
    __mapper_args__ = {"version_id_col": Versioned.version}


class PublicityWork(Base):
    """宣传 / 普法 / 法制调研 work (feeds F2 and F4)."""

    __tablename__ = "publicity_works"
    __table_args__ = (
        Index("ix_publicity_date", "held_on"),
        _ck("kind", S.PublicityKind, "ck_publicity_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 宣传/普法/法制调研
    title: Mapped[str] = mapped_column(String(128), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    audience: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    summary: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))


class PublicityDeputy(Base):
    """A deputy taking part in publicity or rule-of-law work."""

    __tablename__ = "publicity_deputies"
    __table_args__ = (Index("ix_pubdep_deputy", "deputy_id"),)

    work_id: Mapped[int] = mapped_column(
        ForeignKey("publicity_works.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)


# ---------------------------------------------------------------- reports to voters


class ReportPlan(Versioned, Base):
    """A group's yearly plan of face-to-face reports (R6)."""

    __tablename__ = "report_plans"
    __table_args__ = (UniqueConstraint("group_id", "year", name="uq_plan_group_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    __mapper_args__ = {"version_id_col": Versioned.version}


class ReportPlanItem(Base):
    """A deputy planned to report face to face, with date, venue and content."""

    __tablename__ = "report_plan_items"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("report_plans.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)
    planned_on: Mapped[date | None] = mapped_column(Date)
    venue: Mapped[str | None] = mapped_column(String(128))
    content: Mapped[str | None] = mapped_column(Text)


class Report(Versioned, Base):
    """述职: a deputy's face-to-face report or written report for one year."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("deputy_id", "year", "form", name="uq_report_deputy_year_form"),
        Index("ix_report_year", "year"),
        _ck("form", S.ReportForm, "ck_report_form"),
        _ck("review_result", S.ReviewResult, "ck_report_review", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    form: Mapped[str] = mapped_column(String(8), nullable=False)  # 当面述职 / 书面报告
    held_on: Mapped[date | None] = mapped_column(Date)
    venue: Mapped[str | None] = mapped_column(String(128))
    voters_present: Mapped[int | None] = mapped_column(Integer)
    questions_asked: Mapped[int | None] = mapped_column(Integer)
    questions_answered: Mapped[int | None] = mapped_column(Integer)
    video_recorded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    text_note: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[int | None] = mapped_column(Integer)
    basically_satisfied: Mapped[int | None] = mapped_column(Integer)
    unsatisfied: Mapped[int | None] = mapped_column(Integer)
    received_on: Mapped[date | None] = mapped_column(Date)  # written report received
    review_result: Mapped[str | None] = mapped_column(String(8))  # 通过 / 退回修改
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    filed_on: Mapped[date | None] = mapped_column(Date)  # 报代表联络工委备案
    published_on: Mapped[date | None] = mapped_column(Date)  # 人大工作信息
    publication_issue: Mapped[str | None] = mapped_column(String(32))

    deputy: Mapped[Deputy] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}


class Rectification(Versioned, Base):
    """整改 item from voters' evaluation (R10) or from a spot check (R16)."""

    __tablename__ = "rectifications"
    __table_args__ = (
        Index("ix_rect_group_status", "group_id", "status"),
        _ck("source", S.RectificationSource, "ck_rect_source"),
        _ck("status", S.RectificationStatus, "ck_rect_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8), nullable=False)  # 述职 / 抽查
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    spot_check_id: Mapped[int | None] = mapped_column(ForeignKey("spot_checks.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    owner: Mapped[str | None] = mapped_column(String(64))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="未完成")  # 未完成/已完成
    announced_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    # opened by a spot check's grading (需整改), which may withdraw it if the findings are revised;
    # an item a person wrote is never withdrawn, whatever its text
    opened_by_grading: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    __mapper_args__ = {"version_id_col": Versioned.version}


class Hearing(Base):
    """听取代表组工作汇报 (R16)."""

    __tablename__ = "hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False, index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    heard_by: Mapped[str] = mapped_column(String(128), nullable=False)
    points: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- spot checks


class SpotCheck(Base):
    """抽查: 封存 (the eligible list, its fingerprint and the random source fixed in advance), then
    开签 (the random value, the seed and the sample). Abandoned checks stay (已作废)."""

    __tablename__ = "spot_checks"
    __table_args__ = (
        _ck("status", S.SpotCheckStatus, "ck_spotcheck_status"),
        _ck("source_kind", S.DrawSource, "ck_spotcheck_source", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)  # who sealed
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)  # when sealed
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    rule: Mapped[dict] = mapped_column(JSON, nullable=False)
    witness_value: Mapped[str | None] = mapped_column(String(128))  # the random value (开签)
    seed: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(128), nullable=False)
    sample: Mapped[list | None] = mapped_column(JSON)
    # the eligible list at 封存, canonical order [[group_id, kind, record_id], ...]
    eligible: Mapped[list | None] = mapped_column(JSON)
    # each eligible record's facts at 封存 {"kind|id": {...}} (复核 shows before / after)
    snapshots: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="检查中")
    source_kind: Mapped[str | None] = mapped_column(String(8))  # 彩票开奖 / 现场掷骰
    source_name: Mapped[str | None] = mapped_column(String(64))  # e.g. 中国福利彩票双色球
    source_due: Mapped[date | None] = mapped_column(Date)  # the day the value will be taken
    source_ref: Mapped[str | None] = mapped_column(String(64))  # draw number / meeting
    reseal_reason: Mapped[str | None] = mapped_column(Text)  # why a second 封存 of the same groups and quarter
    opened_by: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    second_name: Mapped[str | None] = mapped_column(String(64))  # dice: the second person
    second_role: Mapped[str | None] = mapped_column(String(32))
    # dice: the account that confirmed the value with its own password at 开签
    second_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    abandoned_by: Mapped[str | None] = mapped_column(String(64))
    abandoned_at: Mapped[datetime | None] = mapped_column(DateTime)
    abandon_reason: Mapped[str | None] = mapped_column(Text)


class SpotCheckItem(Versioned, Base):
    """One drawn record and its findings (versioned: a findings form carries the version it showed)."""

    __tablename__ = "spot_check_items"
    __table_args__ = (
        Index("ix_scitem_record", "record_kind", "record_id"),
        _ck("record_kind", S.RecordKind, "ck_scitem_kind"),
        _ck("result", S.Finding, "ck_scitem_result", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        ForeignKey("spot_checks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), nullable=False)
    record_kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 联系活动/来信/开箱记录/述职
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    record_digest: Mapped[str | None] = mapped_column(String(64))  # record state at the draw
    checklist: Mapped[dict | None] = mapped_column(JSON)  # item -> 通过/不通过/不适用
    result: Mapped[str | None] = mapped_column(String(8))  # 合格/基本合格/不合格
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revision_note: Mapped[str | None] = mapped_column(Text)  # why the supervisor revised the finding

    __mapper_args__ = {"version_id_col": Versioned.version}


class SpotCheckGrade(Base):
    """A group's grade in one spot check."""

    __tablename__ = "spot_check_grades"
    __table_args__ = (
        _ck("grade", S.GroupGrade, "ck_scgrade_grade", nullable=True),
    )

    check_id: Mapped[int] = mapped_column(
        ForeignKey("spot_checks.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), primary_key=True)
    grade: Mapped[str | None] = mapped_column(String(8))  # 优秀/合格/需整改


# ---------------------------------------------------------------- scoring & selection


class Rubric(Base):
    """评分细则: a versioned rubric. Editing creates a new version."""

    __tablename__ = "rubrics"
    __table_args__ = (
        _ck("status", S.RubricStatus, "ck_rubric_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="草稿")  # 草稿/已发布
    grade_bands: Mapped[dict] = mapped_column(JSON, nullable=False)
    focus_caps: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class RubricRow(Base):
    """One rule of a rubric: which facts count toward which focus, points, cap, condition."""

    __tablename__ = "rubric_rows"
    __table_args__ = (
        _ck("focus", S.Focus, "ck_rubric_focus"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(
        ForeignKey("rubrics.id", ondelete="CASCADE"), nullable=False, index=True
    )
    focus: Mapped[str] = mapped_column(String(4), nullable=False)  # F1..F5 or 扣分
    fact: Mapped[str] = mapped_column(String(32), nullable=False)  # a fact key known to services.scoring
    points: Mapped[float] = mapped_column(Float, nullable=False)
    cap: Mapped[float | None] = mapped_column(Float)
    cap_group: Mapped[str | None] = mapped_column(String(32))  # rows sharing one cap
    condition: Mapped[str | None] = mapped_column(String(32))
    # for attendance facts: the event kinds the row counts (services.states.EventKind values)
    kinds: Mapped[list | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class Selection(Base):
    """A confirmed list of 优秀代表 or 先进代表组, with its rubric version."""

    __tablename__ = "selections"
    __table_args__ = (
        _ck("kind", S.SelectionKind, "ck_selection_kind"),
        UniqueConstraint("current_key", name="uq_selections_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 优秀代表 / 先进代表组
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"), nullable=False)
    items: Mapped[list] = mapped_column(JSON, nullable=False)
    # what the list was computed with, so that it reproduces: the settings of the selection, the
    # ties at the cut and the leader's decision on them with its reason
    params: Mapped[dict | None] = mapped_column(JSON)
    confirmed_by: Mapped[str] = mapped_column(String(64), nullable=False)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    # "2025-优秀代表" while this is the year's current list, NULL once replaced (作废): the unique
    # constraint keeps one current list per year and kind
    current_key: Mapped[str | None] = mapped_column(String(32))
    voided_by: Mapped[str | None] = mapped_column(String(64))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    void_reason: Mapped[str | None] = mapped_column(String(500))


# ---------------------------------------------------------------- one save per intent


class FormIntent(Base):
    """A form submission already applied: the token the form was drawn with (a second submit of
    the same drawn form is refused). Written in the transaction of the write it guards."""

    __tablename__ = "form_intents"
    __table_args__ = (Index("ix_form_intents_at", "at"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    form: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)


class Counter(Base):
    """A running number per name and year (letter numbers XF2026-000123): the row is locked for
    update while the next number is taken, so two registrations never get the same number."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class ImportFile(Base):
    """A spreadsheet imported, by the SHA-256 of its content: the same file is imported once."""

    __tablename__ = "import_files"
    __table_args__ = (UniqueConstraint("area", "sha256", name="uq_import_files_area_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(32), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=_now)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
