"""Issue 16: every URL parameter is validated. A bad value is ignored with a Chinese notice and the
page's default, never an exception, on every page of every role."""

from __future__ import annotations

import pytest

from services.common import PAGES
from tests.conftest import app_as, goto

BAD = {
    "year": ["²", "9" * 5000, "-1", "2026.0", "１９９９"],
    "period": ["abc", "2026-01-01,2026-13-45", "2026-02-30", "x,y,z", "2026-03-01,2026-01-01", "0001-01-01,9999-12-31"],
    "quarter": ["abc", "0", "99999999999", "５"],
    "view": ["<b>x</b>", "zzz"],
    "tab": ["zzz", "__proto__"],
    "group": ["abc", "-1", "9" * 400],
    "deputy": ["abc", "-5", "99999"],
    "overdue": ["maybe"],
    "status": ["zzz"],
    "q": ["%_\\" * 50],
    "office_id": ["x"],
    "group_id": ["1e9"],
    "mailbox_id": ["[1]"],
    "category": ["=1+1"],
    "entity_id": ["' or 1=1 --"],
    "active": ["2"],
    "deputy_id": ["nan"],
    # added by the fresh attack (issue 16): every other parameter a page or a list filter reads
    "letter": ["abc", "-1", "99999999999", "0", "１２", "1" + "0" * 30],
    "opinion": ["abc", "-1", "99999999999", "0", "１２"],
    "sort": ["zzz", "__class__", "<b>x</b>"],
    "kind": ["zzz", "=1+1"],
    "grade": ["zzz"],
    "source": ["zzz"],
    "mode": ["zzz"],
    "result": ["zzz"],
    "role": ["root"],
    "username": ["' or 1=1 --"],
    "typical": ["2"],
    "law": ["2"],
    "livelihood": ["2"],
    "satisfaction": ["zzz"],
    "target": ["zzz"],
    "organiser": ["zzz"],
    "office": ["zzz"],
    "missing": ["zzz"],
}


def _runs() -> list[dict]:
    """The bad values grouped into runs: run i sets every parameter to its i-th bad value, so each
    bad value meets every page once (a page reads several parameters of one link)."""
    longest = max(len(v) for v in BAD.values())
    return [{name: values[i] for name, values in BAD.items() if i < len(values)} for i in range(longest)]


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_bad_url_parameters_never_break_a_page(app_world, role):
    at = app_as(role)
    tried = 0
    for key, (title, roles) in PAGES.items():
        if role not in roles:
            continue
        for params in _runs():
            goto(at, key)
            for name, value in params.items():
                at.query_params[name] = value
            at.run()
            tried += len(params)
            trace = "\n".join(at.exception[0].stack_trace[-6:]) if at.exception else ""
            assert not at.exception, (key, params.get("year", "")[:10], trace)
            assert title in [t.value for t in at.title], key
            at.query_params.clear()
    print(f"{role}: {tried} page × bad parameter values")


@pytest.mark.parametrize(("page", "name", "value"), [
    ("dashboard", "year", "²"), ("mailbox", "period", "abc"), ("auditlog", "period", "2026-13-01,2026-14-01"),
    ("quarterly", "quarter", "9" * 50), ("reports", "tab", "zzz"), ("mailbox", "view", "nope"),
    ("activities", "year", "1899"),
])
def test_a_bad_value_is_ignored_with_a_chinese_notice(app_world, page, name, value):
    at = app_as("admin", page)
    at.query_params[name] = value
    at.run()
    assert not at.exception
    notices = [w.value for w in at.warning if "链接中的参数" in w.value]
    assert notices == [f"链接中的参数“{name}”无效，已忽略，显示默认内容。"]


def test_a_good_value_is_used_without_notice(app_world):
    at = app_as("admin", "mailbox")
    at.query_params["period"] = "2026-01-01,2026-03-31"
    at.run()
    assert not at.exception
    assert not [w for w in at.warning if "链接中的参数" in w.value]


@pytest.mark.parametrize(("path", "nested"), [
    ("/pages/mailbox", True), ("/pages/users.py", True), ("/a/b/c", True), ("/gongzuotai/x", True),
    ("/pages", True), ("/", False), ("/pagesx", False), ("/gongzuotai", False), ("/_stcore/stream", False),
    ("/static/js/index.js", False), ("/component/x/index.html", False), ("/media/abc.png", False),
    ("/app/static/logo.png", False),
])
def test_nested_browser_addresses_go_to_the_login(path, nested):
    from serve import nested_page_path

    assert nested_page_path(path) is nested
