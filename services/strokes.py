"""姓氏笔画: the order in which an office lists names (优秀代表, 先进代表组, 名单).

Stroke counts are Unicode's kTotalStrokes (the first, zh-Hans, value) for every CJK ideograph,
kept in ``services/data/strokes.txt`` (one line per stroke count: ``N<TAB>characters``). The file
is made from the Unihan database by ``python -m services.strokes Unihan_IRGSources.txt[.bz2]``
(Debian: package ``unicode-data``, /usr/share/unicode/).

Characters of one stroke count are ordered by their strokes in writing order, 横竖撇点折 (GB/T
name ordering: 李 before 张, both 7 strokes; 王 毛 方 尹, all 4). Unicode has no stroke-order
data; the order is the stroke-order rank of the MIT-licensed ``cn-sort`` package (0.14.0,
``cn_sort/res/all_word.json``, field ``stroke_increment_level``), kept in
``services/data/stroke_order.txt`` (the characters in that order, made by ``python -m
services.strokes --order all_word.json``; the package itself is not a dependency). A character
missing there sorts after the ranked ones of its count, by code point.

A name sorts by the first character (the surname), then the second, and so on; a shorter name
comes first. Characters without data (letters, digits) count as 0 strokes and sort before
ideographs; same characters always stay together.
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
ORDER = Path(__file__).with_name("data") / "stroke_order.txt"
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


@cache
def _rank() -> dict[str, int]:
    """Character → its place in stroke order (横竖撇点折), read once from the shipped file."""
    text = "".join(ORDER.read_text(encoding="utf-8").split())
    return {ch: i for i, ch in enumerate(text)}


def stroke_rank(ch: str) -> int:
    """The place of a character among those of its stroke count, by its strokes in writing
    order (a character without data: after the ranked ones)."""
    return _rank().get(ch, 1 << 20)


def stroke_key(name: str) -> tuple:
    """Sort key of a name in 姓氏笔画 order: per character its stroke count, then its strokes in
    writing order (横竖撇点折), then its code point."""
    name = (name or "").strip()
    return tuple((strokes(ch), stroke_rank(ch), ord(ch)) for ch in name)


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


def build_order(source: str | Path, target: Path = ORDER) -> int:
    """Write the stroke-order file from cn-sort's ``all_word.json``: its single characters (CJK
    only) in the order of ``stroke_increment_level``, 80 to a line; returns their number."""
    import json

    entries = json.loads(Path(source).read_text(encoding="utf-8"))["all_word"]
    rank: dict[str, int] = {}
    for e in entries:
        ch = e["chinese"]
        if len(ch) == 1 and ord(ch) >= 0x2E80:
            rank.setdefault(ch, int(e["stroke_increment_level"]))
    chars = sorted(rank, key=lambda c: (rank[c], ord(c)))
    target.write_text("".join("".join(chars[i:i + 80]) + "\n" for i in range(0, len(chars), 80)), encoding="utf-8")
    return len(chars)


if __name__ == "__main__":  # pragma: no cover - maintenance command
    print(build_order(sys.argv[2]) if sys.argv[1] == "--order" else build(sys.argv[1]))
