"""代表信箱: 登记来信并跟踪从登记到反馈的全过程（R12），记录开箱，查看未按时开箱的信箱（R11）。"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from components.bodies import body_picker
from components.forms import (
    Intent,
    confirm_button,
    end_intent,
    errors_of,
    field_error,
    intent,
    run_write,
    show_flash,
)
from components.guard import require_page
from components.params import param_choice
from components.table import EXPORT_MAX, Filter, data_table
from components.text import alert, safe_md
from components.timeline import Step, timeline
from db.engine import session_scope
from services import hotissues, intents, letters, mailboxes, masterdata, settings
from services.common import (
    REVEAL_ROLES,
    Actor,
    DuplicateSubmit,
    Page,
    ServiceError,
    ValidationError,
    today,
)
from services.states import LetterStatus, TopicStatus
from services.validation import fmt_date

TABS = ["来信列表", "登记来信", "开箱记录", "信箱开启情况"]
VIEWS = {"letters": "来信列表", "register": "登记来信", "openings": "开箱记录", "boxes": "信箱开启情况"}
REG = "lt_reg"


def _choices(actor: Actor) -> dict:
    """Options of the page's selectboxes, read once per run."""
    with session_scope(actor.username) as s:
        return {
            "offices": masterdata.office_options(s, actor), "groups": masterdata.group_options(s, actor),
            "deputies": masterdata.deputy_options(s, actor, serving_only=False),
            "mailboxes": letters.mailbox_options(s, actor), "categories": letters.categories(s),
        }


def render() -> None:
    """Draw the 代表信箱 page (nothing runs at import)."""
    actor = require_page("mailbox")
    st.caption("登记群众来信并跟踪交代表、答复、转办、办结到反馈来信人的全过程（按工作日计时限），记录每周开箱情况。")
    ch = _choices(actor)
    wanted = VIEWS.get(param_choice("view", VIEWS, ""), None)
    tabs = st.tabs(TABS, default=wanted)
    with tabs[0]:
        _letter_list(actor, ch)
    with tabs[1]:
        _register(actor, ch)
    with tabs[2]:
        _openings(actor, ch)
    with tabs[3]:
        _boxes(actor, ch)


# ---------------------------------------------------------------- letter list and detail


def _letter_list(actor: Actor, ch: dict) -> None:
    """Filters, the paginated letter list (overdue marked), export, and the selected letter."""
    filters = [
        Filter("period", "收信日期", "date_range"),
        Filter("office_id", "办事处", "select", ch["offices"]),
        Filter("group_id", "代表组", "select", ch["groups"]),
        Filter("deputy_id", "承办代表", "select", ch["deputies"]),
        Filter("mailbox_id", "信箱", "select", ch["mailboxes"]),
        Filter("category", "问题类别", "select", ch["categories"]),
        Filter("status", "办理状态", "select", ["未办结", *letters.STATES]),
        Filter("overdue", "超期情况", "select", letters.OVERDUE_CHOICES),
        Filter("satisfaction", "满意度", "select", list(letters.SATISFACTION)),
        Filter("q", "摘要搜索", "text"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        # the export asks for everything at once: roles that may reveal export unmasked (logged)
        reveal_all = limit >= EXPORT_MAX and actor.role in REVEAL_ROLES
        with session_scope(actor.username) as s:
            return letters.list_letters(s, actor, f, offset, limit, reveal_all=reveal_all)

    res = data_table("lt_list", fetch, filters=filters, export_name="来信登记表", unit="件", sorts=letters.LETTER_SORTS,
                     export_notes=letters.export_notes(actor), hidden=["id"], selectable=True,
                     empty="没有符合条件的来信。可调整筛选条件，或在“登记来信”中登记新来信。")
    if res.selected:
        st.session_state["lt_open"] = res.selected["id"]
    elif re.fullmatch(r"[0-9]{1,11}", wanted := st.query_params.get("letter", "")) \
            and st.session_state.get("lt_param") != wanted:
        # opened from 我的待办 (?letter=ID): once per link, the service checks the scope
        st.session_state["lt_param"] = wanted
        st.session_state["lt_open"] = int(wanted)
    letter_id = st.session_state.get("lt_open")
    if letter_id:
        st.divider()
        _detail(actor, ch, letter_id)
    elif res.page.total:
        st.caption("在列表中选中一行，可查看该来信的办理过程并办理下一步。")


def _detail(actor: Actor, ch: dict, letter_id: int) -> None:
    """One letter: its fields (writer masked, 显示 for staff/admin), clocks, history, next step."""
    try:
        with session_scope(actor.username) as s:
            info = letters.get_letter(s, actor, letter_id)
    except ServiceError as exc:
        st.session_state.pop("lt_open", None)
        alert("error", str(exc))
        return
    st.subheader(f"来信 {safe_md(info['code'])}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("办理状态", info["status"] + (f"（第{info['round']}轮）" if info["round"] > 1 else ""))
    c2.metric("首次答复时限", fmt_date(info["reply_due"]))
    c3.metric("办结反馈时限", fmt_date(info["resolve_due"]))
    c4.metric("超期情况", info["overdue"] or ("暂停计时" if info["paused_since"] else "未超期"))
    if info["step_label"] and info["step_due"]:
        st.caption(f"{info['step_label']}：{fmt_date(info['step_due'])}（工作日计算，含法定节假日和调休）")
    if info["calendar_warning"]:
        alert("warning", info["calendar_warning"])
    if info["paused_since"]:
        st.info(f"自 {fmt_date(info['paused_since'])} 起等待来信人补充说明，计时已暂停。")
    writer = dict(info["writer"])
    shown = st.session_state.get("lt_revealed", {})
    if shown.get("id") == letter_id:
        writer = shown["data"]
    fields = pd.DataFrame([
        ("收信日期", fmt_date(info["received_on"])), ("信箱", info["mailbox"]), ("选区", info["district"]),
        ("代表组", info["group"]), ("承办代表", info["deputy"]), ("问题类别", info["category"]),
        ("来信人", writer["来信人"]), ("联系电话", writer["联系电话"]), ("住址", writer["住址"]),
        ("答复", f"{info['reply_method']} {info['reply_content']}".strip()),
        ("转办单位", info["forwarded_to"]), ("办理结果", info["result"]), ("结果分类", info["outcome"]),
        ("反馈", f"{info['feedback_method']} {info['satisfaction']}".strip()),
        ("不予受理/合并理由", info["close_reason"] + (f"（并入{info['merged_into']}）" if info["merged_into"] else "")),
    ], columns=["项目", "内容"])
    st.dataframe(fields, hide_index=True, width="stretch", height=36 * (len(fields) + 1) + 2,
                 key=f"lt_fields_{letter_id}", placeholder="")
    st.text("内容摘要：")
    st.text(info["summary"])
    if info["may_reveal"] and shown.get("id") != letter_id:
        if st.button("显示来信人信息", key=f"lt_reveal_{letter_id}", help="显示完整姓名、电话和住址；每次显示都记入操作日志"):
            with session_scope(actor.username) as s:
                st.session_state["lt_revealed"] = {"id": letter_id, "data": letters.reveal(s, actor, letter_id)}
            st.rerun()
    elif not info["may_reveal"]:
        st.caption("来信人姓名、联系电话、住址已脱敏；如需完整信息请联系负责该来信的工作人员。")
    if info["merged"]:
        st.markdown(f"**并入本来信的来信（{len(info['merged'])}件）**：来信人一并告知办理结果")
        st.dataframe(pd.DataFrame(info["merged"]).drop(columns=["id"]), hide_index=True, width="stretch",
                     key=f"lt_merged_{letter_id}")
    if info["may_edit"]:
        _edit_form(actor, info)
    if actor.can_write("letter"):
        show_flash("lt_outcome")  # also when a colleague's save ended the form (the refusal names who)
    if info["needs_outcome"] and actor.can_write("letter"):
        oit = intent("lt_outcome", letter_id, info["version"])  # the version shown, not re-read at the click
        c1, c2 = st.columns([3, 1])
        outcome = c1.selectbox("补充办理结果分类（本件办结于结果分类启用之前）", letters.OUTCOMES, index=None,
                               key=f"lt_set_out_{letter_id}", placeholder="A 类才计为已解决")
        with c1:
            field_error("lt_outcome", "outcome")
        if c2.button("保存分类", key=oit.key(f"lt_set_out_go_{letter_id}")):
            run_write("lt_outcome", actor.username, lambda s: letters.set_outcome(
                s, actor, letter_id, outcome, expected_version=oit.seen), "已补充结果分类。", intent=oit)
    _handover(actor, info)
    st.markdown("**办理过程**")
    timeline([Step(title=(e["to"] if e["round"] == 1 else f"{e['to']}（第{e['round']}轮）"), when=e["on"],
                   who=e["by"], note=e["note"], muted=e["undone"]) for e in info["events"]])
    _topics(actor, letter_id)
    if actor.can_write("letter"):
        _step_form(actor, info)
    if actor.role == "admin" and len(info["events"]) > 1:
        it = intent("lt_step", letter_id, info["version"])  # one intent per letter: any save renews it
        with st.expander("撤销上一步（仅系统管理员，记入操作日志）"):
            st.caption(f"将撤销：{safe_md(_last_step(info))}")
            reason = st.text_input("撤销原因", key=f"lt_undo_reason_{letter_id}")
            show_flash("lt_undo")
            field_error("lt_undo", "reason")
            if st.button("撤销上一步", key=it.key(f"lt_undo_{letter_id}")):
                run_write("lt_undo", actor.username, lambda s: letters.undo_last(
                    s, actor, letter_id, reason, expected_version=it.seen), "已撤销上一步。", intent=it)


def _last_step(info: dict) -> str:
    """The step 撤销上一步 would undo, as the history shows it."""
    live = [e for e in info["events"] if not e["undone"] and e["to"] not in (letters.UNDO,)]
    if len(live) < 2:
        return "无"
    e = live[-1]
    return f"{e['to']}（{fmt_date(e['on'])}，{e['by']}）"


def _handover(actor: Actor, info: dict) -> None:
    """交办单 (.docx) for a letter handed to its deputy or forwarded to a body."""
    if not (info["deputy"] or info["forwarded_to"]):
        return
    lid = info["id"]
    with_writer = False
    if info["may_reveal"]:
        with_writer = st.checkbox("交办单含来信人联系方式（记入操作日志）", key=f"lt_ho_writer_{lid}")
    if st.button("生成交办单", key=f"lt_ho_{lid}"):
        try:
            with session_scope(actor.username) as s:
                sheet = letters.handover_sheet(s, actor, lid, with_writer=with_writer)
            st.session_state[f"lt_ho_doc_{lid}"] = letters.handover_docx(sheet)
        except ServiceError as exc:
            alert("error", str(exc))
    doc = st.session_state.get(f"lt_ho_doc_{lid}")
    if doc:
        st.download_button("下载交办单（.docx）", doc, file_name=f"交办单_{info['code']}.docx", key=f"lt_ho_dl_{lid}")


def _edit_form(actor: Actor, info: dict) -> None:
    """修改登记信息: correct a registered letter; set or change the deputy in charge (with a reason)."""
    lid, key = info["id"], "lt_edit"
    with st.expander("修改登记信息 / 指定或更换承办代表", expanded=bool(errors_of(key))):
        show_flash(key)
        with session_scope(actor.username) as s:
            deps = masterdata.deputy_options(s, actor, group_id=info["group_id"])
            cats = letters.categories(s)
        if info["deputy_id"] and info["deputy_id"] not in deps:
            # the deputy in charge left office or the group: kept as he is unless the user changes him
            deps = {info["deputy_id"]: f"{info['deputy']}（已不在本组任职）", **deps}
        ids = list(deps)
        it = intent(key, lid, info["version"])  # a double click saves once; a stale page is refused
        v = it.seen
        c1, c2 = st.columns(2)
        with c1:
            deputy = st.selectbox("承办代表", ids, format_func=lambda i: deps.get(i, str(i)),
                                  index=ids.index(info["deputy_id"]) if info["deputy_id"] in deps else None,
                                  key=f"lt_e_dep_{lid}_{v}", placeholder="请选择")
            field_error(key, "deputy_id")
        with c2:
            category = st.selectbox("问题类别", cats, index=cats.index(info["category"]) if info["category"] in cats else None,
                                    key=f"lt_e_cat_{lid}_{v}")
            field_error(key, "category")
        summary = st.text_area("内容摘要", value=info["summary"], key=f"lt_e_sum_{lid}_{v}", max_chars=2000)
        field_error(key, "summary")
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("来信人（不修改请留空）", key=f"lt_e_name_{lid}_{v}")
        with c1:
            field_error(key, "writer_name")
        phone = c2.text_input("联系电话（不修改请留空）", key=f"lt_e_phone_{lid}_{v}")
        with c2:
            field_error(key, "writer_phone")
        address = c3.text_input("住址（不修改请留空）", key=f"lt_e_addr_{lid}_{v}")
        reason = st.text_input("修改原因（更换承办代表时必填）", key=f"lt_e_reason_{lid}_{v}")
        field_error(key, "reason")
        if st.button("保存修改", key=it.key(f"lt_e_save_{lid}")):
            data = {"deputy_id": deputy, "category": category, "summary": summary}
            for k, val in (("writer_name", name), ("writer_phone", phone), ("writer_address", address)):
                if val.strip():
                    data[k] = val
            run_write(key, actor.username, lambda s: letters.edit_letter(
                s, actor, lid, data, reason=reason, expected_version=v), "已保存修改，并记入办理过程和操作日志。",
                intent=it)


def _topics(actor: Actor, letter_id: int) -> None:
    """Supervision topics covering the letter: the outcome to tell the writer, and 已告知."""
    with session_scope(actor.username) as s:
        topics = hotissues.topics_of_letter(s, actor, letter_id)
    for t in topics:
        st.markdown(f"**监督议题：{safe_md(t['title'])}**（{t['status']}）")
        if t["status"] != TopicStatus.CLOSED:
            continue
        st.text(f"办理结果（{t['outcome_class'] or '未分类'}）：{t['outcome']}")
        if t["told_at"]:
            st.caption(f"已于 {fmt_date(t['told_at'])} 由 {safe_md(t['told_by'])} 告知来信人。")
        elif actor.can_write("letter") or actor.can_write("topic"):
            show_flash("lt_told")
            it = intent(f"lt_told{t['topic_id']}", letter_id)  # one mark per drawn form: a double click marks once
            if st.button("已将议题结果告知来信人", key=it.key(f"lt_told_{t['topic_id']}_{letter_id}")):
                run_write("lt_told", actor.username,
                          lambda s, tid=t["topic_id"]: hotissues.mark_told(s, actor, tid, letter_id), "已标记为已告知。",
                          intent=it)


def _step_form(actor: Actor, info: dict) -> None:
    """The next legal step of the letter (only those offered), with the fields each needs.

    The form carries the version it was drawn with (``intent``): a step chosen on a letter that
    someone else moved meanwhile is refused with who did what; the step list has no default, so
    a step the user did not choose is never stored."""
    lid = info["id"]
    key = "lt_step"
    it = intent(key, lid, info["version"])
    st.markdown("**办理下一步**")
    show_flash(key)  # beside the form the user just submitted (a refusal says who changed what)
    if info["paused_since"]:
        d = st.date_input("恢复日期", value=today(), key=f"lt_resume_on_{lid}", format="YYYY-MM-DD")
        field_error(key, "happened_on")
        note = st.text_input("说明（来信人补充的内容）", key=f"lt_resume_note_{lid}")
        if st.button("恢复计时", key=it.key(f"lt_resume_{lid}"), type="primary"):
            run_write(key, actor.username, lambda s: letters.resume(
                s, actor, lid, happened_on=d, note=note, expected_version=it.seen),
                "已恢复计时，时限相应顺延。", intent=it)
        return
    steps = dict(info["next"])
    if not steps:
        st.caption("该来信已办理完毕，没有后续步骤。")
        return
    to = st.selectbox("下一步", list(steps), format_func=lambda v: steps[v], key=f"lt_to_{lid}", index=None,
                      placeholder="请选择下一步")
    field_error(key, "to_status")
    kw: dict = {}
    c1, c2 = st.columns(2)
    with c1:
        on = st.date_input("办理日期", value=today(), key=f"lt_on_{lid}", format="YYYY-MM-DD")
        field_error(key, "happened_on")
    with c2:
        if to == LetterStatus.FORWARDED:
            kw["body_id"] = body_picker(actor, f"lt_fw_{lid}", "转办单位", current=info["body_id"])
            field_error(key, "forwarded_to")
        elif to == LetterStatus.HANDED and not info["deputy_id"]:
            with session_scope(actor.username) as s:
                deps = masterdata.deputy_options(s, actor, group_id=info["group_id"])
            kw["deputy_id"] = st.selectbox("承办代表", list(deps), format_func=lambda i: deps.get(i, str(i)),
                                           index=None, key=f"lt_hd_{lid}", placeholder="请选择交给哪位代表")
            field_error(key, "deputy_id")
        elif to == LetterStatus.REPLIED:
            kw["reply_method"] = st.radio("答复方式", letters.REPLY_METHODS, index=None, horizontal=True,
                                          key=f"lt_rm_{lid}")
            field_error(key, "reply_method")
        elif to == LetterStatus.CONCLUDED:
            kw["outcome"] = st.selectbox("办理结果分类", letters.OUTCOMES, index=None, key=f"lt_out_{lid}",
                                         placeholder="请选择（A 类才计为已解决）")
            field_error(key, "outcome")
        elif to == LetterStatus.FED_BACK:
            kw["feedback_method"] = st.selectbox("反馈方式", letters.FEEDBACK_METHODS, index=None,
                                                 key=f"lt_fm_{lid}", placeholder="请选择")
            field_error(key, "feedback_method")
        elif to == LetterStatus.MERGED:
            with session_scope(actor.username) as s:
                cands = letters.merge_candidates(s, actor, lid)
            kw["merged_into"] = st.selectbox("并入来信", list(cands), format_func=lambda v: cands[v], index=None,
                                             key=f"lt_mg_{lid}", placeholder="请选择同选区近90天的来信")
            field_error(key, "merged_into")
    if to == LetterStatus.REPLIED:
        kw["reply_content"] = st.text_area("答复内容（告诉来信人的话）", key=f"lt_reply_{lid}", max_chars=2000)
        field_error(key, "reply_content")
    if to == LetterStatus.CONCLUDED:
        kw["result"] = st.text_area("办理结果", key=f"lt_res_{lid}")
        field_error(key, "result")
    if to == LetterStatus.FED_BACK:
        kw["satisfaction"] = st.radio("来信人满意度", letters.SATISFACTION, index=None, horizontal=True,
                                      key=f"lt_sat_{lid}")
        field_error(key, "satisfaction")
    if to in (LetterStatus.REJECTED, LetterStatus.MERGED):
        kw["reason"] = st.text_input("理由", key=f"lt_reason_{lid}")
        field_error(key, "reason")
    # a new box for each step (the key follows the letter's version): never the previous step's note
    note = st.text_input("备注", key=f"lt_note_{lid}_{info['version']}")
    b1, b2 = st.columns([1, 3])
    closing = to in (LetterStatus.FED_BACK, LetterStatus.REJECTED, LetterStatus.MERGED)
    with b1:
        go = confirm_button("确认办理", it, f"lt_go_{lid}",
                            f"“{steps.get(to, to)}”后该来信办理结束{'（来信人不满意的可重新办理）' if to == LetterStatus.FED_BACK else ''}，"
                            f"来信 {info['code']} 将记为“{to}”。确定吗？", ask=closing)
    if go:
        if to is None and it.seen == info["version"]:  # (on a moved record the service says who moved it)
            st.session_state[f"{key}__errors"] = {"to_status": "请选择下一步"}
            st.session_state[f"{key}__flash"] = ("err", "未保存，请先选择下一步。")
            st.rerun()
        run_write(key, actor.username, lambda s: letters.transition(
            s, actor, lid, to, happened_on=on, note=note, expected_version=it.seen, **kw),
            f"已办理：{steps.get(to, to)}。", intent=it)
    if info["may_pause"]:
        with b2.popover("等待来信人补充说明（暂停计时）"):
            why = st.text_input("需要补充的内容", key=f"lt_pause_note_{lid}")
            field_error(key, "note")
            if st.button("暂停计时", key=it.key(f"lt_pause_{lid}")):
                run_write(key, actor.username, lambda s: letters.pause(
                    s, actor, lid, happened_on=on, note=why, expected_version=it.seen),
                    "已暂停计时。", intent=it)


# ---------------------------------------------------------------- register


def _register(actor: Actor, ch: dict) -> None:
    """The 来信登记 form; possible duplicates are shown before saving (save anyway, or merge)."""
    if not actor.can_write("letter"):
        st.info("您的角色只能查看来信，登记由工作人员办理。")
        return
    show_flash(REG)
    if not ch["mailboxes"]:
        st.info("您负责的范围内还没有代表信箱，请先在“基础数据”中设立信箱。")
        return
    n = st.session_state.setdefault("lt_reg_n", 0)
    k = f"lt_{n}_"
    c1, c2 = st.columns(2)
    with c1:
        box = st.selectbox("信箱", list(ch["mailboxes"]), format_func=lambda v: ch["mailboxes"][v], index=None,
                           key=k + "mailbox", placeholder="请选择信箱")
        field_error(REG, "mailbox_id")
    with c2:
        received = st.date_input("收信日期", value=today(), key=k + "received", format="YYYY-MM-DD")
        field_error(REG, "received_on")
    with session_scope(actor.username) as s:
        unsure = letters.registration_warning(s, received)
    if unsure:
        alert("warning", unsure)
    anonymous = st.checkbox("匿名来信（未署名、未留电话）", key=k + "anon")
    c1, c2, c3 = st.columns(3)
    with c1:
        name = st.text_input("来信人", key=k + "name", disabled=anonymous)
        field_error(REG, "writer_name")
    with c2:
        phone = st.text_input("联系电话", key=k + "phone", disabled=anonymous, placeholder="手机或带区号的固定电话")
        field_error(REG, "writer_phone")
    with c3:
        address = st.text_input("住址", key=k + "addr")
        field_error(REG, "writer_address")
    summary = st.text_area("内容摘要", key=k + "summary", max_chars=2000)
    field_error(REG, "summary")
    c1, c2 = st.columns(2)
    with c1:
        category = st.selectbox("问题类别", ch["categories"], index=None, key=k + "category", placeholder="请选择")
        field_error(REG, "category")
    with session_scope(actor.username) as s:
        gid = letters.mailbox_group(s, box)
        deps = masterdata.deputy_options(s, actor, group_id=gid) if gid else {}
        keeper = letters.default_deputy(s, box)
    with c2:
        # the mailbox's one keeper is named by default (the key follows the mailbox, so a change re-fills it)
        ids = list(deps)
        deputy = st.selectbox("承办代表", ids, format_func=lambda v: deps.get(v, str(v)),
                              index=ids.index(keeper) if keeper in deps else None,
                              key=f"{k}deputy_{box}", placeholder="请先选择信箱" if not gid else "请选择（可稍后指定）")
        field_error(REG, "deputy_id")
    data = {"mailbox_id": box, "received_on": received, "anonymous": anonymous, "writer_name": name,
            "writer_phone": phone, "writer_address": address, "summary": summary, "category": category,
            "deputy_id": deputy}
    pending = st.session_state.get("lt_dups")
    it = intent(REG, n)  # one registration per drawn form: a double click stores one letter
    if st.button("登记", key=it.key("lt_submit"), type="primary"):
        st.session_state[f"{REG}__errors"] = {}
        try:
            with session_scope(actor.username) as s:
                letters.check_letter(s, actor, data)
                dups = letters.find_possible_duplicates(s, actor, data)
        except ValidationError as exc:
            st.session_state[f"{REG}__errors"] = exc.errors
            st.session_state[f"{REG}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
            st.rerun()
        if dups:
            st.session_state["lt_dups"] = dups
            st.rerun()
        _save(actor, data, it)
    if pending:
        st.warning(f"发现 {len(pending)} 件近90天内可能重复的来信（同一电话或内容相似），请核对后选择：")
        st.dataframe(pd.DataFrame(pending).drop(columns=["id"]), hide_index=True, width="stretch",
                     key="lt_dups_grid", placeholder="")
        c1, c2, c3 = st.columns(3)
        if c1.button("不是重复，仍然保存", key="lt_save_anyway"):
            _save(actor, data, it)
        target = c2.selectbox("合并到", [d["id"] for d in pending], key="lt_merge_target",
                              format_func=lambda i: next(d["编号"] for d in pending if d["id"] == i))
        if c2.button("登记并合并到所选来信", key="lt_merge"):
            _save(actor, data, it, merge_into=target)
        if c3.button("取消", key="lt_dups_cancel"):
            st.session_state.pop("lt_dups", None)
            st.rerun()
    if errors_of(REG):
        st.caption("请按红色提示修改后重新登记。")


def _save(actor: Actor, data: dict, it: Intent, merge_into: int | None = None) -> None:
    """Register the letter once per drawn form (its intent token); on success clear the form (new
    widget keys); rerun either way."""
    st.session_state.pop("lt_dups", None)
    st.session_state[f"{REG}__errors"] = {}
    try:
        code = intents.submit(actor.username, lambda s: letters.register(s, actor, data, merge_into=merge_into).code,
                              token=it.token, form=REG)
    except ValidationError as exc:
        st.session_state[f"{REG}__errors"] = exc.errors
        st.session_state[f"{REG}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
    except DuplicateSubmit as exc:
        end_intent(it)
        st.session_state[f"{REG}__flash"] = ("info", str(exc))
        st.session_state["lt_reg_n"] = st.session_state.get("lt_reg_n", 0) + 1
    except ServiceError as exc:
        st.session_state[f"{REG}__flash"] = ("err", str(exc))
    else:
        end_intent(it)
        st.session_state[f"{REG}__flash"] = ("ok", f"已登记来信 {code}" + ("，并已合并到所选来信。" if merge_into else "。"))
        st.session_state["lt_reg_n"] = st.session_state.get("lt_reg_n", 0) + 1
    st.rerun()


# ---------------------------------------------------------------- openings and R11


def _openings(actor: Actor, ch: dict) -> None:
    """Record an opening (开箱日期, 开箱人, 信件数) and list the openings."""
    key = "mb_open"
    if actor.can_write("mailbox") and ch["mailboxes"]:
        show_flash(key)
        with st.expander("记录开箱", expanded=True):
            c1, c2, c3, c4 = st.columns(4)
            with c1:
                box = st.selectbox("信箱", list(ch["mailboxes"]), format_func=lambda v: ch["mailboxes"][v],
                                   key="mb_box")
                field_error(key, "mailbox_id")
            with c2:
                opened = st.date_input("开箱日期", value=today(), key="mb_on", format="YYYY-MM-DD")
                field_error(key, "opened_on")
            with session_scope(actor.username) as s:
                keeper = mailboxes.default_opener(s, actor, box) if box else ""
            with c3:
                by = st.text_input("开箱人", value=keeper, key=f"mb_by_{box}")
                field_error(key, "opened_by")
            with c4:
                found = st.number_input("信件数（件）", min_value=0, step=1, key="mb_n")
                field_error(key, "letters_found")
            note = st.text_input("备注", key="mb_note")
            it = intent(key, 0)  # one opening per drawn form: a double click records one
            if st.button("保存开箱记录", key=it.key("mb_save"), type="primary"):
                run_write(key, actor.username, lambda s: mailboxes.record_opening(
                    s, actor, {"mailbox_id": box, "opened_on": opened, "opened_by": by, "letters_found": found,
                               "note": note}), "已记录开箱。", intent=it)

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return mailboxes.list_openings(s, actor, f, offset, limit)

    data_table("mb_list", fetch, filters=[Filter("group_id", "代表组", "select", ch["groups"]),
                                          Filter("mailbox_id", "信箱", "select", ch["mailboxes"]),
                                          Filter("period", "开箱日期", "date_range")],
               export_name="开箱记录", unit="次", hidden=["id"], empty="暂无开箱记录。开箱后请在上方登记。")


def _boxes(actor: Actor, ch: dict) -> None:
    """R11: mailboxes not opened in time, and a week-by-week view of a group's quarter."""
    with session_scope(actor.username) as s:
        days = int(settings.get(s, "mailbox_open_days"))
    st.markdown(f"**超过{days}天未开箱的信箱**")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return mailboxes.list_unopened(s, actor, f, offset, limit)

    data_table("mb_unopened", fetch, filters=[Filter("group_id", "代表组", "select", ch["groups"])],
               export_name="未按时开箱的信箱", unit="个", hidden=["id"],
               empty=f"所有信箱在最近{days}天内都已开箱。")
    st.markdown("**按周开箱情况**")
    t = today()
    c1, c2, c3 = st.columns(3)
    group = c1.selectbox("代表组", list(ch["groups"]), format_func=lambda v: ch["groups"][v], key="mb_grid_group")
    year = c2.selectbox("年份", list(range(t.year, t.year - 4, -1)), key="mb_grid_year", format_func=lambda y: f"{y}年")
    quarter = c3.selectbox("季度", [1, 2, 3, 4], index=(t.month - 1) // 3, key="mb_grid_q",
                           format_func=lambda q: f"第{q}季度")
    if group is None:
        st.info("请先在“基础数据”中建立代表组。")
        return
    with session_scope(actor.username) as s:
        grid = mailboxes.week_grid(s, actor, group, year, quarter)
    if not grid["rows"]:
        st.info("该代表组还没有信箱。")
        return
    df = pd.DataFrame(grid["rows"]).drop(columns=["id"])
    colors = {"已开箱": "background-color: #d7f0d7", "未开箱": "background-color: #f8d0d0",
              "本周未开": "background-color: #fff1c2", "无工作日": "background-color: #eeeeee"}
    styled = df.style.map(lambda v: colors.get(v, ""), subset=grid["weeks"])
    st.dataframe(styled, hide_index=True, width="stretch", key="mb_grid", placeholder="")
    st.caption("列名为每周的周一日期；“—”表示该周尚未到来或信箱尚未设立。每周至少开箱一次（R11）。")


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
