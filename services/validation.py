"""Normalising messy input: full-width digits, Excel number cells, phones, years, names."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from services import clock


def clean_text(value: object) -> str:
    """Return text as typed, made safe to store and show (issue 16):

    - NUL, other control characters (but tab and newline), bidi overrides/isolates/marks and lone
      surrogates are removed; a vertical tab (Word's Shift+Enter), form feed or CR becomes a newline;
    - surrounding spaces, U+3000 and invisible characters (zero-width space, BOM, …) are trimmed,
      so text of only invisible characters is empty and a required field refuses it;
    - nothing else changes: full-width punctuation ，：（）！？ stays as typed (width folding is
      ``clean_code``'s, for phones, ID numbers, numbers and codes).
    """
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = printable_text(str(value))
    return _EDGES.sub("", text)


def clean_code(value: object) -> str:
    """``clean_text`` with full-width letters and digits folded (NFKC): for phones, ID numbers,
    numbers, years, dates and codes, where ２０２６ must read as 2026."""
    return _EDGES.sub("", unicodedata.normalize("NFKC", clean_text(value)))


_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}


def clean_word(value: object) -> str:
    """``clean_text`` with full-width letters and digits folded (ＩＴ → IT) but punctuation as typed:
    for option words (问题类别, 联系对象 …) that imports match against."""
    return clean_text(value).translate(_FULLWIDTH_ALNUM)


def has_visible(text: str) -> bool:
    """True when ``text`` shows at least one character (not only spaces or invisible ones)."""
    return bool(_EDGES.sub("", _INVISIBLE_RE.sub("", printable_text(text or ""))))


_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates/marks,
# lone surrogates, Word's soft hyphen (invisible until a line breaks at it; it made a second body
# of the same name) and tag characters (invisible)
_UNPRINTABLE = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
    r"\U000e0000-\U000e007f]")
# characters that show nothing: zero-width space/joiners, word joiner, invisible operators, BOM,
# soft hyphen, Mongolian vowel separator, Hangul fillers, combining grapheme joiner
_INVISIBLE = "\u200b\u200c\u200d\u2060-\u2064\ufeff\u00ad\u180e\u3164\u115f\u1160\uffa0\u034f"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_EDGES = re.compile(f"^[\\s{_INVISIBLE}]+|[\\s{_INVISIBLE}]+$")


def printable_text(text: str) -> str:
    """Text as a spreadsheet cell or a Word document may hold it: line breaks (CR, vertical tab
    from Word's Shift+Enter, …) become newlines, other control characters and bidi overrides go."""
    return _UNPRINTABLE.sub("", _LINE_BREAKS.sub("\n", text))


def printable(obj: object) -> object:
    """``printable_text`` over every string inside dicts, lists, tuples and DataFrames (documents
    built from stored data written before input cleaning, or from imports)."""
    if isinstance(obj, str):
        return printable_text(obj)
    if isinstance(obj, dict):
        return {k: printable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(printable(v) for v in obj) if not hasattr(obj, "_fields") else type(obj)(*map(printable, obj))
    if hasattr(obj, "map") and hasattr(obj, "columns"):  # a DataFrame
        return obj.map(lambda v: printable_text(v) if isinstance(v, str) else v)
    return obj


def clean_digits(value: object) -> str:
    """Return the digits (and dashes) of a phone-like value, from text or an Excel number cell."""
    text = clean_code(value)
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return re.sub(r"[\s()（）]", "", text)


def normalize_phone(value: object, *, landline_ok: bool = False, area: int | None = None) -> str | None:
    """Return a phone number in its one canonical form (services.identity.canonical_phone), None
    for empty, or raise ValueError with a Chinese reason. Mobiles only unless ``landline_ok``;
    ``area``: the district's area code (setting ``local_area_code``) for a local landline."""
    from services.identity import canonical_phone

    return canonical_phone(value, landline_ok=landline_ok, area=area)


def parse_year(value: object, lo: int = 1900, hi: int | None = None) -> int | None:
    """Return a year from text or a number cell; None for empty; ValueError when out of range."""
    text = clean_code(value)
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


DATE_YEARS = (1949, 2100)  # no record of this system is dated outside these years


def _sane(day: date) -> date:
    """A date within DATE_YEARS, else ValueError (0001-01-01 or 9999-12-31 typed by mistake);
    each field then checks its own range (within the term, not after today …)."""
    lo, hi = DATE_YEARS
    if not lo <= day.year <= hi:
        raise ValueError(f"日期的年份应在{lo}–{hi}年之间")
    return day


def parse_date(value: object) -> date | None:
    """Return a date from a date, datetime or text like 2026-03-05 / 2026/3/5 / 2026年3月5日."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _sane(value)
    text = clean_code(value)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", text)
    if not m:
        raise ValueError("日期格式应为 2026-03-05")
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ValueError("日期不存在") from exc
    return _sane(day)


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


_ADDRESS_AREA = re.compile(r"^(?:([^\d\s]{0,12}?(?<![小社园苑庄])(?:区|县))|([^\d\s]{0,12}?(?:街道|镇|乡)))")


def mask_address(address: str | None) -> str:
    """Keep an address down to its district (or street/town): 东城区幸福街道和平路12号 → 东城区***,
    幸福街道和平路12号 → 幸福街道***; never a house number or a compound's name (和平路12号院3区,
    阳光花园小区5栋 → ***)."""
    if not address:
        return ""
    m = _ADDRESS_AREA.match(address.strip())
    keep = (m.group(1) or m.group(2)) if m else ""
    return (keep or "") + "***"


# personal data typed into free text (a letter's summary, a note): masked for roles that only see
# masked data. Order matters: ID numbers before bank cards before phones. \d is any digit, so
# full-width ones (１３８…, typed on a Chinese keyboard) are found as well; the text stays as typed.
_FREE_TEXT_PII = [
    # 18-digit resident ID (last may be X): 110101199003071234 → 110***********1234
    (re.compile(r"(?<![\dA-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![\dA-Za-z])"), r"\1***********\2"),
    # bank-card shaped: 16–19 digits, maybe in groups of four → ****5678
    (re.compile(r"(?<!\d)\d{4}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?(?!\d)"),
     lambda m: "****" + re.sub(r"\D", "", m.group(0))[-4:]),
    # mobile, maybe +86 and spaces/dashes/dots: 138 1234 5678 → 138****5678
    (re.compile(r"(?<!\d)(?:\+?86[ .-]?)?([1１][3-9３-９]\d)[ .-]?\d{4}[ .-]?(\d{4})(?!\d)"), r"\1****\2"),
    # landline with area code, maybe in brackets: 010-87654321, (010)87654321 → 010-****4321
    (re.compile(r"(?<!\d)[(（]?([0０]\d{2,3})[)）]?[ -]?\d{3,4}[ -]?(\d{4})(?!\d)"), r"\1-****\2"),
    # a local number after a word that says it is one: 电话62345678, 座机 6234-5678 → ****5678
    (re.compile(r"((?:电话|座机|固话|手机|号码|联系方式|[Tt][Ee][Ll])[:：\s]*)\d{3,4}[ -]?(\d{4})(?!\d)"), r"\1****\2"),
    # house numbers: 12号, 3栋, 2单元, 501室, 3号楼, 5弄 → *号 …
    (re.compile(r"[\d一二三四五六七八九十百零〇]+(?=号|栋|幢|单元|室|弄|号楼|层|排)"), "*"),
    (re.compile(r"(?<=[号栋幢院])\d+(?=[区室]|$)"), "*"),
    # the room after a unit or block: 3单元501, A座1203 → 3单元*, A座*
    (re.compile(r"(?:(?<=单元)|(?<=[座楼]))\d{2,4}(?!\d)"), "*"),
    # building-unit-room written with dashes: 12-3-501 → *-*-*
    (re.compile(r"(?<![\d-])\d{1,3}-\d{1,2}-\d{2,4}(?![\d-])"), "*-*-*"),
]


def free_text_for(role: str):  # noqa: ANN201
    """What free text passes through before a user of ``role`` sees it: personal data masked for
    the roles that only see masked data (leader, supervisor), as written for the others."""
    from services.common import REVEAL_ROLES

    return (lambda text: text or "") if role in REVEAL_ROLES else mask_free_text


def mask_columns(rows: list[dict], role: str, columns: tuple[str, ...]) -> list[dict]:
    """``rows`` with the free text of ``columns`` passed through ``free_text_for(role)`` (personal
    data typed into it masked for leader and supervisor); the rows are copied, never changed."""
    pii = free_text_for(role)
    return [{k: (pii(v) if k in columns and isinstance(v, str) else v) for k, v in row.items()} for row in rows]


def mask_free_text(text: str | None) -> str:
    """Mask phones, landlines, ID and bank-card numbers and house numbers inside free text."""
    if not text:
        return ""
    out = str(text)
    for pattern, repl in _FREE_TEXT_PII:
        out = pattern.sub(repl, out)
    return out


def fmt_date(value: date | datetime | None) -> str:
    """Write a date as 2026-03-05 (empty for None)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")
