"""基础数据: terms, offices, groups, districts, deputies and mailboxes — lists, forms, scope.

Every page's selectboxes take their choices from the ``*_options`` helpers here, which return
``{id: label}`` restricted to the actor's scope (a staff account scoped to an office sees only
that office's groups, districts and deputies).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from services.common import Actor

M = models


# ---------------------------------------------------------------- options for selectboxes


def office_options(session: Session, actor: Actor, *, active_only: bool = True) -> dict[int, str]:
    """Offices the actor may see, {id: name}, by name."""
    stmt = select(M.Office.id, M.Office.name).order_by(M.Office.name)
    if active_only:
        stmt = stmt.where(M.Office.active.is_(True))
    if actor.office_id is not None:
        stmt = stmt.where(M.Office.id == actor.office_id)
    return {i: n for i, n in session.execute(stmt)}


def group_options(session: Session, actor: Actor, office_id: int | None = None,
                  *, active_only: bool = True) -> dict[int, str]:
    """Deputy groups the actor may see (optionally of one office), {id: name}."""
    G = M.DeputyGroup
    stmt = select(G.id, G.name).order_by(G.office_id, G.name)
    if active_only:
        stmt = stmt.where(G.active.is_(True))
    if office_id is not None:
        stmt = stmt.where(G.office_id == office_id)
    if actor.group_id is not None:
        stmt = stmt.where(G.id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: n for i, n in session.execute(stmt)}


def district_options(session: Session, actor: Actor, group_id: int | None = None,
                     *, active_only: bool = True) -> dict[int, str]:
    """Electoral districts the actor may see (optionally of one group), {id: name}."""
    D, G = M.District, M.DeputyGroup
    stmt = select(D.id, D.name).join(G, G.id == D.group_id).order_by(D.group_id, D.id)
    if active_only:
        stmt = stmt.where(D.active.is_(True))
    if group_id is not None:
        stmt = stmt.where(D.group_id == group_id)
    if actor.group_id is not None:
        stmt = stmt.where(D.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: n for i, n in session.execute(stmt)}


def deputy_options(session: Session, actor: Actor, group_id: int | None = None,
                   serving_only: bool = True) -> dict[int, str]:
    """Deputies the actor may see (optionally of one group), {id: "姓名（代表组）"}.

    ``serving_only`` keeps deputies whose status is 在任.
    """
    D, G = M.Deputy, M.DeputyGroup
    stmt = select(D.id, D.name, G.name).join(G, G.id == D.group_id).order_by(G.name, D.pinyin, D.name)
    if serving_only:
        stmt = stmt.where(D.status == "在任")
    if group_id is not None:
        stmt = stmt.where(D.group_id == group_id)
    if actor.group_id is not None:
        stmt = stmt.where(D.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: f"{n}（{g}）" for i, n, g in session.execute(stmt)}


def term_options(session: Session, *, active_only: bool = False) -> dict[int, str]:
    """Terms, newest first, {id: name}."""
    stmt = select(M.Term.id, M.Term.name).order_by(M.Term.number.desc())
    if active_only:
        stmt = stmt.where(M.Term.active.is_(True))
    return {i: n for i, n in session.execute(stmt)}
