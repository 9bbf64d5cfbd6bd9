"""Writing and reading .xlsx files with Chinese headers."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter


def _cell(value: object) -> object:
    """Turn a value into something openpyxl writes as the user expects."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, list | tuple | set):
        return "、".join(str(v) for v in value)
    return value


def to_xlsx(
    frames: dict[str, pd.DataFrame] | pd.DataFrame,
    *,
    title: str | None = None,
    notes: list[str] | None = None,
    text_columns: tuple[str, ...] = ("联系电话", "电话", "手机"),
) -> bytes:
    """Write one or more DataFrames (sheet name → frame) to .xlsx bytes.

    ``title`` goes in the first row, ``notes`` (e.g. "个人信息已脱敏") below it; headers are the
    frame's (Chinese) column names; phone-like columns are written as text.
    """
    if isinstance(frames, pd.DataFrame):
        frames = {"Sheet1" if not title else title[:31]: frames}
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, df in frames.items():
        ws = wb.create_sheet(sheet[:31] or "Sheet1")
        row = 1
        if title:
            ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=14)
            row += 1
        for note in notes or []:
            ws.cell(row=row, column=1, value=note).font = Font(italic=True, color="666666")
            row += 1
        if title or notes:
            row += 0
        header_row = row
        for j, col in enumerate(df.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font = Font(bold=True)
            c.alignment = Alignment(horizontal="center")
        names = [str(c) for c in df.columns]
        text_cols = {j for j, name in enumerate(names, start=1) if name in text_columns}
        for i, rec in enumerate(df.itertuples(index=False), start=header_row + 1):
            for j, value in enumerate(rec, start=1):
                v = _cell(value)
                if j in text_cols:
                    if v != "":
                        v = str(v)
                    ws.cell(row=i, column=j, value=v).number_format = "@"
                else:
                    ws.cell(row=i, column=j, value=v)
        for j, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(_cell(v))) for v in df.iloc[:200, j - 1]]) if len(df) else len(str(col))
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width * 2 + 2))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(data: bytes, required: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read the first sheet: find the header row holding every ``required`` header.

    Returns (headers, [(excel_row_number, {header: value})]). Raises ValueError in Chinese when
    the file is not an .xlsx or lacks headers.
    """
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file for the user
        raise ValueError("无法读取该文件，请上传 .xlsx 格式的 Excel 文件") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    headers: list[str] | None = None
    header_at = 0
    for n, row in enumerate(rows, start=1):
        names = [str(v).strip().replace("\u3000", "") if v is not None else "" for v in row]
        if all(r in names for r in required):
            headers, header_at = names, n
            break
        if n > 10:
            break
    if headers is None:
        wb.close()
        raise ValueError("未找到表头，模板的表头应为：" + "、".join(required))
    out = []
    for n, row in enumerate(ws.iter_rows(min_row=header_at + 1, values_only=True), start=header_at + 1):
        if row is None or all(v is None or str(v).strip() == "" for v in row):
            continue
        out.append((n, {h: row[i] if i < len(row) else None for i, h in enumerate(headers) if h}))
    wb.close()
    return headers, out
