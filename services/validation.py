"""Normalising messy input: full-width digits, Excel number cells, phones, years, names."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from services import clock


def clean_text(value: object) -> str:
    """Return text with full-width characters folded and surrounding spaces (incl. U+3000) trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return text.strip()


def clean_digits(value: object) -> str:
    """Return the digits (and dashes) of a phone-like value, from text or an Excel number cell."""
    text = clean_text(value)
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return re.sub(r"[\s()（）]", "", text)


def normalize_phone(value: object, *, landline_ok: bool = False) -> str | None:
    """Return a phone number in its one canonical form (services.identity.canonical_phone), None
    for empty, or raise ValueError with a Chinese reason. Mobiles only unless ``landline_ok``."""
    from services.identity import canonical_phone

    return canonical_phone(value, landline_ok=landline_ok)


def parse_year(value: object, lo: int = 1900, hi: int | None = None) -> int | None:
    """Return a year from text or a number cell; None for empty; ValueError when out of range."""
    text = clean_text(value)
    if not text:
        return None
    if isinstance(value, datetime | date):
        return value.year
    m = re.fullmatch(r"(\d{4})(年)?(\.0+)?", text)
    if not m:
        raise ValueError("出生年份应为4位数字")
    year = int(m.group(1))
    hi = hi or clock.today().year
    if not lo <= year <= hi:
        raise ValueError(f"出生年份应在{lo}–{hi}之间")
    return year


def parse_date(value: object) -> date | None:
    """Return a date from a date, datetime or text like 2026-03-05 / 2026/3/5 / 2026年3月5日."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", text)
    if not m:
        raise ValueError("日期格式应为 2026-03-05")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ValueError("日期不存在") from exc


def mask_name(name: str | None) -> str:
    """Mask a person's name: 张三丰 → 张**."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Mask a phone: 13812341234 → 138****1234."""
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "****"


def mask_address(address: str | None) -> str:
    """Keep an address down to its district/street part: 幸福街道和平路12号 → 幸福街道***."""
    if not address:
        return ""
    m = re.match(r"^(.*?(?:区|县|街道|镇|乡|社区))", address)
    return (m.group(1) if m else address[:2]) + "***"


def fmt_date(value: date | datetime | None) -> str:
    """Write a date as 2026-03-05 (empty for None)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")
