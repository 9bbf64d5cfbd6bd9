"""联系活动: 登记代表联系选民活动及收集的群众意见，跟踪办理，查看未达标代表。"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.bodies import body_picker
from components.forms import (
    confirm_button,
    end_intent,
    errors_of,
    field_error,
    intent,
    keep_drawn,
    run_write,
    show_flash,
)
from components.guard import at_click, require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, data_table
from components.text import alert, safe_md
from components.timeline import Step, timeline
from db.engine import session_scope
from services import activities as svc
from services import clock, imports, settings
from services import opinions as op_svc
from services.common import Actor, Page, ServiceError
from services.states import OpinionStatus

VIEWS = {"ledger": "活动台账", "new": "登记活动", "opinions": "意见办理", "short": "未达标代表", "mix": "活动构成", "typical": "典型事例"}
# 工作台 links: ?view=r1|r4|r5|typical
VIEW_PARAMS = {"r1": "short", "r4": "short", "r5": "short", "typical": "typical", "mix": "mix",
               "new": "new", "ledger": "ledger", "opinions": "opinions"}
SHORT_LISTS = {"r1": "活动次数不足（R1）", "r5": "未推动解决民生问题（R5）", "r4": "多次反映未形成议案建议（R4）"}
OPINION_COLUMNS = {"content": "意见内容", "category": "类别", "is_livelihood": "是否民生问题", "forwarded_to": "转交单位"}


def _choices(actor: Actor) -> dict:
    """Everything the forms and filters offer, read once per run."""
    with session_scope(actor.username) as s:
        return {
            "districts": svc.district_options(s, actor),
            "groups": svc.group_options(s, actor),
            "offices": svc.office_options(s, actor),
            "deputies_all": svc.deputy_options(s, actor, serving_only=False),
            "targets": svc.target_groups(s),
            "modes": svc.modes(s),
            "categories": op_svc.categories(s),
        }


# ---------------------------------------------------------------- the activity form (new and edit)


def _activity_form(actor: Actor, ch: dict, form_key: str, prefix: str, initial: dict | None = None,
                   activity_id: int | None = None, version: int | None = None) -> None:
    """Draw the activity form with its opinions table; save through the service.

    ``form_key`` keeps field errors and messages; ``prefix`` names the widgets (a new prefix
    gives a fresh form, e.g. after a successful save).
    """
    init = initial or {}
    show_flash(form_key)
    if not ch["districts"]:
        st.info("您的负责范围内还没有选区。请先在“基础数据”中维护选区和代表。")
        return
    dist_ids = list(ch["districts"])
    c1, c2, c3 = st.columns(3)
    with c1:
        held_on = st.date_input("活动日期", value=init.get("held_on", clock.today()), key=f"{prefix}_date",
                                format="YYYY-MM-DD")
        field_error(form_key, "held_on")
    with c2:
        d_init = init.get("district_id")
        district_id = st.selectbox("选区", dist_ids, format_func=lambda i: ch["districts"].get(i, str(i)),
                                   index=dist_ids.index(d_init) if d_init in dist_ids else 0,
                                   key=f"{prefix}_district")
        field_error(form_key, "district_id")
    with c3:
        place = st.text_input("活动地点", value=init.get("place", ""), key=f"{prefix}_place", max_chars=128)
        field_error(form_key, "place")
    c1, c2, c3 = st.columns(3)
    with c1:
        organiser = st.radio("组织方式", svc.ORGANISERS, horizontal=True, key=f"{prefix}_organiser",
                             index=svc.ORGANISERS.index(init["organiser"]) if init.get("organiser") in svc.ORGANISERS else 0)
        field_error(form_key, "organiser")
    with c2:
        kind = st.selectbox("活动类型", svc.KINDS, key=f"{prefix}_kind",
                            index=svc.KINDS.index(init["kind"]) if init.get("kind") in svc.KINDS else 0,
                            help="问难：困难群体；问需：普通选民；问计：行业领军人物、专家")
        field_error(form_key, "kind")
    with c3:
        modes = ch["modes"]
        mode = st.selectbox("活动形式", modes, key=f"{prefix}_mode",
                            index=modes.index(init["mode"]) if init.get("mode") in modes else 0)
        field_error(form_key, "mode")
    targets = st.multiselect("联系对象", ch["targets"], default=[t for t in init.get("targets", []) if t in ch["targets"]],
                             key=f"{prefix}_targets", placeholder="选择一类或多类联系对象")
    field_error(form_key, "targets")
    with session_scope(actor.username) as s:
        group_id = svc.group_of_district(s, district_id)
        # the deputies serving on the activity's date, in the district's group of that date
        dep_opts = svc.deputy_options(s, actor, group_id=group_id, day=held_on)
    chosen = st.session_state.get(f"{prefix}_deputies", init.get("deputy_ids", []))
    for i in chosen or []:  # keep a chosen deputy visible (the service explains why it is refused)
        if i not in dep_opts:
            dep_opts[i] = ch["deputies_all"].get(i, str(i))
    deputy_ids = st.multiselect(
        "参加代表", list(dep_opts), default=[i for i in init.get("deputy_ids", []) if i in dep_opts],
        format_func=lambda i: dep_opts.get(i, str(i)), key=f"{prefix}_deputies",
        placeholder="输入姓名或拼音首字母搜索（仅列出活动日期在该选区所在代表组任职的代表）",
    )
    field_error(form_key, "deputy_ids")
    c1, c2 = st.columns([1, 2])
    with c1:
        voters = st.number_input("联系选民人数（人）", min_value=0, max_value=100000, step=1,
                                 value=int(init.get("voters_reached", 0)), key=f"{prefix}_voters")
        field_error(form_key, "voters_reached")
    with c2:
        st.write("附件情况")
        a1, a2, a3, a4 = st.columns(4)
        has_signin = a1.checkbox("签到表", value=init.get("has_signin", False), key=f"{prefix}_signin")
        has_photos = a2.checkbox("照片", value=init.get("has_photos", False), key=f"{prefix}_photos")
        has_other = a3.checkbox("其他", value=init.get("has_other", False), key=f"{prefix}_other")
        typical = a4.checkbox("典型事例", value=init.get("typical", False), key=f"{prefix}_typical")
    summary = st.text_area("活动内容", value=init.get("summary", ""), key=f"{prefix}_summary", max_chars=5000,
                           placeholder="活动的主要内容、选民反映的情况、现场答复等")
    field_error(form_key, "summary")
    st.markdown("**收集的群众意见**（每行一条；可留空）" if activity_id is None else "**补充群众意见**（每行一条；可留空）")
    empty = pd.DataFrame({"content": pd.Series(dtype="object"), "category": pd.Series(dtype="object"),
                          "is_livelihood": pd.Series(dtype="bool"), "forwarded_to": pd.Series(dtype="object")})
    edited = st.data_editor(
        empty, num_rows="dynamic", key=f"{prefix}_ops", width="stretch", hide_index=True,
        column_config={
            "content": st.column_config.TextColumn(OPINION_COLUMNS["content"], max_chars=2000, width="large"),
            "category": st.column_config.SelectboxColumn(OPINION_COLUMNS["category"], options=ch["categories"]),
            "is_livelihood": st.column_config.CheckboxColumn(OPINION_COLUMNS["is_livelihood"], default=False),
            "forwarded_to": st.column_config.SelectboxColumn(
                OPINION_COLUMNS["forwarded_to"], options=_body_names(actor),
                help="承办单位名录中的单位（可在“承办单位”页面新增）；不能是代表本人（R3）"),
        },
    )
    field_error(form_key, "opinions")
    with session_scope(actor.username) as s:
        unsure = op_svc.registration_warning(s, held_on)
    if unsure:
        alert("warning", "本次活动登记的群众意见：" + unsure)
    # the version the form was drawn with and its token (components.forms.intent): a save on an
    # activity someone else changed meanwhile is refused with who did it, the input kept
    it = intent(form_key, prefix, version)
    if activity_id is not None:  # untouched fields reload from the record after a stale refusal
        keep_drawn(it, [f"{prefix}_{k}" for k in ("date", "district", "place", "organiser", "kind", "mode",
                                                  "targets", "deputies", "voters", "signin", "photos",
                                                  "other", "typical", "summary")])
    if st.button("保存活动" if activity_id is None else "保存修改", key=it.key(f"{prefix}_save"), type="primary"):
        data = {
            "held_on": held_on, "place": place, "district_id": district_id, "organiser": organiser,
            "kind": kind, "targets": targets, "mode": mode, "deputy_ids": deputy_ids,
            "voters_reached": voters, "summary": summary, "has_signin": has_signin,
            "has_photos": has_photos, "has_other": has_other, "typical": typical,
        }
        rows = edited.to_dict("records") if edited is not None else []
        gen_key = f"{form_key}__gen"
        if activity_id is None:
            n_ops = sum(1 for r in rows if str(r.get("content") or "").strip())
            run_write(form_key, actor.username, lambda s: svc.create_activity(s, actor, data, rows),
                      success=f"已登记活动（{len(deputy_ids)} 位代表，{n_ops} 条意见）。", rerun=False, intent=it)
        else:
            run_write(form_key, actor.username,
                      lambda s: svc.update_activity(s, actor, activity_id, data, it.seen, rows),
                      success="已保存修改。", rerun=False, intent=it)
        st.session_state[gen_key] = st.session_state.get(gen_key, 0) + 1  # a fresh form from the saved record
        st.rerun()
    if activity_id is not None and it.seen is not None and version is not None and it.seen != version:
        st.warning("此活动在您打开编辑后已被他人修改（上方显示的是最新内容）。保存将被拒绝；"
                   "可点“载入最新内容”放弃您的修改，重新编辑。")
        if st.button("载入最新内容", key=f"{prefix}_reload"):
            end_intent(it)
            st.session_state[f"{form_key}__gen"] = st.session_state.get(f"{form_key}__gen", 0) + 1
            st.rerun()


# ---------------------------------------------------------------- the ledger and the detail


def _ledger(actor: Actor, ch: dict) -> None:
    """活动台账: filters, the paginated list with totals and export, and the selected activity."""
    dep_all = ch["deputies_all"]
    filters = [
        Filter("year", "年度", "year", year_options(), default=clock.today().year),
        Filter("quarter", "季度", "select", {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}),
        Filter("office", "办事处", "select", ch["offices"]),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("deputy", "参加代表", "select", dep_all),
        Filter("kind", "活动类型", "select", svc.KINDS),
        Filter("mode", "活动形式", "select", ch["modes"]),
        Filter("target", "联系对象", "select", ch["targets"]),
        Filter("evidence", "佐证等级", "select", svc.EVIDENCE_LEVELS),
        Filter("organiser", "组织方式", "select", svc.ORGANISERS),
        Filter("q", "搜索（内容、地点、代表）", "text"),
        Filter("typical", "只看典型事例", "bool"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.list_activities(s, actor, f, offset, limit)

    res = data_table(
        "act_ledger", fetch, filters=filters, export_name="联系选民活动台账", unit="次", sorts=svc.ACTIVITY_SORTS,
        export_title="联系选民活动台账", selectable=True, hidden=("id",),
        empty="没有符合条件的活动。可调整筛选条件，或在“登记活动”中录入。",
    )
    opened = st.session_state.get("act_opened")  # the activity whose detail the user had open
    if res.selected:
        st.session_state["act_opened"] = int(res.selected["id"])
    else:
        show_flash("act_del")  # after the user's own delete the detail (where it would show) is gone
    if not res.selected and opened is not None:
        st.session_state.pop("act_opened", None)
        with session_scope(actor.username) as s:
            gone = svc.deleted_note(s, opened)
        if gone:  # deleted by someone else under the open detail: say so instead of an empty page
            st.warning(f"您打开的活动已被删除：{gone}。您在该活动上尚未保存的修改未能保存。")
    if res.selected:
        st.divider()
        _detail(actor, ch, int(res.selected["id"]))
    elif res.page.rows:
        st.caption("点击表格左侧选中一行，查看活动详情、群众意见及办理过程。")
    if actor.can_write("activity"):
        _import(actor)


def _detail(actor: Actor, ch: dict, activity_id: int) -> None:
    """One activity: facts, evidence, opinions with their timelines; edit, delete, verify."""
    try:
        with session_scope(actor.username) as s:
            a = svc.get_activity(s, actor, activity_id)
    except ServiceError as exc:
        alert("error", str(exc))
        return
    st.subheader(f"活动详情：{a['held_on']:%Y-%m-%d} {safe_md(a['district'])}")
    facts = pd.DataFrame([
        {"项目": "活动日期", "内容": f"{a['held_on']:%Y-%m-%d}"},
        {"项目": "地点", "内容": a["place"]},
        {"项目": "选区 / 代表组", "内容": f"{a['district']} / {a['group']}"},
        {"项目": "组织方式", "内容": a["organiser"]},
        {"项目": "活动类型 / 形式", "内容": f"{a['kind']} / {a['mode']}"},
        {"项目": "联系对象", "内容": "、".join(a["targets"])},
        {"项目": "参加代表", "内容": "、".join(a["deputies"])},
        {"项目": "联系选民", "内容": f"{a['voters_reached']} 人"},
        {"项目": "附件情况", "内容": "、".join(v for k, v in svc.ATTACHMENTS.items() if a[k]) or "无"},
        {"项目": "佐证等级", "内容": a["evidence"] + (f"（{a['verified_by']} {a['verified_at']:%Y-%m-%d %H:%M} 核实）"
                                                 if a["verified_at"] else "")},
        {"项目": "典型事例", "内容": "是" if a["typical"] else "否"},
        {"项目": "登记人", "内容": a["created_by"]},
    ])
    st.dataframe(facts, hide_index=True, width="stretch", placeholder="")
    st.text("活动内容：")
    st.text(a["summary"])
    st.markdown(f"**群众意见（{len(a['opinions'])} 条）**")
    if not a["opinions"]:
        st.caption("本次活动未登记群众意见。可在“编辑此活动”中补充。")
    for op in a["opinions"]:
        mark = f"（{op['overdue']}）" if op["overdue"] else ("（暂停计时）" if op["paused"] else "")
        with st.expander(safe_md(f"{op['category']}｜{op['status']}{mark}｜{op['content'][:30]}")):
            st.text(op["content"])
            st.text(f"是否民生问题：{'是' if op['is_livelihood'] else '否'}　转交单位：{op['forwarded_to'] or '未转交'}")
            timeline([Step(e["status"], e["on"], e["by"], e["note"]) for e in op["steps"]])
            if actor.can_write("opinion") and op["next"] and not op["paused"]:
                _transition_form(actor, op)
    if actor.can_write("activity.verify"):
        show_flash("act_verify")  # also when a colleague's verification ended the button
    if actor.can_write("activity.verify") and not a["verified_at"]:
        # the version the user checked (the edit form's intent: one per activity, any save renews it)
        gen = st.session_state.get(f"act_edit{activity_id}__gen", 0)
        vit = intent(f"act_edit{activity_id}", f"act_edit{activity_id}_g{gen}", a["version"])
        if st.button("核实此活动（联络工委 / 抽查）", key=vit.key(f"act_verify_{activity_id}")):
            run_write("act_verify", actor.username, lambda s: svc.verify_activity(
                s, actor, activity_id, expected_version=vit.seen), success="已标记为已核实。", intent=vit)
    if actor.can_write("activity"):
        with st.expander("编辑此活动"):
            gen = st.session_state.get(f"act_edit{activity_id}__gen", 0)
            _activity_form(actor, ch, f"act_edit{activity_id}", f"act_edit{activity_id}_g{gen}",
                           initial=a, activity_id=activity_id, version=a["version"])
        # the delete carries the version the detail was drawn with (the edit form's intent: an
        # edit saved by this user renews it; one saved by someone else makes the delete stale)
        it = intent(f"act_edit{activity_id}", f"act_edit{activity_id}_g{gen}", a["version"])
        if confirm_button("删除此活动", it, f"act_del{activity_id}",
                          f"确定删除 {a['held_on']:%Y-%m-%d} 在{a['district']}的活动及其 {len(a['opinions'])} 条群众意见吗？"
                          "删除会记入操作日志。"):
            def _delete(s):
                svc.delete_activity(s, actor, activity_id, it.seen)
                st.session_state.pop("act_ledger__grid", None)  # the deleted row is no longer selected
                st.session_state.pop("act_opened", None)  # (the user's own delete: no "deleted by" notice)

            run_write("act_del", actor.username, _delete, success="已删除该活动。", intent=it)
        show_flash("act_del")


def _transition_form(actor: Actor, op: dict) -> None:
    """The next step of one opinion: 转交 / 办理中 / 已解决 / 无法解决 / 已反馈选民."""
    key = f"op{op['id']}"
    gen = st.session_state.get(f"{key}__gen", 0)
    prefix = f"{key}_g{gen}"  # a fresh form after each saved step; kept (with the input) on a refusal
    it = intent(key, op["id"], op["version"])
    show_flash(key)
    c1, c2 = st.columns(2)
    to = c1.selectbox("下一步", op["next"], key=f"{prefix}_to", index=None, placeholder="请选择下一步")
    when = c2.date_input("日期", value=clock.today(), key=f"{prefix}_on", format="YYYY-MM-DD")
    field_error(key, "to_status")
    field_error(key, "happened_on")
    extra: dict = {}
    if to == OpinionStatus.FORWARDED:
        extra["forwarded_to"] = body_picker(actor, f"{prefix}_fw", "转交单位", current=op.get("body_id"))
        field_error(key, "forwarded_to")
    elif to == OpinionStatus.RESOLVED:
        extra["resolved_by"] = body_picker(actor, f"{prefix}_rb", "答复单位（实际承办的责任单位）",
                                           current=op.get("body_id"))
        field_error(key, "resolved_by")
        extra["outcome"] = st.selectbox("办理结果分类", op_svc.RESOLVED_OUTCOMES, index=None, key=f"{prefix}_out",
                                        placeholder="A 已解决 / B 正在解决 / C 列入计划逐步解决",
                                        help="A 类才计为已解决；因条件限制留作参考的请选“无法解决”（D 类）")
        field_error(key, "outcome")
        extra["result"] = st.text_input("办理结果", key=f"{prefix}_res")
    elif to == OpinionStatus.UNRESOLVABLE:
        extra["reason"] = st.text_input("无法解决的原因", key=f"{prefix}_reason")
        field_error(key, "reason")
    elif to == OpinionStatus.FED_BACK:
        extra["feedback"] = st.text_input("反馈内容", key=f"{prefix}_fb")
        field_error(key, "feedback")
    note = st.text_input("备注", key=f"{prefix}_note")
    if st.button("保存办理步骤", key=it.key(f"{prefix}_save")):
        if to is None and it.seen == op["version"]:  # (on a moved record the service says who moved it)
            st.session_state[f"{key}__errors"] = {"to_status": "请选择下一步"}
            st.session_state[f"{key}__flash"] = ("err", "未保存，请先选择下一步。")
            st.rerun()
        run_write(key, actor.username,
                  lambda s: op_svc.transition(s, actor, op["id"], to, happened_on=when, note=note,
                                              expected_version=it.seen, **extra),
                  success=f"意见已更新为“{to}”。", rerun=False, intent=it)
        st.session_state[f"{key}__gen"] = gen + 1
        st.rerun()


def _opinions(actor: Actor, ch: dict) -> None:
    """意见办理: every opinion in scope (activities and report meetings), filtered; pick one to
    see its steps and record the next."""
    # from a 工作台 deadline figure: every year (an overdue opinion may have been raised last year)
    from_deadline = bool(st.query_params.get("overdue"))
    filters = [
        Filter("year", "提出年度", "select", {y: f"{y}年" for y in year_options()},
               default=None if from_deadline else clock.today().year),
        Filter("status", "状态", "select", op_svc.STATUSES),
        Filter("overdue", "期限", "select", op_svc.OVERDUE_CHOICES),
        Filter("category", "类别", "select", ch["categories"]),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("source", "来源", "select", list(op_svc.SOURCES)),
        Filter("q", "搜索（内容、单位）", "text"),
        Filter("livelihood", "只看民生问题", "bool"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return op_svc.list_opinions(s, actor, f, offset, limit)

    res = data_table("act_ops", fetch, filters=filters, export_name="群众意见办理情况", unit="条",
                     sorts=op_svc.OPINION_SORTS,
                     selectable=True, hidden=("id", "version"),
                     empty="没有符合条件的群众意见。意见在“登记活动”时随活动录入。")
    wanted = st.query_params.get("opinion", "")
    if res.selected:
        chosen = int(res.selected["id"])
    elif re.fullmatch(r"[0-9]{1,11}", wanted):
        chosen = int(wanted)  # opened from 我的待办 (?opinion=ID); the service checks the scope
    else:
        if res.page.rows:
            st.caption("选中一行查看办理过程并登记下一步。")
        return
    try:
        with session_scope(actor.username) as s:
            op = op_svc.get_opinion(s, actor, chosen)
    except ServiceError as exc:
        alert("error", str(exc))
        return
    st.divider()
    st.text(f"{op['category']}｜{op['status']}｜提出于 {op['raised_on']:%Y-%m-%d}（来源：{op['source']}）")
    st.text(op["content"])
    _opinion_clock(op)
    timeline([Step(e["status"], e["on"], e["by"], e["note"]) for e in op["steps"]])
    if actor.can_write("opinion"):
        if op["next"] and op["paused_since"] is None:
            _transition_form(actor, op)
        _pause_form(actor, op)


def _opinion_clock(op: dict) -> None:
    """An opinion's due dates, its overdue state and the 日历未确认 warning."""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("转交期限", f"{op['forward_due']:%Y-%m-%d}" if op["forward_due"] else "—")
    c2.metric("办结期限", f"{op['resolve_due']:%Y-%m-%d}" if op["resolve_due"] else "—")
    c3.metric("反馈期限", f"{op['feedback_due']:%Y-%m-%d}" if op["feedback_due"] else "—")
    c4.metric("期限情况", op["overdue"] or ("暂停计时" if op["paused_since"] else "未超期"))
    if op["paused_since"]:
        st.info(f"自 {op['paused_since']:%Y-%m-%d} 起暂停计时（等待选民补充说明），恢复后期限顺延。")
    if op["calendar_warning"]:
        alert("warning", op["calendar_warning"])


def _pause_form(actor: Actor, op: dict) -> None:
    """Pause / resume the opinion's clock, or reopen it after feedback (voter not satisfied)."""
    key = f"opc{op['id']}"
    gen = st.session_state.get(f"{key}__gen", 0)
    prefix = f"{key}_g{gen}"  # a fresh form after each save; kept (with the input) on a refusal
    it = intent(f"op{op['id']}", op["id"], op["version"])  # one intent per opinion: any save renews it
    show_flash(key)
    if op["paused_since"] is not None:
        label, fn = "恢复计时", op_svc.resume
    elif op["may_reopen"]:
        label, fn = "重新办理（选民不满意）", None
    elif op["may_pause"]:
        label, fn = "暂停计时（等待选民补充说明）", op_svc.pause
    else:
        return
    with st.expander(label):
        when = st.date_input("日期", value=clock.today(), key=f"{prefix}_pon", format="YYYY-MM-DD")
        field_error(key, "happened_on")
        text = st.text_input("原因" if fn is None else "说明", key=f"{prefix}_ptext")
        field_error(key, "reason" if fn is None else "note")
        field_error(key, "to_status")
        if st.button("确定", key=it.key(f"{key}_pgo")):
            if fn is None:
                run_write(key, actor.username,
                          lambda s: op_svc.reopen(s, actor, op["id"], reason=text, happened_on=when,
                                                  expected_version=it.seen), success="意见已重新办理。",
                          rerun=False, intent=it)
            else:
                run_write(key, actor.username,
                          lambda s: fn(s, actor, op["id"], happened_on=when, note=text,
                                       expected_version=it.seen), success=f"已{label[:4]}。",
                          rerun=False, intent=it)
            st.session_state[f"{key}__gen"] = gen + 1
            st.rerun()


def _import(actor: Actor) -> None:
    """Import a historical ledger from .xlsx: template, upload, all-or-nothing with row errors."""
    with st.expander("导入历史台账（Excel）"):
        def template() -> bytes:  # built when clicked (it lists every deputy and district)
            with session_scope(actor.username) as s:
                return svc.import_template(s, actor)

        st.download_button("下载导入模板", data=at_click(template), file_name="联系选民活动台账导入模板.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="act_tpl", on_click="ignore")
        n = st.session_state.get("act_upload__n", 0)
        up = st.file_uploader("选择填好的 .xlsx 文件", type=["xlsx"], key=f"act_upload{n}" if n else "act_upload")
        show_flash("act_import")
        errs = errors_of("act_import")
        if errs:
            st.dataframe(pd.DataFrame([{"位置": k or "文件", "问题": v} for k, v in errs.items()]),
                         hide_index=True, width="stretch", placeholder="")
        if up is not None and st.button("导入", key="act_import_go"):
            data, name = up.getvalue(), up.name
            dups: list[str] = []

            def _run(s):
                dups.clear()  # a retried transaction starts the list again
                return svc.import_xlsx(s, actor, data, filename=name, duplicates=dups)

            added = run_write("act_import", actor.username, _run, rerun=False)
            st.session_state["act_import__flash"] = (
                "ok", f"导入成功：新增 {added} 次活动。" + imports.duplicate_note(dups))
            st.session_state["act_upload__n"] = n + 1  # the uploader is emptied: no second import by accident
            st.rerun()


# ---------------------------------------------------------------- who falls short, mix, typical cases


def _pick_year(key: str) -> int:
    """A year selector whose first value comes from the query parameter ``year``."""
    years = year_options()
    return st.selectbox("年度", years, index=years.index(param_year()), key=key, format_func=lambda y: f"{y}年")


def _shortfall(actor: Actor, ch: dict, which: str) -> None:
    """未达标代表: R1 by group and per deputy, R5, R4."""
    year = _pick_year("act_short_year")
    keys = list(SHORT_LISTS)
    pick = st.radio("名单", keys, index=keys.index(which) if which in keys else 0, horizontal=True,
                    format_func=SHORT_LISTS.get, key="act_short_list")
    if pick == "r1":
        with session_scope(actor.username) as s:
            by_group = svc.r1_by_group(s, actor, year)
            minimum = int(settings.get(s, "r1_min_activities"))
        st.caption(f"每位代表每年至少联系选民 {minimum} 次。列入统计的是该年末（本年为今天）在任的代表，"
                   "按当时所在代表组统计；年中到任的按剩余月份折算；经抽查认定不合格的活动不计入。")
        if by_group:
            st.dataframe(pd.DataFrame(by_group).drop(columns=["group_id"]), hide_index=True, width="stretch", placeholder="")

        def fetch_r1(f: dict, offset: int, limit: int) -> Page:
            with session_scope(actor.username) as s:
                return svc.r1_shortfall(s, actor, year, offset, limit, group_id=f.get("group"))

        data_table("act_r1", fetch_r1, filters=[Filter("group", "代表组", "select", ch["groups"])],
                   export_name=f"{year}年联系选民活动未达标代表", unit="人", hidden=("id",),
                   empty=f"{year}年所有在任代表的联系选民活动次数均已达标。")
    elif pick == "r5":
        st.caption("每位代表每年推动解决一至两件民生问题：下列代表（该年末在任，本年为今天）该年还没有已解决的民生类"
                   "群众意见。意见有承办代表的只记承办代表，未指定承办代表的记参加该活动的代表。")

        def fetch_r5(f: dict, offset: int, limit: int) -> Page:
            with session_scope(actor.username) as s:
                return svc.r5_missing(s, actor, year, offset, limit, group_id=f.get("group"))

        data_table("act_r5", fetch_r5, filters=[Filter("group", "代表组", "select", ch["groups"])],
                   export_name=f"{year}年未推动解决民生问题的代表", unit="人", hidden=("id",),
                   empty=f"{year}年每位在任代表都已推动解决至少一件民生问题。")
    else:
        st.caption("同一选区同类问题被多次活动或来信反映、尚未关联任何议案建议：应研究形成议案或建议（R4）。")

        def fetch_r4(f: dict, offset: int, limit: int) -> Page:
            with session_scope(actor.username) as s:
                return svc.r4_page(s, actor, year, offset, limit)

        data_table("act_r4", fetch_r4, export_name=f"{year}年多次反映未形成议案建议的问题", unit="个",
                   hidden=("district_id",),
                   empty=f"{year}年没有多次反映而未形成议案建议的问题。")


def _mix(actor: Actor, ch: dict) -> None:
    """活动构成: 三问 kinds and modes per group (chart and tables) for a year."""
    c1, c2 = st.columns(2)
    with c1:
        year = _pick_year("act_mix_year")
    with c2:
        group = st.selectbox("代表组", [None, *ch["groups"]], key="act_mix_group",
                             format_func=lambda g: "全部" if g is None else ch["groups"].get(g, str(g)))
    with session_scope(actor.username) as s:
        m = svc.mix(s, actor, year, group_id=group)
    if not m["groups"]:
        st.info(f"{year}年还没有登记联系选民活动。请在“登记活动”中录入，或导入历史台账。")
        return
    long = pd.DataFrame(m["long"])
    for part, title in (("活动类型", "“三问”活动类型构成"), ("活动形式", "活动形式构成")):
        data = long[long["分类"] == part]
        chart = (
            alt.Chart(data, title=title, height=max(160, 26 * len(m["groups"])))
            .mark_bar()
            .encode(
                y=alt.Y("代表组:N", title="代表组", sort=None, axis=alt.Axis(labelLimit=240)),
                x=alt.X("次数:Q", title="活动次数（次）", stack="zero"),
                color=alt.Color("项目:N", title=part),
                tooltip=[alt.Tooltip("代表组:N", title="代表组"), alt.Tooltip("项目:N", title=part),
                         alt.Tooltip("次数:Q", title="次数")],
            )
        )
        charts.show(chart, f"act_chart_{part}", title, width="stretch")
    groups = m["groups"]
    deputies = m["deputies"]
    st.markdown("**各代表组**")
    data_table("act_mix_g", lambda f, o, n: Page(groups[o:o + n], len(groups)),
               export_name=f"{year}年各代表组活动构成", unit="个")
    st.markdown("**各代表**")
    data_table("act_mix_d", lambda f, o, n: Page(deputies[o:o + n], len(deputies)),
               export_name=f"{year}年各代表活动构成", unit="人")


def _typical(actor: Actor, ch: dict) -> None:
    """典型事例 (R18): activities marked typical, exportable."""
    filters = [
        Filter("year", "年度", "year", year_options(), default=clock.today().year),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("kind", "活动类型", "select", svc.KINDS),
        Filter("q", "搜索", "text"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.typical_cases(s, actor, f, offset, limit)

    data_table("act_typical", fetch, filters=filters, export_name="联系选民典型事例", unit="个",
               hidden=("id",), empty="该年度还没有标记为典型事例的活动。登记或编辑活动时勾选“典型事例”即可。")


def render() -> None:
    """Draw the 联系活动 page (nothing runs at import)."""
    actor = require_page("activities")
    st.caption("登记代表联系选民活动及收集的群众意见，跟踪办理，查看未达标代表、活动构成和典型事例。")
    ch = _choices(actor)
    views = dict(VIEWS)
    if not actor.can_write("activity"):
        views.pop("new")
    keys = list(views)
    wanted = VIEW_PARAMS.get(param_choice("view", VIEW_PARAMS, ""), "ledger")
    view = st.radio("视图", keys, index=keys.index(wanted) if wanted in keys else 0, horizontal=True,
                    format_func=views.get, key="act_view", label_visibility="collapsed")
    if view == "ledger":
        _ledger(actor, ch)
    elif view == "new":
        gen = st.session_state.get("act_new__gen", 0)
        _activity_form(actor, ch, "act_new", f"act_new{gen}")
    elif view == "opinions":
        _opinions(actor, ch)
    elif view == "short":
        _shortfall(actor, ch, st.query_params.get("view", "r1"))
    elif view == "mix":
        _mix(actor, ch)
    else:
        _typical(actor, ch)


def _body_names(actor: Actor) -> list[str]:
    """Names of the active bodies of the 承办单位 directory (the choices of 转交单位)."""
    from services import bodies

    with session_scope(actor.username) as s:
        return bodies.names(s)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
