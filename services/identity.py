"""One writer, one identity: phone numbers and names as people write them, told apart once.

- ``canonical_phone``: the one stored and shown form of a phone number. A mobile is its 11
  digits (13912340014) whether typed with spaces, hyphens, dots, +86 or 0086; a landline with its
  area code is 区号-号码 (010-62345678), an extension follows as 转123; a local number typed
  without area code gets the district's own area code when one is set (系统设置 ``local_area_code``,
  so 62345678 and 010-62345678 are one number), else stays its 7–8 digits. Full-width digits and Excel number cells are read;
  an Excel cell shown in scientific notation (1.39E+10) has lost digits and is refused.
- ``name_key``: a name for comparison only (names are stored as typed): width folded, spaces
  and invisible characters removed, every middle-dot look-alike (· • ・ ‧ ･ ∙ ⋅ . ． ⸱ ᐧ ᛫ ⦁) one dot,
  letters case-folded.
- ``writer_key``: who wrote a letter: the phone when there is one, else the name; anonymous
  letters have none (each counts on its own). Duplicate detection, R4 and R14 count distinct
  writers by it (stored on each letter as ``letters.writer_key``).
- ``body_key``: an organisation's name for matching the 承办单位 directory.

Pure functions, no database, no Streamlit (also used by the Alembic migration).
"""

from __future__ import annotations

import re
import unicodedata

MOBILE = re.compile(r"1[3-9]\d{9}")
_EXT_MARK = re.compile(r"^(.*?\d)\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", re.IGNORECASE)
_EXT_TAIL = re.compile(r"^(.*\d)[\s\-－—–‐]+(\d{1,6})$")
_SEPARATORS = re.compile(r"[\s\-－—–‐.．·()（）\[\]【】/]+")
_SCI = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff\u00ad\u3000]+")
DOTS = "·•・‧･∙⋅.．ㆍ⸱ᐧ᛫⦁"
_DOT_RE = re.compile("[" + re.escape(DOTS) + "]+")


class PhoneError(ValueError):
    """A phone number that cannot be read, with the reason in Chinese."""


def _text(value: object) -> str:
    """The value as text with full-width digits folded; an Excel float cell without its .0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text[:-2] if re.fullmatch(r"\d{7,12}\.0", text) else text  # an Excel number cell read as text


def _landline(digits: str) -> str | None:
    """区号-号码 from digits starting with the area code's 0, else None."""
    if not digits.startswith("0"):
        return None
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if len(area) == area_len and re.fullmatch(r"[2-9]\d{6,7}", local):
        return f"{area}-{local}"
    return None


def local_with_area(number: str, area: int | None) -> str:
    """A local landline (7–8 digits, no area code) with the district's area code in front
    (``area`` without its leading 0: 10 for 010); any other number unchanged."""
    if area and re.fullmatch(r"[2-9]\d{6,7}", number):
        return f"0{int(area)}-{number}"
    return number


def _core(text: str, landline_ok: bool, area: int | None = None) -> str | None:
    """The canonical number (no extension) of one piece of text, or None."""
    plain = _SEPARATORS.sub("", text)
    intl = False
    if plain.startswith("+86"):
        plain, intl = plain[3:], True
    elif plain.startswith("0086"):
        plain, intl = plain[4:], True
    elif plain.startswith("86") and len(plain) == 13 and MOBILE.fullmatch(plain[2:]):
        plain = plain[2:]
    if not plain.isdigit():
        return None
    if MOBILE.fullmatch(plain):
        return plain
    if not landline_ok:
        return None
    if intl and not plain.startswith("0"):
        plain = "0" + plain  # +86 10 62345678: the area code written without its 0
    land = _landline(plain)
    if land:
        return land
    if not intl and re.fullmatch(r"[2-9]\d{6,7}", plain):
        return local_with_area(plain, area)  # a local number without area code
    return None


def canonical_phone(value: object, *, landline_ok: bool = True, area: int | None = None) -> str | None:
    """The one stored and shown form of a phone number; None for empty; PhoneError when unreadable.
    ``area``: the district's area code without its 0 (a local number gets it in front)."""
    text = _text(value)
    if not text:
        return None
    if _SCI.match(text.replace(" ", "")):
        raise PhoneError("电话号码被 Excel 显示成了科学计数法（如 1.39E+10），位数已丢失，请把单元格设为文本后重新填写")
    ext = None
    m = _EXT_MARK.match(text)
    if m:
        text, ext = m.group(1), m.group(2)
    number = _core(text, landline_ok, area)
    if number is None and ext is None and landline_ok:
        m = _EXT_TAIL.match(text)
        if m:
            head = _core(m.group(1), landline_ok, area)
            if head and not MOBILE.fullmatch(head):
                number, ext = head, m.group(2)
    if number is None:
        if landline_ok:
            raise PhoneError("联系电话应为11位手机号码或固定电话（可带区号和分机号）")
        raise PhoneError("联系电话应为11位手机号码")
    if ext:
        if MOBILE.fullmatch(number):
            raise PhoneError("手机号码不能带分机号")
        return f"{number}转{ext}"
    return number


def phone_key(value: object, area: int | None = None) -> str | None:
    """A phone for comparison: its canonical number without extension (None when empty or unreadable)."""
    try:
        canon = canonical_phone(value, area=area)
    except PhoneError:
        return None
    if canon is None:
        return None
    return canon.split("转")[0]


def _visible(text: str) -> str:
    """Text without spaces, invisible and control characters (zero-width, soft hyphen, BOM,
    right-to-left marks, NUL, vertical tab: what Word and WPS leave in pasted text)."""
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def name_key(name: object) -> str:
    """A person's name for comparison (stored as typed): width folded, spaces and invisible
    characters removed, middle-dot look-alikes made one, case folded."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = _visible(text)
    text = _DOT_RE.sub("·", text)
    return text.casefold()


def writer_key(name: object, phone: object, area: int | None = None) -> str | None:
    """Who wrote a letter: ``t:`` + phone when there is one, else ``n:`` + the name key; None when
    anonymous (an anonymous letter counts as a writer of its own). ``area`` as in canonical_phone."""
    p = phone_key(phone, area)
    if p:
        return "t:" + p
    n = name_key(name)
    return "n:" + n if n else None


def body_key(name: object) -> str:
    """An organisation's name for matching the directory: width folded, spaces, invisible
    characters and punctuation removed, case folded (区住建局 and 区住建局 。 match)."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = _visible(text)
    text = re.sub(r"[\"'“”‘’、，,。.;；:：!！?？()（）\[\]【】《》<>·•・\-—_]", "", text)
    return text.casefold()
