"""People by their names: records keep the login name of whoever wrote them (``created_by``,
``confirmed_by``, …); pages, exports and documents show the account's display name (用户.姓名)
instead. ``display(col)`` does it inside a query, ``name_of`` / ``names_of`` after one.

A login name without an account (a deleted user, data from an import) is shown as it is stored;
the built-in writers ``system`` and ``demo`` read 系统 and 演示数据.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from db import models

BUILT_IN = {"system": "系统", "demo": "演示数据"}


def display(col: ColumnElement) -> ColumnElement:
    """SQL: the display name of the account whose login name is in ``col`` (else ``col``)."""
    U = models.User
    name = select(U.display_name).where(U.username == col).limit(1).scalar_subquery()
    return func.coalesce(name, case(BUILT_IN, value=col, else_=col))


def names_of(session: Session, logins: Iterable[str | None]) -> dict[str, str]:
    """{login name: display name} for the given login names (unknown ones map to themselves)."""
    wanted = {x for x in logins if x}
    out = {x: BUILT_IN.get(x, x) for x in wanted}
    if wanted:
        U = models.User
        for login, name in session.execute(select(U.username, U.display_name).where(U.username.in_(wanted))):
            out[login] = name or login
    return out


def name_of(session: Session, login: str | None) -> str:
    """The display name of one login name ("" for none)."""
    return names_of(session, [login]).get(login or "", "") if login else ""
