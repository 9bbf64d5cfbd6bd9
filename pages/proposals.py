"""议案建议: 登记代表提出的议案、建议和批评意见，跟踪办理与答复。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.bodies import body_picker
from components.forms import confirm, field_error, intent, keep_drawn, run_write, show_flash
from components.guard import at_click, require_page
from components.params import param_year, year_options
from components.table import Filter, data_table
from components.text import alert, safe_md
from components.timeline import Step, timeline
from db.engine import session_scope
from services import clock, imports, masterdata
from services import proposals as svc
from services.common import Actor, Page, ServiceError
from services.states import ProposalKind, ProposalStatus

TABS = ["列表", "新建", "导入导出"]
LISTS = {"all": "议案建议", "none": "本年未提出议案建议的代表"}


def _choices(actor: Actor) -> dict:
    """Choices for filters and forms, read once per run."""
    with session_scope(actor.username) as s:
        return {
            "groups": masterdata.group_options(s, actor),
            "deputies": masterdata.deputy_options(s, actor),
            "deputies_all": masterdata.deputy_options(s, actor, serving_only=False),
            "terms": masterdata.term_options(s),
        }


# ---------------------------------------------------------------- 列表 and detail


def _detail(actor: Actor, ch: dict, pid: int) -> None:
    """One proposal: its fields, sources, timeline, the next step and the deputy's view."""
    try:
        with session_scope(actor.username) as s:
            d = svc.get_proposal(s, actor, pid)
    except ServiceError as exc:
        alert("error", str(exc))
        return
    it = intent("prop", pid, d["version"])  # the version this page shows, and its token
    st.subheader(f"{d['kind']}详情")
    st.text(d["title"])
    c1, c2, c3 = st.columns(3)
    c1.text(f"届次会次：{d['session']}")
    c2.text(f"提出日期：{d['submitted_on']:%Y-%m-%d}")
    c3.text(f"办理状态：{d['status']}")
    c1.text(f"联名代表（{d['n_signers']}人）：" + "、".join(d["signers"]))
    c2.text(f"承办单位：{d['handling_body'] or '未定'}" + (f"　结果分类：{d['outcome']}" if d['outcome'] else ""))
    c3.text(f"代表评价：{d['deputy_view'] or '—'}　涉及法治：{'是' if d['law_related'] else '否'}")
    if d["warning"]:
        alert("warning", d["warning"])
    if d["summary"]:
        st.caption("内容摘要")
        st.text(d["summary"])
    if d["result"]:
        st.caption(f"答复（{d['result_on']:%Y-%m-%d}）" if d["result_on"] else "答复")
        st.text(d["result"])
    if d["sources"]:
        st.caption(f"来源群众意见和来信（{len(d['sources'])}件）")
        st.dataframe(pd.DataFrame(d["sources"]).drop(columns=["key"]), hide_index=True, width="stretch", placeholder="")
    st.caption("办理过程")
    timeline([Step(e["status"], e["on"], e["by"], e["note"]) for e in d["events"]])
    if not actor.can_write("proposal"):
        return
    form_key = f"prop_tr_{pid}"
    show_flash(form_key)
    if d["next"]:
        with st.form(f"{form_key}_form"):
            st.markdown("**办理下一步**")
            c1, c2 = st.columns(2)
            to = c1.selectbox("变为", d["next"], key=f"{form_key}_to")
            field_error(form_key, "to_status")
            on = c2.date_input("日期", value=clock.today(), key=f"{form_key}_on", format="YYYY-MM-DD")
            field_error(form_key, "on")
            body = body_picker(actor, f"{form_key}_body", "承办单位", current=d["body_id"], allow_add=False)
            field_error(form_key, "handling_body")
            result = st.text_area("答复和办理结果（变为“已答复”时填写）", key=f"{form_key}_result")
            field_error(form_key, "result")
            outcome = st.selectbox("办理结果分类（变为“已答复”时选择）", svc.OUTCOMES, index=None,
                                   key=f"{form_key}_outcome", placeholder="A 类才计为已解决")
            field_error(form_key, "outcome")
            view = st.selectbox("代表评价（可稍后填写）", [None, *svc.VIEWS], key=f"{form_key}_view",
                                format_func=lambda v: "暂不填写" if v is None else v)
            field_error(form_key, "deputy_view")
            note = st.text_input("备注", key=f"{form_key}_note", max_chars=200)
            if st.form_submit_button("保存这一步", type="primary", key=it.key(f"{form_key}_go")):
                run_write(form_key, actor.username, lambda s: svc.transition(
                    s, actor, pid, to, expected_version=it.seen, on=on, note=note, handling_body=body,
                    result=result, deputy_view=view, outcome=outcome), success=f"已变为“{to}”。", intent=it)
    if d["status"] == ProposalStatus.ANSWERED and not d["outcome"]:
        c1, c2 = st.columns([2, 1])
        outcome_set = c1.selectbox("补充办理结果分类（答复于结果分类启用之前）", svc.OUTCOMES, index=None,
                                   key=f"{form_key}_setout", placeholder="A 类才计为已解决")
        field_error(form_key, "outcome")
        if c2.button("保存分类", key=it.key(f"{form_key}_setout_btn")):
            run_write(form_key, actor.username, lambda s: svc.set_outcome(s, actor, pid, outcome_set, it.seen),
                      success="已补充结果分类。", intent=it)
    if d["status"] == ProposalStatus.ANSWERED and d["deputy_view"] is None:
        c1, c2 = st.columns([2, 1])
        view = c1.selectbox("代表对答复的评价", svc.VIEWS, key=f"{form_key}_setview")
        field_error(form_key, "deputy_view")
        if c2.button("记录评价", key=it.key(f"{form_key}_setview_btn")):
            run_write(form_key, actor.username, lambda s: svc.set_view(s, actor, pid, view, it.seen),
                      success="已记录代表评价。", intent=it)
    ekey = f"prop_edit_{pid}"
    _messages(ekey)
    with st.expander("编辑登记信息"):
        _proposal_form(actor, ch, ekey, f"{ekey}_{st.session_state.get(f'{ekey}__gen', 0)}", init=d, pid=pid)
    if d["status"] == ProposalStatus.SUBMITTED and confirm(f"prop_del_{pid}", "删除", f"确定删除这件{d['kind']}吗？删除将记入操作日志。"):
        run_write(form_key, actor.username, lambda s: svc.delete_proposal(s, actor, pid, it.seen),
                  success="已删除。", intent=it)


def _list(actor: Actor, ch: dict) -> None:
    """The proposals list (with 工作台 views), or deputies with none this year."""
    view = st.query_params.get("view", "")
    keys = list(LISTS)
    which = st.segmented_control("名单", keys, default="none" if view == "none" else "all",
                                 format_func=LISTS.get, key="prop_which", label_visibility="collapsed")
    if which == "none":
        year = param_year()
        st.caption(f"{year}年在任代表（该年末在任，本年为今天；按当时所在代表组）中，既未领衔也未附议"
                   "任何议案或建议的代表（每位代表每年宜至少提出一件建议）。")

        def fetch_none(f: dict, offset: int, limit: int) -> Page:
            with session_scope(actor.username) as s:
                return svc.deputies_without(s, actor, int(f.get("year") or year), offset, limit,
                                            group_id=f.get("group"))

        data_table("prop_none", fetch_none, filters=[
            Filter("year", "年度", "year", year_options(), default=year),
            Filter("group", "代表组", "select", ch["groups"]),
        ], export_name="未提出议案建议的代表", unit="人", hidden=("id",),
            empty="该年度每位在任代表都已领衔或附议了议案或建议。")
        return
    extra: dict = {}
    if view == "overdue":
        st.info(f"只显示提出超过{svc.ANSWER_DAYS}天仍未答复的议案建议。")
        extra = {"overdue": True}
    elif view == "unhappy":
        st.info("只显示代表对答复不满意、尚未重新办理的议案建议。")
        extra = {"view": "不满意", "status": "已答复"}
    filters = [
        Filter("year", "年度", "select", {y: f"{y}年" for y in year_options()}),
        Filter("kind", "类型", "select", svc.KINDS),
        Filter("status", "办理状态", "select", svc.STATUSES),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("deputy", "代表（领衔或附议）", "select", ch["deputies_all"]),
        Filter("law", "只看涉及法治的", "bool"),
        Filter("q", "搜索标题、内容、承办单位", "text"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.list_proposals(s, actor, f, offset, limit)

    res = data_table("prop_list", fetch, filters=filters, extra_filters=extra, export_name="议案建议",
                     unit="件", hidden=("id",), selectable=True,
                     empty="没有符合条件的议案建议。可在“新建”中登记，或在“导入导出”中批量导入。")
    if res.selected:
        _detail(actor, ch, int(res.selected["id"]))
    elif res.page.rows:
        st.caption("点选表格中的一行，查看详情、办理过程并办理下一步。")


# ---------------------------------------------------------------- 新建


def _proposal_form(actor: Actor, ch: dict, form_key: str, p: str, init: dict | None = None,
                   pid: int | None = None) -> None:
    """The proposal form (new or edit): fields, signers and sources picked from problems raised often (R4).

    ``form_key`` keeps messages and field errors; ``p`` prefixes the widgets (a new prefix is a fresh form).
    """
    init = init or {}
    deps = dict(ch["deputies"])
    for i in [init.get("lead_deputy_id"), *init.get("cosigner_ids", [])]:
        if i and i not in deps:  # keep a signer who left office visible on an old proposal
            deps[i] = ch["deputies_all"].get(i, str(i))
    c1, c2, c3 = st.columns(3)
    kind = c1.radio("类型", svc.KINDS, index=svc.KINDS.index(init.get("kind", "建议")), horizontal=True,
                    key=f"{p}_kind")
    field_error(form_key, "kind")
    terms = list(ch["terms"])
    t_init = init.get("term_id")
    term_id = c2.selectbox("届次", terms, format_func=ch["terms"].get, key=f"{p}_term",
                           index=terms.index(t_init) if t_init in terms else 0) if terms else None
    field_error(form_key, "term_id")
    nos = [None, *range(1, 11)]
    session_no = c3.selectbox("会次", nos, key=f"{p}_session",
                              index=nos.index(init.get("session_no")) if init.get("session_no") in nos else 0,
                              format_func=lambda n: "闭会期间" if n is None else f"第{n}次会议")
    field_error(form_key, "session_no")
    title = st.text_input("标题", value=init.get("title", ""), key=f"{p}_title", max_chars=200)
    field_error(form_key, "title")
    summary = st.text_area("内容摘要", value=init.get("summary", ""), key=f"{p}_summary")
    field_error(form_key, "summary")
    c1, c2 = st.columns([1, 2])
    lead_opts = [None, *deps]
    lead = c1.selectbox("领衔代表", lead_opts, key=f"{p}_lead",
                        index=lead_opts.index(init.get("lead_deputy_id")) if init.get("lead_deputy_id") in deps else 0,
                        format_func=lambda i: "请选择" if i is None else deps.get(i, str(i)))
    field_error(form_key, "lead_deputy_id")
    cos = c2.multiselect("附议代表", [i for i in deps if i != lead], key=f"{p}_cos",
                         default=[i for i in init.get("cosigner_ids", []) if i != lead],
                         format_func=lambda i: deps.get(i, str(i)), placeholder="输入姓名搜索")
    field_error(form_key, "cosigner_ids")
    if kind == ProposalKind.MOTION:
        with session_scope(actor.username) as s:
            w = svc.signature_warning(s, kind, 1 + len(cos))
        if w:
            st.caption(safe_md(w.split("。")[0] + "。人数不足也可保存，但会提示。"))
    c1, c2, c3 = st.columns(3)
    submitted_on = c1.date_input("提出日期", value=init.get("submitted_on", clock.today()), key=f"{p}_on",
                                 format="YYYY-MM-DD")
    field_error(form_key, "submitted_on")
    with c2:
        body = body_picker(actor, f"{p}_body", "承办单位（交办后选择也可）", current=init.get("body_id"))
    field_error(form_key, "handling_body")
    c3.write("")
    law = c3.checkbox("涉及法律和法治问题", value=bool(init.get("law_related")), key=f"{p}_law")
    st.markdown("**来源：多次反映、尚未形成议案建议的群众意见和来信（R4）**")
    year = st.selectbox("反映年度", year_options(), key=f"{p}_src_year", format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        rows = svc.frequent_sources(s, actor, year)
    labels = {r["key"]: svc.source_label(r) for r in rows}
    linked = init.get("sources", [])
    for r in linked:  # sources already linked stay choosable
        labels.setdefault(r["key"], f"{r['类别']} {r['类型']} {r['日期']:%Y-%m-%d}：{str(r['内容'])[:40]}")
    if not rows:
        st.caption("该年度没有同一选区同类问题多次反映而尚未形成议案建议的意见或来信。")
    sources = st.multiselect("来源意见和来信", list(labels), key=f"{p}_sources", format_func=labels.get,
                             default=[r["key"] for r in linked], placeholder="选择本件所依据的意见或来信（可多选）")
    field_error(form_key, "sources")
    it = intent("prop", pid, init.get("version")) if pid is not None else intent(form_key, p)
    if pid is not None:  # untouched fields reload from the record after a stale refusal
        keep_drawn(it, [f"{p}_{k}" for k in ("kind", "term", "session", "title", "summary", "lead", "cos", "on",
                                              "body", "law", "sources")])
    if st.button("保存", type="primary", key=it.key(f"{p}_save")):
        data = {"kind": kind, "term_id": term_id, "session_no": session_no, "title": title, "summary": summary,
                "lead_deputy_id": lead, "cosigner_ids": cos, "submitted_on": submitted_on,
                "handling_body": None, "body_id": body, "law_related": law, "sources": sources}
        if pid is None:
            res = run_write(form_key, actor.username, lambda s: svc.create_proposal(s, actor, data), rerun=False,
                            intent=it)
            done = f"已登记{kind}“{title}”。"
        else:
            res = run_write(form_key, actor.username, lambda s: svc.update_proposal(s, actor, pid, data, it.seen),
                            rerun=False, intent=it)
            done = "已保存修改。"
        if res:
            st.session_state[f"{form_key}__flash"] = ("ok", done)
            if res["warnings"]:
                st.session_state[f"{form_key}__warn"] = "；".join(res["warnings"])
            st.session_state[f"{form_key}__gen"] = st.session_state.get(f"{form_key}__gen", 0) + 1
            st.rerun()


def _messages(form_key: str) -> None:
    """The last save's message and its signatures warning."""
    show_flash(form_key)
    warn = st.session_state.pop(f"{form_key}__warn", None)
    if warn:
        alert("warning", warn)


def _new(actor: Actor, ch: dict) -> None:
    """新建: a fresh proposal form."""
    _messages("prop_new")
    if not ch["deputies"]:
        st.info("您的负责范围内还没有在任代表。请先在“基础数据”中维护代表。")
        return
    _proposal_form(actor, ch, "prop_new", f"prop_new{st.session_state.get('prop_new__gen', 0)}")


# ---------------------------------------------------------------- 导入导出


def _import_export(actor: Actor) -> None:
    """Template, .xlsx import (all or nothing) and export in the template's columns."""
    form_key = "prop_imp"
    show_flash(form_key)

    def template() -> bytes:  # built when clicked (it lists every deputy and district)
        with session_scope(actor.username) as s:
            return svc.import_template(s, actor)

    st.download_button("下载导入模板", at_click(template), file_name="议案建议导入模板.xlsx", key="prop_tpl",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    if actor.can_write("proposal"):
        n = st.session_state.get("prop_upload__n", 0)
        up = st.file_uploader("上传填好的 .xlsx 文件", type=["xlsx"], key=f"prop_upload{n}" if n else "prop_upload")
        field_error(form_key, "file")
        errs = {k: v for k, v in st.session_state.get(f"{form_key}__errors", {}).items() if k.startswith("第")}
        if errs:
            st.dataframe(pd.DataFrame([{"行": k, "问题": v} for k, v in errs.items()]), hide_index=True,
                         width="stretch", placeholder="")
        if up is not None and st.button("导入", type="primary", key="prop_import"):
            data, name = up.getvalue(), up.name
            dups: list[str] = []

            def _run(s):
                dups.clear()  # a retried transaction starts the list again
                return svc.import_xlsx(s, actor, data, filename=name, duplicates=dups)

            added = run_write(form_key, actor.username, _run, rerun=False)
            st.session_state[f"{form_key}__flash"] = ("ok", f"导入完成：新增 {added} 件。" + imports.duplicate_note(dups, "行"))
            st.session_state["prop_upload__n"] = n + 1  # the uploader is emptied: no second import by accident
            st.rerun()
    st.divider()
    year = st.selectbox("导出年度", [None, *year_options()], key="prop_exp_year",
                        format_func=lambda y: "全部" if y is None else f"{y}年")

    def export() -> bytes:
        with session_scope(actor.username) as s:
            return svc.export_xlsx(s, actor, {"year": year})

    st.download_button("导出 Excel（可按模板重新导入）", at_click(export), key="prop_export",
                       file_name=f"议案建议_{clock.today():%Y-%m-%d}.xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render() -> None:
    """Draw the 议案建议 page (nothing runs at import)."""
    actor = require_page("proposals")
    st.caption("登记代表提出的议案、建议和批评意见及其来源，跟踪交办、办理与答复。")
    ch = _choices(actor)
    names = TABS if actor.can_write("proposal") else [TABS[0], TABS[2]]
    tabs = st.tabs(names, default=names[0])
    by_name = dict(zip(names, tabs, strict=True))
    with by_name["列表"]:
        _list(actor, ch)
    if "新建" in by_name:
        with by_name["新建"]:
            _new(actor, ch)
    with by_name["导入导出"]:
        _import_export(actor)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
