"""季度汇总: 各代表组每季度群众反映问题及解决情况清单，导出上报并标记报送（R13）。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.forms import field_error, intent, run_write, show_flash
from components.guard import at_click, require_page
from components.params import param_choice, param_int, param_year, year_options
from components.table import Filter, Order, data_table, order_labels, rows_fetch
from components.text import alert, safe_md
from db.engine import session_scope
from services import clock, masterdata, quarterly
from services.common import Actor, Page, ServiceError
from services.validation import fmt_date

TABS = ["季度汇总", "报送情况"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# the 排序 choices of the lists computed in Python (the first is the office's order)
ROW_ORDERS = {
    "date": Order("按反映日期（上报顺序）", (("序号", False),)),
    "open": Order("未解决的在前（办理中，再 D、C、B、A 类）", (("结果分类", True),), empty_first=True),
    "category": Order("按问题类别", (("问题类别", False), ("反映日期", False))),
    "district": Order("按选区", (("选区", False), ("反映日期", False))),
    "body": Order("按转办单位", (("转办单位", False), ("反映日期", False))),
}
STATUS_ORDERS = {
    "missing": Order("未报送的在前", (("submitted", False), ("代表组", False))),
    "group": Order("按代表组", (("代表组", False),)),
    "time": Order("按报送时间", (("报送时间", False), ("代表组", False))),
}


def _period(key: str) -> tuple[int, int]:
    """Year and quarter pickers, defaulting to last quarter (or the link's)."""
    ly, lq = quarterly.last_quarter(clock.today())
    years = year_options(back=5)
    year0 = param_year(years) if "year" in st.query_params else ly
    q0 = param_int("quarter", lq)
    c1, c2 = st.columns(2)
    year = c1.selectbox("年份", years, index=years.index(year0) if year0 in years else 0, key=f"{key}_year",
                        format_func=lambda y: f"{y}年")
    quarter = c2.selectbox("季度", [1, 2, 3, 4], index=(q0 - 1) if q0 in (1, 2, 3, 4) else 0, key=f"{key}_q",
                           format_func=lambda q: f"第{q}季度")
    return year, quarter


def render() -> None:
    """Draw the 季度汇总 page (nothing runs at import)."""
    actor = require_page("quarterly")
    st.caption("代表组联络员每季度汇总群众通过来信和联系活动反映的问题及解决情况，导出上报常委会工作机构并标记报送。")
    with session_scope(actor.username) as s:
        groups = masterdata.group_options(s, actor)
    wanted = "报送情况" if param_choice("view", {"missing"}) == "missing" else None
    tabs = st.tabs(TABS, default=wanted)
    with tabs[0]:
        _summary(actor, groups)
    with tabs[1]:
        _status(actor)


def _summary(actor: Actor, groups: dict[int, str]) -> None:
    """One group's quarter: totals, the problem list, counts, exports and the submit mark."""
    if not groups:
        st.info("您负责的范围内还没有代表组，请先在“基础数据”中建立代表组。")
        return
    c0, c1 = st.columns([1, 2])
    group = c0.selectbox("代表组", list(groups), format_func=lambda v: groups[v], key="qs_group")
    with c1:
        year, quarter = _period("qs")
    try:
        with session_scope(actor.username) as s:
            data = quarterly.summary(s, actor, group, year, quarter)
    except ServiceError as exc:
        alert("error", str(exc))
        return
    st.subheader(safe_md(data["title"]))
    t = data["totals"]
    m = st.columns(5)
    m[0].metric("问题总数", f"{t['问题总数']} 件")
    m[1].metric("来信", f"{t['来信']} 件")
    m[2].metric("群众意见", f"{t['群众意见']} 条")
    m[3].metric("已解决", f"{t['已解决']} 件")
    m[4].metric("办理中", f"{t['办理中']} 件")
    st.caption("已解决只计办理结果为 A 类（已解决）的问题；" + "，".join(
        f"{k} {t[k]} 件" for k in ("B 正在解决", "C 列入计划逐步解决", "D 因条件限制留作参考") if k in t) + "。")
    rows = data["rows"]
    data_table("qs_rows", rows_fetch(rows, ROW_ORDERS, {"已解决": f"{t['已解决']} 件"}), sorts=order_labels(ROW_ORDERS),
               export_name=f"{data['group']}{year}年第{quarter}季度问题清单", unit="件",
               empty="本季度该代表组没有群众反映的问题记录。")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**分类统计**")
        if data["by_category"]:
            st.dataframe(pd.DataFrame(data["by_category"]), hide_index=True, width="stretch", key="qs_cat", placeholder="")
        else:
            st.caption("暂无。")
    with c2:
        st.markdown("**按办理状态**")
        if data["by_state"]:
            st.dataframe(pd.DataFrame(data["by_state"]), hide_index=True, width="stretch", key="qs_state", placeholder="")
        else:
            st.caption("暂无。")
    name = f"{data['group']}{year}年第{quarter}季度汇总"
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button("导出 Excel（上报格式）", data=at_click(lambda: quarterly.to_xlsx(data)), file_name=f"{name}.xlsx",
                       mime=XLSX, key="qs_xlsx", on_click="ignore")
    d2.download_button("导出 Word（打印）", data=at_click(lambda: quarterly.to_docx(data)), file_name=f"{name}.docx",
                       mime=DOCX, key="qs_docx", on_click="ignore")
    st.caption(f"联络员：{safe_md(data['liaison'] or '未登记')}")
    show_flash("qs_submit")
    # the mark's version drawn with the page and a token (one mark per drawn page; a mark or a
    # withdrawal someone else made meanwhile refuses the click, naming who)
    it = intent("qs_submit", f"{group}_{year}_{quarter}", data["version"])
    if data["submitted_at"]:
        st.success(f"已于 {fmt_date(data['submitted_at'])} 由 {safe_md(data['submitted_by'])} 报送。")
        if actor.role == "admin" and st.button("撤回报送（仅管理员）", key=it.key("qs_withdraw")):
            run_write("qs_submit", actor.username,
                      lambda s: quarterly.withdraw(s, actor, group, year, quarter, it.seen), "已撤回报送。", intent=it)
    elif actor.can_write("quarterly"):
        note = st.text_input("报送说明（可选）", key="qs_note")
        field_error("qs_submit", "quarter")
        if st.button("标记为已报送", key=it.key("qs_submit_btn"), type="primary"):
            run_write("qs_submit", actor.username,
                      lambda s: quarterly.submit(s, actor, group, year, quarter, note, it.seen), "已标记为已报送。",
                      intent=it)
    else:
        st.caption("该季度汇总尚未报送。")


def _status(actor: Actor) -> None:
    """Which groups have submitted a quarter's summary, and which have not."""
    year, quarter = _period("qst")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            rows = quarterly.status_list(s, actor, year, quarter)
        if f.get("missing"):
            rows = [r for r in rows if not r["submitted"]]
        missing = sum(1 for r in rows if not r["submitted"])
        return rows_fetch(rows, STATUS_ORDERS, {"未报送": f"{missing} 个"})(f, offset, limit)

    data_table("qs_status", fetch, filters=[Filter("missing", "只看未报送", "bool",
                                                   default=st.query_params.get("view") == "missing")],
               sorts=order_labels(STATUS_ORDERS),
               export_name=f"{year}年第{quarter}季度汇总报送情况", unit="个", hidden=["id", "submitted"],
               empty="没有代表组。")


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
