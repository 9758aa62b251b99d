"""What the MusicXML reader learns from the file itself, beside music21: parts and instruments.

music21 keeps one instrument per part, fills in a stock sound id of its own, and drops each
unpitched note's ``<instrument>``. This module reads the file's ``<part-list>`` and notes once,
streaming (``iterparse``, so memory does not grow with the file), and gives the reader:

- per part: its sound ids, instrument names, GM programs and ``<transpose>`` (chromatic plus
  octaves) as written, the first clef, the number of staves, the lyric verse numbers, and the
  GM percussion key of every unpitched note (:mod:`partita.symbolic.io.drums`), keyed by
  (measure index, onset in the measure, display step, display octave);
- the numbers of parts and bars before music21 parses anything, so that :func:`check_limits`
  can refuse an absurd file at once.

It also resolves a part's catalog instrument (:func:`resolve_instrument`): MuseScore's
``instrumentId`` or the file's own ``<instrument-sound>`` first, then the names, each checked
against the part's transposition (a "Clarinet" whose part transposes by -3 is the clarinet in A);
a part that names nothing the catalog knows ("Voice", "Cantus", "MusicXML Part") falls back to
the nearest instrument by clef and range, with a notice, never a refusal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable
from xml.etree import ElementTree

from partita.errors import InstrumentError, LimitError
from partita.symbolic.io import drums

__all__ = [
    "DEFAULT_MAX_BARS",
    "DEFAULT_MAX_PARTS",
    "Limits",
    "XmlPart",
    "XmlFacts",
    "scan",
    "check_limits",
    "resolve_instrument",
    "nearest_instrument",
]

#: Default limits: far above any real score (the longest operas have a few thousand bars per
#: act; the largest orchestral scores about a hundred staves), low enough to refuse a file
#: that would take minutes and gigabytes. Both can be raised (``--max-bars``, ``--max-parts``).
DEFAULT_MAX_BARS = 20_000
DEFAULT_MAX_PARTS = 1_000

#: A progress callback: ``progress(done, total, what)``; library code never prints.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Limits:
    """Largest input a reader accepts; ``None`` means no limit.

    >>> Limits().max_bars, Limits(max_bars=None).max_bars
    (20000, None)
    """

    max_bars: int | None = DEFAULT_MAX_BARS
    max_parts: int | None = DEFAULT_MAX_PARTS

    def __post_init__(self) -> None:
        for name in ("max_bars", "max_parts"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise LimitError(f"{name} must be a positive whole number or None, got {value!r}")


def check_limits(n_parts: int, n_bars: int, limits: Limits | None, *, file: str | None = None) -> None:
    """Raise :class:`~partita.errors.LimitError` when ``n_parts`` or ``n_bars`` pass ``limits``.

    >>> check_limits(3, 120, Limits())
    >>> check_limits(3, 50_000, Limits())
    Traceback (most recent call last):
    ...
    partita.errors.LimitError: the score has 50000 bars, more than the limit of 20000; raise it with --max-bars (Python: limits=Limits(max_bars=...))
    """
    limits = limits or Limits()
    if limits.max_parts is not None and n_parts > limits.max_parts:
        raise LimitError(
            f"the score has {n_parts} parts, more than the limit of {limits.max_parts}; "
            "raise it with --max-parts (Python: limits=Limits(max_parts=...))",
            file=file,
        )
    if limits.max_bars is not None and n_bars > limits.max_bars:
        raise LimitError(
            f"the score has {n_bars} bars, more than the limit of {limits.max_bars}; "
            "raise it with --max-bars (Python: limits=Limits(max_bars=...))",
            file=file,
        )


@dataclass(slots=True)
class XmlPart:
    """One ``<score-part>`` and its ``<part>`` as the file writes them."""

    id: str
    name: str = ""
    sounds: list[str] = field(default_factory=list)
    instrument_names: list[str] = field(default_factory=list)
    programs: list[int] = field(default_factory=list)
    channel10: bool = False
    #: score-instrument id -> GM percussion key
    drum_keys: dict[str, int] = field(default_factory=dict)
    transpose: int | None = None
    clef: str | None = None
    staves: int = 1
    n_measures: int = 0
    verses: set[str] = field(default_factory=set)
    #: (measure index, onset in quarters, display step, display octave) -> keys in file order
    unpitched: dict[tuple[int, Fraction, str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    n_unpitched: int = 0
    #: ``<forward>`` elements of duration 0 (which music21 reads as a quarter rest)
    empty_forwards: int = 0
    #: each measure's length as its durations say (the furthest any voice reaches), in quarters
    measure_lengths: list[Fraction] = field(default_factory=list)


@dataclass(slots=True)
class XmlFacts:
    parts: dict[str, XmlPart]

    @property
    def n_bars(self) -> int:
        return max((p.n_measures for p in self.parts.values()), default=0)


def _text(el: ElementTree.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


_CLEF = {("G", "2"): "treble", ("F", "4"): "bass", ("C", "3"): "alto", ("C", "4"): "tenor",
         ("percussion", ""): "percussion", ("percussion", "2"): "percussion",
         ("percussion", "3"): "percussion"}  # fmt: skip


def scan(source: bytes | str | Path, *, progress: Progress | None = None) -> XmlFacts:
    """Read a MusicXML document's part list and what music21 loses, streaming.

    ``source``: the document's bytes or a path to an uncompressed file. ``progress`` is
    called with (measures read, 0, "scanning") every 1,000 measures. Raises
    ``ElementTree.ParseError`` on malformed XML (the caller has parsed it with music21 first
    or reports it as a :class:`~partita.errors.FormatError`).
    """
    import io

    stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    parts: dict[str, XmlPart] = {}
    drum_info: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [None, None]))
    measures_seen = 0
    try:
        current: XmlPart | None = None
        m_index = -1
        divisions = 1
        pos = last_pos = reach = Fraction(0)
        for event, el in ElementTree.iterparse(stream, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == "part":
                    pid = el.get("id", "")
                    current = parts.setdefault(pid, XmlPart(pid))
                    m_index = -1
                elif tag == "measure" and current is not None:
                    m_index += 1
                    current.n_measures += 1
                    pos = last_pos = reach = Fraction(0)
                    measures_seen += 1
                    if progress is not None and measures_seen % 1000 == 0:
                        progress(measures_seen, 0, "scanning")
                continue
            # end events
            if tag == "score-part":
                pid = el.get("id", "")
                xp = parts.setdefault(pid, XmlPart(pid))
                xp.name = _text(el.find("part-name"))
                for si in el.findall("score-instrument"):
                    xp.instrument_names.append(_text(si.find("instrument-name")))
                    sound = _text(si.find("instrument-sound"))
                    if sound:
                        xp.sounds.append(sound)
                    drum_info[pid][si.get("id", "")][1] = _text(si.find("instrument-name"))
                for mi in el.findall("midi-instrument"):
                    program = _int(_text(mi.find("midi-program")))
                    if program is not None and 1 <= program <= 128:
                        xp.programs.append(program - 1)
                    if _text(mi.find("midi-channel")) == "10":
                        xp.channel10 = True
                    unp = _int(_text(mi.find("midi-unpitched")))
                    if unp is not None:
                        drum_info[pid][mi.get("id", "")][0] = unp
                for sid, (unp, name) in drum_info[pid].items():
                    key = drums.key_of_sound(unpitched=unp, name=name)
                    if key is not None:
                        xp.drum_keys[sid] = key
                el.clear()
            elif current is None:
                continue
            elif tag == "divisions":
                divisions = _int(_text(el)) or divisions
            elif tag == "staves":
                current.staves = max(current.staves, _int(_text(el)) or 1)
            elif tag == "transpose" and current.transpose is None:
                chromatic = _int(_text(el.find("chromatic"))) or 0
                octaves = _int(_text(el.find("octave-change"))) or 0
                current.transpose = chromatic + 12 * octaves
            elif tag == "clef":
                if current.clef is None:
                    sign, line = _text(el.find("sign")), _text(el.find("line"))
                    name = _CLEF.get((sign, line))
                    octave = _int(_text(el.find("clef-octave-change"))) or 0
                    if name == "treble" and octave:
                        name = "treble8vb" if octave < 0 else "treble8va"
                    current.clef = name
            elif tag == "backup":
                pos -= Fraction(_int(_text(el.find("duration"))) or 0, divisions)
            elif tag == "forward":
                step = _int(_text(el.find("duration"))) or 0
                pos += Fraction(step, divisions)
                reach = max(reach, pos)
                if step == 0:
                    current.empty_forwards += 1
            elif tag == "note":
                grace = el.find("grace") is not None
                chord = el.find("chord") is not None
                onset = last_pos if chord else pos
                lyrics = el.findall("lyric")
                for lyric in lyrics:
                    current.verses.add(lyric.get("number", "1"))
                unp = el.find("unpitched")
                if unp is not None and not grace:
                    inst = el.find("instrument")
                    key = current.drum_keys.get(inst.get("id", "")) if inst is not None else None
                    step, octave = _text(unp.find("display-step")), _int(_text(unp.find("display-octave")))
                    if key is None:
                        key = drums.key_of_display(step, octave)
                    if key is not None:
                        current.unpitched[(m_index, onset, step, octave if octave is not None else -1)].append(key)
                    current.n_unpitched += 1
                if not grace and not chord:
                    last_pos = pos
                    pos += Fraction(_int(_text(el.find("duration"))) or 0, divisions)
                    reach = max(reach, pos)
                el.clear()
            elif tag == "measure":
                current.measure_lengths.append(reach)
                el.clear()
    finally:
        if not isinstance(source, bytes):
            stream.close()
    return XmlFacts(parts)


# ---------------------------------------------------------------------------------------------
# instruments


def resolve_instrument(
    *,
    ids: Iterable[str | None],
    names: Iterable[str | None],
    program: int | None,
    transposition: int | None,
    percussion: bool,
    clef: str | None = None,
    pitches: Iterable[int] = (),
    sung: bool = False,
    notice: Callable[[str], None] | None = None,
    staves: int = 1,
) -> str:
    """The catalog id of a part's instrument.

    Parameters
    ----------
    ids
        Sound ids, most specific first: MuseScore's ``instrumentId``, the file's own
        ``<instrument-sound>``.
    names
        Part name, ``<instrument-name>`` and the like, in that order.
    program
        The part's GM program (0-127) or None.
    transposition
        Semitones from written to sounding pitch as the file writes them (None: not said).
    percussion
        True for unpitched notes or MIDI channel 10: the drum kit unless a sound id says
        another percussion instrument.
    clef, pitches, sung, staves
        For the fallback: the part's first clef, its sounding pitches, whether it has lyrics,
        how many staves it is written on (two or more: a keyboard).
    notice
        Called with one sentence when the instrument is a guess.

    Examples
    --------
    >>> resolve_instrument(ids=[], names=["Clarinet"], program=71, transposition=-3, percussion=False)
    'clarinet_a'
    >>> resolve_instrument(ids=[], names=["Cantus"], program=None, transposition=None,
    ...                    percussion=False, clef="treble", pitches=[62, 67, 72], sung=True)
    'soprano'
    """
    from partita import instruments

    ids, names = list(ids), list(names)
    found = []
    for c in [*ids, *names]:
        if not c or not str(c).strip():
            continue
        try:
            inst = instruments.lookup(str(c).strip())
        except InstrumentError:
            continue
        if inst not in found:
            found.append(inst)
    if percussion and not any(i.percussion for i in found):
        return "drum_kit"
    if program and found:
        # a name that means several instruments ("Bass": the voice or the electric bass; "Alto":
        # the voice or the saxophone): the file's own GM program decides (a program of 0 is many
        # exporters' default, so it says nothing)
        found.sort(key=lambda inst: inst.gm_program != program)
        if found[0].gm_program != program:
            exact = _program_entry(program)
            words = {w for n in names if n for w in re.findall(r"[a-z]+", str(n).lower())}
            if exact is not None and (exact.family != found[0].family or words & set(re.findall(r"[a-z]+", exact.name.lower()))):
                found.insert(0, exact)
    if transposition is not None:
        # octaves apart count as equal: a tenor voice or guitar is written an octave up with
        # an octave clef, which files mark in the clef, not always in <transpose>
        for inst in found:
            if (inst.transposition - transposition) % 12 == 0:
                return inst.id
        # the name says the family, the transposition says which member ("Clarinet", -3)
        for inst in found:
            sibling = _sibling(inst, transposition)
            if sibling is not None:
                return sibling.id
    if found:
        return found[0].id
    if program == 0 and found == [] and any(n and str(n).strip() for n in names):
        program = None  # exporters write program 1 (a piano) for any instrument they do not know
    if program is not None:
        try:
            by_program = instruments.by_program(int(program))
        except (InstrumentError, ValueError, TypeError):
            by_program = None
        if by_program is not None:
            if transposition is not None and (by_program.transposition - transposition) % 12:
                by_program = _sibling(by_program, transposition) or by_program
            return by_program.id
    named = list(dict.fromkeys(str(n).strip() for n in names if n and str(n).strip()))
    if not named and not any(ids):
        return "piano"  # a file that names no instrument at all (ABC, Humdrum, bare MusicXML)
    guess = nearest_instrument(clef=clef, pitches=pitches, sung=sung, transposition=transposition, staves=staves)
    if notice is not None:
        notice(
            f"no instrument in the catalog matches {', '.join(repr(n) for n in named) or 'its sound'}; "
            f"read as {instruments.get(guess).name} (nearest by staves, clef and range)"
        )
    return guess


def _program_entry(program: int) -> Any:
    """The catalog entry whose own GM program is ``program`` (not a nearest-family stand-in), or None."""
    from partita import instruments

    try:
        inst = instruments.by_program(int(program))
    except (InstrumentError, ValueError, TypeError):
        return None
    return inst if inst.gm_program == program else None


def _sibling(inst: Any, transposition: int) -> Any:
    """A catalog entry of the same family and GM program with the given transposition."""
    from partita import instruments

    for other in instruments.all_instruments():
        if (other.family == inst.family and other.gm_program == inst.gm_program
                and (other.transposition - transposition) % 12 == 0 and not other.percussion):  # fmt: skip
            return other
    return None


def nearest_instrument(
    *, clef: str | None, pitches: Iterable[int], sung: bool = False, transposition: int | None = None,
    staves: int = 1,
) -> str:
    """The catalog instrument nearest to a part nobody named: voices when it has lyrics, else
    any (keyboards for a part on two or more staves); the same clef preferred; then the one whose comfortable range holds most of the
    part's notes; then the first in catalog order (strings, woodwinds, brass, ...: the
    violin for a treble line, the cello for a bass line, the soprano for a sung treble line).

    >>> nearest_instrument(clef="bass", pitches=[43, 48, 55])
    'cello'
    >>> nearest_instrument(clef="treble", pitches=[67, 72, 76], sung=True)
    'soprano'
    """
    from partita import instruments

    pitches = list(pitches)
    pool = [i for i in instruments.all_instruments() if not i.percussion and i.family != "pitched_percussion"]
    if staves >= 2:  # a grand staff: the keyboards (piano first), whatever the range
        pool = [i for i in pool if i.family == "keyboards"] or pool
        clef = None
    elif sung:
        pool = [i for i in pool if i.family == "voice"] or pool
    if transposition is not None and transposition != 0:
        pool = [i for i in pool if i.transposition == transposition] or pool

    def cost(item: tuple[int, Any]) -> tuple:
        index, inst = item
        lo, hi = inst.comfortable_range
        outside = sum(1 for p in pitches if not lo <= p <= hi)
        wrong_clef = 0 if clef is None or inst.clef == clef else 1
        return (wrong_clef, outside, index)

    return min(enumerate(pool), key=cost)[1].id


# ---------------------------------------------------------------------------------------------
# the reader's side: one context per file read

#: Score metadata key of the reader's notices (instruments guessed), one sentence per line.
NOTICES = "partita.notices"


class ReadContext:
    """What :func:`partita.symbolic.io.musicxml.read` knows beside music21 while it builds a
    Score: the file's facts (:func:`scan`), the caller's per-part hints, a progress callback,
    and the notices it collects (instruments it had to guess)."""

    def __init__(self, facts: XmlFacts | None, hints: list[dict[str, Any]] | None, progress: Progress | None):
        self.facts = facts
        self.hints = list(hints or [])
        self.progress = progress
        self.notices: list[str] = []
        self._order = list(facts.parts) if facts is not None else []
        self._unpitched: dict[str, dict] = {}
        self._measure_index: dict[int, int] = {}
        self._resolved: dict[str, str] = {}
        self._instruments: dict[int, tuple[Any, Any]] = {}

    def instrument_of(self, p21: Any) -> Any:
        """``p21.getInstrument(returnDefault=False, recurse=True)``, asked of music21 once a part
        (each ask walks the whole part; the reader wants it four times)."""
        found = self._instruments.get(id(p21))
        if found is None or found[0] is not p21:
            found = self._instruments[id(p21)] = (p21, p21.getInstrument(returnDefault=False, recurse=True))
        return found[1]

    def _part(self, xml_id: str) -> XmlPart | None:
        return self.facts.parts.get(xml_id) if self.facts is not None else None

    def drum_key(self, xml_id: str, measures: list, m: Any, onset: Fraction, n21: Any) -> int | None:
        """The GM key of an unpitched note, from the file's ``<instrument>`` on that note."""
        xp = self._part(xml_id)
        if xp is None or not xp.unpitched:
            return None
        if not self._measure_index or id(m) not in self._measure_index:
            self._measure_index.update({id(x): i for i, x in enumerate(measures)})
        left = self._unpitched.get(xml_id)
        if left is None:  # (built once per part: as setdefault's argument it was built per note)
            left = self._unpitched[xml_id] = {k: list(v) for k, v in xp.unpitched.items()}
        octave = getattr(n21, "displayOctave", None)
        key = (self._measure_index.get(id(m), -1), onset, str(getattr(n21, "displayStep", "")),
               int(octave) if octave is not None else -1)  # fmt: skip
        keys = left.get(key)
        if keys:
            return keys.pop(0)
        return None

    def instrument(self, p21: Any, xml_id: str, name: str, has_unpitched: bool, records: list[dict], *,
                   staff: int = 0) -> str:
        """The catalog id of a part (see :func:`resolve_instrument`); a lower staff's is its
        part's, resolved on the first staff (from the first staff's notes)."""
        i21 = self.instrument_of(p21)
        xp = self._part(xml_id)
        if staff:
            return self._resolved.get(xml_id, "piano")
        hint = {}
        if xml_id in self._order and self._order.index(xml_id) < len(self.hints):
            hint = self.hints[self._order.index(xml_id)] or {}
        ids = [hint.get("instrument_id")]
        if xp is not None:
            ids += xp.sounds  # the file's own sound ids; music21 invents one when there is none
        elif i21 is not None:
            ids.append(getattr(i21, "instrumentSound", None))
        names = [name or None]
        if xp is not None:
            names += [xp.name, *xp.instrument_names]
        if i21 is not None:
            names += [i21.instrumentName, i21.partName]
        program = None
        if xp is not None and xp.programs:
            program = xp.programs[0]
        elif i21 is not None and getattr(i21, "midiProgram", None) is not None:
            program = int(i21.midiProgram)
        transposition = hint.get("transposition")
        if transposition is None and xp is not None:
            transposition = xp.transpose  # None when the file writes no <transpose>
        elif transposition is None and i21 is not None and i21.transposition is not None:
            transposition = int(i21.transposition.semitones)
        percussion = has_unpitched or (xp is not None and xp.channel10) or (
            i21 is not None and getattr(i21, "midiChannel", None) == 9)  # fmt: skip
        clef = xp.clef if xp is not None else None
        sung = any(r.get("lyric") for r in records)
        label = name or xml_id

        def notice(text: str) -> None:
            self.notices.append(f"part {label!r}: {text}")

        got = resolve_instrument(
            ids=ids, names=names, program=program, transposition=transposition, percussion=percussion,
            clef=clef, pitches=[r["pitch"] for r in records], sung=sung, notice=notice,
            staves=xp.staves if xp is not None else 1,
        )  # fmt: skip
        self._resolved[xml_id] = got
        return got

    def finish(self, score: Any) -> Any:
        """The score with the notices (instruments guessed) in its metadata, each also issued
        as a UserWarning."""
        import dataclasses
        import warnings

        if not self.notices:
            return score
        for text in self.notices:
            warnings.warn(text, UserWarning, stacklevel=3)
        metadata = dict(score.metadata)
        metadata[NOTICES] = "\n".join(self.notices)
        return dataclasses.replace(score, metadata=metadata)


def staff_indices(parts21: list, instrument_of: Callable[[Any], Any] | None = None) -> list[int]:
    """For each music21 part, its staff within a multi-staff part (music21 splits a grand staff
    into ``PartStaff`` objects sharing one ``<score-part>`` id): 0 for the first or only staff.
    ``instrument_of``: a part's music21 instrument (default: asked of the part)."""
    from music21 import stream

    out: list[int] = []
    prev_id = None
    for p21 in parts21:
        i21 = instrument_of(p21) if instrument_of else p21.getInstrument(returnDefault=False, recurse=True)
        pid = getattr(i21, "partId", None) if i21 is not None else None
        if isinstance(p21, stream.PartStaff) and pid is not None and pid == prev_id and out:
            out.append(out[-1] + 1)
        else:
            out.append(0)
        prev_id = pid if isinstance(p21, stream.PartStaff) else None
    return out


def join_staves(parts: list, staff_of: list[int]) -> list:
    """One Part per multi-staff part: the lower staves' notes (voices 5-8, 9-12, ...), grace
    notes, ornaments, verses, dynamics and hairpins join the first staff's part."""
    import dataclasses

    out: list = []
    for part, staff in zip(parts, staff_of):
        if staff == 0 or not out:
            out.append(part)
            continue
        top = out[-1]
        dyn_onsets = {d.onset for d in top.dynamics}
        out[-1] = dataclasses.replace(
            top,
            notes=top.notes + part.notes,
            graces=top.graces + part.graces,
            ornaments=top.ornaments + part.ornaments,
            verses=top.verses + part.verses,
            dynamics=top.dynamics + tuple(d for d in part.dynamics if d.onset not in dyn_onsets),
            hairpins=top.hairpins + tuple(h for h in part.hairpins if h not in top.hairpins),
            cross_staff=top.cross_staff + part.cross_staff,
        )
    return out
