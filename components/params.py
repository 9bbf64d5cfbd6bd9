"""Values a page takes from its URL (a 工作台 link) and the choices every year picker offers."""

from __future__ import annotations

import streamlit as st

from services import clock


def year_options(*, ahead: int = 0, back: int = 5) -> list[int]:
    """The years offered in year pickers: ``ahead`` future years, this year, ``back`` past years."""
    this = clock.today().year
    return list(range(this + ahead, this - back - 1, -1))


def param_int(name: str, default: int) -> int:
    """An integer query parameter (e.g. ?quarter=3), or ``default`` when absent or not a number
    (also for ² or ５, which str.isdigit accepts, and for thousands of digits)."""
    raw = str(st.query_params.get(name, ""))
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else default


def param_year(options: list[int] | None = None) -> int:
    """The year named by the query parameter ``year`` when it is offered, else this year."""
    year = param_int("year", clock.today().year)
    return year if year in (options or year_options()) else clock.today().year
