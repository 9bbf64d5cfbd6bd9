"""Issue 17: the activities and proposals import templates carry every column the importer reads and
offer the current master data as drop-downs (one helper, services.imports.with_dropdowns, shared with
the deputy template); a template filled from its own drop-downs imports."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import activities, clock, proposals


def _dropdowns(data: bytes, sheet: str) -> tuple[object, int, dict[str, tuple[list[str], bool]]]:
    """(the sheet, its header row, {header: (choices, refused when outside)}) of a template."""
    wb = load_workbook(io.BytesIO(data))
    ws, opts = wb[sheet], wb["选项"]
    assert opts.sheet_state == "hidden"
    header_row = next(r for r in range(1, 11) if ws.cell(r, 1).value in ("活动日期", "类型"))
    headers = {ws.cell(header_row, c).column_letter: ws.cell(header_row, c).value for c in range(1, ws.max_column + 1)}
    out = {}
    for dv in ws.data_validations.dataValidation:
        m = re.fullmatch(r"=?'?选项'?!\$([A-Z]+)\$2:\$[A-Z]+\$(\d+)", dv.formula1)
        assert dv.type == "list" and m, dv.formula1
        col, last = m.group(1), int(m.group(2))
        choices = [opts[f"{col}{r}"].value for r in range(2, last + 1) if opts[f"{col}{r}"].value is not None]
        ranges = str(dv.sqref).split()
        assert len(ranges) == 1
        first, last_cell = ranges[0].split(":")
        letter = re.match(r"[A-Z]+", first).group(0)
        assert int(first[len(letter):]) == header_row + 1 and int(last_cell[len(letter):]) >= header_row + 1000
        assert opts[f"{col}1"].value == headers[letter]  # the list belongs to its column
        out[headers[letter]] = (choices, bool(dv.showErrorMessage))
    return ws, header_row, out


def _fill(ws, header_row: int, values: dict) -> bytes:  # noqa: ANN001
    """Replace the example row with ``values`` (by header) and return the workbook."""
    cols = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
    for c in cols.values():
        ws.cell(header_row + 1, c, None)
    for k, v in values.items():
        ws.cell(header_row + 1, cols[k], v)
    buf = io.BytesIO()
    ws.parent.save(buf)
    return buf.getvalue()


def test_activities_template_offers_master_data_and_imports_when_filled(world) -> None:
    with session_scope("staff", url=world.url) as s:
        template = activities.import_template(s, world.staff())
        modes, targets = activities.modes(s), activities.target_groups(s)
    ws, header_row, dd = _dropdowns(template, "活动台账")
    headers = [ws.cell(header_row, c).value for c in range(1, ws.max_column + 1)]
    assert headers == activities.IMPORT_HEADERS  # every column the importer reads
    assert dd["选区"] == (["第1选区", "第4选区", "第2选区"], True)  # the staff's office only, by group
    assert dd["组织方式"] == (list(activities.ORGANISERS), True)
    assert dd["活动类型"] == (list(activities.KINDS), True)
    assert dd["活动形式"] == (modes, True)
    assert dd["联系对象"] == (targets, False)  # several joined by 、: suggested, not refused
    assert "孙强" not in dd["参加代表"][0] and "张伟" in dd["参加代表"][0] and not dd["参加代表"][1]
    for col in ("签到表", "照片", "其他附件", "典型事例"):
        assert dd[col] == (["是", "否"], True)
    day = clock.today()
    filled = _fill(ws, header_row, {
        "活动日期": day.isoformat(), "地点": "社区活动室", "选区": dd["选区"][0][1], "组织方式": dd["组织方式"][0][0],
        "活动类型": dd["活动类型"][0][0], "联系对象": dd["联系对象"][0][0], "活动形式": dd["活动形式"][0][0],
        "参加代表": "王芳", "联系选民人数": 12, "活动内容": "听取对停车难的意见", "签到表": "是", "照片": "否",
        "其他附件": "否", "典型事例": "否"})
    with session_scope("staff", url=world.url) as s:
        assert activities.import_xlsx(s, world.staff(), filled) == 1
    with session_scope(url=world.url) as s:
        a = s.execute(select(models.Activity)).scalar_one()
        assert (a.held_on, a.voters_reached, a.has_signin, a.has_photos) == (day, 12, True, False)


def test_proposals_template_offers_master_data_and_imports_when_filled(world) -> None:
    with session_scope("staff", url=world.url) as s:
        template = proposals.import_template(s, world.staff())
    ws, header_row, dd = _dropdowns(template, "议案建议")
    headers = [ws.cell(header_row, c).value for c in range(1, ws.max_column + 1)]
    assert headers == proposals.IMPORT_HEADERS
    assert dd["类型"] == (list(proposals.KINDS), True)
    assert dd["办理状态"] == (list(proposals.STATUSES), True)
    assert dd["结果分类"] == (list(proposals.OUTCOMES), True)
    assert dd["代表评价"] == (list(proposals.VIEWS), True)
    assert dd["涉及法治"] == (["是", "否"], True)
    assert "区住建局" in dd["承办单位"][0] and dd["承办单位"][1]
    leads, strict = dd["领衔代表"]
    assert strict and "张伟" in leads and "孙强" not in leads  # the staff's office only
    assert dd["附议代表"] == (leads, False)
    filled = _fill(ws, header_row, {
        "类型": "建议", "标题": "关于增设公交站点的建议", "领衔代表": "张伟", "附议代表": "王芳、李娜",
        "提出日期": date(clock.today().year, 1, 2).isoformat(), "承办单位": "区交通局", "办理状态": "已交办",
        "涉及法治": "否"})
    with session_scope("staff", url=world.url) as s:
        assert proposals.import_xlsx(s, world.staff(), filled) == 1
    with session_scope(url=world.url) as s:
        p = s.execute(select(models.Proposal)).scalar_one()
        assert (p.title, p.status, p.handling_body) == ("关于增设公交站点的建议", "已交办", "区交通局")
        assert s.execute(select(func.count()).select_from(models.ProposalSigner)
                         .where(models.ProposalSigner.is_lead.is_(False))).scalar_one() == 2
