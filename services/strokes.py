"""姓氏笔画: the order in which an office lists names (优秀代表, 先进代表组, 名单).

Stroke counts are Unicode's kTotalStrokes (the first, zh-Hans, value) for every CJK ideograph,
kept in ``services/data/strokes.txt`` (one line per stroke count: ``N<TAB>characters``). The file
is made from the Unihan database by ``python -m services.strokes Unihan_IRGSources.txt[.bz2]``
(Debian: package ``unicode-data``, /usr/share/unicode/).

A name sorts by the stroke count of its first character (the surname), then of the second, and so
on; a shorter name comes first. Characters without data (letters, digits) count as 0 strokes and
sort before ideographs. Limitation: Unicode has no stroke-order data, so two different characters
with the same count (李 and 张, 7 strokes) are ordered by code point (radical order), not by their
first stroke (横竖撇点折) as GF 3002 would; same characters always stay together.
"""

from __future__ import annotations

import bz2
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

DATA = Path(__file__).with_name("data") / "strokes.txt"
T = TypeVar("T")


@cache
def _table() -> dict[str, int]:
    """Character → total strokes, read once from the shipped data file."""
    out: dict[str, int] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        n, _, chars = line.partition("\t")
        if n.isdigit():
            for ch in chars:
                out[ch] = int(n)
    return out


def strokes(ch: str) -> int:
    """Total strokes of one character (0 when unknown: not an ideograph)."""
    return _table().get(ch, 0)


def stroke_key(name: str) -> tuple:
    """Sort key of a name in 姓氏笔画 order."""
    name = (name or "").strip()
    return tuple((strokes(ch), ord(ch)) for ch in name)


def by_strokes(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """Items ordered by the stroke order of their name (stable for equal names)."""
    return sorted(items, key=lambda it: stroke_key(name(it)))


def build(source: str | Path, target: Path = DATA) -> int:
    """Write the data file from Unihan (kTotalStrokes); returns the number of characters."""
    opener = bz2.open if str(source).endswith(".bz2") else open
    by_count: dict[int, list[str]] = defaultdict(list)
    with opener(source, "rt", encoding="utf-8") as f:
        for line in f:
            if "\tkTotalStrokes\t" not in line:
                continue
            code, _, value = line.rstrip("\n").split("\t")
            by_count[int(value.split()[0])].append(chr(int(code[2:], 16)))
    target.write_text("".join(f"{n}\t{''.join(sorted(cs))}\n" for n, cs in sorted(by_count.items())),
                      encoding="utf-8")
    return sum(len(cs) for cs in by_count.values())


if __name__ == "__main__":  # pragma: no cover - maintenance command
    print(build(sys.argv[1]))
