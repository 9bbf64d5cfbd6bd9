"""Issue 17: rubric keys (``r1_shortfall``, ``not_failed`` …) never reach a user. The rendered text of
评分评优 (every tab, with a deputy's drill-down open), 履职档案 and 工作台 of every role is scanned for
any fact or condition key of the current rubric; so are the 履职档案 and 名单 documents. The
rubric table and the admin's editor show the Chinese names, and an edit saved from names keeps the
keys underneath."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from db.engine import session_scope
from services import profiles, scoring
from services.common import Actor
from tests.conftest import app_as, goto, submit
from tests.scoring_example import YEAR, build_example, make_app_world


@pytest.fixture
def app_world(tmp_path, monkeypatch, travel):  # noqa: ANN001, ANN201
    return make_app_world(tmp_path, monkeypatch, travel)


def _keys() -> set[str]:
    """Every fact and condition key the current rubric uses."""
    with session_scope("t") as s:
        rows = scoring.load_rubric(s, scoring.current_rubric_id(s)).rows
    return {r["fact"] for r in rows} | {r["condition"] for r in rows if r["condition"]}


def _strings(node, out: list[str]) -> None:  # noqa: ANN001
    """Every text an element shows: values, labels, options, help, and whole tables."""
    for attr in ("value", "label", "body", "options", "help", "placeholder"):
        try:
            v = getattr(node, attr)
        except Exception:  # noqa: BLE001 - not every element has every attribute
            continue
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list | tuple):
            out += [str(x) for x in v]
        elif hasattr(v, "to_csv"):
            out.append(v.to_csv())
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _strings(child, out)


def _found(text: str, keys: set[str]) -> list[str]:
    return sorted(k for k in keys if re.search(rf"(?<![A-Za-z_]){k}(?![A-Za-z_])", text))


def _page_text(at) -> str:  # noqa: ANN001
    out: list[str] = []
    _strings(at._tree, out)
    return "\n".join(out)


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_no_page_shows_a_rubric_key(app_world, role) -> None:  # noqa: ANN001
    ex = build_example(app_world)
    keys = _keys()
    assert {"r1_shortfall", "not_failed", "absent_congress"} <= keys  # the scan looks for real keys
    at = app_as(role)
    assert not at.exception
    seen = {"工作台": _found(_page_text(at), keys)}
    try:
        at.query_params["year"] = str(YEAR)
        goto(at, "scoring")
    except KeyError:
        pass  # staff have no 评分评优
    else:
        assert not at.exception
        at.selectbox(key="sc_detail_dep").set_value(ex["a"]).run()
        text = _page_text(at)
        assert "无故缺席人代会" in text and "抽查未判不合格" in text  # the rubric table shows names
        seen["评分评优"] = _found(text, keys)
        at.selectbox(key="sc_rank_detail_focus").set_value("扣分").run()
        seen["评分评优 扣分明细"] = _found(_page_text(at), keys)
    at.query_params["year"] = str(YEAR)
    at.query_params["deputy"] = str(ex["a"])
    goto(at, "profiles")
    assert not at.exception
    seen["履职档案"] = _found(_page_text(at), keys)
    assert not any(seen.values()), seen


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_documents_show_no_rubric_key(app_world) -> None:
    ex = build_example(app_world)
    keys = _keys()
    with session_scope("t") as s:
        data = profiles.profile(s, Actor("leader", "leader"), ex["a"], YEAR)
        text = _docx_text(profiles.to_docx(data))
    assert "履职评分" in text and not _found(text, keys)


def test_admin_edits_the_rubric_by_names_and_the_keys_stay_underneath(app_world) -> None:
    """The editor's 计分项 and 条件 columns hold names; a row added by name is saved with its key."""
    ex = build_example(app_world)
    rid = ex["rubric"]
    at = app_as("admin")
    at.query_params["tab"] = "rubric"
    goto(at, "scoring")
    editor = f"sc_rub_editor_{rid}"
    shown = at.data_editor(key=editor).value
    assert "联系选民活动少于规定次数（R1）" in set(shown["fact"]) and "抽查未判不合格" in set(shown["condition"])
    assert not _found(shown.to_csv(), _keys())
    at.session_state[editor] = {"edited_rows": {}, "deleted_rows": [],
                                "added_rows": [{"focus": "F5", "fact": "联系选民活动", "points": 1,
                                                "condition": "有佐证（签到表或照片）或已核实"}]}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with session_scope("t") as s:
        draft = scoring.list_rubrics(s)[0]["id"]
        added = scoring.load_rubric(s, draft).rows[-1]
    assert (added["fact"], added["condition"], added["points"]) == ("contact_activity", "evidenced", 1.0)


def test_the_audit_log_names_facts_and_conditions() -> None:
    """操作日志 lists a rubric row by its Chinese names too (the condition was shown as not_failed)."""
    from services import auditlog

    line = auditlog.describe_change("新增", None, {"fact": "contact_activity", "condition": "not_failed", "points": 2})
    assert "联系选民活动" in line and "抽查未判不合格" in line
    assert not _found(line, {"contact_activity", "not_failed"})
