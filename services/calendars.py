"""工作日历 (admin): the office's own holiday calendar, year by year, and what a save recomputes.

Each November the State Council publishes next year's 放假调休 notice. The administrator enters it
(one row a date: 日期, 类型 放假 / 调休上班, 名称) in a form or from a small .xlsx / .csv file (the
template is ``template_xlsx``); the command line does the same (``manage.py calendar import FILE``).
An entered year overrides the ``holidays`` package (services.workdays).

``save_year`` replaces a year's days, writes a new stamp (so every process picks the calendar up at
its next request), and in the same transaction recomputes the stored due dates of every open letter
and opinion with the new calendar (``setting_changes`` hooks: the one deadline computation of each
area), then writes one audit row saying what was entered and how many due dates moved. A save that
changes nothing (the same file twice) writes nothing.

``figures`` puts 日历未确认 on 工作台 while any open deadline lies in an unconfirmed year.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import models
from services import clock, letters, opinions, setting_changes, workdays
from services.common import (
    Actor,
    Figure,
    PermissionDenied,
    ServiceError,
    StaleError,
    ValidationError,
    scope_filter,
    today,
)
from services.excel import read_xlsx, to_xlsx
from services.states import CalendarDayKind, values
from services.validation import clean_text, parse_date

COLUMNS = ("日期", "类型", "名称")
KINDS = tuple(values(CalendarDayKind))
NAME_MAX = 32
NOTE_MAX = 255
YEAR_RANGE = (2000, 2100)
MAX_ROWS = 400
Y, Dy = models.CalendarYear, models.CalendarDay


class StaleCalendar(StaleError):
    """Someone saved the year after the admin's form was opened: nothing was saved (a StaleError:
    the form's intent ends, so the next save is judged against the year as it now is)."""

    def __init__(self, message: str) -> None:
        ServiceError.__init__(self, message)
        self.change = ""


@dataclass
class Saved:
    """What a save did: per year the days entered, and what the recompute moved."""

    years: list[int]
    off: int = 0
    work: int = 0
    changed: bool = True
    recounts: list[setting_changes.Recount] = field(default_factory=list)
    amended: list[int] = field(default_factory=list)  # years only amended by a file's few dates

    def message(self) -> str:
        """The Chinese sentence the page and the command line show."""
        names = "、".join(f"{y}年" for y in self.years)
        if not self.changed:
            return f"{names}工作日历与已录入的完全相同，未作修改。"
        head = f"已保存{names}工作日历：放假 {self.off} 天、调休上班 {self.work} 天。"
        if self.amended:
            head += ("其中" + "、".join(f"{y}年" for y in self.amended)
                     + "文件只含少数日期，已并入该年原有安排（其余放假日不变）。")
        return head + "".join(r.message() + "。" for r in self.recounts)

    @property
    def moved(self) -> int:
        """How many stored due dates (letters and opinions) moved."""
        return sum(r.moved for r in self.recounts)


def _require_admin(actor: Actor) -> None:
    """Only the administrator edits the calendar."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以维护工作日历。")


# ---------------------------------------------------------------- reading


def overview(session: Session) -> list[dict]:
    """One row per year of interest (last year to next year, and every entered year): where its
    working days come from, how many days are entered, who entered them and when."""
    t = today()
    entered = {r.year: r for r in session.execute(select(Y)).scalars()}
    counts = {(y, k): int(n) for y, k, n in session.execute(
        select(Dy.year, Dy.kind, func.count()).group_by(Dy.year, Dy.kind))}
    cal = workdays.calendar_for(session)
    out = []
    for year in sorted({t.year - 1, t.year, t.year + 1, *entered}):
        row = entered.get(year)
        out.append({"年度": f"{year}年", "来源": cal.source(year),
                    "放假": f"{counts.get((year, CalendarDayKind.OFF), 0)} 天" if row else "—",
                    "调休上班": f"{counts.get((year, CalendarDayKind.WORK), 0)} 天" if row else "—",
                    "录入人": row.entered_by if row else "", "录入时间": f"{row.entered_at:%Y-%m-%d %H:%M}" if row else "",
                    "依据": (row.note or "") if row else ""})
    return out


def seen_stamp(session: Session, year: int) -> str | None:
    """The stamp of an entered year (None when not entered): the form passes it back on save, and a
    save over a year someone else saved meanwhile is refused."""
    return session.execute(select(Y.stamp).where(Y.year == year)).scalar()


def year_rows(session: Session, year: int) -> tuple[list[dict], str]:
    """The rows of a year for the form: those entered, else the package's as a starting point.

    Returns (rows [{日期, 类型, 名称}], where they come from)."""
    entered = session.get(Y, year)
    if entered is not None:
        rows = session.execute(select(Dy.day, Dy.kind, Dy.name).where(Dy.year == year).order_by(Dy.day)).all()
        return [{"日期": d, "类型": k, "名称": n or ""} for d, k, n in rows], "已录入"
    off, worked = workdays.package_days(year)
    rows = [{"日期": d, "类型": CalendarDayKind.OFF.value, "名称": _zh_name(n)} for d, n in off.items()]
    rows += [{"日期": d, "类型": CalendarDayKind.WORK.value, "名称": "调休上班"} for d in worked]
    return sorted(rows, key=lambda r: r["日期"]), workdays.calendar_for(session).source(year)


_NAMES = (("New Year", "元旦"), ("Eve", "春节"), ("Spring Festival", "春节"), ("Tomb", "清明节"),
          ("Labor", "劳动节"), ("Dragon", "端午节"), ("Mid-Autumn", "中秋节"), ("National", "国庆节"),
          ("Day off", "调休放假"))


def _zh_name(name: str) -> str:
    """The package's English holiday name in Chinese (for the form's starting rows)."""
    for key, zh in _NAMES:
        if key in name:
            return zh
    return "放假"


# ---------------------------------------------------------------- checking rows


def _cell(value: object) -> str:
    """A cell's text cleaned (services.validation.clean_text) without the invisible format characters
    (zero-width space, joiners, BOM) a sheet pasted from Word or WPS carries."""
    text = clean_text(value)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def _excel_serial(value: object) -> object:
    """A date Excel shows as a number (a 日期 column formatted 常规, or pasted as values): 46430 is
    2027-02-12. Other values are returned unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 5:
        value = int(value)
    if isinstance(value, int | float) and 20000 <= value <= 80000 and float(value).is_integer():
        return date(1899, 12, 30) + timedelta(days=int(value))
    return value


def check_rows(rows: list[dict], year: int | None = None, *,
               require_off: bool = True) -> dict[int, list[tuple[date, str, str | None]]]:
    """Clean calendar rows; return {year: [(day, kind, name)]} or raise ValidationError.

    Each row: 日期 (2027-02-06, 2027/2/6, 2027年2月6日 or a date), 类型 放假 / 调休上班, 名称 (optional).
    ``year`` given (the form): every date must lie in it. A 调休上班 day must be a Saturday or a
    Sunday; a date may appear once. Empty rows are skipped. The messages name the row."""
    problems: list[str] = []
    out: dict[int, list[tuple[date, str, str | None]]] = {}
    seen: dict[date, int] = {}
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": f"行数过多（{len(rows)} 行），每次最多 {MAX_ROWS} 行"})
    for n, row in enumerate(rows, start=1):
        label = row.get("_row", n)
        raw_day, raw_kind, raw_name = row.get("日期"), _cell(row.get("类型")), _cell(row.get("名称"))
        if isinstance(raw_day, str):
            raw_day = _cell(raw_day)
        raw_day = _excel_serial(raw_day)
        if (raw_day is None or clean_text(str(raw_day)) == "") and not raw_kind and not raw_name:
            continue
        try:
            day = parse_date(raw_day if not isinstance(raw_day, pd.Timestamp) else raw_day.date())
        except ValueError as exc:
            problems.append(f"第{label}行 日期“{clean_text(str(raw_day))[:20]}”：{exc}")
            continue
        if day is None:
            problems.append(f"第{label}行 未填写日期")
            continue
        if year is not None and day.year != year:
            problems.append(f"第{label}行 日期 {day:%Y-%m-%d} 不在{year}年")
            continue
        if not YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1]:
            problems.append(f"第{label}行 日期 {day:%Y-%m-%d} 超出 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 年")
            continue
        kind = raw_kind.replace(" ", "")
        if kind in ("休", "假", "休息", "放假调休"):
            kind = CalendarDayKind.OFF.value
        elif kind in ("班", "上班", "调休", "补班"):
            kind = CalendarDayKind.WORK.value
        if kind not in KINDS:
            problems.append(f"第{label}行 类型应为“放假”或“调休上班”（填写的是“{raw_kind[:10]}”）")
            continue
        if kind == CalendarDayKind.WORK and day.weekday() < 5:
            problems.append(f"第{label}行 {day:%Y-%m-%d} 是工作日（周{'一二三四五'[day.weekday()]}），"
                            "调休上班日应为周六或周日")
            continue
        if len(raw_name) > NAME_MAX:
            problems.append(f"第{label}行 名称过长（不超过{NAME_MAX}字）")
            continue
        if day in seen:
            problems.append(f"第{label}行 日期 {day:%Y-%m-%d} 与第{seen[day]}行重复")
            continue
        seen[day] = label
        out.setdefault(day.year, []).append((day, kind, raw_name or None))
    if problems:
        raise ValidationError({"rows": "；".join(problems[:20]) + (f"；另有 {len(problems) - 20} 处问题" if len(problems) > 20 else "")})
    if year is not None:
        out.setdefault(year, [])
    if not out:
        raise ValidationError({"rows": "没有可保存的日期：请至少填写一行（日期、类型、名称）"})
    if require_off:
        _require_days_off(out)
    return out


def _require_days_off(by_year: dict[int, list[tuple[date, str, str | None]]]) -> None:
    """Every year saved has days off (a notice always carries 元旦, 春节 …)."""
    for y, days in by_year.items():
        if not any(k == CalendarDayKind.OFF for _d, k, _n in days):
            raise ValidationError({"rows": f"{y}年没有任何放假日期：国务院通知至少包括元旦、春节等法定节假日，请核对"})


# A year's notice has some 20–30 days off; a file with fewer days of a year (a notice that also lists
# 2018-12-29 调休上班 and 2018-12-30/31 放假 of the year before) amends that year, it does not replace it.
WHOLE_YEAR_MIN_OFF = 7


def current_days(session: Session, year: int) -> list[tuple[date, str, str | None]]:
    """The days of ``year`` in force now: those entered, else the holiday package's."""
    if session.execute(select(Y.year).where(Y.year == year)).first() is not None:
        return sorted(session.execute(select(Dy.day, Dy.kind, Dy.name).where(Dy.year == year)).tuples())
    off, work = workdays.package_days(year)
    return sorted([(d, CalendarDayKind.OFF.value, (n or None) and n[:NAME_MAX]) for d, n in off.items()]
                  + [(d, CalendarDayKind.WORK.value, None) for d in work])


def amend_partial_years(session: Session, by_year: dict[int, list[tuple[date, str, str | None]]]
                        ) -> tuple[dict[int, list[tuple[date, str, str | None]]], list[int]]:
    """Years of a file with fewer than WHOLE_YEAR_MIN_OFF days off are merged into the days in force
    for that year (the file's rows win on their dates); whole years replace. Returns (years, amended)."""
    out, amended = {}, []
    for y, days in by_year.items():
        if sum(1 for _d, k, _n in days if k == CalendarDayKind.OFF) >= WHOLE_YEAR_MIN_OFF:
            out[y] = days
            continue
        merged = {d: (k, n) for d, k, n in current_days(session, y)}
        merged.update({d: (k, n) for d, k, n in days})
        out[y] = sorted((d, k, n) for d, (k, n) in merged.items())
        amended.append(y)
    _require_days_off(out)
    return out, amended


# ---------------------------------------------------------------- saving


def _recompute(session: Session) -> list[setting_changes.Recount]:
    """Recompute the stored due dates of every open letter and opinion (the areas' own hooks)."""
    return [setting_changes.LETTER_RECOMPUTE.run(session), setting_changes.OPINION_RECOMPUTE.run(session)]


def save_days(session: Session, actor: Actor, by_year: dict[int, list[tuple[date, str, str | None]]],
              note: str = "", how: str = "表单") -> Saved:
    """Replace the entered days of each year in ``by_year`` (checked rows), recompute every open
    due date once, and write one audit row. Nothing changes when the days are those entered."""
    _require_admin(actor)
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"依据过长（不超过{NOTE_MAX}字）"})
    years = sorted(by_year)
    saved = Saved(years)
    before: dict[str, list] = {}
    after: dict[str, list] = {}
    who = actor.display_name or actor.username
    for year in years:
        days = sorted(by_year[year])
        saved.off += sum(1 for _d, k, _n in days if k == CalendarDayKind.OFF)
        saved.work += sum(1 for _d, k, _n in days if k == CalendarDayKind.WORK)
        row = session.execute(select(Y.year, Y.note).where(Y.year == year).with_for_update()).first()
        now = sorted(session.execute(select(Dy.day, Dy.kind, Dy.name).where(Dy.year == year)).tuples())
        if row is not None and now == days and (not note or note == (row.note or "")):
            continue
        values_ = {"stamp": uuid.uuid4().hex, "entered_by": who, "entered_at": clock.now()}
        if row is None:
            try:
                session.execute(insert(Y).values(year=year, note=note or None, **values_))
            except IntegrityError as exc:
                raise ServiceError(f"{year}年工作日历正被他人同时保存，未保存，请刷新后再试。") from exc
        else:
            session.execute(update(Y).where(Y.year == year).values(note=note or row.note, **values_))
            session.execute(delete(Dy).where(Dy.year == year))
        if days:
            session.execute(insert(Dy), [{"year": year, "day": d, "kind": k, "name": n} for d, k, n in days])
        before[str(year)] = [f"{d:%Y-%m-%d} {k} {n or ''}".strip() for d, k, n in now]
        after[str(year)] = [f"{d:%Y-%m-%d} {k} {n or ''}".strip() for d, k, n in days]
    if not after:
        saved.changed = False
        return saved
    saved.recounts = _recompute(session)
    text = f"{how}录入{'、'.join(f'{y}年' for y in years)}工作日历：放假{saved.off}天、调休上班{saved.work}天；"
    text += "；".join(r.message() for r in saved.recounts)
    session.add(models.AuditLog(username=session.info.get("actor", actor.username), action="修改",
                                entity="CalendarYear", entity_id="、".join(after)[:64],
                                before=before or None, after=after, note=text[:255]))
    session.flush()
    return saved


def save_year(session: Session, actor: Actor, year: int, rows: list[dict], note: str = "",
              seen: str | None | bool = False) -> Saved:
    """Save one year from the form's rows (every date in ``year``).

    ``seen``: the year's stamp when the form was opened (``seen_stamp``; None: not entered then);
    when another save came in between, nothing is saved (StaleError says who and when). False: no check."""
    _require_admin(actor)
    if not isinstance(year, int) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ValidationError({"year": f"年度应在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间"})
    by_year = check_rows(rows, year)
    if seen is not False:
        row = session.execute(select(Y).where(Y.year == year).with_for_update()).scalar()
        if (row.stamp if row else None) != seen:
            who = f"已被 {row.entered_by} 于 {row.entered_at:%Y-%m-%d %H:%M} 保存" if row else "已被他人修改"
            raise StaleCalendar(f"{year}年工作日历在您打开本页后{who}，您的修改未保存；请核对最新录入后再保存。")
    return save_days(session, actor, by_year, note)


def read_file(data: bytes, filename: str) -> list[dict]:
    """Rows of an uploaded .xlsx or .csv (UTF-8 with or without BOM, or GBK) with the template's
    columns 日期, 类型, 名称; each row carries its line number (``_row``). Raises ValidationError."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError({"file": "无法识别该 CSV 文件的编码，请另存为 UTF-8 或使用 .xlsx 模板"})
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        delimiter = "\t" if "\t" in first and "," not in first else ","  # a paste from Excel is tab-separated
        lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        header_at = next((i for i, r in enumerate(lines[:10]) if {"日期", "类型"} <= {_cell(c) for c in r}), None)
        if header_at is None:
            raise ValidationError({"file": "未找到表头，模板的表头应为：" + "、".join(COLUMNS)})
        head = [_cell(c) for c in lines[header_at]]
        rows = []
        for i, r in enumerate(lines[header_at + 1:], start=header_at + 2):
            if not any(c.strip() for c in r):
                continue
            rows.append({"_row": i, **{h: (r[j] if j < len(r) else None) for j, h in enumerate(head) if h}})
        return rows
    if name.endswith(".xlsx"):
        try:
            _headers, rows = read_xlsx(data, ["日期", "类型"])
        except ValueError as exc:
            raise ValidationError({"file": str(exc)}) from exc
        return [{"_row": n, **r} for n, r in rows]
    raise ValidationError({"file": "请上传 .xlsx 或 .csv 文件（可先下载模板）"})


def import_file(session: Session, actor: Actor, data: bytes, filename: str, note: str = "",
                how: str = "导入") -> Saved:
    """Import a calendar file: each whole year it holds replaces that year's days; a year with only
    a few dates (a notice's days of the year before) amends the days in force for that year."""
    _require_admin(actor)
    by_year, amended = amend_partial_years(session, check_rows(read_file(data, filename), require_off=False))
    saved = save_days(session, actor, by_year, note, how)
    saved.amended = amended
    return saved


def template_xlsx(year: int | None = None) -> bytes:
    """The import template: 日期, 类型, 名称 with a few example rows of ``year`` (next year)."""
    y = year or today().year + 1
    sample = pd.DataFrame([
        {"日期": f"{y}-01-01", "类型": "放假", "名称": "元旦"},
        {"日期": f"{y}-10-01", "类型": "放假", "名称": "国庆节"},
        {"日期": _first_saturday(y).isoformat(), "类型": "调休上班", "名称": "国庆节调休"},
    ])
    return to_xlsx({"工作日历": sample}, title=f"{y}年工作日历（按国务院办公厅放假通知填写）",
                   notes=["每行一个日期；类型填“放假”或“调休上班”；调休上班日应为周六或周日；示例行请替换为通知中的全部日期。"],
                   text_columns=("日期",))


def _first_saturday(year: int) -> date:
    """The first Saturday of October of ``year`` (an example 调休 day for the template)."""
    d = date(year, 10, 1)
    while d.weekday() != 5:
        d = d.replace(day=d.day + 1)
    return d


# ---------------------------------------------------------------- 工作台


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """日历未确认 on 工作台: open letters and opinions with a running deadline in a year whose
    calendar nobody entered (and the package does not carry). Shown only while there are any."""
    L, O, G = models.Letter, models.Opinion, models.DeputyGroup
    lclock, oclock = letters.Clock(session), opinions.Clock(session)
    n_letters = int(session.execute(scope_filter(select(func.count(L.id)), actor, L.office_id, L.group_id)
                                    .where(lclock.unconfirmed_clause())).scalar_one())
    n_ops = int(session.execute(scope_filter(select(func.count(O.id)).join(G, G.id == O.group_id), actor,
                                             G.office_id, G.id).where(oclock.unconfirmed_clause())).scalar_one())
    out = []
    years = "、".join(f"{y}年" for y in range(today().year, today().year + 2) if not lclock.cal.confirmed(y))
    hint = (f"期限落在{years or '未录入放假安排的年度'}：该年度放假调休安排尚未录入，期限暂按法定节假日和周末计算。"
            "系统管理员在“工作日历”录入后自动重新计算。")
    if n_letters:
        out.append(Figure("R12", f"{workdays.UNCONFIRMED}的来信期限", n_letters, "件", "mailbox",
                          {"view": "letters", "overdue": workdays.UNCONFIRMED}, bad=True, help=hint))
    if n_ops:
        out.append(Figure("R3", f"{workdays.UNCONFIRMED}的意见期限", n_ops, "条", "activities",
                          {"view": "opinions", "overdue": workdays.UNCONFIRMED}, bad=True, help=hint))
    return out
