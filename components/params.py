"""Values a page takes from its URL (a 工作台 link) and the choices every year picker offers.

Every URL parameter is validated: a value that is not one the page offers is ignored, the page
uses its default, and a Chinese notice says so (once per parameter and run), never an exception."""

from __future__ import annotations

import re
from datetime import date

import streamlit as st

from services import clock

NOTICES_KEY = "_bad_url_params"


def ignore_bad(name: str) -> None:
    """Say (once per run) that the link's parameter ``name`` was not valid and was ignored."""
    shown = st.session_state.setdefault(NOTICES_KEY, set())
    if name in shown:
        return
    shown.add(name)
    label = re.sub(r"[^a-z_]", "", name)[:20] or "?"
    st.warning(f"链接中的参数“{label}”无效，已忽略，显示默认内容。", icon=":material/link_off:")


def new_run() -> None:
    """Called by app.py at the start of each run: notices may be shown again."""
    st.session_state[NOTICES_KEY] = set()


def year_options(*, ahead: int = 0, back: int = 5) -> list[int]:
    """The years offered in year pickers: ``ahead`` future years, this year, ``back`` past years."""
    this = clock.today().year
    return list(range(this + ahead, this - back - 1, -1))


def param_int(name: str, default: int) -> int:
    """An integer query parameter (e.g. ?quarter=3), or ``default`` when absent or not a number
    (also for ² or ５, which str.isdigit accepts, and for thousands of digits; then with a notice)."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    raw = str(raw)
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    ignore_bad(name)
    return default


def param_year(options: list[int] | None = None) -> int:
    """The year named by the query parameter ``year`` when it is offered, else this year."""
    this = clock.today().year
    year = param_int("year", this)
    if year in (options or year_options()):
        return year
    if st.query_params.get("year"):
        ignore_bad("year")
    return this


def param_choice(name: str, choices, default=None):  # noqa: ANN001, ANN201
    """The query parameter ``name`` when it is one of ``choices`` (a value or a key), else
    ``default`` (with a notice when a value was given)."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw in choices:
        return raw
    ignore_bad(name)
    return default


def param_period(name: str, default):  # noqa: ANN001, ANN201
    """A date range from the link (2026-01-01,2026-03-31), else ``default`` (with a notice)."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    parts = re.split(r"[,~]", str(raw)[:40])
    try:
        days = [date.fromisoformat(p.strip()) for p in parts]
    except ValueError:
        days = []
    if len(days) == 2 and days[0] <= days[1] and all(1900 <= d.year <= 2100 for d in days):
        return tuple(days)
    ignore_bad(name)
    return default
