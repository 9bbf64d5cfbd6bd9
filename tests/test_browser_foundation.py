"""Browser: a freshly started server shows nothing but the login form to every page URL;
staff logs in through the real form and works on 基础数据 in Chinese."""

from __future__ import annotations

import re

import pytest

from services.common import PAGES, URL_PATHS
from tests.browser import login, open_page, shot, wait_login_form, wait_ready

pytestmark = pytest.mark.browser

# words that only appear when data or a page other than the login form is shown
DATA_WORDS = ["张伟", "王芳", "东城办事处", "东城第一代表组", "第1选区", "代表信箱", "退出登录"]


def _urls(base: str) -> list[str]:
    """Every URL a curious visitor might try: page file stems, /pages/<stem>, the pinyin paths."""
    urls = []
    for key in PAGES:
        urls += [f"{base}/{key}", f"{base}/pages/{key}", f"{base}/{URL_PATHS[key]}"]
    return urls


def test_fresh_server_shows_no_data_and_no_form_but_login_to_logged_out_visitors(fresh_server, page):
    """The first requests on a freshly started server go straight to every page URL, logged out."""
    for n, url in enumerate(_urls(fresh_server)):
        page.goto(url, wait_until="load")
        if page.locator("[data-testid='stApp']").count():
            wait_ready(page)
        body = page.locator("body").inner_text()
        for word in DATA_WORDS:
            assert word not in body, (url, word)
        for key, (title, _roles) in PAGES.items():
            assert page.locator("h1", has_text=title).count() == 0, (url, key)
        assert page.locator("[data-testid='stDataFrame']").count() == 0, url
        labels = set(page.locator("[data-testid='stWidgetLabel']").all_inner_texts())
        assert labels <= {"用户名", "密码"}, (url, labels)
        inputs = page.locator("input").count()
        assert inputs <= 2, (url, inputs)  # at most the login form (which may still be appearing)
        if n == 0:
            shot(page, "fresh_first_request")


def test_staff_logs_in_and_sees_masterdata_in_chinese(server, page):
    page.goto(server + "/")
    wait_login_form(page)  # shown once the cookie component answered
    assert page.locator("input[type=password]").count() == 1
    assert page.locator("[data-testid='stWidgetLabel']").all_inner_texts() == ["用户名", "密码"]
    shot(page, "login_form")
    login(page, server, "staff")
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "基础数据" in sidebar and "王工作" in sidebar
    for hidden in ("用户管理", "操作日志", "抽查督导", "热点问题"):
        assert hidden not in sidebar
    open_page(page, "masterdata")
    page.get_by_text("搜索（姓名、拼音首字母或电话）").wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    # the export button is the list's last element: once it is drawn, the list is complete
    page.get_by_role("button", name="导出 Excel").first.wait_for()
    page.get_by_text("保存代表").first.wait_for()
    wait_ready(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    for label in ("代表", "代表组", "选区", "办事处", "届次", "代表信箱", "导入导出", "代表组", "状态",
                  "新增代表", "导出 Excel"):
        assert label in text, label
    assert re.search(r"共 \d+ 人", text)
    assert "西城" not in text  # the staff account sees only 东城办事处
    shot(page, "masterdata_staff")
    form = page.locator("[data-testid='stExpander']", has_text="新增代表").first
    form.scroll_into_view_if_needed()
    for label in ("姓名", "性别", "出生年份", "联系电话", "党派", "工作单位及职务", "代表组", "选区", "保存代表"):
        assert label in form.inner_text(), label
    shot(page, "masterdata_new_deputy", "[data-testid='stExpander']")
    page.get_by_role("tab", name="导入导出").click()
    page.get_by_text("下载代表导入模板").wait_for()
    shot(page, "masterdata_import", "[data-testid='stMain']")


def test_staff_imports_deputies_all_or_nothing_with_row_errors(fresh_server, page, tmp_path):
    """Upload a file with one bad row: nothing is imported and the row is named; fix it: all rows go in."""
    from tests.test_import_deputies import xlsx

    rows = [["钱多多", "女", 1980, "民盟", "区医院主任医师", "13700000001", "东城第一代表组", "第1选区"],
            ["孙小明", "男", 1975, "", "", "1370000", "东城第一代表组", "第4选区"]]
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(xlsx(rows))
    rows[1][5] = "13700000002"
    good.write_bytes(xlsx(rows))
    login(page, fresh_server, "staff")
    open_page(page, "masterdata")
    page.get_by_role("tab", name="导入导出").click()
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']").first
    uploader.set_input_files(str(bad))
    page.get_by_role("button", name="开始导入代表").click()
    page.get_by_text("其中 1 行有问题，未导入任何数据").wait_for()
    page.locator("[data-testid='stDataFrame']:visible").first.wait_for()
    wait_ready(page)
    shot(page, "import_errors", "[data-testid='stTabs']")
    uploader.set_input_files(str(good))
    # the upload reruns the page: wait until the uploader lists the new file and the run is over,
    # else the click could land on the button of the run that still holds bad.xlsx
    page.locator("[data-testid='stFileUploader']", has_text="good.xlsx").first.wait_for()
    wait_ready(page)
    page.get_by_role("button", name="开始导入代表").click()
    page.get_by_text("导入成功：共 2 行，新增 2 人").wait_for()
    page.get_by_role("tab", name="代表", exact=True).click()
    page.get_by_text("共 12 人").wait_for()


def test_dashboard_lines_wrap_on_a_phone(server, page):
    """At 390 px (a phone) every figure and to-do line of 工作台 wraps inside its box: none is
    cut at the right edge with an ellipsis (a cut 期限 or figure name cannot be read)."""
    login(page, server, "staff")
    page.set_viewport_size({"width": 390, "height": 900})
    wait_ready(page)
    links = page.locator("[data-testid='stMain'] [data-testid='stPageLink'] a")
    links.first.wait_for()
    cut = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stPageLink'] a span")]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert links.count() > 5 and cut == [], cut
    shot(page, "dashboard_390_staff")
