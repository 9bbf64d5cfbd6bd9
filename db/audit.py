"""The audit mechanism: every ORM insert, update and delete writes an AuditLog row in the
same transaction. Done once, for every table, as SQLAlchemy's versioned_history example does."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from db import models
from services import clock

# tables whose writes are not audited (the log itself, throttling rows)
_SKIP = {models.AuditLog, models.LoginAttempt, models.LoginSession}
# columns never copied into the log in clear
_SECRET = {"password_hash"}
ENTITY_NAMES: dict[str, str] = {
    "User": "用户",
    "Term": "届次",
    "Office": "办事处",
    "DeputyGroup": "代表组",
    "District": "选区",
    "Deputy": "代表",
    "DeputyPeriod": "任职记录",
    "Mailbox": "代表信箱",
    "MailboxOpening": "开箱记录",
    "Activity": "联系活动",
    "ActivityDeputy": "活动参加代表",
    "Opinion": "群众意见",
    "OpinionEvent": "意见办理记录",
    "Letter": "来信",
    "HandlingBody": "承办单位",
    "LetterEvent": "来信办理记录",
    "QuarterlySummary": "季度汇总",
    "SupervisionTopic": "监督议题",
    "TopicLetter": "议题来信",
    "Proposal": "议案建议",
    "ProposalSigner": "联名代表",
    "ProposalSource": "议案来源",
    "ProposalEvent": "议案建议办理记录",
    "CongressEvent": "会议活动",
    "Attendance": "出席记录",
    "PublicityWork": "宣传法制工作",
    "PublicityDeputy": "宣传参加代表",
    "ReportPlan": "述职计划",
    "ReportPlanItem": "述职计划人员",
    "Report": "述职",
    "Rectification": "整改事项",
    "Hearing": "听取汇报",
    "SpotCheck": "抽查",
    "SpotCheckItem": "抽查记录",
    "SpotCheckGrade": "抽查评定",
    "Rubric": "评分细则",
    "RubricRow": "评分细则条目",
    "Selection": "评优名单",
    "Setting": "系统设置",
    "CalendarYear": "工作日历",
    "CalendarDay": "工作日历日期",
    "FormIntent": "表单提交记录",
    "Counter": "编号计数器",
    "ImportFile": "已导入文件",
    "DataVersion": "数据版本",
}


_MAX_ITEMS = 50  # a long JSON list (e.g. a spot check's eligible records) is summarised


def _plain(value: object) -> object:
    """Turn a column value into something JSON can hold (long lists summarised)."""
    if isinstance(value, list) and len(value) > _MAX_ITEMS:
        return [*value[:_MAX_ITEMS], f"……共 {len(value)} 项，其余从略"]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj: object) -> dict:
    """Return the column values of an ORM object as a JSON-able dict."""
    mapper = inspect(obj).mapper
    out = {}
    for attr in mapper.column_attrs:
        key = attr.key
        if key in _SECRET:
            out[key] = "******"
            continue
        out[key] = _plain(getattr(obj, key, None))
    return out


def _identity(obj: object) -> str:
    """Return a readable primary key ("12" or "3/45")."""
    ident = inspect(obj).identity
    if ident is None:
        mapper = inspect(obj).mapper
        ident = tuple(getattr(obj, c.key) for c in mapper.primary_key)
    return "/".join(str(i) for i in ident if i is not None)


def _changes(obj: object) -> tuple[dict, dict]:
    """Return (before, after) dicts of the columns changed on a dirty object."""
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if attr.key in _SECRET:
            old, new = "******", "******(已修改)"
        before[attr.key] = _plain(old)
        after[attr.key] = _plain(new)
    return before, after


def _before_flush(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    """Queue audit entries for updates and deletes (their old values vanish at flush)."""
    actor = session.info.get("actor", "system")
    pending = session.info.setdefault("audit_new", [])
    for obj in list(session.dirty):
        if type(obj) in _SKIP or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if before or after:
            # "version" alone changing is bookkeeping, not a user-visible change
            if set(after) <= {"version", "updated_at"}:
                continue
            session.add(
                models.AuditLog(
                    username=actor,
                    action="修改",
                    entity=type(obj).__name__,
                    entity_id=_identity(obj),
                    before=before,
                    after=after,
                )
            )
    for obj in list(session.deleted):
        if type(obj) in _SKIP:
            continue
        session.add(
            models.AuditLog(
                username=actor,
                action="删除",
                entity=type(obj).__name__,
                entity_id=_identity(obj),
                before=snapshot(obj),
                after=None,
            )
        )
    for obj in list(session.new):
        if type(obj) in _SKIP:
            continue
        pending.append(obj)


def _after_flush(session: Session, _ctx) -> None:  # noqa: ANN001
    """Write audit rows for inserts, now that their ids are known."""
    pending = session.info.pop("audit_new", [])
    if not pending:
        return
    actor = session.info.get("actor", "system")
    rows = [
        {
            "at": clock.now(),
            "username": actor,
            "action": "新增",
            "entity": type(obj).__name__,
            "entity_id": _identity(obj),
            "before": None,
            "after": snapshot(obj),
        }
        for obj in pending
    ]
    session.execute(models.AuditLog.__table__.insert(), rows)


def install() -> None:
    """Attach the audit listeners to every Session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def log_view(session: Session, entity: str, entity_id: object, note: str) -> None:
    """Record a read of sensitive data (e.g. revealing a letter writer's phone)."""
    session.add(
        models.AuditLog(
            username=session.info.get("actor", "system"),
            action="查看",
            entity=entity,
            entity_id=str(entity_id),
            note=note,
        )
    )


install()
