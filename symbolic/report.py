"""What a reader found in a file and could not keep: the drop report.

A reader that meets something partita's Score has no place for (a notation it does not model,
a second lyric verse, an instrument it cannot play) never drops it silently: it adds a
:class:`Dropped` entry to a :class:`DropLog` and hands the log's entries to the Score it builds
(``Score.dropped``). ``info``, ``convert`` and ``render`` print them in text and JSON, each kind
once per part with the bars where it was.

>>> log = DropLog()
>>> log.add("grace note", bar=3, part="Flute")
>>> log.add("grace note", bar=3, part="Flute")
>>> log.add("grace note", bar=5, part="Flute")
>>> log.add("8va line", bar=1)
>>> drops = log.entries()
>>> drop_lines(drops)
['8va line: bar 1', "grace note (3) in part 'Flute': bars 3, 5"]
>>> drops_json(drops)[1]
{'kind': 'grace note', 'part': 'Flute', 'bars': [3, 5], 'count': 3}
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Dropped", "DropLog", "merge_drops", "drop_lines", "drops_json"]


@dataclass(frozen=True, slots=True)
class Dropped:
    """``count`` things of one ``kind`` (a short noun: ``"grace note"``) a reader could not keep.

    ``bar`` is the bar as a musician counts it (``None``: not tied to a bar, or unknown);
    ``part`` the part's name (``None``: the whole score).
    """

    kind: str
    bar: int | None = None
    part: str | None = None
    count: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError("a dropped item needs a kind")
        if not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"count {self.count!r} of dropped {self.kind!r} must be a positive whole number")


def _key(d: Dropped) -> tuple:
    return (d.kind, d.part or "", d.bar if d.bar is not None else -(10**9))


def merge_drops(drops: Iterable[Dropped]) -> tuple[Dropped, ...]:
    """One entry per (kind, part, bar), counts summed, sorted by kind, part and bar."""
    total: dict[tuple[str, str | None, int | None], int] = defaultdict(int)
    for d in drops:
        total[(d.kind, d.part, d.bar)] += d.count
    out = [Dropped(kind, bar, part, count) for (kind, part, bar), count in total.items()]
    return tuple(sorted(out, key=_key))


class DropLog:
    """A reader's running list of what it dropped (mutable; the Score gets :meth:`entries`)."""

    def __init__(self) -> None:
        self._items: list[Dropped] = []

    def add(self, kind: str, *, bar: int | None = None, part: str | None = None, count: int = 1) -> None:
        """Note ``count`` dropped things of ``kind`` at ``bar`` of ``part``."""
        self._items.append(Dropped(kind, bar, part, count))

    def extend(self, drops: Iterable[Dropped]) -> None:
        """Add entries made elsewhere."""
        self._items.extend(drops)

    def entries(self) -> tuple[Dropped, ...]:
        """The merged entries (see :func:`merge_drops`)."""
        return merge_drops(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _grouped(drops: Iterable[Dropped]) -> list[tuple[str, str | None, list[int], int]]:
    groups: dict[tuple[str, str | None], tuple[list[int], list[int]]] = {}
    for d in merge_drops(drops):
        bars, count = groups.setdefault((d.kind, d.part), ([], [0]))
        if d.bar is not None:
            bars.append(d.bar)
        count[0] += d.count
    return [(kind, part, bars, count[0]) for (kind, part), (bars, count) in groups.items()]


def drops_json(drops: Iterable[Dropped]) -> list[dict[str, Any]]:
    """JSON-friendly list: one object per kind and part, with its bars and total count."""
    return [{"kind": k, "part": p, "bars": bars, "count": n} for k, p, bars, n in _grouped(drops)]


def drop_lines(drops: Iterable[Dropped], *, max_bars: int = 12) -> list[str]:
    """One line per kind and part: ``"grace note (3) in part 'Flute': bars 3, 5"``."""
    out = []
    for kind, part, bars, n in _grouped(drops):
        head = kind + (f" ({n})" if n > 1 else "") + (f" in part {part!r}" if part else "")
        if bars:
            shown = ", ".join(str(b) for b in bars[:max_bars]) + (f", ... ({len(bars)} bars)" if len(bars) > max_bars else "")
            head += f": bar{'s' if len(bars) > 1 else ''} {shown}"
        out.append(head)
    return out
