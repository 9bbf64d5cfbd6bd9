"""抽查督导: 随机抽查代表组的活动、来信、开箱和述职记录（R16），任何人可复核抽样；记录核查结果、评定与整改。"""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from components.forms import confirm_button, field_error, intent, run_write, show_flash
from components.guard import require_page
from components.rectifications import rectification_list
from components.table import Filter, data_table
from db.engine import session_scope
from services import clock, settings
from services import spotchecks as sc
from services.common import Actor, Page, ServiceError, ValidationError, today

TABS = ["新建抽查", "检查记录", "复核", "整改跟踪", "历史与趋势"]
PICKERS = ("sc_pick_check", "sc_pick_verify", "sc_pick_export")
GROUP_MODES = ["全部代表组", "随机抽取部分代表组", "指定代表组"]
SHARE_MODES = ["按比例（不少于最少条数）", "按固定条数"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _apply_pending() -> None:
    """Point the check pickers at a check just drawn (before any widget exists in this run)."""
    new = st.session_state.pop("sc_pending", None)
    if new is not None:
        for key in PICKERS:
            st.session_state[key] = new
        st.session_state["sc_witness"] = ""  # a new draw needs a new witnessed value
    nxt = st.session_state.pop("sc_next_item", None)
    if nxt is not None:
        check_id, item_id = nxt
        st.session_state[f"sc_item_{check_id}"] = item_id


def render() -> None:
    """Draw the 抽查督导 page (nothing runs at import)."""
    actor = require_page("spotchecks")
    st.caption("随机抽取代表组的联系活动、来信、开箱和述职记录进行核查；抽样可由任何人按种子复核，评定需整改的代表组跟踪整改。")
    _apply_pending()
    with session_scope(actor.username) as s:
        groups = sc.group_choices(s, actor)
        checks = sc.check_options(s, actor)
    wanted = st.query_params.get("tab")
    tabs = st.tabs(TABS, default=wanted if wanted in TABS else None)
    with tabs[0]:
        _draw_tab(actor, groups)
    with tabs[1]:
        _check_tab(actor, checks)
    with tabs[2]:
        _verify_tab(actor, checks)
    with tabs[3]:
        _rect_tab(actor, groups, checks)
    with tabs[4]:
        _history_tab(actor, groups, checks)


def _pick_check(key: str, checks: dict[int, str], label: str = "选择抽查") -> int | None:
    """A picker of checks (newest first); None when there is none yet."""
    if not checks:
        st.info("尚无抽查记录。请在“新建抽查”中设定规则、输入见证随机值并抽取样本。")
        return None
    if st.session_state.get(key) not in checks:
        st.session_state[key] = next(iter(checks))
    return st.selectbox(label, list(checks), format_func=lambda i: checks.get(i, str(i)), key=key)


def _show_draw_facts(d: dict) -> None:
    """The facts anyone needs to redo a draw: witness value, time, seed, fingerprint, rule."""
    st.text(f"抽查规则：{d['rule_text']}")
    c1, c2 = st.columns(2)
    c1.text(f"见证随机值：{d['witness']}")
    c2.text(f"抽取时间：{d['drawn_at']}")
    st.text("随机种子（SHA-256）：")
    st.code(d["seed"], language=None)
    st.text(f"可抽记录清单指纹（SHA-256，共 {d['eligible_count']} 条）：")
    st.code(d["fingerprint"], language=None)


# ---------------------------------------------------------------- 新建抽查


def _draw_tab(actor: Actor, groups: dict[int, str]) -> None:
    """Rule form, eligible counts per group, witness value, the draw and its result."""
    if not groups:
        st.info("尚无代表组。请先在“基础数据”中添加办事处和代表组。")
        return
    errors: dict[str, str] = {}
    q_start, q_end = sc.quarter_of(today())
    with session_scope(actor.username) as s:
        unchecked = sc.unchecked_groups(s, actor, q_start)
        defaults = sc.sampling_defaults(s)
        group_default = sc.default_group_count(s, len(groups))
    if unchecked:
        st.caption(f"本季度尚未抽查的代表组（{len(unchecked)}个）：" + "、".join(unchecked.values()))
    c1, c2 = st.columns(2)
    start = c1.date_input("抽查期间起", value=q_start, key="sc_start", format="YYYY-MM-DD")
    end = c2.date_input("抽查期间止", value=q_end, key="sc_end", format="YYYY-MM-DD")
    slots = {"period": st.empty()}
    kinds = st.multiselect("记录类别", list(sc.KINDS), default=["联系活动", "来信", "开箱记录"], key="sc_kinds",
                           placeholder="请选择要抽查的记录类别")
    slots["kinds"] = st.empty()
    mode = st.radio("抽查代表组", GROUP_MODES, horizontal=True, key="sc_group_mode")
    chosen: list[int] | None = None
    group_count: int | None = None
    if mode == GROUP_MODES[1]:
        group_count = int(st.number_input(
            f"随机抽取代表组数（共 {len(groups)} 个）", min_value=1, max_value=len(groups), step=1,
            value=group_default, key="sc_group_count",
            help=f"默认每季度抽取不少于{defaults['group_share']:.0%}的代表组，且不少于{defaults['group_min']}个"
                 "（系统管理员可在“系统设置”中调整）。"))
        slots["group_count"] = st.empty()
    elif mode == GROUP_MODES[2]:
        chosen = st.multiselect("指定代表组", list(groups), format_func=lambda g: groups.get(g, str(g)),
                                key="sc_groups_pick", placeholder="请选择代表组")
    slots["groups"] = st.empty()
    share_mode = st.radio("每组抽取", SHARE_MODES, horizontal=True, key="sc_share_mode")
    c1, c2 = st.columns(2)
    percent, minimum, count = None, 0, None
    if share_mode == SHARE_MODES[0]:
        percent = c1.number_input("抽取比例（%）", min_value=1, max_value=100, value=max(1, round(defaults["percent"])),
                                  step=1, key="sc_percent")
        minimum = c2.number_input("每组最少条数", min_value=0, max_value=100, value=defaults["minimum"], step=1,
                                  key="sc_minimum",
                                  help=f"默认每组抽取{defaults['minimum']}条或{defaults['percent']:g}%，取多者；记录不足时全部抽取"
                                       "（系统管理员可在“系统设置”中调整）。")
    else:
        count = c1.number_input("每组抽取条数", min_value=1, max_value=100, value=max(1, defaults["minimum"]), step=1,
                                key="sc_count")
    slots["share"] = st.empty()
    rule = None
    try:
        with session_scope(actor.username) as s:
            rule = sc.build_rule(s, actor, period_start=start, period_end=end, kinds=kinds, groups=chosen,
                                 group_count=group_count, count=count, percent=percent, minimum=minimum)
            counts = sc.eligible_counts(s, actor, rule)
    except ValidationError as exc:
        errors = exc.errors
    for name, msg in errors.items():
        slot = slots.get("share" if name in ("percent", "minimum", "count") else name)
        (slot or st).error(msg, icon="⚠️")
    if rule is not None:
        st.markdown("**各代表组可抽记录**")
        frame = pd.DataFrame(counts)
        st.dataframe(frame, hide_index=True, width="stretch", key="sc_counts")
        total = int(frame["合计"].sum()) if len(frame) else 0
        note = "（随机抽组时只抽取其中被抽中的代表组）" if group_count else ""
        st.caption(f"共 {len(counts)} 个代表组、{total} 条可抽记录；按规则预计抽取 {int(frame['应抽条数'].sum())} 条{note}。")
    witness = st.text_input(
        "见证随机值", key="sc_witness", max_chars=128,
        placeholder="如：现场掷骰 3-5-6，或当日上证指数收盘 3245.67",
        help="请在见证人面前产生并输入。随机种子 = SHA-256(见证随机值|抽取时间)，抽取后不可更改。",
    )
    field_error("sc_draw", "witness")
    can = actor.can_write("spotcheck")
    it = intent("sc_draw", "new")  # one draw per drawn form: a double click draws once
    if rule is None or not can:
        st.button("抽取样本", key="sc_draw_btn", type="primary", disabled=True)
        go = False
    else:
        go = confirm_button("抽取样本", it, "sc_draw_btn",
                            f"抽取后样本即确定、不可更改（随机种子由见证随机值“{witness.strip()}”和抽取时间生成），"
                            "确定现在抽取吗？")
    if go:
        def _do(s):
            check = sc.create_check(s, actor, rule, witness)
            st.session_state["sc_pending"] = check.id
            st.session_state["sc_last"] = check.id
            return check.id

        run_write("sc_draw", actor.username, _do, "已抽取样本，请在“检查记录”中逐条核查。", intent=it)
    if not can:
        st.caption("您的角色只能查看抽查，不能抽取。")
    show_flash("sc_draw")
    last = st.session_state.get("sc_last")
    if last:
        try:
            with session_scope(actor.username) as s:
                d = sc.check_detail(s, actor, last)
        except ServiceError:
            return
        st.divider()
        st.markdown(f"**第{d['id']}号抽查的抽样结果**")
        _show_draw_facts(d)
        rows = [{k: i[k] for k in ("代表组", "类别", "记录编号", "记录")} for i in d["items"]]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="sc_last_sample")
        else:
            st.info("本期所选代表组没有可抽记录，未抽到任何记录；这些代表组评定为需整改。")


# ---------------------------------------------------------------- 检查记录


def _check_tab(actor: Actor, checks: dict[int, str]) -> None:
    """Per drawn record: the checklist form; the groups' grades."""
    check_id = _pick_check("sc_pick_check", checks)
    if check_id is None:
        return
    with session_scope(actor.username) as s:
        d = sc.check_detail(s, actor, check_id)
        names = settings.get(s, "spotcheck_checklist")
    st.text(f"抽查规则：{d['rule_text']}")
    items = d["items"]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        rows = [i for i in items if (not f.get("result") or (i["结果"] or "未核查") == f["result"])]
        shown = [{"代表组": i["代表组"], "类别": i["类别"], "记录编号": i["记录编号"], "记录": i["记录"],
                  "结果": i["结果"] or "未核查", "说明": i["说明"], "核查人": i["核查人"]} for i in rows]
        return Page(shown[offset: offset + limit], len(shown))

    data_table(f"sc_items_{check_id}", fetch, filters=[Filter("result", "核查结果", options=[*sc.RESULTS, "未核查"])],
               export_name=f"第{check_id}号抽查记录", unit="条", empty="本次抽查未抽到记录。")
    st.markdown("**代表组评定**")
    st.dataframe(pd.DataFrame([{k: v for k, v in g.items() if k != "group_id"} for g in d["grades"]]),
                 hide_index=True, width="stretch", key=f"sc_grades_{check_id}")
    if not items:
        return
    if not actor.can_write("spotcheck"):
        st.caption("您的角色只能查看核查结果。")
        return
    by_id = {i["id"]: i for i in items}
    key = f"sc_item_{check_id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = next((i["id"] for i in items if not i["结果"]), items[0]["id"])
    item_id = st.selectbox(
        "核查记录", list(by_id), key=key,
        format_func=lambda i: f"{by_id[i]['代表组']}｜{by_id[i]['类别']}｜{by_id[i]['记录']}"
                              f"（{by_id[i]['结果'] or '未核查'}）",
    )
    item = by_id[item_id]
    with st.expander("被抽记录内容", expanded=True):
        with session_scope(actor.username) as s:
            facts = sc.record_facts(s, actor, item["类别"], item["记录编号"])
        for label, value in facts:
            st.text(f"{label}：{value}")
    form = f"sc_find_{check_id}"  # errors and messages of this check's findings
    with st.form(f"sc_finding_{item_id}"):
        st.text(f"{item['代表组']}　{item['类别']}　编号 {item['记录编号']}：{item['记录']}")
        marks = {}
        for n, name in enumerate(names):
            old = item["checklist"].get(name)
            marks[name] = st.radio(name, list(sc.MARKS), horizontal=True, key=f"sc_ck_{item_id}_{n}",
                                   index=sc.MARKS.index(old) if old in sc.MARKS else None)
        field_error(form, "checklist")
        result = st.radio("核查结果", list(sc.RESULTS), horizontal=True, key=f"sc_res_{item_id}",
                          index=sc.RESULTS.index(item["结果"]) if item["结果"] in sc.RESULTS else None)
        field_error(form, "result")
        note = st.text_area("发现的问题及说明", value=item["说明"], key=f"sc_note_{item_id}",
                            placeholder="基本合格或不合格时必填，如：签到表缺失、照片无日期")
        field_error(form, "note")
        saved = st.form_submit_button("保存核查结果", type="primary", key=f"sc_save_{item_id}")
    if saved:
        checklist = {k: v for k, v in marks.items() if v is not None}
        nxt = next((i["id"] for i in items if not i["结果"] and i["id"] != item_id), None)

        def _do(s):
            grade = sc.record_finding(s, actor, item_id, checklist, result, note)
            if nxt is not None:
                st.session_state["sc_next_item"] = (check_id, nxt)
            return grade

        run_write(form, actor.username, _do, "核查结果已保存；本组记录全部核查后自动评定。")
    show_flash(form)


# ---------------------------------------------------------------- 复核


def _verify_tab(actor: Actor, checks: dict[int, str]) -> None:
    """复核: recompute the draw from what is stored and compare with the database now."""
    check_id = _pick_check("sc_pick_verify", checks)
    if check_id is None:
        return
    with session_scope(actor.username) as s:
        d = sc.check_detail(s, actor, check_id)
    _show_draw_facts(d)
    with st.expander("如何自行复核"):
        st.text(sc.RECIPE_TEXT)
        st.text("可抽记录清单与每条记录的排序值见“历史与趋势”中导出的 Excel（“可抽记录清单”工作表）。")
    if st.button("复核", key="sc_verify_btn", type="primary"):
        with session_scope(actor.username) as s:
            result = sc.verify(s, check_id, actor)
        checks_done = [
            ("随机种子由见证随机值和抽取时间算出", result["seed_ok"]),
            ("保存的可抽记录清单与指纹一致", result["stored_list_ok"]),
            ("按规则、清单和种子重新抽取，样本一致", result["sample_ok"]),
            ("当前数据库中的可抽记录与抽取时一致", result["fingerprint_ok"]),
            ("被抽记录抽取后未被修改", not result["changed"]),
        ]
        for label, ok in checks_done:
            st.text(("✓ " if ok else "✗ ") + label)
        if result["ok"]:
            st.success("✓ 复核一致：任何人用相同的规则、可抽记录清单和种子都会得到相同的样本。")
        else:
            st.error("复核发现差异：" + "；".join(result["problems"]) + "。")
            if result["changed"]:
                st.dataframe(pd.DataFrame(result["changed"]), hide_index=True, width="stretch",
                             key="sc_verify_changed")


# ---------------------------------------------------------------- 整改跟踪


def _rect_tab(actor: Actor, groups: dict[int, str], checks: dict[int, str]) -> None:
    """Rectification items of groups graded 需整改: list, close, add."""
    rectification_list(actor, groups)
    if not checks or not actor.can_write("spotcheck"):
        return
    with st.expander("新增整改事项"):
        check_id = st.selectbox("抽查", list(checks), format_func=lambda i: checks[i], key="sc_rect_check")
        with session_scope(actor.username) as s:
            grades = sc.check_detail(s, actor, check_id)["grades"]
        gopts = {g["group_id"]: f"{g['代表组']}（{g['评定']}）" for g in grades}
        with st.form("sc_rect_add"):
            gid = st.selectbox("代表组", list(gopts), format_func=lambda g: gopts[g], key="sc_rect_group")
            field_error("sc_rect_add", "group")
            content = st.text_area("整改内容", key="sc_rect_content")
            field_error("sc_rect_add", "content")
            due = st.date_input("整改期限", value=today() + timedelta(days=30), key="sc_rect_due",
                                format="YYYY-MM-DD")
            field_error("sc_rect_add", "due_on")
            add = st.form_submit_button("新增", key="sc_rect_add_btn")
        if add:
            run_write("sc_rect_add", actor.username,
                      lambda s: sc.add_rectification(s, actor, check_id, gid, content, due), "已新增整改事项。")
        show_flash("sc_rect_add")


# ---------------------------------------------------------------- 历史与趋势


def _history_tab(actor: Actor, groups: dict[int, str], checks: dict[int, str]) -> None:
    """All checks with filters; export of one check; per-group grade trend."""
    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return sc.list_checks(s, actor, f, offset, limit)

    data_table(
        "sc_hist", fetch,
        filters=[Filter("period", "抽查期间", kind="date_range"), Filter("group", "代表组", options=groups),
                 Filter("grade", "评定", options=list(sc.GRADES))],
        export_name="抽查记录", unit="次", hidden=["id"],
        empty="暂无抽查记录。请在“新建抽查”中抽取样本。",
    )
    check_id = _pick_check("sc_pick_export", checks, "导出抽查记录")
    if check_id is not None:
        def _xlsx() -> bytes:
            with session_scope(actor.username) as s:
                return sc.export_xlsx(s, actor, check_id)

        def _docx() -> bytes:
            with session_scope(actor.username) as s:
                return sc.export_docx(s, actor, check_id)

        c1, c2 = st.columns(2)
        c1.download_button("导出 Excel（规则、种子、指纹、样本、核查结果）", data=_xlsx, mime=XLSX,
                           file_name=f"第{check_id}号抽查记录_{clock.today():%Y-%m-%d}.xlsx",
                           key="sc_export_xlsx", on_click="ignore")
        c2.download_button("导出打印版 Word", data=_docx, mime=DOCX,
                           file_name=f"第{check_id}号抽查记录_{clock.today():%Y-%m-%d}.docx",
                           key="sc_export_docx", on_click="ignore")
    st.markdown("**各代表组评定趋势**")
    gid = st.selectbox("代表组", [None, *groups], key="sc_trend_group",
                       format_func=lambda g: "全部代表组" if g is None else groups.get(g, str(g)))
    with session_scope(actor.username) as s:
        trend = sc.grade_trend(s, actor, gid)
    if not trend:
        st.info("尚无已评定的抽查。代表组的抽取记录全部核查后自动评定，此处显示评定趋势。")
        return
    frame = pd.DataFrame(trend)
    frame["抽查日期"] = pd.to_datetime(frame["抽查日期"])
    label = "datum.value == 3 ? '优秀' : datum.value == 2 ? '合格' : datum.value == 1 ? '需整改' : ''"
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("抽查日期:T", title="抽查日期", axis=alt.Axis(format="%Y-%m-%d")),
        y=alt.Y("分值:Q", title="评定", scale=alt.Scale(domain=[0.5, 3.5]),
                axis=alt.Axis(values=[1, 2, 3], labelExpr=label)),
        color=alt.Color("代表组:N", title="代表组"),
        tooltip=[alt.Tooltip("代表组:N"), alt.Tooltip("抽查编号:Q", title="抽查编号"),
                 alt.Tooltip("抽查日期:T", title="抽查日期", format="%Y-%m-%d"), alt.Tooltip("评定:N")],
    )
    st.altair_chart(chart, width="stretch")
