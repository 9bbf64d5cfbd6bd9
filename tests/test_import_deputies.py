"""Importing and exporting deputies and groups (.xlsx) on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import deputy_io
from services.common import PermissionDenied, ValidationError


def xlsx(rows: list[list], headers: list[str] | None = None, title: str | None = None) -> bytes:
    """Build an .xlsx file: optional title row, the headers, then ``rows`` as given (numbers stay numbers)."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers or deputy_io.DEPUTY_COLUMNS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    ["钱多多", "女", 1980, "民盟", "区医院主任医师", "13700000001", "东城第一代表组", "第1选区"],
    ["孙小明", "男", "1975", "中共党员", "某街道社区书记", "13700000002", "东城第一代表组", "第4选区"],
    ["李晓", "女", None, None, None, None, "东城第二代表组", None],
]


def count(url: str) -> int:
    """Number of deputies in the database."""
    with session_scope(url=url) as s:
        return s.query(models.Deputy).count()


def test_good_file_imports_every_row(world):
    ticks = []
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx(GOOD), progress=lambda d, t: ticks.append((d, t)))
    assert rep.ok and rep.written and (rep.created, rep.updated, rep.unchanged) == (3, 0, 0)
    assert "新增 3 人" in rep.summary()
    assert ticks[-1] == (6, 6)
    with session_scope(url=world.url) as s:
        d = s.query(models.Deputy).filter_by(name="钱多多").one()
        assert (d.birth_year, d.phone, d.status, d.pinyin, d.term_id) == (1980, "13700000001", "在任", "qdd", world.term)
        assert s.get(models.District, d.district_id).name == "第1选区"
    assert count(world.url) == 15


def test_one_bad_row_imports_none_and_names_the_row(world):
    rows = [*GOOD[:2], ["周某", "男", 1970, "", "", "1370000000", "东城第一代表组", "第1选区"], GOOD[2]]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx(rows, title="代表名单"))
    assert not rep.ok and not rep.written
    assert rep.errors == [{"行号": 5, "姓名": "周某", "问题": "联系电话应为11位手机号码"}]
    assert "未导入任何数据" in rep.summary()
    assert count(world.url) == 12


def test_every_kind_of_bad_row_is_reported(world):
    rows = [
        [None, "男", 1970, "", "", "13700000011", "东城第一代表组", "第1选区"],  # row 2
        ["甲", "男", 1970, "", "", "13700000012", "不存在的组", ""],  # row 3
        ["乙", "男", 1970, "", "", "13700000013", "东城第一代表组", "第3选区"],  # row 4
        ["丙", "男", 1970, "", "", "13700000014", "东城第一代表组", "第9选区"],  # row 5
        ["丁", "男", 1970, "", "", "13700000015", "", ""],  # row 6
        ["戊", "未知", 1800, "", "", "13700000016", "东城第一代表组", ""],  # row 7
        ["己", "女", 1990, "", "", "13700000017", "东城第一代表组", ""],  # row 8
        ["己", "女", 1990, "", "", "13700000017", "东城第二代表组", ""],  # row 9: duplicate of 8
    ]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx(rows))
    by_row = {e["行号"]: e["问题"] for e in rep.errors}
    assert set(by_row) == {2, 3, 4, 5, 6, 7, 9}
    assert "请填写姓名" in by_row[2]
    assert "代表组“不存在的组”不存在" in by_row[3]
    assert "不属于代表组" in by_row[4]
    assert "选区“第9选区”不存在" in by_row[5]
    assert "代表组为空" in by_row[6]
    assert "性别" in by_row[7] and "出生年份" in by_row[7]
    assert "与第8行重复" in by_row[9]
    assert count(world.url) == 12


def test_messy_cells_are_cleaned(world):
    rows = [
        ["　张　三　", " 男性 ", 1981.0, " 民进 ", "区实验小学（分校）校长 ", 13700000021.0, " 东城第一代表组\u3000", "第１选区"],
        ["王五", "女", "１９８２", "", "", "１３７ ０００ ０００２２", "东城第二代表组", " 第2选区 "],
    ]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx(rows))
    assert rep.ok, rep.errors
    with session_scope(url=world.url) as s:
        a = s.query(models.Deputy).filter_by(name="张三").one()
        assert (a.gender, a.birth_year, a.party, a.unit_title, a.phone) == ("男", 1981, "民进", "区实验小学（分校）校长", "13700000021")
        b = s.query(models.Deputy).filter_by(name="王五").one()
        assert (b.birth_year, b.phone) == (1982, "13700000022")


def test_export_imports_back_unchanged(world):
    with session_scope("admin", url=world.url) as s:
        data = deputy_io.export_deputies(s, world.admin())
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in ws[1]] == [*deputy_io.DEPUTY_COLUMNS, deputy_io.LEADER_COLUMN]
    assert ws.max_row == 13
    with session_scope(url=world.url) as s:
        before = {d.id: (d.version, d.phone, d.unit_title) for d in s.query(models.Deputy)}
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), data)
    assert rep.ok and (rep.created, rep.updated, rep.unchanged) == (0, 0, 12)
    with session_scope(url=world.url) as s:
        assert {d.id: (d.version, d.phone, d.unit_title) for d in s.query(models.Deputy)} == before


def test_reimport_with_a_change_updates_that_deputy(world):
    with session_scope("admin", url=world.url) as s:
        data = deputy_io.export_deputies(s, world.admin())
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws.cell(row=2, column=5, value="新单位主任")
    changed_name = ws.cell(row=2, column=1).value
    buf = io.BytesIO()
    wb.save(buf)
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), buf.getvalue())
    assert (rep.created, rep.updated, rep.unchanged) == (0, 1, 11)
    with session_scope(url=world.url) as s:
        d = s.query(models.Deputy).filter_by(name=changed_name).one()
        assert d.unit_title == "新单位主任" and d.version == 2


def test_staff_imports_only_into_their_office(world):
    rows = [GOOD[0], ["赵六", "男", 1970, "", "", "13700000031", "西城代表组", "第3选区"]]
    with session_scope("staff", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.staff(), xlsx(rows))
        assert rep.errors == [{"行号": 3, "姓名": "赵六", "问题": "代表组“西城代表组”不在您负责的范围内"}]
        exported = deputy_io.export_deputies(s, world.staff())
    assert load_workbook(io.BytesIO(exported)).worksheets[0].max_row == 11
    with session_scope("leader", url=world.url) as s, pytest.raises(PermissionDenied):
        deputy_io.import_deputies(s, world.leader(), xlsx(GOOD))


def test_not_an_xlsx_or_wrong_headers(world):
    with session_scope("admin", url=world.url) as s:
        with pytest.raises(ValidationError) as exc:
            deputy_io.import_deputies(s, world.admin(), b"not a spreadsheet")
        assert ".xlsx" in exc.value.errors["file"]
        with pytest.raises(ValidationError) as exc:
            deputy_io.import_deputies(s, world.admin(), xlsx([["x"]], headers=["名字", "电话"]))
        assert "表头" in exc.value.errors["file"]


def test_template_has_the_exact_headers_and_extra_columns_are_ignored(world):
    with session_scope("admin", url=world.url) as s:
        tpl = deputy_io.deputy_template(s, world.admin())
    wb = load_workbook(io.BytesIO(tpl))
    assert [c.value for c in wb.worksheets[0][1]] == [*deputy_io.DEPUTY_COLUMNS, deputy_io.LEADER_COLUMN]
    assert wb.sheetnames == ["代表名单", "填写说明", "代表组与选区", "选项"]  # 选项: the hidden drop-down lists
    data = xlsx([[*GOOD[0], "备注随便写"]], headers=[*deputy_io.DEPUTY_COLUMNS, "备注"])
    with session_scope("admin", url=world.url) as s:
        assert deputy_io.import_deputies(s, world.admin(), data).created == 1


def test_groups_import_export(world):
    rows = [["南城代表组", "西城办事处", "钱联络", 13700000041], ["东城第一代表组", "东城办事处", "新联络员", "13700000042"]]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_groups(s, world.admin(), xlsx(rows, headers=deputy_io.GROUP_COLUMNS))
        assert rep.ok and (rep.created, rep.updated) == (1, 1)
    with session_scope("admin", url=world.url) as s:
        g = s.query(models.DeputyGroup).filter_by(name="东城第一代表组").one()
        assert (g.liaison_name, g.liaison_phone) == ("新联络员", "13700000042")
        data = deputy_io.export_groups(s, world.admin())
        rep = deputy_io.import_groups(s, world.admin(), data)
        assert (rep.created, rep.updated, rep.unchanged) == (0, 0, 4)
        bad = [["北城代表组", "不存在办事处", "", ""], ["北城代表组", "东城办事处", "", "12"]]
        rep = deputy_io.import_groups(s, world.admin(), xlsx(bad, headers=deputy_io.GROUP_COLUMNS))
        assert [e["行号"] for e in rep.errors] == [2, 3]
        assert "不存在" in rep.errors[0]["问题"] and "重复" in rep.errors[1]["问题"]
        assert s.query(models.DeputyGroup).count() == 4


def test_imported_deputies_get_their_period_and_a_changed_group_is_a_correction(world):
    """Periods come from the ORM listener: a new deputy serves from the term's first day in the
    imported group; a re-import that changes a deputy's group corrects the record (no move)."""
    with session_scope("admin", url=world.url) as s:
        assert deputy_io.import_deputies(s, world.admin(), xlsx(GOOD)).created == 3
        term = s.get(models.Term, world.term)
        d = s.query(models.Deputy).filter_by(name="钱多多").one()
        periods = [(p.group_id, p.start_on, p.end_on) for p in d.periods]
        assert periods == [(world.groups[0], date(term.start_year, 1, 1), None)]
        qian = d.id
    moved = [["钱多多", "女", 1980, "民盟", "区医院主任医师", "13700000001", "东城第二代表组", "第2选区"]]
    with session_scope("admin", url=world.url) as s:
        assert deputy_io.import_deputies(s, world.admin(), xlsx(moved)).updated == 1
    with session_scope(url=world.url) as s:
        d = s.get(models.Deputy, qian)
        assert [(p.group_id, p.district_id, p.end_on) for p in d.periods] == [(world.groups[1], world.districts[1], None)]


def test_template_has_dropdowns_from_the_master_data_and_reads_the_leader_column(world):
    """性别, 党派, 代表组, 选区 and 担任领导职务 are drop-downs of the current master data; the importer
    reads 担任领导职务 (是/否, anything else refused with its row); a file without the column keeps
    the flag as it was."""
    with session_scope("admin", url=world.url) as s:
        tpl = deputy_io.deputy_template(s, world.admin())
        groups = sorted(s.execute(select(models.DeputyGroup.name)).scalars())
    wb = load_workbook(io.BytesIO(tpl))
    ws, opts = wb["代表名单"], wb["选项"]
    assert opts.sheet_state == "hidden"
    lists = {opts.cell(1, c).value: [opts.cell(r, c).value for r in range(2, opts.max_row + 1) if opts.cell(r, c).value]
             for c in range(1, opts.max_column + 1)}
    assert lists["性别"] == ["男", "女"] and "九三学社" in lists["党派"] and lists["担任领导职务"] == ["是", "否"]
    assert lists["代表组"] == groups and lists["选区"]
    head = [c.value for c in ws[1]]
    covered = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    from openpyxl.utils import get_column_letter
    for name in ("性别", "党派", "代表组", "选区", "担任领导职务"):
        assert get_column_letter(head.index(name) + 1) in covered, name
    good = [*GOOD[0], "是"]
    bad = [*GOOD[1], "领导"]
    headers = [*deputy_io.DEPUTY_COLUMNS, deputy_io.LEADER_COLUMN]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx([good, bad], headers=headers))
    assert not rep.written and rep.errors == [{"行号": 3, "姓名": GOOD[1][0], "问题": "担任领导职务应填“是”或“否”"}]
    with session_scope("admin", url=world.url) as s:
        assert deputy_io.import_deputies(s, world.admin(), xlsx([good], headers=headers)).created == 1
    with session_scope("admin", url=world.url) as s:  # the old template: the flag stays
        deputy_io.import_deputies(s, world.admin(), xlsx([GOOD[0]]))
        d = s.execute(select(models.Deputy).where(models.Deputy.name == GOOD[0][0])).scalars().one()
        assert d.is_office_leader is True
