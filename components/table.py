"""The one component behind every "filters + table + export" in the app."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from components.guard import at_click
from components.params import ignore_bad, param_period
from components.text import alert
from services import clock
from services.common import Page
from services.excel import to_xlsx

EXPORT_MAX = 200_000


@dataclass
class Filter:
    """One filter above a list.

    kind: "select" (options: list or {value: label}; first choice "全部"), "multiselect", "text"
    (free-text search), "year", "date_range", "bool" (a checkbox).
    """

    name: str
    label: str
    kind: str = "select"
    options: Sequence[Any] | dict[Any, str] = field(default_factory=list)
    default: Any = None


def _opts(f: Filter) -> tuple[list, Callable[[Any], str]]:
    """Return option values and a formatter for a select-like filter."""
    if isinstance(f.options, dict):
        labels = {k: str(v) for k, v in f.options.items()}
        return list(f.options), lambda v: labels.get(v, "全部") if v is not None else "全部"
    return list(f.options), lambda v: "全部" if v is None else str(v)


def _initial(f: Filter) -> Any:
    """Initial value of a filter: a query parameter (from a 工作台 link) or the default; a value
    the filter does not offer is ignored with a notice (components.params)."""
    raw = st.query_params.get(f.name)
    if raw is None or raw == "":
        return f.default
    if f.kind == "year":
        # only a plain 4-digit year of the list's choices (², thousands of digits, text: the default)
        if re.fullmatch(r"[0-9]{4}", raw) and (not f.options or int(raw) in list(f.options)):
            return int(raw)
    elif f.kind == "bool":
        if raw in ("1", "true", "是", "0", "false", "否"):
            return raw in ("1", "true", "是")
    elif f.kind == "select":
        values, _ = _opts(f)
        for v in values:
            if str(v) == raw:
                return v
    elif f.kind == "multiselect":
        values, _ = _opts(f)
        picked = [v for v in values if str(v) in raw.split(",")]
        if picked:
            return picked
    elif f.kind == "date_range":
        return param_period(f.name, f.default)
    elif f.kind == "text":
        return raw[:100]
    ignore_bad(f.name)
    return f.default


def render_filters(key: str, filters: Sequence[Filter]) -> dict:
    """Draw the filters in rows of four and return {name: value} (None means no filter)."""
    values: dict[str, Any] = {}
    if not filters:
        return values
    per_row = 4
    for start in range(0, len(filters), per_row):
        cols = st.columns(per_row)
        for col, f in zip(cols, filters[start : start + per_row], strict=False):
            wkey = f"{key}__f_{f.name}"
            init = _initial(f)
            with col:
                if f.kind == "select":
                    opts, fmt = _opts(f)
                    choices = [None, *opts]
                    idx = choices.index(init) if init in choices else 0
                    values[f.name] = st.selectbox(f.label, choices, index=idx, format_func=fmt, key=wkey)
                elif f.kind == "multiselect":
                    opts, fmt = _opts(f)
                    values[f.name] = st.multiselect(
                        f.label, opts, default=[v for v in (init or []) if v in opts],
                        format_func=fmt, key=wkey, placeholder="全部",
                    ) or None
                elif f.kind == "text":
                    values[f.name] = st.text_input(f.label, value=init or "", key=wkey,
                                                   placeholder="输入关键字").strip() or None
                elif f.kind == "year":
                    years = list(f.options) or list(range(clock.today().year, clock.today().year - 6, -1))
                    idx = years.index(init) if init in years else 0
                    values[f.name] = st.selectbox(f.label, years, index=idx, key=wkey,
                                                  format_func=lambda y: f"{y}年")
                elif f.kind == "date_range":
                    rng = st.date_input(f.label, value=init or (), key=wkey, format="YYYY-MM-DD")
                    values[f.name] = tuple(rng) if isinstance(rng, (list, tuple)) and len(rng) == 2 else None
                elif f.kind == "bool":
                    st.write("")
                    values[f.name] = st.checkbox(f.label, value=bool(init), key=wkey) or None
    return values


def render_sort(key: str, sorts: dict[str, str]) -> str:
    """The 排序 choice of a list (a ``?sort=`` parameter may pick it); returns its key."""
    options = list(sorts)
    raw = st.query_params.get("sort")
    wkey = f"{key}__sort"
    if wkey not in st.session_state:
        st.session_state[wkey] = raw if raw in options else options[0]
    elif st.session_state[wkey] not in options:
        st.session_state[wkey] = options[0]
    return st.selectbox("排序（对全部记录排序后分页）", options, format_func=lambda k: sorts[k], key=wkey)


@dataclass(frozen=True)
class Order:
    """One 排序 choice of a list computed in Python (``rows_fetch``): its label and the columns it
    orders by, each with True for descending. Empty cells go last either way, or first with
    ``empty_first`` (e.g. a 结果分类 not given yet: the problems still open)."""

    label: str
    by: tuple[tuple[str, bool], ...]
    empty_first: bool = False


_PERCENT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?%")


def _cell_key(v: object) -> tuple:
    """A comparable key of one cell: numbers and dates as such, "88.4%" as 88.4, text in 姓氏笔画
    order with the numbers inside it as numbers (第2选区 before 第10选区)."""
    from services.strokes import strokes

    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, int | float):
        return (0, float(v))
    if isinstance(v, date):
        return (1, v.toordinal() + (v.hour * 3600 + v.minute * 60 + v.second) / 86400 if hasattr(v, "hour") else v.toordinal())
    text = str(v).strip()
    if _PERCENT.fullmatch(text):
        return (0, float(text[:-1]))
    parts: list[tuple] = []
    for chunk in re.split(r"([0-9]+)", text):
        if chunk.isdigit():
            parts.append((0, int(chunk), 0))
        else:
            parts.extend((1, strokes(ch), ord(ch)) for ch in chunk)
    return (2, tuple(parts))


def _empty(v: object) -> bool:
    """None, "" or NaN."""
    return v is None or v == "" or v != v  # noqa: PLR0124 - NaN is the value unequal to itself


def sorted_rows(rows: Sequence[dict], by: Sequence[tuple[str, bool]], empty_first: bool = False) -> list[dict]:
    """The whole list ordered by ``by`` ((column, descending) pairs, the first the main one);
    empty cells (None, "", NaN) last in both directions (first with ``empty_first``); ties keep
    the list's own order."""
    out = list(rows)
    for col, desc in reversed(list(by)):
        empty = [r for r in out if _empty(r.get(col))]
        full = sorted((r for r in out if not _empty(r.get(col))), key=lambda r: _cell_key(r[col]), reverse=desc)
        out = empty + full if empty_first else full + empty
    return out


def order_labels(orders: dict[str, Order]) -> dict[str, str]:
    """The ``sorts`` argument of ``data_table`` for a list ordered by ``rows_fetch``."""
    return {k: o.label for k, o in orders.items()}


def rows_fetch(rows: list[dict], orders: dict[str, Order] | None = None,
               sums: dict | None = None) -> Callable[[dict, int, int], Page]:
    """A ``data_table`` fetch over rows computed in Python: the whole list is ordered by the chosen
    ``Order`` (the first is the office's default), then paged; the export gets the same order."""
    def fetch(f: dict, offset: int, limit: int) -> Page:
        chosen = (orders or {}).get(f.get("sort")) or next(iter((orders or {}).values()), None)
        ordered = sorted_rows(rows, chosen.by, chosen.empty_first) if chosen else rows
        return Page(ordered[offset:offset + limit], len(rows), dict(sums or {}))
    return fetch


def _fmt_when(v: object) -> str:
    """Write a date as 2026-03-05 and a datetime as 2026-03-05 14:30; empty for None/NaT."""
    if v is None or pd.isna(v):
        return ""
    if hasattr(v, "hour"):
        return v.strftime("%Y-%m-%d %H:%M")
    return v.strftime("%Y-%m-%d")


def _fmt_frame(rows: list[dict]) -> pd.DataFrame:
    """Build a display frame: dates as 2026-03-05, booleans as 是/否, lists joined."""
    df = pd.DataFrame(rows)
    for col in df.columns:
        sample = next((v for v in df[col] if v is not None and v == v), None)
        if isinstance(sample, bool):
            df[col] = df[col].map(lambda v: "是" if v else "否")
        elif isinstance(sample, date):
            df[col] = df[col].map(_fmt_when)
        elif isinstance(sample, list | tuple):
            df[col] = df[col].map(lambda v: "、".join(map(str, v)) if v else "")
    return df


@dataclass
class TableResult:
    """What the table returns to the page: filter values, the page shown, the selected row."""

    filters: dict
    page: Page
    selected: dict | None


def export_count(total: int, held: int, unit: str) -> str:
    """What an export file says about its rows: all of them, or how many of how many (capped at
    ``EXPORT_MAX``): never a total the file does not hold."""
    if held >= total:
        return f"共 {total:,} {unit}"
    return f"共 {total:,} {unit}，本表只含按列表顺序的前 {held:,} {unit}（单次导出上限 {EXPORT_MAX:,} {unit}，请缩小筛选范围分次导出）"


def pinned_row(key: str, idx: int | None, where: tuple, rows: list[dict], id_col: str | None) -> dict | None:
    """The selected row of the list ``key``: the record picked at position ``idx`` (on the page and
    filters ``where``), followed by its id ``id_col`` while the selection stays as the user left it.
    The row is found again wherever the list moved it; off this page (or out of the list), the
    row as last seen is kept, so an open form never switches to another record. A new pick, a
    cleared selection or another page or filter starts afresh."""
    pin_key = f"{key}__pin"
    if idx is None:
        st.session_state.pop(pin_key, None)
        return None
    pin = st.session_state.get(pin_key)
    if id_col and pin and pin["at"] == (idx, *where):
        row = next((r for r in rows if r.get(id_col) == pin["id"]), None) or pin["row"]
    elif idx < len(rows):
        row = rows[idx]
    else:
        st.session_state.pop(pin_key, None)
        return None
    if id_col:
        st.session_state[pin_key] = {"at": (idx, *where), "id": row.get(id_col), "row": row}
    return row


def data_table(
    key: str,
    fetch: Callable[[dict, int, int], Page],
    *,
    filters: Sequence[Filter] = (),
    export_name: str = "导出",
    export_title: str | None = None,
    export_notes: Sequence[str] | Callable[[dict], Sequence[str]] = (),
    unit: str = "条",
    page_size: int = 20,
    empty: str = "暂无记录。",
    selectable: bool = False,
    hidden: Sequence[str] = (),
    extra_filters: dict | None = None,
    sorts: dict[str, str] | None = None,
    pin_by: str | None = None,
) -> TableResult:
    """Draw filters, one page of rows fetched in SQL, totals, pager and the 导出 Excel button.

    ``fetch(filters, offset, limit)`` returns a Page whose rows are dicts keyed by Chinese column
    names. Columns in ``hidden`` (e.g. an id) are fetched but not shown or exported.

    ``sorts`` ({key: Chinese label}, the first the list's default) adds a 排序 choice: its key goes
    to ``fetch`` as ``filters["sort"]`` and the service orders the whole result in SQL before it
    pages it (the export follows the same order). Clicking a column header in the grid only
    re-orders the rows on screen, so lists that offer sorts say so.

    A ``selectable`` row is pinned by its id (``pin_by``, by default the hidden column ``id`` or
    ``编号``; ``pinned_row``): Streamlit selects by position, so when someone else's save reorders the
    list, the form the user opened stays on the record the user picked.
    """
    values = render_filters(key, filters)
    if extra_filters:
        values.update(extra_filters)
    if sorts:
        values["sort"] = render_sort(key, sorts)
    page_key = f"{key}__page"
    sig_key = f"{key}__sig"
    sig = repr(sorted(values.items(), key=lambda kv: kv[0]))
    if st.session_state.get(sig_key) != sig:
        st.session_state[sig_key] = sig
        st.session_state[page_key] = 1
    pageno = int(st.session_state.get(page_key, 1))
    result = fetch(values, (pageno - 1) * page_size, page_size)
    pages = max(1, math.ceil(result.total / page_size))
    if pageno > pages:
        pageno = pages
        st.session_state[page_key] = pages
        result = fetch(values, (pageno - 1) * page_size, page_size)

    selected = None
    if not result.rows:
        alert("info", empty)
    else:
        df = _fmt_frame(result.rows)
        shown = df.drop(columns=[c for c in hidden if c in df.columns])
        if selectable:
            event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun",
                                 selection_mode="single-row", key=f"{key}__grid", placeholder="")
            picked = event.selection.rows if event and event.selection else []
            id_col = pin_by or next((c for c in ("id", "编号") if c in hidden), None)
            selected = pinned_row(key, picked[0] if picked else None, (pageno, sig), result.rows, id_col)
        else:
            st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}__grid", placeholder="")

    c1, c2, c3 = st.columns([3, 2, 2])
    with c1:
        sums = "，".join(f"{k}：{v}" for k, v in result.sums.items())
        st.caption(f"共 {result.total} {unit}" + (f"；{sums}" if sums else "") + f"　第 {pageno}/{pages} 页")
    with c2:
        if pages > 1:
            st.number_input("页码", min_value=1, max_value=pages, step=1, key=page_key,
                            label_visibility="collapsed")
    with c3:
        if result.total:
            def _export() -> bytes:
                full = fetch(values, 0, EXPORT_MAX)
                frame = pd.DataFrame(full.rows)  # dates stay dates: the writer makes them date cells
                frame = frame.drop(columns=[c for c in hidden if c in frame.columns])
                notes = export_notes(values) if callable(export_notes) else list(export_notes)
                notes = [*notes, f"导出时间：{clock.now():%Y-%m-%d %H:%M}，{export_count(full.total, len(full.rows), unit)}"]
                return to_xlsx({export_name[:31]: frame}, title=export_title or export_name, notes=notes)

            st.download_button(
                "导出 Excel", data=at_click(_export), file_name=f"{export_name}_{clock.today():%Y-%m-%d}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"{key}__export", on_click="ignore",
            )
    return TableResult(values, result, selected)
