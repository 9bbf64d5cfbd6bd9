"""操作日志: who changed what, when, before and after — a paginated, filterable list."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db import audit, models
from db.audit import ENTITY_NAMES
from services import clock
from services.common import Actor, Page, PermissionDenied, paginate
from services.validation import mask_address, mask_free_text, mask_name, mask_phone

ACTIONS = ("新增", "修改", "删除", "查看")
# Chinese names of columns shown in before/after (the rest keep their own name)
FIELD_NAMES: dict[str, str] = {
    "name": "名称", "number": "届次", "start_year": "起始年份", "end_year": "结束年份", "active": "启用",
    "office_id": "办事处", "group_id": "代表组", "district_id": "选区", "deputy_id": "代表",
    "liaison_name": "联络员", "liaison_phone": "联络员电话", "pinyin": "拼音首字母", "gender": "性别",
    "birth_year": "出生年份", "party": "党派", "unit_title": "工作单位及职务", "occupation": "职业",
    "phone": "联系电话", "term_id": "届次", "status": "状态", "leads_enterprise": "领办企业或单位",
    "is_office_leader": "担任领导职务", "joined_on": "当选日期", "left_on": "离任日期", "version": "版本",
    "username": "用户名", "display_name": "姓名", "role": "角色", "password_hash": "密码",
    "tokens_valid_after": "登录凭证起始时间",
    "login_locked_at": "登录锁定时间", "login_unlocked_at": "解除锁定时间", "created_at": "创建时间", "updated_at": "修改时间",
    "keeper_kind": "管理方式", "keeper_name": "管理人", "location": "设置地点", "established_on": "设立日期",
    "delegation_start": "委托开始", "delegation_end": "委托结束", "mailbox_id": "信箱", "opened_on": "开箱日期",
    "opened_by": "开箱人", "letters_found": "来信数", "note": "备注", "held_on": "日期", "place": "地点",
    "organiser": "组织方式", "kind": "类型", "targets": "联系对象", "mode": "活动形式",
    "voters_reached": "联系选民数", "summary": "内容摘要", "typical": "典型事例", "category": "类别",
    "content": "内容", "forwarded_to": "转交单位", "result": "办理结果", "feedback": "反馈",
    "received_on": "收信日期", "writer_name": "来信人", "writer_phone": "来信人电话",
    "writer_address": "来信人地址", "code": "编号", "title": "标题", "value": "值", "key": "设置项",
    "created_by": "创建人", "verified_by": "核实人", "verified_at": "核实时间",
    "activity_id": "联系活动",
    "announced_on": "通报日期",
    "audience": "受众人数",
    "basically_satisfied": "基本满意票",
    "by": "经办人",
    "cap": "上限",
    "cap_group": "共用上限",
    "check_id": "抽查",
    "checked_at": "检查时间",
    "checked_by": "检查人",
    "checklist": "核查项目",
    "close_reason": "办结/不予受理原因",
    "closed_at": "办结时间",
    "closed_by": "确认人",
    "closed_on": "完成日期",
    "condition": "条件",
    "confirmed_at": "确认时间",
    "confirmed_by": "确认人",
    "deputy_view": "代表对答复的意见",
    "due_on": "整改期限",
    "eligible": "可抽记录清单",
    "event_id": "会议活动",
    "fact": "计分事项",
    "feedback_method": "反馈方式",
    "filed_on": "备案日期",
    "fingerprint": "清单指纹",
    "focus": "工作重点",
    "focus_caps": "各重点满分",
    "form": "述职形式",
    "from_status": "原状态",
    "grade": "评定",
    "grade_bands": "等级划分",
    "handling_body": "承办单位",
    "happened_on": "日期",
    "has_other": "其他佐证",
    "has_photos": "照片",
    "has_signin": "签到表",
    "heard_by": "听取人",
    "is_lead": "领衔",
    "is_livelihood": "民生问题",
    "items": "名单",
    "law_related": "涉及法治",
    "lead_deputy_id": "领衔代表",
    "letter_id": "来信",
    "locked": "计划已确定",
    "locked_at": "确定时间",
    "locked_by": "确定人",
    "merged_into_id": "合并至来信",
    "opinion_id": "群众意见",
    "outcome": "办理结果",
    "owner": "责任人",
    "paused_days": "暂停工作日数",
    "paused_since": "暂停起始日",
    "period_end": "抽查期间止",
    "period_start": "抽查期间起",
    "plan_id": "述职计划",
    "planned_on": "计划日期",
    "points": "分值",
    "prior": "变更前状态",
    "proposal_id": "议案建议",
    "publication_issue": "刊登期号",
    "published_at": "发布时间",
    "published_on": "刊登日期",
    "quarter": "季度",
    "questions_answered": "答复问题数",
    "questions_asked": "提问数",
    "raised_on": "提出日期",
    "reason": "理由",
    "record_digest": "记录摘要值",
    "record_id": "记录编号",
    "record_kind": "记录类型",
    "reply_due": "答复期限",
    "report_id": "述职",
    "resolve_due": "办结期限",
    "resolved_by": "解决单位",
    "resolved_on": "解决日期",
    "result_on": "答复日期",
    "review_result": "审查结果",
    "reviewed_on": "审查日期",
    "reviewer": "审查人",
    "round": "办理轮次",
    "rubric_id": "评分细则",
    "rule": "抽查规则",
    "sample": "抽中记录",
    "satisfaction": "满意度",
    "satisfied": "满意票",
    "seed": "随机种子",
    "session_no": "会次",
    "source": "来源",
    "spot_check_id": "抽查",
    "status_on": "状态日期",
    "step_due": "本环节期限",
    "submitted_at": "报送时间",
    "submitted_by": "报送人",
    "submitted_on": "提出日期",
    "text_note": "述职报告",
    "to_status": "新状态",
    "told_at": "告知时间",
    "told_by": "告知人",
    "topic_id": "监督议题",
    "undone": "已撤销",
    "unresolvable_reason": "无法解决原因",
    "unsatisfied": "不满意票",
    "venue": "地点",
    "video_recorded": "录像",
    "voters_present": "到会选民",
    "witness_value": "见证值",
    "work_id": "宣传法制工作",
    "year": "年度",
    "id": "编号",
}


# foreign-key columns shown by the name of the record they point to
_REFS = {"office_id": models.Office, "group_id": models.DeputyGroup, "district_id": models.District,
         "deputy_id": models.Deputy, "term_id": models.Term, "mailbox_id": models.Mailbox}


def _ref_names(session: Session, rows: list) -> dict[tuple[str, object], str]:
    """Names of the records that foreign-key values in these log rows point to (one query per kind)."""
    wanted: dict[str, set] = {}
    for r in rows:
        for values in (r.before or {}, r.after or {}):
            for k, v in values.items():
                if k in _REFS and isinstance(v, int):
                    wanted.setdefault(k, set()).add(v)
    names: dict[tuple[str, object], str] = {}
    for k, ids in wanted.items():
        cls = _REFS[k]
        for i, name in session.execute(select(cls.id, cls.name).where(cls.id.in_(ids))):
            names[(k, i)] = f"{name}（{i}）"
    return names


def _fmt_value(value: object) -> str:
    """A logged value as short readable text."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:60] + "…"


def describe_change(action: str, before: dict | None, after: dict | None,
                    refs: dict[tuple[str, object], str] | None = None) -> str:
    """Before/after as one readable line: "姓名：张三 → 张三丰；状态：在任 → 辞职".

    ``refs`` maps (column, id) to the referenced record's name (see ``_ref_names``).
    """
    refs = refs or {}

    def named(k: str, v: object) -> object:
        """The referenced record's name for an id column, a rubric fact's Chinese name; else the value."""
        if k in ("fact", "condition") and isinstance(v, str) and v:
            from services import scoring  # label tables only; imported late to keep this module light

            return scoring.fact_name(v) if k == "fact" else scoring.condition_name(v)
        return refs.get((k, v), v) if isinstance(v, str | int | float | bool) or v is None else v

    before = {k: named(k, v) for k, v in (before or {}).items()}
    after = {k: named(k, v) for k, v in (after or {}).items()}
    skip = {"id", "version", "updated_at", "created_at"}
    parts = []
    if action == "修改":
        for k in after:
            if k in skip and len(after) > 1:
                continue
            parts.append(f"{FIELD_NAMES.get(k, k)}：{_fmt_value(before.get(k))} → {_fmt_value(after.get(k))}")
    else:
        values = after if action == "新增" else before
        for k, v in values.items():
            if k in skip or v in (None, "", [], {}):
                continue
            parts.append(f"{FIELD_NAMES.get(k, k)}：{_fmt_value(v)}")
    return "；".join(parts)


def entity_options() -> dict[str, str]:
    """Entities that the log names, {class name: 中文}."""
    return dict(ENTITY_NAMES)


def user_options(session: Session) -> list[str]:
    """Usernames that appear in the log (plus every account), sorted."""
    users = set(session.execute(select(models.User.username)).scalars())
    users |= {"system"}
    return sorted(users)


def _statement(filters: dict) -> Select:
    """The select of log rows matching ``filters``, newest first."""
    A = models.AuditLog
    stmt = select(A.id, A.at, A.username, A.action, A.entity, A.entity_id, A.before, A.after, A.note)
    period = filters.get("period")
    if period:
        start, end = period
        stmt = stmt.where(A.at >= datetime.combine(start, datetime.min.time()),
                          A.at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
    if filters.get("username"):
        stmt = stmt.where(A.username == filters["username"])
    if filters.get("entity"):
        stmt = stmt.where(A.entity == filters["entity"])
    if filters.get("action"):
        stmt = stmt.where(A.action == filters["action"])
    if filters.get("entity_id"):
        stmt = stmt.where(A.entity_id == str(filters["entity_id"]).strip())
    return stmt.order_by(A.at.desc(), A.id.desc())


# personal data in logged values: masked unless the admin chooses to reveal it (and that is logged)
PERSONAL_FIELDS = {"writer_name": mask_name, "writer_phone": mask_phone, "writer_address": mask_address,
                   "phone": mask_phone, "liaison_phone": mask_phone,
                   "writer_key": lambda v: "******"}  # the writer's identity key holds the name and phone
FREE_TEXT_FIELDS = {"summary", "content", "note", "result", "reply_content", "forwarded_to", "feedback", "reason", "close_reason",
                    "unresolvable_reason", "resolved_by", "text_note", "deputy_view", "outcome"}


def mask_values(values: dict | None) -> dict | None:
    """A logged before/after with personal fields masked and personal data in free text masked."""
    if not values:
        return values
    out = {}
    for k, v in values.items():
        if k in PERSONAL_FIELDS and isinstance(v, str) and v:
            out[k] = PERSONAL_FIELDS[k](v)
        elif k in FREE_TEXT_FIELDS and isinstance(v, str):
            out[k] = mask_free_text(v)
        else:
            out[k] = v
    return out


def list_log(session: Session, actor: Actor, filters: dict, offset: int, limit: int, *,
             reveal: bool = False) -> Page:
    """One page of the audit log (admin only). Filters: period (start, end dates), username,
    entity (class name), action, entity_id. Personal data is masked unless ``reveal``, which is
    itself written to the log (查看)."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以查看操作日志。")
    rows, total = paginate(session, _statement(filters), offset, limit)
    refs = _ref_names(session, rows)
    if reveal:
        audit.log_view(session, "AuditLog", "", f"查看操作日志中的个人信息（{len(rows)}条）")

    def shown(values: dict | None) -> dict | None:
        return values if reveal else mask_values(values)

    return Page(
        [
            {"序号": r[0], "时间": r[1], "用户": r[2], "操作": r[3], "对象": ENTITY_NAMES.get(r[4], r[4]),
             "记录编号": r[5], "变更内容": describe_change(r[3], shown(r[6]), shown(r[7]), refs) or (r[8] or ""),
             "备注": r[8] or ""}
            for r in rows
        ],
        total,
    )


def get_entry(session: Session, actor: Actor, entry_id: int, *, reveal: bool = False) -> dict:
    """One log entry with its before/after as rows of (字段, 修改前, 修改后) for a detail view;
    personal data masked unless ``reveal`` (logged)."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以查看操作日志。")
    a = session.get(models.AuditLog, entry_id)
    if a is None:
        return {}
    refs = _ref_names(session, [a])
    if reveal:
        audit.log_view(session, "AuditLog", a.id, f"查看操作日志第{a.id}条中的个人信息")
    raw_before, raw_after = (a.before, a.after) if reveal else (mask_values(a.before), mask_values(a.after))
    before = {k: refs.get((k, v), v) for k, v in (raw_before or {}).items()}
    after = {k: refs.get((k, v), v) for k, v in (raw_after or {}).items()}
    keys = list(dict.fromkeys([*before, *after]))
    return {
        "时间": a.at, "用户": a.username, "操作": a.action, "对象": ENTITY_NAMES.get(a.entity, a.entity),
        "记录编号": a.entity_id, "备注": a.note or "",
        "fields": [{"字段": FIELD_NAMES.get(k, k), "修改前": _fmt_value(before.get(k)) if a.action != "新增" else "",
                    "修改后": _fmt_value(after.get(k)) if a.action != "删除" else ""} for k in keys],
    }


def default_period() -> tuple[date, date]:
    """The last 30 days."""
    today = clock.today()
    return today - timedelta(days=30), today
