"""履职档案: 每位代表一年的履职情况，按述职五个方面排列，附评分和雷达图，可导出打印（R19）。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts
from components.guard import at_click, require_page
from components.params import param_choice, param_int, param_year, year_options
from components.text import alert
from db.engine import session_scope
from services import documents, masterdata, scoring
from services import profiles as svc
from services.common import ServiceError


def _empty_list(actor, year: int) -> None:
    """R19 list: deputies whose file is empty this year (opened from 工作台)."""
    with session_scope(actor.username) as s:
        rows = svc.empty_files(s, actor, year)
    st.subheader(f"{year}年履职档案中没有联系选民活动和议案建议的代表（{len(rows)} 人）")
    if rows:
        st.dataframe(pd.DataFrame(rows).drop(columns=["deputy_id"]), hide_index=True, width="stretch",
                     key="pf_empty_grid", placeholder="")
        st.caption("请督促这些代表联系选民、提出议案建议，并及时在联系活动、议案建议页面登记。")
    else:
        st.success("每位在任代表本年都有联系选民活动或议案建议记录。")


def render() -> None:
    """Draw 履职档案 (nothing runs at import)."""
    actor = require_page("profiles")
    st.caption("每位代表一年的履职情况，按述职报告的五个方面排列，附五个方面的评分和雷达图；可导出 Word 在代表组会议上通报。")
    years = year_options()
    c1, c2 = st.columns([1, 3])
    with c1:
        y0 = param_year(years)
        year = st.selectbox("年度", years, index=years.index(y0), key="pf_year", format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        options = masterdata.deputy_options(s, actor, serving_only=False)
    if param_choice("view", {"empty"}) == "empty":
        _empty_list(actor, year)
        st.divider()
    if not options:
        st.info("您的负责范围内还没有代表。请先在“基础数据”中录入代表。")
        return
    ids = list(options)
    raw_dep = param_int("deputy", 0)
    if raw_dep in options and "pf_deputy" not in st.session_state:
        st.session_state["pf_deputy"] = raw_dep
    with c2:
        deputy_id = st.selectbox("代表", ids, format_func=lambda i: options.get(i, str(i)), key="pf_deputy")
    try:
        with session_scope(actor.username) as s:
            rid = scoring.current_rubric_id(s)
            data = svc.profile(s, actor, deputy_id, year, rid)
    except ServiceError as exc:
        alert("error", str(exc))
        return
    h = data["header"]
    st.dataframe(pd.DataFrame([h]), hide_index=True, width="stretch", key="pf_header", placeholder="")
    sc = data["scores"]
    st.subheader("履职评分")
    if sc:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("总分", f"{sc['total']:g} 分")
        m2.metric("等级", sc["grade"])
        m3.metric("全区排名", f"{sc['rank']} / {sc['of']} 人")
        m4.metric("组内排名", f"第 {sc['group_rank']} 名")
    left, right = st.columns([1, 1])
    with left:
        if sc:
            rows = [{"工作重点": scoring.FOCUS_LONG[f], "得分": sc["focus"][f]} for f in scoring.FOCUSES]
            rows.append({"工作重点": "扣分", "得分": sc["deduction"]})
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="pf_scores", placeholder="")
            st.caption(f"评分细则{sc['rubric']}；组内第 {sc['group_rank']} 名；本年任职比例 "
                       f"{scoring.fraction_label(sc['fraction'])}；登记或修改记录后评分随即更新。")
        else:
            st.info("尚未发布评分细则，暂无评分。请系统管理员在“评分评优”中发布评分细则。")
    with right:
        if data["radar"]:
            labels = {f: scoring.FOCUS_NAMES[f] for f in scoring.FOCUSES}
            charts.show(charts.radar(data["radar"], labels, sc["cap"] if sc else 20), "pf_radar",
                        f"{h['姓名']}{year}年五个方面", width="stretch")
    for aspect in data["aspects"]:
        total = sum(len(rows) for _sub, rows in aspect["parts"])
        st.subheader(aspect["title"])
        for n, (sub, rows) in enumerate(aspect["parts"]):
            st.markdown(f"**{sub}**（{len(rows)} 条）")
            if rows:
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                             key=f"pf_{aspect['title'][:1]}_{n}", placeholder="")
        if not total:
            st.caption("本年度无记录。")
    st.subheader(svc.REPORTS_TITLE)
    if data["reports"]:
        st.dataframe(pd.DataFrame(data["reports"]), hide_index=True, width="stretch", key="pf_reports", placeholder="")
    else:
        st.caption("本年度无述职记录。")
    st.divider()
    name = f"{h['姓名']}_{year}年度履职档案"
    c1, c2 = st.columns(2)
    c1.download_button("导出 Word（打印）", at_click(lambda: svc.to_docx(data)), file_name=f"{name}.docx", key="pf_docx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    with c2:
        if documents.pdf_converter():
            if st.button("生成 PDF", key="pf_pdf_make"):
                pdf = documents.to_pdf(svc.to_docx(data))
                if pdf:
                    st.download_button("下载 PDF", pdf, file_name=f"{name}.pdf", key="pf_pdf",
                                       mime="application/pdf", on_click="ignore")
                else:
                    st.error("PDF 转换失败，请导出 Word 后打印。")
        else:
            st.caption("本机未安装 PDF 转换程序，暂不能导出 PDF；请导出 Word 后打印。")


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
