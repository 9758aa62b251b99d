"""Engraved notation: a score as SVG pages, through verovio (LGPL-3.0, the ``report`` extra).

Every note of the MusicXML fed to verovio carries an ``id`` attribute that verovio keeps as
the SVG element's id, so each notehead maps back to the note of the :class:`Score` it shows,
by construction rather than by counting: ``Engraving.note_ids`` holds that map. A note the
MusicXML writer split into tied notes (across a bar line) gets one id per notehead.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("fl", "Flute", "flute", notes=(Note(0, 1, 72), Note(1, 3, 74))),))
>>> e = engrave(s, prefix="x")
>>> e.n_pages, sorted(e.note_ids.values())
(1, [('fl', 0), ('fl', 1)])
>>> all(f'id="{i}"' in e.pages[0] for i in e.note_ids)
True
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping

from partita._fileio import atomic_write_text
from partita.errors import ConfigError, ExternalToolError

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.score import Score

__all__ = ["Engraving", "tagged_musicxml", "engrave", "write_svg", "DEFAULT_MAX_PAGES"]

#: Pages engraved unless asked for more; a longer score says it was cut.
DEFAULT_MAX_PAGES = 20
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True, slots=True)
class Engraving:
    """A score engraved.

    Parameters
    ----------
    pages
        SVG documents, one per engraved page.
    n_pages_total
        Pages the whole score takes; more than ``len(pages)`` when ``max_pages`` cut it.
    note_ids
        SVG element id -> (part id, index of the note in that part's ``notes``).
    unmatched
        Ids of noteheads that match no note of the score (should be empty; kept, not hidden).
    warnings
        What verovio said while reading and engraving (its log lines).
    musicxml
        The tagged MusicXML verovio read.
    """

    pages: tuple[str, ...]
    n_pages_total: int
    note_ids: Mapping[str, tuple[str, int]]
    unmatched: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    musicxml: str = field(default="", repr=False)

    @property
    def n_pages(self) -> int:
        return len(self.pages)

    @property
    def truncated(self) -> bool:
        """True when only the first pages were engraved."""
        return self.n_pages < self.n_pages_total

    def ids_by_note(self) -> dict[tuple[str, int], list[str]]:
        """(part id, note index) -> the ids of its noteheads (several for tied pieces)."""
        out: dict[tuple[str, int], list[str]] = {}
        for eid, key in self.note_ids.items():
            out.setdefault(key, []).append(eid)
        return out

    def message(self) -> str:
        """One line for the user: pages engraved, and whether the score was cut."""
        if self.truncated:
            return (f"engraved the first {self.n_pages} of {self.n_pages_total} pages "
                    f"(raise max_pages / --max-pages for more)")  # fmt: skip
        return f"engraved {self.n_pages} page{'s' if self.n_pages != 1 else ''}"


def _midi(pitch: ET.Element) -> int:
    step = pitch.findtext("step", "C").strip()
    alter = float(pitch.findtext("alter", "0") or 0)
    octave = int(pitch.findtext("octave", "4"))
    return 12 * (octave + 1) + _STEPS[step] + round(alter)


def _xml_notes(part: ET.Element) -> Iterator[tuple[ET.Element, Fraction, int]]:
    """(note element, onset in quarters, sounding MIDI pitch) of every pitched note of a
    MusicXML part, walking divisions, backup, forward and chords."""
    divisions = Fraction(1)
    transpose = 0
    start = Fraction(0)
    for measure in part.findall("measure"):
        t = start
        longest = start
        last_onset = start
        for el in measure:
            if el.tag == "attributes":
                if el.findtext("divisions"):
                    divisions = Fraction(el.findtext("divisions").strip())
                tr = el.find("transpose")
                if tr is not None:
                    transpose = int(tr.findtext("chromatic", "0")) + 12 * int(tr.findtext("octave-change", "0") or 0)
            elif el.tag in ("backup", "forward"):
                d = Fraction(el.findtext("duration", "0").strip()) / divisions
                t = t - d if el.tag == "backup" else t + d
            elif el.tag == "note":
                dur = Fraction(el.findtext("duration", "0").strip() or 0) / divisions
                chord = el.find("chord") is not None
                onset = last_onset if chord else t
                pitch = el.find("pitch")
                if pitch is not None and el.find("grace") is None and el.find("cue") is None:
                    yield el, onset, _midi(pitch) + transpose
                if not chord:
                    last_onset = t
                    t += dur
            longest = max(longest, t)
        start = longest


def tagged_musicxml(score: Score, *, prefix: str = "n") -> tuple[str, dict[str, tuple[str, int]], list[str]]:
    """The score as MusicXML whose every pitched ``<note>`` has an ``id`` naming its note.

    Parameters
    ----------
    score
        The score (sounding pitch; transposing parts are written at written pitch).
    prefix
        Start of every id (two engravings on one page need different prefixes).

    Returns
    -------
    (text, ids, unmatched)
        The MusicXML text; id -> (part id, note index); ids of notes that match no note.
    """
    from partita.symbolic.io import musicxml

    with tempfile.TemporaryDirectory(prefix="partita-engrave-") as tmp:
        path = Path(tmp) / "score.musicxml"
        musicxml.write(score, path)
        root = ET.parse(path).getroot()
    ids: dict[str, tuple[str, int]] = {}
    unmatched: list[str] = []
    for pi, (xml_part, part) in enumerate(zip(root.findall("part"), score.parts)):
        exact: dict[tuple[Fraction, int], list[int]] = {}
        for i, n in enumerate(part.notes):
            exact.setdefault((n.onset, n.pitch), []).append(i)
        used: dict[int, int] = {}
        for k, (el, onset, pitch) in enumerate(_xml_notes(xml_part)):
            cands = exact.get((onset, pitch))
            index = cands.pop(0) if cands else None
            if index is None:  # a tied continuation the writer added: the note sounding through it
                index = next((i for i, n in enumerate(part.notes) if n.pitch == pitch and n.onset < onset < n.end), None)
            if index is None:
                eid = f"{prefix}p{pi}x{k}"
                unmatched.append(eid)
            else:
                piece = used.get(index, 0)
                used[index] = piece + 1
                eid = f"{prefix}p{pi}n{index}" + (f"t{piece}" if piece else "")
                ids[eid] = (part.id, index)
            el.set("id", eid)
    return ET.tostring(root, encoding="unicode"), ids, unmatched


@contextlib.contextmanager
def _stderr_lines(into: list[str]) -> Iterator[None]:
    """Collect what C code writes to file descriptor 2 (verovio logs only there)."""
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            into.extend(line.strip() for line in tmp.read().decode("utf-8", "replace").splitlines() if line.strip())


def engrave(
    score: Score,
    *,
    page_width_mm: float = 210.0,
    page_height_mm: float = 297.0,
    scale: int = 40,
    max_pages: int | None = DEFAULT_MAX_PAGES,
    prefix: str = "n",
    bar_numbers: bool = True,
    seed: int = 1,
) -> Engraving:
    """Engrave ``score`` with verovio: SVG pages whose noteheads carry the score's note ids.

    Parameters
    ----------
    score
        The score.
    page_width_mm, page_height_mm
        Page size in millimetres (A4 portrait by default).
    scale
        Verovio's scale in percent: smaller fits more music on a page.
    max_pages
        Engrave at most this many pages (None: all); :attr:`Engraving.truncated` says when the
        score was longer.
    prefix
        Start of every note id (see :func:`tagged_musicxml`).
    bar_numbers
        Number every bar (else verovio's default: each system's first bar).
    seed
        Seed of verovio's ids for the other elements (the output is the same for the same seed).

    Returns
    -------
    Engraving
    """
    try:
        import verovio
    except ImportError:  # pragma: no cover - the extra is installed by setup
        raise ExternalToolError("engraving needs verovio: pip install 'partita[report]'") from None
    if not (50 <= page_width_mm <= 2000 and 50 <= page_height_mm <= 2000):
        raise ConfigError(f"page size {page_width_mm:g} x {page_height_mm:g} mm is outside 50-2000 mm")
    if not 10 <= scale <= 200:
        raise ConfigError(f"scale {scale} is outside 10-200 percent")
    if max_pages is not None and max_pages < 1:
        raise ConfigError(f"max_pages {max_pages} must be at least 1")
    text, ids, unmatched = tagged_musicxml(score, prefix=prefix)
    log: list[str] = []
    tk = verovio.toolkit()
    tk.setOptions({
        "pageWidth": int(page_width_mm * 10), "pageHeight": int(page_height_mm * 10), "scale": scale,
        "adjustPageHeight": True, "header": "none", "footer": "none", "xmlIdSeed": seed,
        "mnumInterval": 1 if bar_numbers else 0, "svgViewBox": True, "breaks": "auto", "svgFormatRaw": True,
    })  # fmt: skip
    verovio.enableLog(verovio.LOG_WARNING)
    with _stderr_lines(log):
        ok = tk.loadData(text)
        total = tk.getPageCount() if ok else 0
        n = total if max_pages is None else min(total, max_pages)
        pages = tuple(tk.renderToSVG(i) for i in range(1, n + 1))
    if not ok or not pages:
        raise ExternalToolError("verovio could not read the score's MusicXML" + (f": {log[-1]}" if log else ""))
    on_pages = set()
    for page in pages:
        on_pages.update(re.findall(r'<g id="([^"]+)" class="note\b', page))
    shown = {k: v for k, v in ids.items() if k in on_pages}
    return Engraving(pages, total, shown, tuple(u for u in unmatched if u in on_pages), tuple(log), text)


def write_svg(engraving: Engraving, path: str | os.PathLike[str]) -> list[Path]:
    """Write the pages: ``score.svg`` for one page, ``score-1.svg``, ``score-2.svg``... for more.

    Returns the paths written, in page order.
    """
    path = Path(path)
    if engraving.n_pages == 1:
        targets = [path]
    else:
        targets = [path.with_name(f"{path.stem}-{i}{path.suffix or '.svg'}") for i in range(1, engraving.n_pages + 1)]
    for target, svg in zip(targets, engraving.pages):
        atomic_write_text(target, svg)
    return targets
