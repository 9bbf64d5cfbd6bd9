"""The one writer of .xlsx files (every export calls it), and the reader of imports.

Every cell goes through ``_convert``: text that a spreadsheet would run as a formula (starting with
= + - @, also after tabs, line breaks or spaces) is written as text with Excel's quote prefix, never
as a formula; control characters other than tab and newline (a vertical tab from Word's
Shift+Enter, NUL, …), bidi overrides and lone surrogates are removed (a vertical tab becomes a line
break); dates and times are date cells (2026-03-05 / 2026-03-05 14:30); yes/no as 是/否.

Every sheet: title and notes above a bold header that stays frozen, an autofilter over the table,
column widths from the content (a Chinese character counts double), A4 landscape fitted to the
page width with the header repeated on every printed page. Past ``STREAM_ROWS`` rows the workbook is
written in openpyxl's write-only (streaming) mode, which keeps memory flat.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from services.validation import printable_text

STREAM_ROWS = 20_000  # more rows than this (all sheets): write-only mode
FORMULA_START = ("=", "+", "-", "@")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


class Strong(str):
    """Text written bold (a label such as 合计 in the rows below a table)."""


_BOX = Border(left=Side(style="thin"), right=Side(style="thin"), top=Side(style="thin"), bottom=Side(style="thin"))


def clean_cell_text(text: str) -> str:
    """Text as a cell may hold it: line breaks unified to newline, other control characters gone."""
    return printable_text(text)


def formula_like(text: str) -> bool:
    """True when a spreadsheet would take ``text`` for a formula (= + - @, maybe after blanks)."""
    return text.lstrip(" \t\r\n\u3000").startswith(FORMULA_START)


def _convert(value: object) -> tuple[object, str | None]:
    """(value to store, number format) for one value of a frame."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("是" if value else "否"), None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None, None
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0), DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, list | tuple | set | frozenset):
        return clean_cell_text("、".join(str(v) for v in value)), None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return (None, None) if math.isnan(value) or math.isinf(value) else (value, None)
    if isinstance(value, int | Decimal):
        return value, None
    try:
        if pd.isna(value):
            return None, None
    except (TypeError, ValueError):
        pass
    return clean_cell_text(str(value)), None


def _text_width(value: object) -> int:
    """Display width of a value's longest line (a CJK character counts 2)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    lines = str(value).split("\n")
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


def _style(cell, value: object, fmt: str | None, as_text: bool) -> None:  # noqa: ANN001
    """Apply the safety and format rules to a cell that already holds ``value``."""
    if isinstance(value, str):
        if as_text or formula_like(value) or cell.data_type == "f":
            cell.data_type = "s"  # never a formula
            if formula_like(value):
                cell.quotePrefix = True  # Excel keeps it text even after editing the cell
        if as_text:
            cell.number_format = "@"
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    elif fmt:
        cell.number_format = fmt


def set_cell(ws, row: int, column: int, value: object, *, text: bool = False):  # noqa: ANN001, ANN201
    """Write one value into a normal worksheet safely (for laid-out documents such as 季度汇总)."""
    v, fmt = _convert(value)
    if text and v is not None and not isinstance(v, str):
        v = str(v)
    cell = ws.cell(row=row, column=column)
    cell.value = v
    _style(cell, v, fmt, text)
    return cell


def _write_only_cell(ws, value: object, text: bool, font: Font | None = None):  # noqa: ANN001, ANN201
    """The same rules for a cell of a write-only worksheet."""
    v, fmt = _convert(value)
    if text and v is not None and not isinstance(v, str):
        v = str(v)
    cell = WriteOnlyCell(ws, value=v)
    _style(cell, v, fmt, text)
    if font is not None:
        cell.font = font
    return cell


def page_layout(ws, header_row: int, columns: int, last_row: int, widths: list[int] | None = None) -> None:  # noqa: ANN001
    """A4 landscape fitted to the width, header repeated when printed, frozen, autofiltered."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = f"A{header_row + 1}"
    if columns:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{max(header_row, last_row)}"
    for j, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(8, width + 2))


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = _SHEET_BAD.sub("_", clean_cell_text(str(name))).strip("'")[:31] or "Sheet1"
    out, n = base, 2
    while out.lower() in used:
        suffix = f"({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.lower())
    return out


def to_xlsx(
    frames: dict[str, pd.DataFrame] | pd.DataFrame,
    *,
    title: str | None = None,
    notes: list[str] | None = None,
    text_columns: tuple[str, ...] = ("联系电话", "电话", "手机", "联络员电话", "身份证号"),
    total: int | None = None,
    unit: str = "条",
    stream: bool | None = None,
    footer: list[list[object]] | None = None,
    widths: list[int] | None = None,
    wrap_columns: tuple[str, ...] = (),
    boxed: bool = False,
) -> bytes:
    """Write one or more DataFrames (sheet name → frame) to .xlsx bytes.

    ``title`` goes in the first row, ``notes`` (e.g. "个人信息已脱敏") below it; headers are the
    frame's (Chinese) column names; ``text_columns`` are written as text (a phone keeps its
    leading 0). ``total``: how many rows the list had when the frame was cut at an export limit;
    the file then says how many it holds. ``stream`` forces (or forbids) write-only mode.

    A form-shaped sheet (季度汇总) adds ``footer``: rows written one blank row below the table
    (``Strong`` values bold); ``widths`` fixes the column widths, ``wrap_columns`` wraps long text,
    ``boxed`` draws the table's grid lines for printing.
    """
    if isinstance(frames, pd.DataFrame):
        frames = {title or "Sheet1": frames}
    rows_all = sum(len(df) for df in frames.values())
    stream = rows_all > STREAM_ROWS if stream is None else stream
    wb = Workbook(write_only=stream)
    if not stream:
        wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for sheet, df in frames.items():
        ws = wb.create_sheet(_sheet_name(sheet, used))
        names = [clean_cell_text(str(c)) for c in df.columns]
        sheet_notes = list(notes or [])
        if total is not None and total > len(df):
            sheet_notes.append(f"共 {total} {unit}，超过单个文件的导出上限，本文件只含前 {len(df)} {unit}。")
        top = [(title, Font(bold=True, size=14))] if title else []
        top += [(n, Font(italic=True, color="666666")) for n in sheet_notes]
        header_row = len(top) + 1
        text_cols = [name in text_columns for name in names]
        if widths is None:
            sheet_widths = [_text_width(n) for n in names]
            sample = df.head(500)
            for j in range(len(names)):
                for v in sample.iloc[:, j]:
                    sheet_widths[j] = max(sheet_widths[j], _text_width(_convert(v)[0]))
        else:
            sheet_widths = widths
        last_row = header_row + len(df)
        below = [[], *footer] if footer else []
        if stream:
            page_layout(ws, header_row, len(names), last_row, sheet_widths)
            for text, font in top:
                ws.append([_write_only_cell(ws, text, False, font)])
            ws.append([_write_only_cell(ws, n, True, bold) for n in names])
            for rec in df.itertuples(index=False, name=None):
                ws.append([_write_only_cell(ws, v, text_cols[j]) for j, v in enumerate(rec)])
            for rec in below:
                ws.append([_write_only_cell(ws, v, False, bold if isinstance(v, Strong) else None) for v in rec])
            continue
        for i, (text, font) in enumerate(top, start=1):
            set_cell(ws, i, 1, text).font = font
        wrap = [name in wrap_columns for name in names]
        for j, name in enumerate(names, start=1):
            c = set_cell(ws, header_row, j, name, text=True)
            c.font = bold
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if boxed:
                c.border = _BOX
        for i, rec in enumerate(df.itertuples(index=False, name=None), start=header_row + 1):
            for j, v in enumerate(rec, start=1):
                c = set_cell(ws, i, j, v, text=text_cols[j - 1])
                if wrap[j - 1]:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
                if boxed:
                    c.border = _BOX
        for i, rec in enumerate(below, start=last_row + 1):
            for j, v in enumerate(rec, start=1):
                c = set_cell(ws, i, j, v)
                if isinstance(v, Strong):
                    c.font = bold
        page_layout(ws, header_row, len(names), last_row, sheet_widths)
    return save(wb)


def save(wb: Workbook) -> bytes:
    """The workbook as bytes."""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(data: bytes, required: list[str], max_rows: int | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read the first sheet: find the header row holding every ``required`` header.

    Returns (headers, [(excel_row_number, {header: value})]). Raises ValueError in Chinese when
    the file is not an .xlsx, lacks headers, or holds more than ``max_rows`` data rows (the
    setting import_max_rows; reading stops there).
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
        if max_rows is not None and len(out) >= max_rows:
            size = ws.max_row - header_at if ws.max_row else None
            wb.close()
            about = f"文件约有 {size} 行数据，" if size and size > max_rows else "文件的数据行"
            raise ValueError(f"{about}超过一次导入的上限 {max_rows} 行（系统设置 → 安全 → 一次导入的最多行数），"
                             "未导入任何数据。请把文件分成几个，每个不超过上限后再导入。")
        out.append((n, {h: row[i] if i < len(row) else None for i, h in enumerate(headers) if h}))
    wb.close()
    return headers, out
