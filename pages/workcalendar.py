"""工作日历: 管理员按年度录入国务院放假调休安排（放假、调休上班），或从 .xlsx / .csv 导入；保存后重新计算所有未办结事项的期限。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.forms import field_error, intent, run_write, show_flash
from components.guard import require_page
from db.engine import session_scope
from services import calendars as svc
from services import clock
from services.common import Actor

KEY = "cal"


def _editor(actor: Actor, year: int) -> None:
    """The days of one year in an editable table; 保存 replaces the year's entered days."""
    with session_scope(actor.username) as s:
        rows, source = svc.year_rows(s, year)
        stamp = svc.seen_stamp(s, year)
    # the stamp the admin saw and a token, kept while editing: a save over someone else's later save
    # is refused, a double click saves once
    it = intent(KEY, year, stamp)
    seen = it.seen
    if source == "已录入":
        st.caption(f"{year}年已录入，以下为录入的日期；修改后点“保存”。")
    else:
        st.caption(f"{year}年尚未录入（当前来源：{source}）。下表按节假日库预填"
                   + ("（节假日库只有法定节假日，没有调休安排）" if source == "日历未确认" else "")
                   + "，请对照国务院办公厅通知核对、补全后保存。")
    frame = pd.DataFrame(rows or [{"日期": None, "类型": "放假", "名称": ""}], columns=list(svc.COLUMNS))
    frame["日期"] = pd.to_datetime(frame["日期"])
    n = st.session_state.get(f"{KEY}_n", 0)
    edited = st.data_editor(
        frame, key=f"{KEY}_ed_{year}_{n}", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "日期": st.column_config.DateColumn("日期", format="YYYY-MM-DD", required=True),
            "类型": st.column_config.SelectboxColumn("类型", options=list(svc.KINDS), required=True),
            "名称": st.column_config.TextColumn("名称", max_chars=svc.NAME_MAX),
        })
    field_error(KEY, "rows")
    note = st.text_input("依据（通知文号，可不填）", key=f"{KEY}_note_{year}_{n}", max_chars=svc.NOTE_MAX)
    field_error(KEY, "note")
    if st.button(f"保存{year}年工作日历并重新计算期限", key=it.key(f"{KEY}_save_{year}"), type="primary"):
        data = [{"日期": None if pd.isna(r["日期"]) else pd.Timestamp(r["日期"]).date(),
                 "类型": r["类型"], "名称": r["名称"] if isinstance(r["名称"], str) else ""}
                for r in edited.to_dict("records")]
        saved = run_write(KEY, actor.username, lambda s: svc.save_year(s, actor, year, data, note, seen),
                          rerun=False, intent=it)
        st.session_state[f"{KEY}__flash"] = ("ok", saved.message())
        st.session_state[f"{KEY}_n"] = n + 1
        st.rerun()


def _import(actor: Actor) -> None:
    """Import a file (any years it holds) and download the template."""
    st.download_button("下载导入模板（.xlsx）", data=svc.template_xlsx(), file_name="工作日历导入模板.xlsx",
                       key=f"{KEY}_tpl")
    n = st.session_state.get(f"{KEY}_n", 0)
    up = st.file_uploader("选择文件（.xlsx 或 .csv，列：日期、类型、名称）", type=["xlsx", "csv"], key=f"{KEY}_up_{n}")
    field_error(KEY, "file")
    if up is not None and st.button("导入并重新计算期限", key=f"{KEY}_imp"):
        data, name = up.getvalue(), up.name
        saved = run_write(KEY, actor.username, lambda s: svc.import_file(s, actor, data, name), rerun=False)
        st.session_state[f"{KEY}__flash"] = ("ok", saved.message())
        st.session_state[f"{KEY}_n"] = n + 1
        st.rerun()


def render() -> None:
    """Draw 工作日历 (admin only; nothing runs at import)."""
    actor = require_page("calendar")
    st.caption("每年国务院办公厅公布下一年放假调休安排后，在此录入（或导入）。已录入的年度以录入为准；未录入、节假日库也"
               "没有调休安排的年度，期限暂按法定节假日和周末计算，并标注“日历未确认”。保存后立即重新计算所有未办结来信和"
               "群众意见的期限。")
    show_flash(KEY)
    with session_scope(actor.username) as s:
        overview = svc.overview(s)
    st.dataframe(pd.DataFrame(overview), hide_index=True, width="stretch", key=f"{KEY}_overview")
    t = clock.today().year
    years = sorted({int(r["年度"][:4]) for r in overview} | {t + 2})
    tab1, tab2 = st.tabs(["按年度录入", "从文件导入"])
    with tab1:
        year = st.selectbox("年度", years, index=years.index(t + 1), key=f"{KEY}_year", format_func=lambda y: f"{y}年")
        _editor(actor, year)
    with tab2:
        _import(actor)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
