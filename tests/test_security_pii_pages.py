"""Issue 16: personal data typed into the free text of 述职 (plan, meetings, rectification items,
hearings), 热点问题 (topic names, the letters a topic covers) and 履职档案 (page and .docx) is
masked for the roles that see masked data (leader, supervisor), as written for admin and staff."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.migrate import upgrade
from services import demo
from tests.conftest import app_as, goto

PII = "家住和平路12号院501室，电话13812345678，身份证110101199003071234，座机010-87654321"
SECRETS = ("13812345678", "110101199003071234", "87654321", "12号", "501室")
# the free text people type into these records
COLUMNS = {"reports": ("venue", "text_note"), "report_plan_items": ("venue", "content"),
           "rectifications": ("content", "owner"), "hearings": ("points",), "supervision_topics": ("title",),
           "letters": ("summary",), "activities": ("place",), "opinions": ("content", "result"),
           "proposals": ("title",), "publicity_works": ("title",), "congress_events": ("title",)}


@pytest.fixture(scope="module")
def pii_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pii_pages') / 'pii.db'}"
    upgrade(url)
    demo.generate(url, offices=2, groups=4, districts=6, deputies=24, years=1.2)
    with get_engine(url).begin() as conn:
        for table, cols in COLUMNS.items():
            for col in cols:
                conn.execute(text(f'UPDATE "{table}" SET "{col}" = :p || "{col}" WHERE "{col}" IS NOT NULL'),
                             {"p": PII})
    return url


def _shown(node, out: list) -> None:  # noqa: ANN001
    """Every text the page shows: values, labels, options, and the cells of every table."""
    for attr in ("value", "label", "body", "options"):
        try:
            v = getattr(node, attr)
        except Exception:  # noqa: BLE001 - not every element has every attribute
            continue
        if hasattr(v, "to_csv"):
            out.append(v.to_csv())
        elif isinstance(v, str):
            out.append(v)
        elif isinstance(v, list | tuple):
            out += [str(x) for x in v]
    proto = getattr(node, "proto", None)
    if proto is not None and type(node).__name__ == "Multiselect":
        out += list(proto.options)
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _shown(child, out)


def _page_text(at) -> str:  # noqa: ANN001
    out: list = []
    _shown(at._tree, out)
    return "\n".join(out)


def _year_of(url: str, sql: str) -> str:
    with get_engine(url).connect() as conn:
        return str(conn.execute(text(sql)).scalar_one())


@pytest.fixture
def app_db(pii_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", pii_url)
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    return pii_url


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_report_texts_are_masked_for_roles_that_see_masked_data(app_db, role):
    year = _year_of(app_db, "SELECT MAX(r.year) FROM rectifications x JOIN reports r ON r.id = x.report_id")
    at = app_as(role)
    at.query_params["year"] = year
    goto(at, "reports")
    assert not at.exception
    shown = _page_text(at)
    assert "家住和平路" in shown  # the texts are on the page (rectification items, hearings, plan)
    assert not [s for s in SECRETS if s in shown]


def test_report_texts_stay_as_written_for_staff(app_db):
    year = _year_of(app_db, "SELECT MAX(r.year) FROM rectifications x JOIN reports r ON r.id = x.report_id")
    at = app_as("admin")
    at.query_params["year"] = year
    goto(at, "reports")
    assert "13812345678" in _page_text(at)


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_topic_texts_are_masked_for_roles_that_see_masked_data(app_db, role):
    at = app_as(role)
    at.query_params["view"] = "topics"
    goto(at, "hotissues")
    assert not at.exception
    shown = _page_text(at)
    assert "家住和平路" in shown  # topic names
    assert not [s for s in SECRETS if s in shown]
    if role == "leader":  # the letters a new topic would cover, listed by their summaries
        # the latest year with a concentrated appeal (early in January the new year has none yet)
        from db.engine import session_scope
        from services import auth, hotissues
        from services.clock import today

        with session_scope(role, url=app_db) as s:
            actor = auth.load_actor(s, role)
            year = next(y for y in range(today().year, today().year - 3, -1) if hotissues.concentrated(s, actor, y))
        at.selectbox(key="hi_year").set_value(year).run()
        at.session_state["hi_appeals__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        assert not at.exception
        covered = [o for m in at.multiselect if m.label == "涵盖的来信" for o in m.options]
        assert covered and any("家住和平路" in o for o in covered)
        assert not [s for s in SECRETS if s in "".join(covered)]


def _deputy_with_report(url: str) -> tuple[str, str]:
    with get_engine(url).connect() as conn:
        dep, year = conn.execute(text(
            "SELECT r.deputy_id, r.year FROM reports r JOIN activity_deputies ad ON ad.deputy_id = r.deputy_id "
            "WHERE r.venue IS NOT NULL ORDER BY r.year DESC, r.deputy_id LIMIT 1")).one()
    return str(dep), str(year)


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_profile_page_and_docx_are_masked_for_roles_that_see_masked_data(app_db, role):
    dep, year = _deputy_with_report(app_db)
    at = app_as(role)
    at.query_params["deputy"], at.query_params["year"] = dep, year
    goto(at, "profiles")
    assert not at.exception
    shown = _page_text(at)
    assert "家住和平路" in shown
    assert not [s for s in SECRETS if s in shown]
    from db.engine import session_scope
    from services import auth, profiles

    with session_scope(role, url=app_db) as s:
        data = profiles.profile(s, auth.load_actor(s, role), int(dep), int(year))
    z = zipfile.ZipFile(io.BytesIO(profiles.to_docx(data)))
    doc = z.read("word/document.xml").decode("utf-8")
    assert "家住和平路" in doc and not [s for s in SECRETS if s in doc]


def test_profile_stays_as_written_for_staff_and_admin(app_db):
    dep, year = _deputy_with_report(app_db)
    from db.engine import session_scope
    from services import auth, profiles

    with session_scope("admin", url=app_db) as s:
        data = profiles.profile(s, auth.load_actor(s, "admin"), int(dep), int(year))
    assert "13812345678" in str(data["aspects"]) + str(data["reports"])
