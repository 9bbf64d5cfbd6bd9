"""述职管理: 制定年度当面述职计划，记录述职会、书面报告、评议、刊登与整改，听取代表组工作汇报。"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.forms import field_error, intent, keep_drawn, run_write, show_flash
from components.guard import require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, Order, data_table, order_labels, rows_fetch
from components.text import alert, safe_md
from db.engine import session_scope
from services import clock, masterdata, rules
from services import opinions as op_svc
from services import reports as svc
from services.common import Actor, Page, ValidationError
from services.validation import fmt_date, mask_columns

TABS = {"overview": "年度概览", "plan": "述职计划", "meeting": "当面述职", "written": "书面报告",
        "publish": "刊登与整改", "hearing": "听取汇报"}
OPINION_COLUMNS = {"content": "意见内容", "category": "类别", "is_livelihood": "是否民生问题", "forwarded_to": "转交单位"}


def _sizes(check: rules.ShareCheck) -> str:
    """The plan sizes within the band, as "2–3 人" (or "无合规人数" for a group too small)."""
    r = check.sizes
    if not r:
        return "无合规人数"
    return f"{r.start} 人" if len(r) == 1 else f"{r.start}–{r.stop - 1} 人"


# the 排序 choices of the lists computed in Python (the first is the office's order)
OVERVIEW_ORDERS = {
    "group": Order("按代表组", (("代表组", False),)),
    "late": Order("逾期整改多的在前", (("逾期整改（项）", True), ("未完成整改（项）", True), ("代表组", False))),
    "satisfaction": Order("满意率低的在前", (("满意率", False), ("代表组", False))),
    "share": Order("计划比例低的在前", (("计划比例", False), ("代表组", False))),
}
PLAN_ORDERS = {
    "date": Order("按计划日期", (("计划日期", False), ("代表", False))),
    "name": Order("按姓氏笔画", (("代表", False),)),
}


# ---------------------------------------------------------------- 年度概览

# free text of 述职 lists: personal data typed into it is masked for leader and supervisor (issue 16)
TEXT_COLUMNS = ("地点", "述职内容", "整改事项", "意见要点", "责任人")


def _masked(actor: Actor, page: Page) -> Page:
    """A list page with the free text of TEXT_COLUMNS masked for roles that see masked data."""
    return Page(mask_columns(page.rows, actor.role, TEXT_COLUMNS), page.total, page.sums)



def _overview(actor: Actor, year: int) -> None:
    """The year at a glance: one row per group, exportable, with a chart of planned and held."""
    with session_scope(actor.username) as s:
        rows = svc.overview(s, actor, year)
        year_error = svc.plan_year_error(s, year)
    if year_error:
        alert("info", year_error)
    data_table("rep_overview", rows_fetch(rows, OVERVIEW_ORDERS), sorts=order_labels(OVERVIEW_ORDERS),
               export_name=f"{year}年述职工作概览", unit="个代表组",
               hidden=("group_id",), empty="您的负责范围内还没有代表组。请先在“基础数据”中维护代表组和代表。")
    if rows and any(r["计划当面述职（人）"] or r["书面应交（人）"] for r in rows):
        long = pd.DataFrame([
            {"代表组": r["代表组"], "项目": k, "人数": r[k]}
            for r in rows for k in ("计划当面述职（人）", "已当面述职（人）", "书面已交（人）")
        ])
        chart = (
            alt.Chart(long, title=f"{year}年各代表组述职进度")
            .mark_bar()
            .encode(x=alt.X("代表组:N", title="代表组", sort=None),
                    xOffset=alt.XOffset("项目:N"),
                    y=alt.Y("人数:Q", title="人数（人）"),
                    color=alt.Color("项目:N", title="项目"),
                    tooltip=[alt.Tooltip("代表组:N", title="代表组"), alt.Tooltip("项目:N", title="项目"),
                             alt.Tooltip("人数:Q", title="人数")])
        )
        charts.show(chart, "rep_chart", f"{year}年述职情况", width="stretch")


# ---------------------------------------------------------------- 述职计划


def _plan(actor: Actor, year: int, groups: dict[int, str]) -> None:
    """The yearly plan of one group: live share as deputies are ticked, proposal, save, lock."""
    if not groups:
        st.info("您的负责范围内还没有代表组。请先在“基础数据”中维护代表组和代表。")
        return
    gids = list(groups)
    init = param_choice("group", {str(g) for g in gids}, "")
    idx = next((gids.index(g) for g in gids if str(g) == init), 0)
    gid = st.selectbox("代表组", gids, index=idx, format_func=groups.get, key="rep_plan_group")
    with session_scope(actor.username) as s:
        d = svc.plan_detail(s, actor, gid, year)
    form_key = "rep_plan"
    show_flash(form_key)
    warn = st.session_state.pop("rep_plan__warn", None)
    if warn:
        alert("warning", warn)
    if d["year_error"]:
        alert("warning", d["year_error"])
        return
    serving = d["serving"]
    if d["locked"]:
        st.success(f"计划已确定（{safe_md(d['locked_by'])}，{d['locked_at']:%Y-%m-%d %H:%M}）。此后的修改仍可保存，并记入操作日志。",
                   icon=":material/lock:")
    elif d["plan_id"]:
        st.info("计划草拟中：确认名单、日期和内容后，请点击“确定计划”。", icon=":material/edit_note:")
    if not actor.can_write("report"):
        rows = [{"代表": i["name"], "计划日期": i["planned_on"], "地点": i["venue"], "述职内容": i["content"]}
                for i in d["items"]]
        rows = mask_columns(rows, actor.role, TEXT_COLUMNS)  # personal data typed into the text (issue 16)
        st.caption(f"在任代表 {len(serving)} 人，计划当面述职 {len(rows)} 人"
                   + (f"（{d['share'] * 100:.1f}%）" if d["share"] is not None else ""))
        data_table("rep_plan_items", rows_fetch(rows, PLAN_ORDERS), sorts=order_labels(PLAN_ORDERS), export_name=f"{groups[gid]}{year}年当面述职计划", unit="人",
                   empty="该代表组本年还没有制定述职计划。")
        return
    if not serving:
        st.info("该代表组本年没有在任代表。请先在“基础数据”中维护代表。")
        return

    gen = st.session_state.get(f"rep_plan_gen_{gid}_{year}", 0)
    ms_key = f"rep_plan_dep_{gid}_{year}_{gen}"
    if st.button("生成轮换建议", key="rep_plan_propose", icon=":material/autorenew:",
                 help="优先安排本届尚未当面述职的代表，使每位代表在届内至少当面述职一次"):
        try:
            with session_scope(actor.username) as s:
                p = svc.propose_plan(s, actor, gid, year)
            st.session_state[ms_key] = p["deputy_ids"]
            st.session_state["rep_plan__proposal"] = (gid, year, p["text"])
        except ValidationError as exc:
            alert("error", "；".join(exc.errors.values()))
    prop = st.session_state.get("rep_plan__proposal")
    if prop and prop[:2] == (gid, year):
        alert("info", prop[2], icon=":material/calculate:")

    # the plan's version drawn with the form and a token, shared by 保存计划 and 确定计划: a save or a
    # lock on a plan someone else changed meanwhile is refused; a double click saves once. The
    # table shows the plan as drawn until the form ends (a colleague's save does not reset the
    # user's edits in it).
    it = intent(form_key, f"{gid}_{year}", d["version"])
    drawn_items = st.session_state[it.slot].setdefault("items", d["items"])
    current = [i["deputy_id"] for i in drawn_items]
    chosen = st.multiselect(
        "当面述职代表", list(serving), default=[i for i in current if i in serving] if ms_key not in st.session_state else None,
        format_func=lambda i: serving.get(i, str(i)), key=ms_key, placeholder="勾选本年当面述职的代表",
    )
    check = rules.report_share(len(chosen), len(serving), d["band"])  # the one R6 share check
    k, n = check.planned, check.serving
    msg = (f"已选 {k} 人 / 在任代表 {n} 人 = {(check.share or 0) * 100:.1f}%"
           f"（规定 {check.lo * 100:.0f}%–{check.hi * 100:.0f}%，即 {_sizes(check)}）")
    if check.ok:
        alert("success", msg, icon=":material/check_circle:")
    else:
        alert("warning", msg + "：比例不在规定范围内，仍可保存。", icon=":material/warning:")
    field_error(form_key, "items")

    by_id = {i["deputy_id"]: i for i in drawn_items}
    frame = pd.DataFrame({
        "deputy_id": chosen,
        "代表": [serving[i] for i in chosen],
        "计划日期": pd.Series([by_id.get(i, {}).get("planned_on") for i in chosen], dtype="object"),
        "地点": [by_id.get(i, {}).get("venue", "") for i in chosen],
        "述职内容": [by_id.get(i, {}).get("content", "") for i in chosen],
    })
    edited = None
    if chosen:
        edited = st.data_editor(
            frame, key=f"rep_plan_ed_{gid}_{year}_{gen}_{'_'.join(map(str, chosen))}", hide_index=True,
            width="stretch", disabled=["deputy_id", "代表"], column_order=["代表", "计划日期", "地点", "述职内容"],
            placeholder="未填",
            column_config={
                "计划日期": st.column_config.DateColumn("计划日期", format="YYYY-MM-DD"),
                "地点": st.column_config.TextColumn("地点", max_chars=128),
                "述职内容": st.column_config.TextColumn("述职内容", max_chars=2000, width="large"),
            },
        )
    c1, c2 = st.columns(2)
    if c1.button("保存计划", key=it.key("rep_plan_save"), type="primary", icon=":material/save:"):
        items = []
        if edited is not None:
            for r in edited.to_dict("records"):
                planned = r.get("计划日期")
                items.append({"deputy_id": int(r["deputy_id"]),
                              "planned_on": None if planned is None or pd.isna(planned) else planned,
                              "venue": r.get("地点"), "content": r.get("述职内容")})

        def _save(s):
            res = svc.save_plan(s, actor, gid, year, items, expected_version=it.seen)
            if res["warning"]:
                st.session_state["rep_plan__warn"] = res["warning"]
            return res

        run_write(form_key, actor.username, _save, intent=it,
                  success=f"已保存{groups[gid]}{year}年述职计划（{k} 人）" + ("，修改已记入操作日志。" if d["locked"] else "。"))
    if d["plan_id"] and not d["locked"] and c2.button(
            "确定计划", key=it.key("rep_plan_lock"), icon=":material/lock:", help="确定后仍可修改，修改记入操作日志"):
        run_write(form_key, actor.username, lambda s: svc.lock_plan(s, actor, gid, year, it.seen),
                  success="计划已确定。", intent=it)


# ---------------------------------------------------------------- 当面述职


def _meeting_form(actor: Actor, year: int, categories: list[str], prefix: str, options: dict[int, str],
                  init: dict | None = None, report_id: int | None = None, version: int | None = None) -> None:
    """The face-to-face meeting form with evaluation counts, live satisfaction and opinions."""
    form_key = "rep_meet"
    init = init or {}
    ids = list(options)
    c1, c2, c3 = st.columns(3)
    with c1:
        dep = st.selectbox("述职代表", ids, format_func=options.get, key=f"{prefix}_deputy",
                           disabled=report_id is not None)
        field_error(form_key, "deputy_id")
    with c2:
        held = st.date_input("述职日期", value=init.get("held_on") or min(clock.today(), date(year, 12, 31)),
                             key=f"{prefix}_held", format="YYYY-MM-DD")
        field_error(form_key, "held_on")
    with c3:
        venue = st.text_input("述职地点", value=init.get("venue") or "", key=f"{prefix}_venue", max_chars=128)
        field_error(form_key, "venue")
    c1, c2, c3, c4 = st.columns(4)
    present = c1.number_input("到会选民（人）", min_value=0, step=1, value=int(init.get("voters_present") or 0),
                              key=f"{prefix}_present")
    with c1:
        field_error(form_key, "voters_present")
    asked = c2.number_input("选民提问（个）", min_value=0, step=1, value=int(init.get("questions_asked") or 0),
                            key=f"{prefix}_asked")
    answered = c3.number_input("现场答复（个）", min_value=0, step=1, value=int(init.get("questions_answered") or 0),
                               key=f"{prefix}_answered")
    with c3:
        field_error(form_key, "questions_answered")
    with c4:
        st.write("")
        video = st.checkbox("已录像", value=bool(init.get("video_recorded")), key=f"{prefix}_video")
    st.markdown("**选民测评**")
    c1, c2, c3, c4 = st.columns(4)
    sat = c1.number_input("满意（票）", min_value=0, step=1, value=int(init.get("satisfied") or 0), key=f"{prefix}_sat")
    basic = c2.number_input("基本满意（票）", min_value=0, step=1, value=int(init.get("basically_satisfied") or 0),
                            key=f"{prefix}_basic")
    unsat = c3.number_input("不满意（票）", min_value=0, step=1, value=int(init.get("unsatisfied") or 0),
                            key=f"{prefix}_unsat")
    with session_scope(actor.username) as s:
        bands = svc.grade_bands(s)
    rate, grade = svc.grade_of(sat, basic, unsat, bands)
    c4.metric("满意率（满意＋基本满意）", "—" if rate is None else f"{rate * 100:.1f}%", grade or None,
              delta_color="off")
    field_error(form_key, "satisfied")
    note = st.text_area("述职报告或存放说明", value=init.get("text_note") or "", key=f"{prefix}_note", max_chars=5000,
                        placeholder="粘贴述职报告正文，或注明纸质报告、录像的存放位置")
    field_error(form_key, "text_note")
    st.markdown("**选民在述职会上提出的意见**（每行一条；进入群众意见办理流程；可留空）")
    empty = pd.DataFrame({"content": pd.Series(dtype="object"), "category": pd.Series(dtype="object"),
                          "is_livelihood": pd.Series(dtype="bool"), "forwarded_to": pd.Series(dtype="object")})
    edited = st.data_editor(
        empty, num_rows="dynamic", key=f"{prefix}_ops", width="stretch", hide_index=True,
        column_config={
            "content": st.column_config.TextColumn(OPINION_COLUMNS["content"], max_chars=2000, width="large"),
            "category": st.column_config.SelectboxColumn(OPINION_COLUMNS["category"], options=categories),
            "is_livelihood": st.column_config.CheckboxColumn(OPINION_COLUMNS["is_livelihood"], default=False),
            "forwarded_to": st.column_config.SelectboxColumn(
                OPINION_COLUMNS["forwarded_to"], options=_body_names(actor),
                help="承办单位名录中的单位（可在“承办单位”页面新增）；不能是代表本人（R3）"),
        },
    )
    field_error(form_key, "opinions")
    with session_scope(actor.username) as s:
        unsure = op_svc.registration_warning(s, held)
    if unsure:
        alert("warning", "述职会上提出的群众意见：" + unsure)
    it = intent(form_key, prefix, version)  # the version drawn and a token: once, on what the user saw
    if report_id is not None:  # untouched fields reload from the record after a stale refusal
        keep_drawn(it, [f"{prefix}_{k}" for k in ("held", "venue", "present", "asked", "answered", "video", "note",
                                                  "sat", "basic", "unsat")])
    if st.button("保存述职记录" if report_id is None else "保存修改", key=it.key(f"{prefix}_save"), type="primary"):
        data = {"deputy_id": dep, "year": year, "held_on": held, "venue": venue, "voters_present": present,
                "questions_asked": asked, "questions_answered": answered, "video_recorded": video,
                "text_note": note, "satisfied": sat, "basically_satisfied": basic, "unsatisfied": unsat}
        rows = edited.to_dict("records") if edited is not None else []

        def _save(s):
            return svc.save_meeting(s, actor, data, rows, report_id=report_id, expected_version=it.seen)

        run_write(form_key, actor.username, _save, rerun=False, intent=it,
                  success="已保存述职记录。" + (f"满意率 {rate * 100:.1f}%，评定：{grade}。" if rate is not None else ""))
        if report_id is None:
            st.session_state["rep_meet__gen"] = st.session_state.get("rep_meet__gen", 0) + 1
        st.rerun()


def _meetings(actor: Actor, year: int, groups: dict[int, str], categories: list[str]) -> None:
    """当面述职: the list of meetings, the selected one for editing, and the new-meeting form."""
    show_flash("rep_meet")
    filters = [Filter("group", "代表组", "select", groups), Filter("q", "代表姓名", "text")]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return _masked(actor, svc.list_meetings(s, actor, f, offset, limit))

    res = data_table("rep_meetings", fetch, filters=filters, extra_filters={"year": year}, sorts=svc.MEETING_SORTS,
                     export_name=f"{year}年当面述职", unit="场", selectable=actor.can_write("report"),
                     hidden=("id", "version", "deputy_id"),
                     empty=f"{year}年还没有登记当面述职。述职会开过后，在下方登记。")
    if not actor.can_write("report"):
        return
    if res.selected:
        sel = res.selected
        with st.expander(f"修改：{safe_md(sel['代表'])} {fmt_date(sel['述职日期'])}", expanded=True):
            with session_scope(actor.username) as s:
                init = svc.get_report(s, actor, sel["id"])
            _meeting_form(actor, year, categories, f"rep_meet_edit{sel['id']}", {sel["deputy_id"]: sel["代表"]},
                          init, sel["id"], sel["version"])
        return
    st.subheader("登记当面述职")
    with session_scope(actor.username) as s:
        options = svc.planned_options(s, actor, year)
    if not options:
        st.info(f"{year}年的述职计划中没有待登记的代表。请先在“述职计划”中列入代表。")
        return
    gen = st.session_state.get("rep_meet__gen", 0)
    _meeting_form(actor, year, categories, f"rep_meet_new{gen}", options)


# ---------------------------------------------------------------- 书面报告


def _written(actor: Actor, year: int, groups: dict[int, str]) -> None:
    """书面报告 (R7): owed reports per group with their state; record receipt, review, filing."""
    form_key = "rep_written"
    show_flash(form_key)
    views = svc.WRITTEN_VIEWS
    keys = list(views)
    wanted = st.query_params.get("view", "all")
    view = st.radio("查看", keys, index=keys.index(wanted) if wanted in keys else 0, format_func=views.get,
                    horizontal=True, key="rep_written_view")
    st.caption("未列入本年当面述职计划、年末在任的代表应提交书面报告；年中离任者不需提交，7月1日以后到任者当年不需提交。")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.written_status(s, actor, f, offset, limit)

    res = data_table("rep_written_t", fetch, filters=[Filter("group", "代表组", "select", groups)],
                     extra_filters={"year": year, "view": view}, export_name=f"{year}年书面述职报告{views[view]}",
                     unit="人", selectable=actor.can_write("report"), hidden=("deputy_id", "report_id", "version"),
                     empty="没有符合条件的代表。")
    if not (actor.can_write("report") and res.selected):
        if actor.can_write("report") and res.page.rows:
            st.caption("在表中选中一位代表，登记收到、审查和备案。")
        return
    sel = res.selected
    gen = st.session_state.get(f"rep_w{sel['deputy_id']}__gen", 0)
    p = f"rep_w{sel['deputy_id']}_{gen}"  # kept (with the input) when a save is refused
    it = intent(form_key, p, sel.get("version"))
    st.markdown(f"**{safe_md(sel['代表'])}（{safe_md(sel['代表组'])}）{year}年书面报告**")
    c1, c2, c3 = st.columns(3)
    with c1:
        received = st.date_input("收到日期", value=sel["收到日期"] or None, key=f"{p}_rec", format="YYYY-MM-DD")
        field_error(form_key, "received_on")
    results = ["未审查", *svc.REVIEW_RESULTS]
    with c2:
        result = st.selectbox("代表组审查结果", results, key=f"{p}_res",
                              index=results.index(sel["审查结果"]) if sel["审查结果"] in results else 0)
        field_error(form_key, "review_result")
    with c3:
        reviewer = st.text_input("审查人", value=sel["审查人"], key=f"{p}_reviewer", max_chars=64)
        field_error(form_key, "reviewer")
    c1, c2 = st.columns(2)
    with c1:
        reviewed = st.date_input("审查日期", value=sel["审查日期"] or None, key=f"{p}_revd", format="YYYY-MM-DD")
        field_error(form_key, "reviewed_on")
    with c2:
        filed = st.date_input("报代表联络工委备案日期", value=sel["备案日期"] or None, key=f"{p}_filed",
                              format="YYYY-MM-DD")
        field_error(form_key, "filed_on")
    keep_drawn(it, [f"{p}_{k}" for k in ("rec", "res", "reviewer", "revd", "filed")])
    if st.button("保存书面报告", key=it.key(f"{p}_save"), type="primary"):
        data = {"received_on": received, "review_result": None if result == "未审查" else result,
                "reviewer": reviewer, "reviewed_on": reviewed, "filed_on": filed}
        run_write(form_key, actor.username,
                  lambda s: svc.save_written(s, actor, sel["deputy_id"], year, data, it.seen),
                  success=f"已保存{sel['代表']}的书面报告。", rerun=False, intent=it)
        st.session_state[f"rep_w{sel['deputy_id']}__gen"] = gen + 1
        st.rerun()


# ---------------------------------------------------------------- 刊登与整改


def _publish(actor: Actor, year: int, groups: dict[int, str]) -> None:
    """刊登 (R9) and 整改 (R10): unpublished reports, publication form; rectification items."""
    writer = actor.can_write("report")
    st.subheader("人大工作信息刊登")
    show_flash("rep_pub")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.unpublished(s, actor, f, offset, limit)

    res = data_table("rep_pub_t", fetch, filters=[Filter("group", "代表组", "select", groups),
                                                  Filter("all", "含已刊登", "bool")],
                     extra_filters={"year": year}, export_name=f"{year}年述职刊登情况", unit="篇",
                     selectable=writer, hidden=("id", "version"),
                     empty="没有待刊登的述职报告（已开述职会或书面报告审查通过的，才需刊登）。")
    if writer and res.selected:
        sel = res.selected
        p = f"rep_pub{sel['id']}"
        it = intent("rep_pub", sel["id"], sel["version"])  # the version drawn, not re-read at the click
        c1, c2, c3 = st.columns([2, 2, 1])
        with c1:
            pub = st.date_input("刊登日期", value=sel["刊登日期"] or clock.today(), key=f"{p}_date", format="YYYY-MM-DD")
            field_error("rep_pub", "published_on")
        with c2:
            issue = st.text_input("人大工作信息期号", value=sel["刊登期号"], key=f"{p}_issue", max_chars=32,
                                  placeholder="如：2026年第12期")
            field_error("rep_pub", "publication_issue")
        with c3:
            st.write("")
            keep_drawn(it, [f"{p}_date", f"{p}_issue"])  # after a stale refusal untouched fields reload
            if st.button("保存刊登", key=it.key(f"{p}_save"), type="primary"):
                run_write("rep_pub", actor.username,
                          lambda s: svc.set_publication(s, actor, sel["id"], pub, issue, it.seen),
                          success=f"已登记{sel['代表']}的述职刊登。", intent=it)

    st.subheader("评议整改")
    show_flash("rep_rect")
    overdue_default = st.query_params.get("overdue") in ("1", "true")
    filters = [Filter("group", "代表组", "select", groups),
               Filter("status", "状态", "select", list(svc.RECT_STATUSES)),
               Filter("overdue", "只看逾期", "bool", default=overdue_default)]

    def fetch_rect(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return _masked(actor, svc.list_rectifications(s, actor, f, offset, limit))

    can_rect = actor.can_write("rectification")
    res = data_table("rep_rect_t", fetch_rect, filters=filters, export_name="述职评议整改事项", unit="项",
                     sorts=svc.RECT_SORTS,
                     selectable=can_rect, hidden=("id", "version", "status"),
                     empty="没有符合条件的整改事项。选民评议提出意见后，在下方登记整改事项。")
    if not can_rect:
        return
    if res.selected:
        sel = res.selected
        p = f"rep_rect{sel['id']}"
        it = intent("rep_rect", sel["id"], sel["version"])  # the version drawn, not re-read at the click
        c1, c2, c3 = st.columns([2, 2, 1])
        with c1:
            ann = st.date_input("代表组会议通报日期", value=sel["会议通报日期"] or None, key=f"{p}_ann",
                                format="YYYY-MM-DD")
            field_error("rep_rect", "announced_on")
        with c2:
            status = st.selectbox("状态", svc.RECT_STATUSES, index=svc.RECT_STATUSES.index(sel["status"]),
                                  key=f"{p}_status")
        with c3:
            st.write("")
            keep_drawn(it, [f"{p}_ann", f"{p}_status"])  # after a stale refusal untouched fields reload
            if st.button("保存", key=it.key(f"{p}_save"), type="primary"):
                run_write("rep_rect", actor.username,
                          lambda s: svc.update_rectification(s, actor, sel["id"],
                                                             {"announced_on": ann, "status": status}, it.seen),
                          success="已保存整改事项。", intent=it)
    with session_scope(actor.username) as s:
        reports = svc.report_options(s, actor, year)
    with st.expander("登记整改事项"):
        if not reports:
            st.info(f"{year}年还没有述职记录。")
            return
        gen = st.session_state.get("rep_rect__gen", 0)
        p = f"rep_rect_new{gen}"
        rid = st.selectbox("来自哪次述职", list(reports), format_func=reports.get, key=f"{p}_report")
        content = st.text_area("整改事项", key=f"{p}_content", max_chars=2000, placeholder="选民评议提出的问题及整改要求")
        field_error("rep_rect", "content")
        c1, c2, c3 = st.columns(3)
        with c1:
            owner = st.text_input("责任人", key=f"{p}_owner", max_chars=64)
            field_error("rep_rect", "owner")
        with c2:
            due = st.date_input("整改期限", value=None, key=f"{p}_due", format="YYYY-MM-DD")
            field_error("rep_rect", "due_on")
        with c3:
            ann = st.date_input("代表组会议通报日期", value=None, key=f"{p}_ann", format="YYYY-MM-DD")
            field_error("rep_rect", "announced_on")
        it_new = intent("rep_rect_new", gen)  # one item per drawn form: a double click adds one
        if st.button("登记整改事项", key=it_new.key(f"{p}_save"), type="primary"):
            def _add(s):
                rid_new = svc.add_rectification(s, actor, rid, {"content": content, "owner": owner, "due_on": due,
                                                                "announced_on": ann})
                st.session_state["rep_rect__gen"] = gen + 1
                return rid_new

            run_write("rep_rect", actor.username, _add, success="已登记整改事项。", intent=it_new)


# ---------------------------------------------------------------- 听取汇报


def _hearings(actor: Actor, year: int, groups: dict[int, str]) -> None:
    """听取代表组工作汇报 (R16): groups not heard this year, the hearing log, the form (督查人员)."""
    show_flash("rep_hear")
    st.markdown(f"**{year}年尚未听取工作汇报的代表组**")

    def fetch_not(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.groups_not_heard(s, actor, year, offset, limit)

    data_table("rep_notheard", fetch_not, export_name=f"{year}年未听取工作汇报的代表组", unit="个", hidden=("id",),
               empty=f"{year}年已听取全部代表组的工作汇报。")
    st.markdown("**听取记录**")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return _masked(actor, svc.list_hearings(s, actor, f, offset, limit))

    data_table("rep_hear_t", fetch, filters=[Filter("group", "代表组", "select", groups)], sorts=svc.HEARING_SORTS,
               extra_filters={"year": year}, export_name=f"{year}年听取代表组工作汇报", unit="次", hidden=("id",),
               empty="还没有听取记录。常委会工作机构听取代表组工作汇报后，由督查人员登记。")
    if not actor.can_write("hearing"):
        return
    with st.expander("登记听取汇报", expanded=False):
        if not groups:
            st.info("还没有代表组。")
            return
        gen = st.session_state.get("rep_hear__gen", 0)
        p = f"rep_hear_new{gen}"
        c1, c2, c3 = st.columns(3)
        gid = c1.selectbox("代表组", list(groups), format_func=groups.get, key=f"{p}_group")
        with c2:
            held = st.date_input("听取日期", value=clock.today(), key=f"{p}_date", format="YYYY-MM-DD")
            field_error("rep_hear", "held_on")
        with c3:
            heard_by = st.text_input("听取人", value=actor.display_name, key=f"{p}_by", max_chars=128)
            field_error("rep_hear", "heard_by")
        points = st.text_area("意见要点", key=f"{p}_points", max_chars=5000)
        field_error("rep_hear", "points")
        it = intent("rep_hear_new", gen)  # one hearing per drawn form: a double click records one
        if st.button("登记", key=it.key(f"{p}_save"), type="primary"):
            def _add(s):
                hid = svc.add_hearing(s, actor, {"group_id": gid, "held_on": held, "heard_by": heard_by,
                                                 "points": points})
                st.session_state["rep_hear__gen"] = gen + 1
                return hid

            run_write("rep_hear", actor.username, _add, success="已登记听取汇报。", intent=it)


def render() -> None:
    """Draw the 述职管理 page (nothing runs at import)."""
    actor = require_page("reports")
    st.caption("制定年度当面述职计划，记录述职会与选民测评、书面报告审查备案、刊登与整改，听取代表组工作汇报。")
    years = year_options(ahead=1)
    year = st.selectbox("年度", years, index=years.index(param_year(year_options(ahead=1))), format_func=lambda y: f"{y}年",
                        key="rep_year")
    with session_scope(actor.username) as s:
        groups = masterdata.group_options(s, actor)
        categories = op_svc.categories(s)
    wanted = TABS.get(param_choice("tab", TABS, ""), TABS["overview"])
    tabs = st.tabs(list(TABS.values()), default=wanted)
    with tabs[0]:
        _overview(actor, year)
    with tabs[1]:
        _plan(actor, year, groups)
    with tabs[2]:
        _meetings(actor, year, groups, categories)
    with tabs[3]:
        _written(actor, year, groups)
    with tabs[4]:
        _publish(actor, year, groups)
    with tabs[5]:
        _hearings(actor, year, groups)


def _body_names(actor: Actor) -> list[str]:
    """Names of the active bodies of the 承办单位 directory (the choices of 转交单位)."""
    from services import bodies

    with session_scope(actor.username) as s:
        return bodies.names(s)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
