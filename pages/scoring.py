"""评分评优: 五个方面工作重点的得分与排名、图表、优秀代表和先进代表组名单、评分细则（R15、R17、R20）。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts
from components.forms import confirm_button, errors_of, field_error, intent, run_write, show_flash
from components.guard import require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, data_table
from components.text import alert, safe_md
from db.engine import session_scope
from services import masterdata
from services import scoring as svc
from services.common import Actor, Page
from services.states import Role

TABS = {"rank": "排名", "charts": "图表", "select": "评优名单", "rubric": "评分细则"}
LABELS = {f: svc.FOCUS_NAMES[f] for f in svc.FOCUSES}
DETAIL_KEY = "sc_detail_dep"


def _details(actor: Actor, rubric_id: int, year: int, ids: int | list[int], focus: str | None = None) -> pd.DataFrame:
    """The records behind a score as a frame."""
    with session_scope(actor.username) as s:
        rows = svc.score_details(s, rubric_id, year, ids, focus)
    return pd.DataFrame(rows)


def _show_details(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking, deputy_id: int, key: str) -> None:
    """Drill-down of one deputy: a focus picker, the records with their points, and the check sum."""
    d = rk.by_id().get(deputy_id)
    if d is None:
        st.info("该代表本年度没有得分记录。")
        return
    options = [None, *svc.FOCUSES, svc.DEDUCT]
    focus = st.selectbox("方面", options, key=f"{key}_focus",
                         format_func=lambda f: "全部方面" if f is None else f"{f} {svc.FOCUS_NAMES[f]}")
    df = _details(actor, rubric_id, year, deputy_id, focus)
    shown = d["total"] if focus is None else (d["deduction"] if focus == svc.DEDUCT else d["focus"][focus])
    c1, c2, c3 = st.columns(3)
    c1.metric("代表", safe_md(d["name"]))
    c2.metric("得分" if focus else "总分", f"{shown:g} 分")
    c3.metric("等级", d["grade"])
    if df.empty:
        st.info("没有计分记录。可在联系活动、代表信箱、议案建议、出席与履职、述职管理中登记后再查看。")
        return
    listed = round(float(df["分值"].sum()), 2)
    st.dataframe(df.drop(columns=["代表"]), hide_index=True, width="stretch", key=f"{key}_grid", placeholder="")
    st.caption(f"{svc.detail_check(d, listed, focus)}；共 {len(df)} 条。")


# ---------------------------------------------------------------- 排名


def _rank_tab(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking) -> None:
    """The ranking (filters, table, export), the drill-down of the chosen deputy, group scores."""
    groups = {k: v["name"] for k, v in svc.averages(rk, actor)["groups"].items()}

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            rows = svc.ranking_rows(s, actor, rubric_id, year, group_id=f.get("group"), grade=f.get("grade"), ranking=rk)
        return Page(rows[offset:offset + limit], len(rows), {"平均总分": f"{(sum(r['总分'] for r in rows) / len(rows)) if rows else 0:.1f} 分"})

    res = data_table(
        "sc_rank", fetch, filters=[Filter("group", "代表组", options=dict(sorted(groups.items(), key=lambda kv: kv[1]))),
                                   Filter("grade", "等级", options=svc.GRADES)],
        export_name=f"{year}年代表履职评分", unit="人", selectable=True, hidden=["deputy_id"], pin_by="deputy_id",
        export_notes=[f"评分细则：第{rk.rubric.version}版（{rk.rubric.status}）",
                      "任职不满一年的代表按任职比例折算：得分 = min(上限, 原始得分 ÷ max(任职比例, 25%))，扣分不折算"],
        empty="没有符合条件的代表。请换一个年度或代表组。",
    )
    st.caption("总分之外，“履职记录”“解决问题”“选民满意率”分列显示：单看一个数字容易误判。点选一行查看得分明细。")
    if res.selected:
        picked = res.selected["deputy_id"]
        if st.session_state.get("sc_rank_last") != picked:
            st.session_state["sc_rank_last"] = picked
            st.session_state[DETAIL_KEY] = picked
    st.subheader("得分明细")
    _deputy_details(actor, rubric_id, year, rk, "sc_rank_detail")
    st.subheader("代表组得分")
    st.caption("代表组得分 = 代表平均分 × 0.8 + 代表组工作分（述职计划5分、季度汇总每次2.5分、抽查评定优秀5/合格3/需整改0，未抽查按3分）。")

    def fetch_groups(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            rows = svc.group_scores(s, actor, rubric_id, year, rk)
        rows = [{k: v for k, v in r.items() if k != "needs_fix"} for r in rows]
        return Page(rows[offset:offset + limit], len(rows))

    data_table("sc_groups", fetch_groups, export_name=f"{year}年代表组得分", unit="个", hidden=["group_id"],
               empty="暂无代表组。请先在基础数据中维护代表组。")


def _deputy_options(rk: svc.Ranking, actor: Actor) -> dict[int, str]:
    """Deputies of the ranking inside the actor's scope, best first."""
    return {d["id"]: f"{d['name']} {masterdata.pinyin_initials(d['name'])}（{d['group']}，{d['total']:g}分）"
            for d in rk.deputies if actor.in_scope(d["office_id"], d["group_id"])}


def _deputy_details(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking, key: str) -> int | None:
    """A deputy picker (shared by the table, the charts and the radar) and the drill-down."""
    opts = _deputy_options(rk, actor)
    if not opts:
        st.info("没有可查看的代表。")
        return None
    if st.session_state.get(DETAIL_KEY) not in opts:
        st.session_state[DETAIL_KEY] = next(iter(opts))
    did = st.selectbox("查看代表", list(opts), format_func=lambda i: opts.get(i, str(i)), key=DETAIL_KEY)
    _show_details(actor, rubric_id, year, rk, did, key)
    return did


# ---------------------------------------------------------------- 图表


def _charts_tab(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking) -> None:
    """Radar, grouped bars, heat map and ranking; clicking a bar or cell shows the records behind it."""
    opts = _deputy_options(rk, actor)
    if not opts:
        st.info("没有可显示的代表得分。")
        return
    avgs = svc.averages(rk, actor)
    by = rk.by_id()
    st.subheader("五个方面雷达图")
    if st.session_state.get("sc_radar_dep") not in opts:
        st.session_state["sc_radar_dep"] = st.session_state.get(DETAIL_KEY) if st.session_state.get(DETAIL_KEY) in opts else next(iter(opts))
    did = st.selectbox("代表", list(opts), format_func=lambda i: opts.get(i, str(i)), key="sc_radar_dep")
    d = by[did]
    group_avg = avgs["groups"].get(d["group_id"], {})
    series = {f"{d['name']}（本人）": d["focus"], "代表组平均": group_avg, "全区平均": avgs["district"]}
    cap = max(rk.rubric.focus_caps.values() or [20])
    charts.show(charts.radar(series, LABELS, cap), "sc_radar", f"{d['name']}{year}年五个方面", width="stretch")

    st.subheader("得分前列代表（按方面）")
    n = st.slider("显示前几名", 5, 30, 10, key="sc_topn")
    top = [x for x in rk.deputies if x["id"] in opts][:n]
    rows = [{"代表": x["name"], "代表组": x["group"], "方面": f, "得分": x["focus"][f], "deputy_id": x["id"]}
            for x in top for f in svc.FOCUSES]
    ev = charts.show(charts.focus_bars(rows, LABELS), "sc_bars", f"{year}年得分前列代表", width="stretch",
                     on_select="rerun")
    hit = charts.picked(ev, "pick")
    if hit:
        _picked_records(actor, rubric_id, year, rk, int(hit[0]["deputy_id"]), "sc_bars_detail")

    st.subheader("代表组 × 方面 热力图")
    heat = [{"代表组": g["name"], "group_id": gid, "方面": f, "平均分": g[f]}
            for gid, g in avgs["groups"].items() for f in svc.FOCUSES]
    ev = charts.show(charts.heatmap(heat, LABELS), "sc_heat", f"{year}年代表组得分热力图", width="stretch",
                     on_select="rerun")
    hit = charts.picked(ev, "cell")
    if hit:
        gid, focus = int(hit[0]["group_id"]), hit[0]["方面"]
        ids = [x["id"] for x in rk.deputies if x["group_id"] == gid]
        st.caption(f"{safe_md(avgs['groups'].get(gid, {}).get('name', ''))} · {focus} {svc.FOCUS_NAMES.get(focus, '')}：各代表的计分记录")
        df = _details(actor, rubric_id, year, ids, focus)
        if df.empty:
            st.info("该代表组在这一方面没有计分记录。")
        else:
            st.dataframe(df, hide_index=True, width="stretch", key="sc_heat_grid", placeholder="")

    st.subheader("总分排名与入选线")
    with session_scope(actor.username) as s:
        cand = svc.candidates(s, actor, rubric_id, year, rk)
    chosen = {r["deputy_id"] for r in cand["candidates"]}
    tied = set(cand["tie"]["ids"]) if cand["tie"] else set()
    shown = [x for x in rk.deputies if x["id"] in opts][:60]
    rows = [{"代表": x["name"], "代表组": x["group"], "总分": x["total"], "等级": x["grade"], "全区排名": x["rank"],
             "deputy_id": x["id"],
             "是否候选": "是" if x["id"] in chosen else (charts.TIED if x["id"] in tied else "否")} for x in shown]
    st.caption(f"优秀代表候选 {cand['quota']} 名；入选线为最后一名候选的总分"
               + (f"（该分数并列 {len(tied)} 人争 {cand['tie']['places']} 个名额，由领导确定）" if tied else "")
               + f"。图中显示前 {len(rows)} 名，点击条形查看明细。")
    ev = charts.show(charts.ranking(rows, cand["cut"]), "sc_rankchart", f"{year}年总分排名", width="stretch",
                     on_select="rerun")
    hit = charts.picked(ev, "pick")
    if hit:
        _picked_records(actor, rubric_id, year, rk, int(hit[0]["deputy_id"]), "sc_rankchart_detail")


def _picked_records(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking, did: int, key: str) -> None:
    """The records behind a clicked deputy's score."""
    d = rk.by_id().get(did)
    if d is None or not actor.in_scope(d["office_id"], d["group_id"]):
        return
    st.caption(f"{safe_md(d['name'])}（{safe_md(d['group'])}）总分 {d['total']:g} 分的计分记录")
    df = _details(actor, rubric_id, year, did)
    st.dataframe(df.drop(columns=["代表"]) if not df.empty else df, hide_index=True, width="stretch", key=f"{key}_grid", placeholder="")


# ---------------------------------------------------------------- 评优名单


def _tie_notice(tie: dict, unit: str, key: str, columns: list[str]) -> None:
    """A tie at the cut: who, on what total, for how many places (the leader decides)."""
    st.warning(f"总分 {tie['total']:g} 分并列 {len(tie['ids'])} {unit}，争最后 {tie['places']} {unit}名额。"
               f"系统不按姓名或编号自动取舍：请在下方名单中从并列者里选定 {tie['places']} {unit}，并写明理由。")
    if tie["rows"]:
        st.dataframe(pd.DataFrame(tie["rows"])[columns], hide_index=True, width="stretch", key=key, placeholder="")


def _confirm_form(actor: Actor, year: int, rubric_id: int, kind: str, opts: dict[int, str], default: list[int],
                  key: str, unit: str, tie: dict | None, current: dict | None = None) -> None:
    """The leader's list: picked from the options (candidates preselected), a reason, confirm (a
    second step shows what will be stored); replacing the year's current list needs a reason
    and keeps the old one as 作废."""
    show_flash(key)
    label = "优秀代表名单（可增删）" if kind == svc.EXCELLENT else "先进代表组名单（可增删）"
    ids = st.multiselect(label, list(opts), default=default, format_func=lambda i: opts.get(i, str(i)),
                         key=f"{key}_ids", placeholder="选择代表" if kind == svc.EXCELLENT else "选择代表组")
    need = "并列取舍时必填" if tie else "与候选不同时必填"
    reason = st.text_area(f"理由（{need}）", key=f"{key}_reason", max_chars=500,
                          placeholder="如：两人总分相同，张某本年推动解决的民生问题更多")
    replace = ""
    if current is not None:
        alert("info", f"{year}年度{kind}名单已于 {current['确认时间']:%Y-%m-%d %H:%M} 由 {current['确认人']} 确认"
                f"（{current['人数/组数']} {unit}）。再次确认将以新名单替换，原名单标记为作废并保留。")
        replace = st.text_area("替换理由（替换已确认的名单时必填）", key=f"{key}_replace", max_chars=500)
    for name in ("tie", "reason", "items", "year", "replace_reason"):
        field_error(key, name)
    it = intent(key, year, current["id"] if current else None)
    names = "、".join(opts.get(i, str(i)) for i in ids[:10]) + ("等" if len(ids) > 10 else "")
    if confirm_button(f"确认{kind}名单", it, f"{key}_confirm",
                      f"确认后将存档{year}年度{kind}名单（{len(ids)} {unit}：{names}）"
                      + ("，并将原名单标记为作废" if current else "") + "。确定吗？"):
        run_write(key, actor.username,
                  lambda s: svc.confirm_selection(s, actor, year, kind, rubric_id, ids, reason=reason,
                                                  replace_reason=replace),
                  f"已确认{year}年度{kind}名单（{len(ids)} {unit}），并记录评分细则版本和评选参数。", intent=it)


def _select_tab(actor: Actor, rubric_id: int, year: int, rk: svc.Ranking) -> None:
    """Candidates, ties at the cut, confirming a list (leader), confirmed lists with exports and a
    reproduction check, and R20."""
    with session_scope(actor.username) as s:
        cand = svc.candidates(s, actor, rubric_id, year, rk)
        gcand = svc.group_candidates(s, actor, rubric_id, year, rk)
        r20 = svc.groups_without_exemplar(s, actor, rubric_id, year, rk)
        history = svc.list_selections(s, year)
    ended = svc.year_ended(year)
    published = rk.rubric.status == svc.PUBLISHED
    can_confirm = actor.can_write("selection") and published and ended
    if not published:
        st.warning("当前选择的是草稿版本的评分细则，只能预览，不能据此确认名单。")
    if actor.can_write("selection") and not ended:
        st.info(f"{year}年度尚未结束，候选名单会随新登记的记录变化；{year + 1}年1月1日以后方可确认本年度名单。")
    if st.query_params.get("view") == "r20":
        _r20(r20)
    st.subheader("优秀代表候选")
    st.caption(f"候选名额 {cand['quota']} 名（按“优秀代表候选比例”或“优秀代表候选人数”）。基本条件：达到每年联系选民次数（R1）、"
               "等级不是不称职、述职满意率不低于门槛、年末仍在任；担任领导职务的代表不参评。以上参数由系统管理员在“系统设置”中调整。")
    if cand["candidates"]:
        st.dataframe(pd.DataFrame(cand["candidates"]).drop(columns=["deputy_id", "候选", "说明"]),
                     hide_index=True, width="stretch", key="sc_cand_grid", placeholder="")
    elif not cand["tie"]:
        st.info("暂无符合条件的候选代表。请检查联系选民活动等记录是否已登记。")
    if cand["tie"]:
        _tie_notice(cand["tie"], "名", "sc_tie_grid", ["全区排名", "代表", "代表组", "总分", "等级"])
    with st.expander(f"未列入候选的代表及原因（{len(cand['others'])} 人）"):
        if cand["others"]:
            st.dataframe(pd.DataFrame(cand["others"])[["全区排名", "代表", "代表组", "总分", "等级", "说明"]],
                         hide_index=True, width="stretch", key="sc_others_grid", placeholder="")
    if can_confirm:
        opts = _deputy_options(rk, actor)
        default = [r["deputy_id"] for r in cand["candidates"] if r["deputy_id"] in opts]
        _confirm_form(actor, year, rubric_id, svc.EXCELLENT, opts, default, "sc_sel_dep", "人", cand["tie"],
                      _current(history, svc.EXCELLENT))
    st.subheader("先进代表组候选")
    groups = gcand["rows"]
    if groups:
        st.caption(f"候选名额 {gcand['quota']} 个（设置：每年先进代表组候选数）。抽查评定为需整改或本年没有代表的代表组"
                   "不参评，也不占名额。")
        st.dataframe(pd.DataFrame(groups).drop(columns=["group_id", "needs_fix"]), hide_index=True, width="stretch",
                     key="sc_gcand_grid", placeholder="")
    else:
        st.info("暂无代表组。")
    if gcand["tie"]:
        _tie_notice(gcand["tie"], "个", "sc_gtie_grid", ["排名", "代表组", "代表组得分"])
    if can_confirm and groups:
        gopts = {r["group_id"]: r["代表组"] for r in groups}
        _confirm_form(actor, year, rubric_id, svc.ADVANCED, gopts, [r["group_id"] for r in groups if r["候选"]],
                      "sc_sel_grp", "个", gcand["tie"], _current(history, svc.ADVANCED))
    if st.query_params.get("view") != "r20":
        _r20(r20)
    _history(actor, year, history)


def _current(history: list[dict], kind: str) -> dict | None:
    """The year's current (not 作废) confirmed list of a kind."""
    return next((h for h in history if h["类别"] == kind and h["current"]), None)


def _history(actor: Actor, year: int, history: list[dict]) -> None:
    """Confirmed lists: table, exports, and the check that a list still reproduces."""
    st.subheader("已确认的名单")
    if not history:
        st.info("本年度尚未确认名单。领导在上方核对候选后点击“确认”即可存档。")
        return
    st.dataframe(pd.DataFrame(history).drop(columns=["items", "id", "params", "current"]), hide_index=True, width="stretch",
                 key="sc_hist_grid", placeholder="")
    hopts = {h["id"]: f"{h['年度']}年 {h['类别']}（{h['确认人']} {h['确认时间']:%Y-%m-%d %H:%M}）" for h in history}
    hid = st.selectbox("选择名单", list(hopts), format_func=lambda i: hopts[i], key="sc_hist_pick")
    scores = st.checkbox("Word 名单附得分、等级和排名（默认只列姓名，按姓氏笔画排序）", key="sc_hist_scores")
    with session_scope(actor.username) as s:
        xlsx, docx = svc.selection_xlsx(s, hid), svc.selection_docx(s, hid, with_scores=scores)
    kind = next(h["类别"] for h in history if h["id"] == hid)
    c1, c2, c3 = st.columns(3)
    c1.download_button("导出 Excel", xlsx, file_name=f"{year}年度{kind}名单.xlsx", key="sc_hist_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    c2.download_button("导出 Word（打印）", docx, file_name=f"{year}年度{kind}名单.docx", key="sc_hist_docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", on_click="ignore")
    if c3.button("按确认时的细则和参数重算核对", key="sc_hist_check"):
        with session_scope(actor.username) as s:
            res = svc.reproduce_selection(s, hid)
        if res["matches"]:
            st.success(f"重算结果与确认时一致：{len(res['stored'])} 项，名单、总分和顺序均相同。")
        else:
            alert("error", "重算结果与确认时不同：" + "".join(res["differences"]))
        for note in res["notes"]:
            st.caption(note)


def _r20(rows: list[dict]) -> None:
    """R20: groups without an exemplary deputy."""
    st.subheader("没有优秀代表的代表组（R20）")
    st.caption("每个代表组至少应有一名先进典型代表：以下代表组既没有等级为优秀的代表，也没有代表列入已确认的优秀代表名单。")
    if rows:
        st.dataframe(pd.DataFrame(rows).drop(columns=["group_id"]), hide_index=True, width="stretch", key="sc_r20_grid", placeholder="")
    else:
        st.success("每个代表组都有优秀代表。")


# ---------------------------------------------------------------- 评分细则


def _floor_of(data: svc.RubricData) -> float:
    """The rubric's 述职 satisfaction floor (0 = none)."""
    below = (data.bands.get("report_floor") or {}).get("below")
    return 0.5 if below is None else float(below)


def _with_keys(row: dict, facts: dict[str, str], conds: dict[str, str]) -> dict:
    """An editor row with the fact and condition names turned back into their keys (a name that is
    no fact stays as typed, and the check names it)."""
    by_name = {v: k for k, v in facts.items()}
    cond_by_name = {v: k for k, v in conds.items()}
    fact, cond = row.get("fact"), row.get("condition")
    return {**row, "fact": by_name.get(fact, fact) if isinstance(fact, str) else fact,
            "condition": cond_by_name.get(cond, cond) if isinstance(cond, str) else cond}


def _rubric_tab(actor: Actor, rubric_id: int, year: int) -> None:
    """The chosen version's rows; for the admin: edit as a new draft, preview, publish."""
    show_flash("sc_rub")
    with session_scope(actor.username) as s:
        data = svc.load_rubric(s, rubric_id)
        table = svc.rubric_table(s, rubric_id)
        current = svc.current_rubric_id(s)
        versions = svc.list_rubrics(s)
        current_version = svc.load_rubric(s, current).version if current else None
    st.caption(f"第{data.version}版 {safe_md(data.name)}（{data.status}）。每个方面满分："
               + "，".join(f"{f} {data.focus_caps.get(f, 20):g} 分" for f in svc.FOCUSES)
               + "；等级：" + "，".join(f"{b['grade']} ≥ {float(b['min']):g}" for b in data.bands.get("bands", []))
               + (f"；述职满意率低于 {float(data.bands['report_floor']['below']):.0%} 时等级最高为基本称职"
                  if (data.bands.get("report_floor") or {}).get("below") else "") + "。")
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="sc_rub_grid", placeholder="")
    with st.expander(f"全部版本（{len(versions)} 个）"):
        st.dataframe(pd.DataFrame(versions).drop(columns=["id"]), hide_index=True, width="stretch", key="sc_ver_grid", placeholder="")
    if actor.role != Role.ADMIN:
        return
    if data.status == svc.DRAFT:
        st.subheader("草稿预览与发布")
        if current:
            with session_scope(actor.username) as s:
                prev = svc.preview(s, rubric_id, current, year)
            moved = sum(1 for p in prev if p["名次变化"])
            st.caption(f"与现行第{current_version}版相比，{moved} 名代表的名次有变化（{year}年数据）。")
            st.dataframe(pd.DataFrame(prev), hide_index=True, width="stretch", key="sc_preview_grid", placeholder="")
        it = intent("sc_publish", rubric_id)
        if confirm_button("发布此版本", it, "sc_publish",
                          f"发布后，排名和评优默认使用第{data.version}版评分细则"
                          + (f"（现行第{current_version}版不再是默认版本，仍可查看）" if current else "") + "。确定发布吗？"):
            run_write("sc_rub", actor.username, lambda s: svc.publish(s, actor, rubric_id),
                      f"第{data.version}版评分细则已发布，排名默认使用此版本。", intent=it)
    st.subheader("修改评分细则（保存为新的草稿版本）")
    st.caption("计分项和条件在表格中选择。同一“共用上限组”的各行共用一行填写的上限。出席、缺席类计分项在“计入的活动类型”中选择计分的会议或活动；"
               + "同一方面、同一计分项的两行不能计入同一种活动。")
    # the editor holds the Chinese names of facts and conditions (keys never reach the page); they
    # are turned back into keys before saving
    facts, conds = svc.fact_options(), svc.condition_options()
    frame = pd.DataFrame([{**{k: r[k] for k in ("focus", "points", "cap", "cap_group")},
                           "fact": svc.fact_name(r["fact"]), "condition": svc.condition_name(r["condition"]) or None,
                           "kinds": list(svc.row_kinds(r["fact"], r["kinds"]) or []), "reason": r["reason"]}
                          for r in data.rows],
                         columns=["focus", "fact", "points", "cap", "cap_group", "condition", "kinds", "reason"])
    edited = st.data_editor(
        frame, key=f"sc_rub_editor_{rubric_id}", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "focus": st.column_config.SelectboxColumn("方面", options=[*svc.FOCUSES, svc.DEDUCT], required=True),
            "fact": st.column_config.SelectboxColumn("计分项", options=list(facts.values())),
            "points": st.column_config.NumberColumn("每条分值", help="扣分项填负数"),
            "cap": st.column_config.NumberColumn("上限", help="留空表示不设本项上限"),
            "cap_group": st.column_config.TextColumn("共用上限组"),
            "condition": st.column_config.SelectboxColumn("条件", options=list(conds.values())),
            "kinds": st.column_config.MultiselectColumn(
                "计入的活动类型", options=svc.EVENT_KINDS,
                help="只用于出席、缺席类计分项：哪些会议或活动计分（留空按默认：人代会；或列席常委会、视察、调研、执法检查）。"
                     "代表小组活动不是常委会活动。"),
            "reason": st.column_config.TextColumn("理由", width="large"),
        },
    )
    c1, c2 = st.columns(2)
    with c1:
        bands = st.data_editor(pd.DataFrame(data.bands.get("bands", svc.DEFAULT_BANDS["bands"])), key=f"sc_band_editor_{rubric_id}",
                               hide_index=True, num_rows="fixed",
                               column_config={"min": st.column_config.NumberColumn("最低分"),
                                              "grade": st.column_config.TextColumn("等级", disabled=True)})
        floor = st.number_input("述职满意率门槛（低于此值等级最高为基本称职）", 0.0, 1.0,
                                _floor_of(data), 0.05, key=f"sc_floor_{rubric_id}")
    with c2:
        caps = {f: st.number_input(f"{f} {svc.FOCUS_NAMES[f]} 满分", 1.0, 100.0, float(data.focus_caps.get(f, 20)),
                                   1.0, key=f"sc_cap_{rubric_id}_{f}") for f in svc.FOCUSES}
        name = st.text_input("版本名称", value="", key=f"sc_rub_name_{rubric_id}", placeholder="如：2027年评分细则（征求意见稿）")
    for msg in errors_of("sc_rub").values():
        alert("error", msg)
    dit = intent("sc_draft", rubric_id)  # one draft per drawn form: a double click saves one version
    if st.button("保存为新草稿", type="primary", key=dit.key("sc_save_draft")):
        rows = [_with_keys(r, facts, conds) for r in edited.to_dict("records")]
        band_rows = bands.to_dict("records")
        new_id = run_write("sc_rub", actor.username,
                           lambda s: svc.save_draft(s, actor, rows, name=name, bands=band_rows, floor_below=floor,
                                                    focus_caps=caps),
                           "已保存为新的草稿版本，可在上方选择该版本预览对排名的影响，再发布。", rerun=False,
                           intent=dit)
        if new_id:
            st.session_state["sc_rubric_next"] = new_id  # picked before the selectbox on the rerun
            st.rerun()
        else:
            for msg in errors_of("sc_rub").values():
                alert("error", msg)


# ---------------------------------------------------------------- the page


def render() -> None:
    """Draw 评分评优 (nothing runs at import)."""
    actor = require_page("scoring")
    st.caption("按五个方面的工作重点为代表计分排名，生成优秀代表和先进代表组候选名单；每个得分都可查看背后的记录。")
    with session_scope(actor.username) as s:
        options = svc.rubric_options(s, actor)
        current = svc.current_rubric_id(s)
    if not options:
        st.info("尚未建立评分细则。系统管理员可以先载入默认评分细则（第1版，已发布），再按需要修改。")
        it = intent("sc_default", 0)  # loaded once per drawn page: a double click loads once
        if actor.role == Role.ADMIN and st.button("载入默认评分细则", key=it.key("sc_default")):
            run_write("sc_rub", actor.username, svc.ensure_default_rubric, "已载入默认评分细则。", intent=it)
        return
    years = year_options()
    c1, c2 = st.columns(2)
    with c1:
        y_default = param_year(years)
        year = st.selectbox("年度", years, index=years.index(y_default), key="sc_year", format_func=lambda y: f"{y}年")
    with c2:
        ids = list(options)
        if st.session_state.get("sc_rubric_next") in ids:
            st.session_state["sc_rubric_pick"] = st.session_state.pop("sc_rubric_next")
        if st.session_state.get("sc_rubric_pick") not in ids:
            st.session_state["sc_rubric_pick"] = current if current in ids else ids[0]
        rubric_id = st.selectbox("评分细则版本", ids, format_func=lambda i: options[i], key="sc_rubric_pick")
    with session_scope(actor.username) as s:
        rk = svc.ranking(s, rubric_id, year)
    wanted = TABS.get(param_choice("tab", TABS, ""), TABS["rank"])
    tabs = st.tabs(list(TABS.values()), default=wanted)
    with tabs[0]:
        _rank_tab(actor, rubric_id, year, rk)
    with tabs[1]:
        _charts_tab(actor, rubric_id, year, rk)
    with tabs[2]:
        _select_tab(actor, rubric_id, year, rk)
    with tabs[3]:
        _rubric_tab(actor, rubric_id, year)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
