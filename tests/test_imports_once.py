"""Imports are idempotent (issue 12): the same file twice is refused saying when and by whom;
rows matching a stored record by its natural key are reported, not added; the page's uploader is
emptied after 导入成功."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import activities as svc
from services import intents
from services.common import ServiceError
from tests.conftest import app_as


@pytest.fixture(autouse=True)
def _late_in_2026(travel) -> None:  # noqa: ANN001
    """The records here are dated in 2026 (up to November): the clock stands after them, whatever
    day the suite runs on (TEST_TODAY=2026-01-05 refused them as future dates)."""
    travel("2026-11-30")


def _count(url: str) -> int:
    with session_scope(url=url) as s:
        return s.execute(select(func.count()).select_from(models.Activity)).scalar_one()


def _with_extra_row(template: bytes) -> bytes:
    """The template with its example row and a second, different row."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb.active
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "活动日期")
    for col in range(1, 15):
        ws.cell(header + 2, col, ws.cell(header + 1, col).value)
    ws.cell(header + 2, 10, "另一次活动：听取对垃圾分类的意见")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_same_file_twice_is_refused_and_known_rows_are_not_added(world) -> None:
    with session_scope(url=world.url) as s:
        template = svc.import_template(s)
    assert intents.submit("staff", lambda s: svc.import_xlsx(s, world.staff(), template, filename="台账.xlsx"),
                          url=world.url) == 1
    # the same content again (a second click, or the same file tomorrow): refused, nothing added
    with pytest.raises(ServiceError) as exc:
        intents.submit("admin", lambda s: svc.import_xlsx(s, world.admin(), template, filename="副本.xlsx"),
                       url=world.url)
    msg = str(exc.value)
    assert "“台账.xlsx”" in msg and "王工作（staff）" in msg and "未重复导入" in msg
    assert _count(world.url) == 1
    # a new file holding the same row plus a new one: the known row is reported, the new one added
    dups: list[str] = []
    both = _with_extra_row(template)
    added = intents.submit("staff", lambda s: svc.import_xlsx(s, world.staff(), both, duplicates=dups),
                           url=world.url)
    assert added == 1 and len(dups) == 1 and dups[0].startswith("第")
    assert _count(world.url) == 2


def test_import_page_clears_the_uploader_and_refuses_the_same_file(app_world) -> None:
    with session_scope() as s:
        template = svc.import_template(s)
    at = app_as("staff", "activities")
    at.file_uploader(key="act_upload").set_value(("台账.xlsx", template, "application/octet-stream")).run()
    at.button(key="act_import_go").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["导入成功：新增 1 次活动。"]
    assert not [u for u in at.get("file_uploader") if u.key == "act_upload"]  # a new, empty uploader
    assert not [b for b in at.button if b.key == "act_import_go"]  # nothing to import again
    at.file_uploader(key="act_upload1").set_value(("台账.xlsx", template, "application/octet-stream")).run()
    at.button(key="act_import_go").click().run()
    assert any("未重复导入" in e.value for e in at.error)
    assert _count(app_world.url) == 1
