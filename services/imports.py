"""Imports are idempotent (issue 12): the same file content is imported once per area, and rows
matching a record already stored by its natural key are reported as duplicates, not added.

``claim_file`` stores the SHA-256 of the file's bytes in ``import_files`` (unique per area) in the
import's own transaction: a second import of the same content — a second click after 导入成功, the
same file uploaded again tomorrow, or two people at once — is refused saying when and by whom the
first was imported. The natural keys (activity: date + district + deputies + summary; proposal:
term session + title + lead; deputy: name + phone) are decided where each import builds its rows.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from services import clock
from services.common import Actor, ServiceError

AREAS = {"activities": "联系活动台账", "proposals": "议案建议", "deputies": "代表名册", "groups": "代表组"}


def digest(data: bytes) -> str:
    """The SHA-256 of a file's content (hex)."""
    return hashlib.sha256(data).hexdigest()


def previous(session: Session, area: str, data: bytes) -> models.ImportFile | None:
    """The earlier import of the same content in ``area``, if any."""
    F = models.ImportFile
    return session.execute(select(F).where(F.area == area, F.sha256 == digest(data))).scalars().first()


def refuse_repeat(session: Session, area: str, data: bytes) -> None:
    """Raise ServiceError when this content was imported before (who, when, how many rows)."""
    done = previous(session, area, data)
    if done is not None:
        name = session.execute(select(models.User.display_name).where(models.User.username == done.username)).scalar()
        who = f"{name}（{done.username}）" if name and name != done.username else done.username
        shown = f"“{done.filename}”" if done.filename else "该文件"
        raise ServiceError(f"相同内容的文件{shown}已于 {done.at:%Y-%m-%d %H:%M} 由 {who} 导入（{done.rows} 行），"
                           "未重复导入。如需补充，请只填写新的行后再导入。")


def claim_file(session: Session, actor: Actor, area: str, data: bytes, filename: str, rows: int) -> None:
    """Record the import of this content (same transaction as the rows it adds); a concurrent
    import of the same content fails on the unique key and is retried, then refused."""
    refuse_repeat(session, area, data)
    session.add(models.ImportFile(area=area, sha256=digest(data), filename=(filename or "")[:255],
                                  username=actor.username, at=clock.now(), rows=rows))
    session.flush()


def import_once(session: Session, actor: Actor, area: str, data: bytes, filename: str,
                run: Callable[[], Any]) -> Any:
    """Run an import of the file ``data`` once per content (the page's upload and ``manage.py
    import`` alike): refused, naming who imported it and when, when the same content was imported
    before; ``run()`` imports the rows and returns a report with ``ok`` and ``total``; a clean
    import records the file's hash in the same transaction."""
    refuse_repeat(session, area, data)
    out = run()
    if out.ok:
        claim_file(session, actor, area, data, filename, out.total)
    return out


def duplicate_note(dups: list[str], unit: str = "行") -> str:
    """The sentence naming the rows skipped as duplicates ("" when none)."""
    if not dups:
        return ""
    shown = "、".join(dups[:20]) + ("等" if len(dups) > 20 else "")
    return f"{len(dups)} {unit}与已有记录重复，未重复添加：{shown}。"


def with_dropdowns(xlsx: bytes, sheet: str, lists: dict[str, list[str]], *, several: tuple[str, ...] = ()) -> bytes:
    """An import template with data-validation drop-downs: the columns of ``sheet`` named in
    ``lists`` (rows below the header, 2,000 of them) offer the current master data, the choices kept
    on a hidden sheet 选项 (a list may be longer than Excel's 255 characters). A value outside the
    list is refused as it is typed, except in the columns of ``several`` (several values joined
    by 、), whose list only suggests."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from services.excel import set_cell

    wb = load_workbook(io.BytesIO(xlsx))
    ws = wb[sheet]
    header_row = next(r for r in range(1, 11) if any(ws.cell(r, c).value in lists for c in range(1, ws.max_column + 1)))
    opts = wb.create_sheet("选项")
    opts.sheet_state = "hidden"
    for j, (name, values) in enumerate(lists.items(), start=1):
        set_cell(opts, 1, j, name)
        for i, v in enumerate(values, start=2):
            set_cell(opts, i, j, v, text=True)  # the one writer's rules: never a formula, no control characters
        col = next(c for c in range(1, ws.max_column + 1) if ws.cell(header_row, c).value == name)
        letter = get_column_letter(j)
        strict = name not in several
        dv = DataValidation(type="list", formula1=f"={quote_sheetname('选项')}!${letter}$2:${letter}${max(2, len(values) + 1)}",
                            allow_blank=True, showErrorMessage=strict, errorTitle="请从下拉列表中选择",
                            error=f"“{name}”请从下拉列表中选择。", showInputMessage=not strict,
                            promptTitle=name[:32], prompt="可从下拉列表选择；多个用顿号（、）分隔。")
        dv.add(f"{get_column_letter(col)}{header_row + 1}:{get_column_letter(col)}{header_row + 2000}")
        ws.add_data_validation(dv)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
