"""MusicXML read and write, and ABC / Humdrum read, through music21.

>>> from fractions import Fraction
>>> from partita.symbolic.score import Note, Part, Score
>>> from partita.symbolic.io import musicxml
>>> score = Score(parts=(Part("tpt", "Trumpet", "trumpet", notes=(Note(0, 1, 60),)),))
>>> s21 = musicxml.score_to_music21(score)      # written pitch: D4 in the file
>>> musicxml.score_from_music21(s21) == score
True

What a MusicXML file written here holds, and how it reads back
---------------------------------------------------------------
Writing then reading gives back an equal Score (``==``) for every score whose notes keep inside
their bars and have notatable durations (one note value, dotted or in a tuplet); that is what
``tests/strategies.py`` generates and ``tests/test_musicxml.py`` checks. In detail:

- **Parts**: the part id is the ``<score-part id>`` (ids that are not XML names are written as
  ``P1``, ``P2``... and the real ids kept in the ``partita-part-ids`` field); the part name is
  ``<part-name>``; the catalog instrument's name, abbreviation, GM program, MusicXML sound id,
  clef and transposition are written. Reading resolves the instrument with
  :func:`partita.symbolic.io.musicxml_parts.resolve_instrument`: MuseScore's ``instrumentId``
  (when read through :mod:`~partita.symbolic.io.musescore`) and the file's own
  ``<instrument-sound>``, then the part and instrument names, each checked against the file's
  ``<transpose>`` (a "Clarinet" transposing by -3 is the clarinet in A), then the GM program;
  a part that names something the catalog does not know falls back to the nearest instrument
  by clef and range (voices for a part with lyrics) with a warning, never a refusal. A part
  that names no instrument at all (ABC and Humdrum files, bare MusicXML) is read as ``piano``.
- **Staves**: a part whose notes use voices 5-8 is written as one grand-staff part (voices 1-4
  on the upper staff, 5-8 on the lower one, MuseScore's numbering,
  :mod:`~partita.symbolic.io.musicxml_fixup`); a multi-staff part reads back as one part.
- **Pitch**: the Score holds sounding pitch; the file holds written pitch plus ``<transpose>``
  (a B-flat trumpet's sounding C4 is written D4, a horn in F's sounding C4 is written G4). On
  read the file's own ``<transpose>`` turns written pitch back into sounding pitch. The spelling
  is the sounding spelling; a note with ``spelling=None`` is written with the key's default
  spelling and flagged in the expression field so that it reads back as ``None``.
- **Rhythm**: onsets and durations are exact Fractions (tuplets included). The model has no
  rests: gaps are written as rests and dropped on read. Notes that cross a bar line are written
  as tied pieces (music21 also splits durations that are not one note value) and read back as
  those tied pieces, so such a score does not read back equal.
- **Voices**: a bar where a part uses only voice 1 holds its notes directly; otherwise each
  voice (voice 1 always among them, as a rest if it is silent) is a ``<voice>``-numbered music21
  ``Voice`` and the numbers are kept. Notes that start together in one voice are one chord:
  its articulations, slur and lyric are the chord's (the union / the first one written), ties,
  velocities, spellings and expression overrides stay per note.
- **Ties, slurs**: ties per note; a slur is a music21 ``Slur`` spanner from the ``start`` note to
  the ``stop`` note; on read every note of that voice strictly between them is ``continue``.
- **Articulations**: staccato, staccatissimo, tenuto, accent, marcato (``<strong-accent>``),
  fermata (a notation); lyrics: every verse (``<lyric number>``): the sung verse's syllable is
  the note's ``lyric``, the others are ``Part.verses`` (:mod:`partita.symbolic.verses`).
- **Velocity**: a single note's velocity is ``<note dynamics="...">`` (percent of 90; exact for
  1-127 after music21's rounding); chord notes' velocities, which music21 does not write, are
  kept in the expression field. ``None`` stays ``None``.
- **Dynamics** are ``<dynamics>`` directions at their onsets (``sff``, which MusicXML lacks, is
  ``<other-dynamics>``; music21 reads that element without its text, so the reader looks the
  text up in the file). **Hairpins** are ``<wedge>`` spanners anchored on notes: the wedge
  starts at a note starting at the hairpin's onset and stops at a note ending at its end, and
  on read onset = the first note's onset, end = the last note's end. A hairpin whose ends are
  not note boundaries in its part is written from the first note starting inside it to the last
  note ending inside it (and dropped when there is none).
- **Score-wide marks**: tempo marks (``<metronome>`` in quarter notes per minute plus a
  ``<words>`` text at the same onset, read back as the mark's text), time signatures and keys
  (fifths and mode) are in every part; sections (``<rehearsal>``), chord symbols
  (``<harmony>``, flats written the music21 way) and tempo marks in the first part
  (chord symbols in the first non-transposing part). A pickup is a measure 0 shorter than its
  meter; on read a first measure shorter than its meter is the pickup. music21 truncates a
  direction's ``<offset>`` to whole divisions, so on read the onsets of directions (dynamics,
  tempo, rehearsal marks, chord symbols) within one division (1/10080 quarter) of a fraction
  with denominator up to 64 are put back on it.
- **Notation**: the writer runs music21's accidentals, beams and tuplet brackets itself and
  exports with ``makeNotation=False``, because music21's ``makeNotation`` re-splits notes to
  complete tuplets (1/3 + a 2/3 rest + a half note would come back as 1/3, 2/3, 4/3 tied to 2/3).
- **Metadata**: title as work and movement title; ``composer``, ``lyricist``, ``arranger``,
  ``copyright`` as MusicXML creators and rights; other fields as JSON in one
  ``partita-metadata`` miscellaneous field. Expression overrides (vibrato depth and rate,
  brightness), which MusicXML has no element for, are JSON in one ``partita-expression``
  miscellaneous field keyed by part id and ``onset|voice|pitch``.

Reading files nobody here wrote
-------------------------------
- Whatever the reader cannot keep is listed in ``Score.dropped`` (:mod:`partita.symbolic.report`),
  by kind, part and bar.
- Unpitched percussion notes are read through the part's drum map
  (:mod:`~partita.symbolic.io.drums`): each note's ``<instrument>``, read from the file since
  music21 drops it, names a sound whose ``<midi-unpitched>`` (or name, or the note's display
  position) gives the General MIDI key, the note's pitch. A ``drum_kit`` part is written as
  unpitched notes of named drum sounds, which MuseScore reads into its drum set.
- A grand staff (music21's ``PartStaff`` objects of one ``<score-part>``) reads as one part,
  the lower staff's voices numbered 5-8. Clef changes and 8va/8vb lines (whose notes keep their
  sounding pitch) are not held and are reported in ``Score.dropped``.
- An ABC (or other) file holding several pieces (an opus) reads its first piece, or the one
  ``number`` names (:func:`partita.symbolic.io.abc.tunes` lists an ABC book's tunes). Files are parsed with music21's cache off (``forceSource``), so nothing is
  written beside them; every failure to parse is a :class:`~partita.errors.FormatError` naming
  the file.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from partita._fileio import atomic_path
from partita.errors import FormatError, InstrumentError, PartitaError, ScoreError
from partita.symbolic.dynamics import DYNAMIC_MARKS, Dynamic, Hairpin
from partita.symbolic.io.musicxml_form import play_text, read_form, read_playing, write_form
from partita.symbolic.io.musicxml_marks import (
    add_ornaments,
    exact_tempos,
    for_musescore,
    grace_element,
    grace_notes_of,
    grace_slashes,
    is_kept,
    ornaments_of,
    spanner_ornaments,
    with_exact_tempos,
    with_grace_slashes,
)
from partita.symbolic.lyrics import encode_syllable
from partita.symbolic.pitch import MODES, KeySignature, pitch_from_spelling, spell_pitch
from partita.symbolic.report import DropLog
from partita.symbolic.score import ChordSymbol, Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature, as_ql
from partita.symbolic.verses import Syllable

__all__ = [
    "EXPRESSION_FIELD",
    "METADATA_FIELD",
    "PART_IDS_FIELD",
    "read",
    "write",
    "score_from_music21",
    "score_to_music21",
]

#: MusicXML ``<miscellaneous-field>`` names partita writes.
EXPRESSION_FIELD = "partita-expression"
METADATA_FIELD = "partita-metadata"
PART_IDS_FIELD = "partita-part-ids"

_READ_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml",
                 ".abc": "abc", ".krn": "humdrum"}  # fmt: skip
_WRITE_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "mxl"}
_NATIVE_METADATA = ("composer", "lyricist", "arranger", "copyright")
#: music21 metadata names that describe the file, not the work: never Score metadata.
_FILE_METADATA = frozenset({"fileFormat", "filePath", "fileNumber", "software", "title",
                            "movementName", "movementNumber", "dateCreated", "corpusFilePath"})  # fmt: skip
_XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_ALTER_SIGN = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
_M21_ACCIDENTAL = {"": "", "#": "#", "##": "##", "b": "-", "bb": "--"}
_CLEFS = {"treble": "TrebleClef", "bass": "BassClef", "alto": "AltoClef", "tenor": "TenorClef",
          "treble8vb": "Treble8vbClef", "treble8va": "Treble8vaClef", "bass8vb": "Bass8vbClef",
          "percussion": "PercussionClef"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# files


def read(
    path: str | Path,
    *,
    number: int | None = None,
    hints: list[dict[str, Any]] | None = None,
    limits: Any = None,
    progress: Any = None,
) -> Score:
    """Read a MusicXML (``.musicxml``, ``.xml``, ``.mxl``), ABC or Humdrum (``.krn``) file.

    Parameters
    ----------
    path
        The file; its extension chooses the format (a file that is not what its extension says
        fails to parse). It is not modified, and no cache is written beside it.
    number
        Which piece of a file holding several (an ABC tune book): music21's number (ABC's
        ``X:``). Default: the first piece. :func:`partita.symbolic.io.abc.tunes` lists them.
    hints
        Per part, in file order, what the file's maker knows beyond MusicXML: MuseScore's
        ``instrumentId`` (``{"instrument_id": ...}``; :func:`partita.symbolic.io.musescore.part_hints`).
    limits
        A :class:`~partita.symbolic.io.musicxml_parts.Limits`: a file with more parts or bars
        raises :class:`~partita.errors.LimitError` before music21 parses it. Default: the defaults.
    progress
        ``progress(done, total, what)``, called while a large file is read (library code never prints).

    Returns
    -------
    Score
        Sounding pitch; see the module docstring for what is kept.

    Raises
    ------
    FormatError
        The file does not parse, or holds no score.
    InstrumentError
        A part names an instrument the catalog does not know.

    Examples
    --------
    >>> from music21 import corpus
    >>> score = read(corpus.getWork("bach/bwv66.6"))
    >>> [p.instrument for p in score.parts]
    ['soprano', 'alto', 'tenor', 'bass']
    """
    path = Path(path)
    fmt = _READ_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FormatError(f"cannot read {path.suffix or 'a file without extension'} with music21", file=str(path))
    if not path.is_file():
        raise FormatError("no such file", file=str(path))
    from music21 import converter, stream

    from partita.symbolic.io import musicxml_parts

    facts = None
    if fmt == "musicxml":
        facts = _scan(path, progress)
        if facts is not None:
            musicxml_parts.check_limits(len(facts.parts), facts.n_bars, limits, file=str(path))
    if progress is not None:
        progress(0, 1, "parsing")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs: dict[str, Any] = {"format": fmt, "forceSource": True}
            if number is not None:
                kwargs["number"] = number
            parsed = converter.parse(str(path), **kwargs)
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None
    except RecursionError:
        raise FormatError("the file nests too deeply to parse", file=str(path)) from None
    except Exception as exc:  # music21 and the XML parser raise anything at all
        raise FormatError(f"not a readable {fmt} file: {_one_line(exc)}", file=str(path)) from None
    if isinstance(parsed, stream.Opus):
        found = list(parsed.scores)
        if not found:
            raise FormatError("the file holds no score", file=str(path))
        if number is None:
            parsed = found[0]
        else:  # music21 may hand back the whole book when X: numbers repeat or are missing
            chosen = [s for s in found if str(getattr(s.metadata, "number", "")) == str(number)]
            parsed = (chosen or found)[0]
    if facts is None:
        n_bars = max((len(p.getElementsByClass(stream.Measure)) for p in getattr(parsed, "parts", ())), default=0)
        musicxml_parts.check_limits(len(getattr(parsed, "parts", ())), n_bars, limits, file=str(path))
    root = _file_root(path) if fmt == "musicxml" else None
    other = _other_dynamics(root)
    context = musicxml_parts.ReadContext(facts, hints, progress)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = _from_music21(parsed, other_dynamics=other, context=context)
            if root is not None:
                score = _replace(score, form=read_form(root, _measure_spans(parsed)))
                score = with_grace_slashes(score, grace_slashes(root))
                score = with_exact_tempos(score, exact_tempos(root))
                score = _replace(score, playing=read_playing(root, _measure_spans(parsed)))
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None
    except Exception as exc:  # a music21 object model broken in ways the parser let through
        raise FormatError(f"cannot make a score of it: {_one_line(exc)}", file=str(path)) from None
    if score.title == path.name:  # music21 names untitled works after their file
        score = _replace(score, title="")
    return context.finish(score)


def _scan(path: Path, progress: Any) -> Any:
    """:func:`musicxml_parts.scan` of a ``.musicxml``/``.xml``/``.mxl`` file, or None when it
    cannot be read that way (music21 then says what is wrong)."""
    from partita.symbolic.io import musicxml_parts

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml"))]
                if not names:
                    return None
                return musicxml_parts.scan(zf.read(names[0]), progress=progress)
        return musicxml_parts.scan(path, progress=progress)
    except (ElementTree.ParseError, OSError, zipfile.BadZipFile, ValueError, KeyError, LookupError, RecursionError):
        # LookupError: an XML declaration naming an encoding Python does not know
        return None


def write(score: Score, path: str | Path) -> None:
    """Write ``score`` to a MusicXML file (``.mxl``: compressed), atomically.

    Written pitch in transposing parts; see the module docstring for what the file holds.

    Raises
    ------
    ScoreError
        ``score`` is not a Score, or holds something MusicXML cannot (a written pitch outside
        0-127, a chord symbol music21 cannot parse, a rhythm music21 cannot notate).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from partita.symbolic.score import Note, Part, Score
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "horn.musicxml"
    >>> write(Score(parts=(Part("hn", "Horn", "horn", notes=(Note(0, 4, 60),)),)), out)
    >>> "<step>G</step>" in out.read_text()
    True
    """
    path = Path(path)
    fmt = _WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FormatError(f"cannot write {path.suffix or 'a file without extension'} as MusicXML", file=str(path))
    s21 = score_to_music21(score)
    with atomic_path(path) as tmp:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _notate(s21)
                s21.write(fmt, fp=str(tmp), makeNotation=False)
                _rewrite_for_musescore(Path(tmp), compressed=fmt == "mxl")
            if fmt == "musicxml":
                _fix_written(tmp, score)
        except PartitaError as exc:
            raise exc.located(file=str(path)) from None
        except Exception as exc:
            raise ScoreError(f"music21 cannot write this score: {_one_line(exc)}", file=str(path)) from None


def _fix_written(path: Path, score: Score) -> None:
    """Voices of lower staves and drum sets, which music21 cannot write as MuseScore reads
    them (:mod:`partita.symbolic.io.musicxml_fixup`)."""
    from partita.symbolic.io import musicxml_fixup

    xml_ids = _xml_part_ids(score)
    staffed = [x for x, p in zip(xml_ids, score.parts) if len(musicxml_fixup.split_staves(p)) > 1]
    drummed = [x for x, p in zip(xml_ids, score.parts) if p.instrument == "drum_kit"]
    if not staffed and not drummed:
        return
    text = path.read_text(encoding="utf-8")
    text = musicxml_fixup.fix_staff_voices(text, staffed)
    text = musicxml_fixup.write_unpitched(text, drummed)
    path.write_text(text, encoding="utf-8")


def _rewrite_for_musescore(path: Path, *, compressed: bool) -> None:
    """Put marks where MuseScore 3 reads them (:func:`musicxml_marks.for_musescore`), in place."""
    if not compressed:
        path.write_text(for_musescore(path.read_text(encoding="utf-8")), encoding="utf-8")
        return
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if not info.filename.startswith("META-INF") and info.filename.endswith((".xml", ".musicxml")):
                data = for_musescore(data.decode("utf-8")).encode("utf-8")
            zf.writestr(info, data)


def _notate(s21: Any) -> None:
    """Written pitch, accidentals, beams and tuplet brackets, in place, for export.

    music21's own ``makeNotation`` also re-splits notes to complete tuplets (a 1/3 note, a 2/3
    rest and a half note come back as 1/3, 2/3, 4/3 tied to 2/3), which would change the score;
    this does the rest of its work and leaves the rhythm alone, except that durations that are
    not one note value are split into tied notes.
    """
    from music21 import stream
    from music21.stream import makeNotation

    s21.toWrittenPitch(inPlace=True)
    for part in s21.parts:
        part.splitAtDurations(recurse=True)
        part.makeAccidentals(inPlace=True)
        for m in part.getElementsByClass(stream.Measure):
            try:
                m.makeBeams(inPlace=True)
            except Exception:  # odd meters and tuplets: beams are optional in MusicXML
                pass
            for container in (m, *m.voices):
                try:
                    makeNotation.makeTupletBrackets(container, inPlace=True)
                except Exception:
                    pass


def _measure_spans(s21: Any) -> list[tuple[Fraction, Fraction]]:
    """(start, end) quarter-lengths of the first part's measures, in order."""
    from music21 import stream

    parts = list(s21.parts) if hasattr(s21, "parts") else []
    if not parts:
        return []
    out = []
    for m in parts[0].getElementsByClass(stream.Measure):
        start = as_ql(m.offset)
        out.append((start, start + as_ql(m.duration.quarterLength)))
    return out


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _replace(score: Score, **changes: Any) -> Score:
    import dataclasses

    return dataclasses.replace(score, **changes)


def _file_root(path: Path) -> ElementTree.Element | None:
    """The parsed XML of a MusicXML file (compressed or not), or None when it cannot be had."""
    try:
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml"))]
                if not names:
                    return None
                data = zf.read(names[0])
        return ElementTree.fromstring(data)
    except Exception:  # music21 parsed it; if we cannot, we only lose what is read from it here
        return None


def _other_dynamics(root: ElementTree.Element | None) -> dict[tuple[str, str], list[str]]:
    """Texts of ``<other-dynamics>`` per (part id, measure number), in document order.

    music21 reads the element but loses its text; this reads it from the file itself.
    """
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    if root is None:
        return out
    for part in root.iter("part"):
        for measure in part.iter("measure"):
            for el in measure.iter("other-dynamics"):
                out[(part.get("id", ""), measure.get("number", ""))].append((el.text or "").strip())
    return dict(out)


# ---------------------------------------------------------------------------------------------
# Score -> music21


def score_to_music21(score: Score) -> Any:
    """This score as a music21 ``stream.Score`` marked at sounding pitch.

    Parts hold measures (a pickup is measure 0), voices, ties, slurs, wedges and the marks; the
    instruments carry the catalog's transposition, so music21's MusicXML writer puts the written
    pitch in the file. See the module docstring for the layout.

    Raises
    ------
    ScoreError
        ``score`` is not a Score, a written pitch leaves 0-127, or a chord figure does not parse.

    Examples
    --------
    >>> from partita.symbolic.score import Note, Part, Score
    >>> s21 = score_to_music21(Score(parts=(Part("cl", "Clarinet", "clarinet", notes=(Note(0, 1, 60),)),)))
    >>> s21.toWrittenPitch().recurse().notes[0].nameWithOctave
    'D4'
    """
    if not isinstance(score, Score):
        raise ScoreError(f"expected a partita Score, got {type(score).__name__}")
    from music21 import metadata, stream

    bars = _bar_layout(score)
    s21 = stream.Score()
    md = metadata.Metadata()
    md.title = score.title
    md.movementName = score.title
    extra_meta = {}
    for key, value in score.metadata.items():
        if key in _NATIVE_METADATA:
            setattr(md, key, value)
        else:
            extra_meta[key] = value
    if extra_meta:
        md.addCustom(METADATA_FIELD, json.dumps(extra_meta, ensure_ascii=False, sort_keys=True))

    xml_ids = _xml_part_ids(score)
    if any(x != p.id for x, p in zip(xml_ids, score.parts)):
        md.addCustom(PART_IDS_FIELD, json.dumps(dict(zip(xml_ids, (p.id for p in score.parts)))))
    from partita import instruments

    transposing = [instruments.get(p.instrument).transposition != 0 for p in score.parts]
    chord_part = transposing.index(False) if False in transposing else 0
    expression: dict[str, dict[str, dict[str, Any]]] = {}
    from partita.symbolic.io import musicxml_fixup

    for index, (part, xml_id) in enumerate(zip(score.parts, xml_ids)):
        staves = musicxml_fixup.split_staves(part)
        staffs21 = []
        for staff, staff_part in enumerate(staves):
            p21, extras = _part_to_music21(
                score, staff_part, xml_id, bars, marks=index == 0 and staff == 0,
                chords=index == chord_part and staff == 0,
            )  # fmt: skip
            if extras:
                expression.setdefault(xml_id, {}).update(musicxml_fixup.restaff_extras(extras, staff))
            s21.insert(0, p21)
            staffs21.append(p21)
        if len(staffs21) > 1:
            musicxml_fixup.group_staves(s21, staffs21, staves)
    if expression:
        md.addCustom(EXPRESSION_FIELD, json.dumps({"version": 1, "parts": expression}, sort_keys=True))
    s21.metadata = md
    s21.atSoundingPitch = True
    return s21


def _xml_part_ids(score: Score) -> list[str]:
    out: list[str] = []
    taken = {p.id for p in score.parts if _XML_ID.match(p.id)}
    for i, part in enumerate(score.parts):
        if _XML_ID.match(part.id):
            out.append(part.id)
            continue
        k, candidate = i + 1, f"P{i + 1}"
        while candidate in taken:
            k += 100
            candidate = f"P{k}"
        taken.add(candidate)
        out.append(candidate)
    return out


def _bar_layout(score: Score) -> list[tuple[int, Fraction, Fraction]]:
    """(number, start, end) of every bar the notes and marks need; at least one."""
    horizon = score.end
    last_mark = [m.onset for m in score.tempo_map.marks]
    last_mark += [t.onset for t in score.time_signatures] + [k.onset for k in score.key_signatures]
    last_mark += [s.onset for s in score.sections] + [c.onset for c in score.chords]
    last_mark += [m.onset for m in score.playing]
    for p in score.parts:
        last_mark += [d.onset for d in p.dynamics] + [h.onset for h in p.hairpins]
    mark_end = max(last_mark, default=Fraction(0))
    bars = []
    number = 0 if score.pickup else 1
    while True:
        start = score.bar_start(number)
        if bars and not (start < horizon or start <= mark_end):
            break
        end = score.pickup if number == 0 else start + score.time_signature_at(start).bar_length
        bars.append((number, start, end))
        number += 1
    return bars


def _m21_pitch(spelling: str) -> Any:
    from music21 import pitch

    m = re.match(r"^([A-G])(#{1,2}|b{1,2})?(-?\d+)$", spelling)
    assert m, spelling  # Note normalises its spelling
    return pitch.Pitch(f"{m.group(1)}{_M21_ACCIDENTAL[m.group(2) or '']}{m.group(3)}")


def _m21_figure(figure: str) -> str:
    """Score chord figure -> music21 figure: flats of root and bass as ``-``."""
    return re.sub(r"(^|/)([A-G])b", r"\1\2-", figure)


def _score_figure(figure: str) -> str:
    return re.sub(r"(^|/)([A-G])-", r"\1\2b", figure)


def _split_at_bars(notes, bars):
    """Notes cut at bar lines into tied pieces: [(piece, original)]."""
    starts = [b[1] for b in bars] + [bars[-1][2]]
    out = []
    import bisect
    import dataclasses

    for n in notes:
        i = bisect.bisect_right(starts, n.onset) - 1
        cuts = [s for s in starts[i + 1 :] if n.onset < s < n.end]
        if not cuts:
            out.append((n, n))
            continue
        edges = [n.onset, *cuts, n.end]
        k = len(edges) - 1
        for j in range(k):
            first, last = j == 0, j == k - 1
            tie_in = not first or n.tie in ("stop", "continue")
            tie_out = not last or n.tie in ("start", "continue")
            tie = {(False, True): "start", (True, True): "continue", (True, False): "stop"}.get((tie_in, tie_out))
            slur = n.slur
            if slur == "start" and not first or slur == "stop" and not last:
                slur = "continue"
            piece = dataclasses.replace(
                n, onset=edges[j], duration=edges[j + 1] - edges[j], tie=tie, slur=slur,
                articulations=n.articulations if first else frozenset(),
                lyric=n.lyric if first else None,
            )  # fmt: skip
            out.append((piece, n))
    return out


def _part_to_music21(score, part, xml_id, bars, *, marks, chords):
    from music21 import (
        articulations,
        chord,
        clef,
        dynamics,
        expressions,
        harmony,
        instrument,
        interval,
        key,
        meter,
        note,
        spanner,
        stream,
        tempo,
        tie,
    )

    from partita import instruments

    inst = instruments.get(part.instrument)
    p21 = stream.Part()
    p21.id = xml_id
    p21.partName = part.name
    p21.partAbbreviation = inst.abbreviation
    i21 = instrument.Instrument()
    i21.partId = xml_id
    # music21 draws a random id otherwise: the same score must give the same bytes
    i21.instrumentId = f"{xml_id}-I1"
    i21.partName = part.name
    i21.partAbbreviation = inst.abbreviation
    i21.instrumentName = inst.name
    i21.instrumentAbbreviation = inst.abbreviation
    i21.midiProgram = inst.gm_program
    if inst.percussion:
        i21.midiChannel = 9
    if inst.sound:
        i21.instrumentSound = inst.sound
    if inst.transposition:
        i21.transposition = interval.Interval(inst.transposition)

    def bar_number(onset):
        return score.bar_of(onset).bar

    other_verses: dict[tuple[Fraction, int], list] = defaultdict(list)
    for syllable in part.verses:
        other_verses[(syllable.onset, syllable.voice)].append(syllable)

    # notes -> music21 events, grouped by (bar, voice)
    extras: dict[str, dict[str, Any]] = {}
    pieces = _split_at_bars(part.notes, bars)
    groups: dict[tuple[Fraction, int], list] = defaultdict(list)
    for piece, orig in pieces:
        written = piece.pitch - inst.transposition
        if not 0 <= written <= 127:
            raise ScoreError(
                f"written pitch {written} of sounding {piece.pitch} on {inst.name} is outside MIDI's 0-127",
                part=part.name, bar=bar_number(piece.onset),
            )  # fmt: skip
        groups[(piece.onset, piece.voice)].append((piece, orig))
    events = []  # (onset, end, voice, m21 element, [pieces])
    for (onset, voice), members in sorted(groups.items()):
        m21_notes = []
        for piece, orig in members:
            spelling = piece.spelling
            if spelling is None:
                ks = score.key_signature_at(piece.onset)
                spelling = spell_pitch(piece.pitch, fifths=ks.fifths if ks else 0)
            n21 = note.Note(_m21_pitch(spelling))
            if piece.tie:
                n21.tie = tie.Tie(piece.tie)
            m21_notes.append(n21)
            info: dict[str, Any] = {}
            if piece.spelling is None:
                info["u"] = 1
            if piece.velocity is not None and len(members) > 1:
                info["v"] = piece.velocity
            for name, short in (("vibrato_depth_cents", "vd"), ("vibrato_rate_hz", "vr"), ("brightness", "b")):
                value = getattr(piece, name)
                if value is not None:
                    info[short] = value
            if info:
                extras[f"{piece.onset}|{piece.voice}|{piece.pitch}"] = info
        head = members[0][0]
        if len(m21_notes) == 1:
            el = m21_notes[0]
            if head.velocity is not None:
                el.volume.velocity = head.velocity
        else:
            el = chord.Chord(m21_notes)
        el.duration.quarterLength = head.duration
        arts = frozenset().union(*(p.articulations for p, _ in members))
        for name, cls in (("staccato", articulations.Staccato), ("staccatissimo", articulations.Staccatissimo),
                          ("tenuto", articulations.Tenuto), ("accent", articulations.Accent),
                          ("marcato", articulations.StrongAccent)):  # fmt: skip
            if name in arts:
                el.articulations.append(cls())
        if "fermata" in arts:
            el.expressions.append(expressions.Fermata())
        lyric = next((p.lyric for p, _ in members if p.lyric), None)
        if lyric:
            _add_lyric(el, lyric, part.sung_verse)
        for syllable in other_verses.get((head.onset, head.voice), ()):
            _add_lyric(el, syllable.text, syllable.verse)
        on_note = [o for o in part.ornaments if o.onset == onset and o.voice == voice and o.end is None]
        if on_note and head.onset == members[0][1].onset:
            add_ornaments(el, on_note)
        events.append((onset, head.end, voice, el, [p for p, _ in members]))

    # measures
    ts_at = {t.onset: t for t in score.time_signatures}
    measures = []
    by_bar: dict[int, list] = defaultdict(list)
    bar_starts = [b[1] for b in bars]
    import bisect

    for ev in events:
        by_bar[bisect.bisect_right(bar_starts, ev[0]) - 1].append(ev)
    for index, (number, start, end) in enumerate(bars):
        m = stream.Measure(number=number)
        if number == 0:
            m.paddingLeft = float(score.time_signatures[0].bar_length - (end - start))
        if index == 0:
            m.insert(0, i21)
            clef_name = _CLEFS.get(inst.clef)
            if clef_name:
                m.insert(0, getattr(clef, clef_name)())
        if start in ts_at:
            t = ts_at[start]
            m.insert(0, meter.TimeSignature(f"{t.numerator}/{t.denominator}"))
        for ks in score.key_signatures:
            if start <= ks.onset < end or (index == len(bars) - 1 and ks.onset >= end):
                m.insert(ks.onset - start, key.KeySignature(ks.fifths).asKey(ks.mode))
        bar_events = by_bar.get(index, [])
        voices = sorted({ev[2] for ev in bar_events})
        if voices in ([], [1]):
            containers = {1: m}
        else:
            containers = {}
            for v in sorted(set(voices) | {1}):
                containers[v] = stream.Voice(id=str(v))
                m.insert(0, containers[v])
        def rest(length):
            r = note.Rest(quarterLength=length)
            if number == 0:  # music21 would write a whole-bar rest, read back as a full bar
                r.fullMeasure = False
            return r

        grace_groups: dict[tuple[Fraction, int, int], list] = defaultdict(list)
        for g in part.graces:
            if start <= g.onset < end:
                grace_groups[(g.onset, g.voice if g.voice in containers else 1, g.order)].append(g)
        for (g_onset, g_voice, _), group in sorted(grace_groups.items()):
            containers[g_voice].insert(g_onset - start, grace_element(group, lambda g: _m21_pitch(
                g.spelling or spell_pitch(g.pitch, fifths=getattr(score.key_signature_at(g.onset), "fifths", 0)))))
        for v, container in containers.items():
            t = start
            for ev in sorted((e for e in bar_events if e[2] == v), key=lambda e: e[0]):
                if ev[0] > t:
                    container.insert(t - start, rest(ev[0] - t))
                container.insert(ev[0] - start, ev[3])
                t = ev[1]
            if t == start and number == 0:
                # a pickup bar holding one whole rest reads back as a full bar: use two rests
                half = (end - start) / 2
                container.insert(0, rest(half))
                container.insert(half, rest(half))
            elif t < end:
                container.insert(t - start, rest(end - t))
        for d in part.dynamics:
            if start <= d.onset < end or (index == len(bars) - 1 and d.onset >= end):
                m.insert(d.onset - start, dynamics.Dynamic(d.mark))
        if marks:
            for tm in score.tempo_map.marks:
                if start <= tm.onset < end:
                    bpm = int(tm.bpm) if float(tm.bpm).is_integer() else tm.bpm
                    mm = tempo.MetronomeMark(number=bpm, referent=1.0, text=tm.text)
                    m.insert(tm.onset - start, mm)
            for sec in score.sections:
                if start <= sec.onset < end:
                    m.insert(sec.onset - start, expressions.RehearsalMark(sec.name))
            for pm in score.playing:
                if start <= pm.onset < end:
                    m.insert(pm.onset - start, expressions.TextExpression(play_text(pm)))
        if chords:
            for cs in score.chords:
                if start <= cs.onset < end:
                    try:
                        h = harmony.ChordSymbol(_m21_figure(cs.figure))
                    except Exception:
                        raise ScoreError(
                            f"chord symbol {cs.figure!r} is not one music21 can write", bar=bar_number(cs.onset)
                        ) from None
                    m.insert(cs.onset - start, h)
        measures.append(m)
    for m in measures:
        p21.append(m)

    # slurs and hairpins
    for voice in part.voices:
        open_el = None
        last_el = None
        for ev in sorted((e for e in events if e[2] == voice), key=lambda e: e[0]):
            state = ev[4][0].slur
            if state == "start":
                if open_el is not None and last_el is not open_el:
                    p21.insert(0, spanner.Slur(open_el, last_el))
                open_el = ev[3]
            elif state == "stop" and open_el is not None:
                p21.insert(0, spanner.Slur(open_el, ev[3]))
                open_el = None
            last_el = ev[3]
    for h in part.hairpins:
        starting = sorted((e for e in events if h.onset <= e[0] and e[1] <= h.end), key=lambda e: (e[0], e[2]))
        if not starting:
            continue
        first = starting[0]
        ending = [e for e in starting if e[0] >= first[0]]
        last = max(ending, key=lambda e: (e[1], -e[2], e[0]))
        cls = dynamics.Crescendo if h.kind == "crescendo" else dynamics.Diminuendo
        wedge = cls(first[3], last[3]) if last[3] is not first[3] else cls(first[3])
        p21.insert(0, wedge)
    _span_ornaments(part, events, p21)
    if score.form:
        write_form(score, measures, bars, first_part=marks, part=p21)
    p21.atSoundingPitch = True
    return p21, extras


def _span_ornaments(part, events, p21) -> None:
    """Glissandi, pedals and two-note tremolos as music21 spanners between the part's elements."""
    from music21 import expressions, spanner

    for o in part.ornaments:
        if o.kind in ("glissando", "portamento", "tremolo-two"):
            voice_events = sorted((e for e in events if e[2] == o.voice), key=lambda e: e[0])
            first = next((e for e in voice_events if e[0] == o.onset), None)
            later = [e for e in voice_events if first is not None and e[0] >= first[1]]
            if first is None or not later:
                continue
            if o.kind == "tremolo-two":
                sp = expressions.TremoloSpanner([first[3], later[0][3]])
                sp.numberOfMarks = o.strokes or 3
            else:
                sp = spanner.Glissando([first[3], later[0][3]])
                if o.kind == "portamento":
                    sp.slideType = "continuous"
            p21.insert(0, sp)
        elif o.kind == "pedal" and o.end is not None:
            inside = sorted((e for e in events if o.onset <= e[0] and e[1] <= o.end), key=lambda e: (e[0], e[2]))
            if inside:
                p21.insert(0, expressions.PedalMark([e[3] for e in inside]))


# ---------------------------------------------------------------------------------------------
# music21 -> Score


def score_from_music21(stream_: Any) -> Score:
    """A Score from a music21 ``Score`` (a ``Part`` is a one-part score; an ``Opus``: its first).

    Written pitch in transposing parts is turned into sounding pitch; see the module docstring
    for what is read and what is dropped.

    Raises
    ------
    InstrumentError
        A part names an instrument the catalog does not know.
    FormatError
        A percussion note with no known drum key, a pitch outside 0-127, an unknown meter.

    Examples
    --------
    >>> from music21 import corpus
    >>> score = score_from_music21(corpus.parse("bach/bwv66.6"))
    >>> score.pickup, len(score.parts)
    (Fraction(1, 1), 4)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _from_music21(stream_, other_dynamics={})


def _custom(md: Any, name: str) -> Any:
    if md is None:
        return None
    try:
        values = md.getCustom(name)
    except Exception:
        return None
    if not values:
        return None
    try:
        return json.loads(str(values[0]))
    except ValueError:
        return None


def _from_music21(s21: Any, *, other_dynamics: dict, context: Any = None) -> Score:
    from music21 import stream

    if isinstance(s21, stream.Opus):
        found = list(s21.scores)
        if not found:
            raise FormatError("the opus holds no score")
        s21 = found[0]
    if not isinstance(s21, stream.Score):
        if isinstance(s21, stream.Part):
            wrapper = stream.Score()
            wrapper.insert(0, s21)
            wrapper.metadata = s21.metadata if hasattr(s21, "metadata") else None
            s21 = wrapper
        else:
            raise FormatError(f"expected a music21 Score, got {type(s21).__name__}")
    md = s21.metadata
    expression = _custom(md, EXPRESSION_FIELD) or {}
    part_ids = _custom(md, PART_IDS_FIELD) or {}
    extra_meta = _custom(md, METADATA_FIELD)

    sounding = s21.toSoundingPitch() if s21.parts else s21
    parts21 = list(sounding.parts)
    if not parts21 and sounding.recurse().notes:
        parts21 = [sounding]

    drops = DropLog()
    parts = []
    marks = _Marks()
    used_ids: set[str] = set()
    from partita.symbolic.io import musicxml_parts

    if context is None:
        context = musicxml_parts.ReadContext(None, None, None)
    staff_of = musicxml_parts.staff_indices(parts21)
    for index, p21 in enumerate(parts21):
        if context.progress is not None:
            context.progress(index, len(parts21), "parts")
        part = _part_from_music21(
            p21, index, used_ids, part_ids, expression.get("parts", {}) if isinstance(expression, dict) else {},
            drops, marks, other_dynamics, context=context, staff=staff_of[index],
        )  # fmt: skip
        parts.append(part)
    parts = musicxml_parts.join_staves(parts, staff_of)

    metadata = _read_metadata(md, extra_meta)
    title = ""
    if md is not None:
        title = str(md.title or md.movementName or "")
    pickup = marks.pickup or Fraction(0)
    score = Score(
        title=title,
        parts=tuple(parts),
        tempo_map=_tempo_map(marks.tempi),
        time_signatures=tuple(marks.time_signatures) or (TimeSignature(Fraction(0), 4, 4),),
        key_signatures=tuple(marks.keys),
        sections=tuple(marks.sections.values()),
        chords=tuple(marks.chords.values()),
        pickup=pickup,
        metadata=metadata,
        dropped=drops.entries(),
    )
    length = _trailing_length(parts21[0], score) if parts21 else Fraction(0)
    return _replace(score, length=length) if length else score


def _tempo_map(tempi: dict[Fraction, TempoMark]) -> TempoMap:
    """The tempo marks read; before the first one the music goes at 120 quarters per minute,
    the tempo MuseScore 3 and music21 play when a file names none (measured: MuseScore's MIDI
    of Clara Schumann's Polonaise op. 1 no. 2 plays 120 until its first mark, and again when a
    D.C. returns there)."""
    if tempi and min(tempi) > 0:
        tempi = {Fraction(0): TempoMark(Fraction(0), 120.0), **tempi}
    return TempoMap(tuple(tempi.values())) if tempi else TempoMap()


def _trailing_length(p21: Any, score: Score) -> Fraction:
    """Where a part's last measure ends, when whole measures of rests follow the measures that
    the notes and marks need (a 3-bar score with 2 bars of rests is 3 bars long); else 0."""
    from music21 import stream

    notes_end = max((p.end for p in score.parts), default=Fraction(0))
    marks = [m.onset for m in score.tempo_map.marks] + [t.onset for t in score.time_signatures]
    marks += [k.onset for k in score.key_signatures] + [x.onset for x in score.sections + score.chords]
    for p in score.parts:
        marks += [d.onset for d in p.dynamics] + [h.onset for h in p.hairpins]
    mark_end = max(marks, default=Fraction(0))

    spans = [(as_ql(m.offset), as_ql(m.offset) + as_ql(m.duration.quarterLength))
             for m in p21.getElementsByClass(stream.Measure)]  # fmt: skip
    if not spans:
        return Fraction(0)
    last = max(e for _, e in spans)
    holding = [e for s, e in spans if s < notes_end <= e or s <= mark_end < e] or [spans[0][1]]
    return last if last > max(holding) else Fraction(0)


def _read_metadata(md: Any, extra: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if md is None:
        return out
    collected: dict[str, list[str]] = defaultdict(list)
    try:
        items = md.all()
    except Exception:
        items = ()
    software = " ".join(str(v) for n, v in items if n == "software")
    for name, value in items:
        if name in _FILE_METADATA or name.startswith("partita-"):
            continue
        if extra is not None and name not in _NATIVE_METADATA:
            continue  # a file partita wrote: its other fields are in the JSON field
        text = str(value).strip()
        if text and text not in collected[name]:
            collected[name].append(text)
    if collected.get("composer") == ["Music21"] and "music21" in software:
        del collected["composer"]  # music21's writer puts this in when a work has no composer
    out.update({k: "; ".join(v) for k, v in collected.items()})
    if isinstance(extra, dict):
        out.update({str(k): str(v) for k, v in extra.items()})
    return out


class _Marks:
    """Score-wide marks collected from the parts (the first part to give one wins)."""

    def __init__(self) -> None:
        self.tempi: dict[Fraction, TempoMark] = {}
        self.time_signatures: list[TimeSignature] = []
        self.keys: list[KeySignature] = []
        self.keys_from_transposing = True
        self.sections: dict[Fraction, Section] = {}
        self.chords: dict[Fraction, ChordSymbol] = {}
        self.pickup: Fraction | None = None


def _spelling_of(p: Any, midi: int) -> str | None:
    alter = p.accidental.alter if p.accidental is not None else 0
    if alter != int(alter) or int(alter) not in _ALTER_SIGN:
        return None
    octave = p.octave if p.octave is not None else p.implicitOctave
    spelling = f"{p.step}{_ALTER_SIGN[int(alter)]}{octave}"
    try:
        return spelling if pitch_from_spelling(spelling) == midi else None
    except ScoreError:
        return None


def _part_from_music21(p21, index, used_ids, part_ids, expression, drops, marks, other_dynamics, *, context, staff=0):
    from music21 import (
        articulations,
        chord,
        dynamics,
        expressions,
        harmony,
        key,
        meter,
        note,
        spanner,
        stream,
        tempo,
    )

    # music21 renames a part after its instrument; the <score-part id> stays on the instrument
    i21 = p21.getInstrument(returnDefault=False, recurse=True)
    xml_id = getattr(i21, "partId", None) if i21 is not None else None
    if not (isinstance(xml_id, str) and xml_id):
        xml_id = p21.id if isinstance(p21.id, str) and p21.id else f"P{index + 1}"
    part_id = str(part_ids.get(xml_id, xml_id))
    while part_id in used_ids:
        part_id = f"{part_id}_{index + 1}"
    used_ids.add(part_id)
    name = p21.partName if isinstance(getattr(p21, "partName", None), str) and p21.partName else ""
    part_extras = expression.get(xml_id, {}) if isinstance(expression, dict) else {}
    first_part = not marks.time_signatures

    measures = list(p21.getElementsByClass(stream.Measure)) or [p21]
    graces: list = []
    ornaments: list = []
    grace_order: dict[tuple[Fraction, int], int] = defaultdict(int)
    records = []  # dicts of note fields, with m21 element and bar
    verses: list = []  # syllables of the verses other than the sung one
    by_element: dict[int, list[dict]] = {}
    has_unpitched = False
    for m in measures:
        m_off = as_ql(m.offset) if m is not p21 else Fraction(0)
        bar = m.number if m is not p21 else None
        containers = [(1 + 4 * staff, m, Fraction(0))]
        for vi, v in enumerate(m.voices):
            vid = str(v.id)
            number = int(vid) if vid.isdigit() and int(vid) > 0 else vi + 1
            if staff and number <= 4:  # a lower staff's voices are 5-8, as MuseScore numbers them
                number += 4 * staff
            containers.append((number, v, as_ql(v.offset)))
        for voice, container, c_off in containers:
            for el in container.getElementsByClass(note.GeneralNote):
                if isinstance(el, (note.Rest, harmony.Harmony)):
                    continue
                onset = m_off + c_off + as_ql(el.offset)
                if el.duration.isGrace or el.quarterLength == 0:
                    members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
                    if any(isinstance(n21, note.Unpitched) for n21 in members):
                        drops.add("unpitched grace note", bar=bar, part=name or part_id, count=len(members))
                        continue
                    key_ = (onset, voice)
                    graces.extend(grace_notes_of(el, onset, voice, grace_order[key_], _pitch_and_spelling))
                    grace_order[key_] += 1
                    continue
                ornaments.extend(ornaments_of(el, onset, voice))
                members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
                arts = set()
                for a in el.articulations:
                    for cls, label in ((articulations.Staccatissimo, "staccatissimo"),
                                       (articulations.Staccato, "staccato"),
                                       (articulations.StrongAccent, "marcato"),
                                       (articulations.Accent, "accent"),
                                       (articulations.Tenuto, "tenuto")):  # fmt: skip
                        if isinstance(a, cls):
                            arts.add(label)
                            break
                    else:
                        if not is_kept(a):
                            drops.add(f"articulation {type(a).__name__}", bar=bar, part=name or part_id)
                if any(isinstance(x, expressions.Fermata) for x in el.expressions):
                    arts.add("fermata")
                for x in el.expressions:
                    if not is_kept(x):
                        drops.add(f"ornament {type(x).__name__}", bar=bar, part=name or part_id)
                lyric = None
                for ly in el.lyrics:  # verse 1 (or the first one written) is sung; the rest kept
                    number = int(ly.number) if str(ly.number).isdigit() and int(ly.number) > 0 else 1
                    text = encode_syllable(ly.text, ly.syllabic) if ly.text else ly.text  # hyphens for begin/middle/end
                    if text and lyric is None and (number == 1 or len(el.lyrics) == 1 or ly is el.lyrics[0]):
                        lyric = text
                    elif text:
                        verses.append(Syllable(onset, voice, number, text))
                chord_velocity = None
                if isinstance(el, chord.ChordBase) and el.hasVolumeInformation():
                    chord_velocity = el.volume.velocity
                recs = []
                for n21 in members:
                    if isinstance(n21, note.Unpitched):
                        has_unpitched = True
                        midi = context.drum_key(xml_id, measures, m, onset - m_off, n21)
                        if midi is None:
                            stored = getattr(n21, "storedInstrument", None)
                            midi = getattr(stored, "percMapPitch", None)
                        if midi is None:
                            raise FormatError(
                                f"unpitched note {n21.displayName} has no drum key (no instrument names one)",
                                part=name or part_id, bar=bar,
                            )  # fmt: skip
                        midi, spelling = int(midi), None
                    else:
                        ps = n21.pitch.ps
                        midi = int(round(ps))
                        if not 0 <= midi <= 127:
                            raise FormatError(
                                f"pitch {n21.pitch.nameWithOctave} (MIDI {midi}) is outside MIDI's 0-127",
                                part=name or part_id, bar=bar,
                            )  # fmt: skip
                        spelling = _spelling_of(n21.pitch, midi) if midi == ps else None
                    velocity = None
                    if n21.hasVolumeInformation() and n21.volume.velocity is not None:
                        velocity = n21.volume.velocity
                    elif chord_velocity is not None:
                        velocity = chord_velocity
                    if velocity is not None:
                        velocity = min(max(int(velocity), 1), 127)
                    tie_state = n21.tie.type if n21.tie is not None else None
                    if tie_state not in ("start", "stop", "continue"):
                        tie_state = None
                    rec = dict(
                        onset=onset, duration=as_ql(el.quarterLength), pitch=midi, spelling=spelling,
                        velocity=velocity, articulations=frozenset(arts), tie=tie_state, slur=None,
                        voice=voice, lyric=lyric, _bar=bar,
                    )  # fmt: skip
                    recs.append(rec)
                records.extend(recs)
                by_element[id(el)] = recs

    # slurs: start and stop from the spanner, continue on the voice's notes between them
    def ends_of(sp):
        first, last = sp.getFirst(), sp.getLast()
        return by_element.get(id(first)), by_element.get(id(last))

    spanners = list(p21.spannerBundle)
    for sp in spanners:
        if not isinstance(sp, spanner.Slur):
            continue
        a, b = ends_of(sp)
        if not a or not b or a is b:
            continue
        for r in a:
            r["slur"] = "start"
        for r in b:
            r["slur"] = "stop"
        if a[0]["voice"] == b[0]["voice"]:
            for r in records:
                if r["voice"] == a[0]["voice"] and a[0]["onset"] < r["onset"] < b[0]["onset"] and r["slur"] is None:
                    r["slur"] = "continue"

    def where(el):
        recs = by_element.get(id(el))
        if not recs:
            return None
        return recs[0]["onset"], recs[0]["onset"] + recs[0]["duration"], recs[0]["voice"], [r["pitch"] for r in recs]

    ornaments.extend(spanner_ornaments(spanners, where))
    hairpins = []
    for sp in spanners:
        if not isinstance(sp, dynamics.DynamicWedge):
            continue
        try:
            first, last = sp.getFirst(), sp.getLast()
            start = as_ql(first.getOffsetInHierarchy(p21))
            end = as_ql(last.getOffsetInHierarchy(p21)) + as_ql(last.quarterLength)
        except Exception:
            continue
        if end > start:
            kind = "crescendo" if isinstance(sp, dynamics.Crescendo) else "diminuendo"
            hairpins.append(Hairpin(start, end, kind))

    # dynamics (and <other-dynamics> texts from the file)
    dyns = []
    for m in measures:
        m_off = as_ql(m.offset) if m is not p21 else Fraction(0)
        texts = list(other_dynamics.get((xml_id, str(m.number) if m is not p21 else ""), []))
        found = sorted(m.recurse().getElementsByClass(dynamics.Dynamic), key=lambda d: d.getOffsetInHierarchy(m))
        for d in found:
            mark = d.value
            if mark == "other-dynamics":
                mark = texts.pop(0) if texts else ""
            if mark in DYNAMIC_MARKS:
                dyns.append(Dynamic(_snap(m_off + as_ql(d.getOffsetInHierarchy(m))), mark))

    # expression overrides and flags from partita's own field
    for r in records:
        info = part_extras.get(f"{r['onset']}|{r['voice']}|{r['pitch']}") if isinstance(part_extras, dict) else None
        if not isinstance(info, dict):
            continue
        if info.get("u"):
            r["spelling"] = None
        if "v" in info:
            r["velocity"] = info["v"]
        for name_, short in (("vibrato_depth_cents", "vd"), ("vibrato_rate_hz", "vr"), ("brightness", "b")):
            if short in info:
                r[name_] = info[short]

    notes = []
    for r in records:
        bar = r.pop("_bar")
        try:
            notes.append(Note(**r))
        except ScoreError as exc:
            raise FormatError(exc.message, part=name or part_id, bar=bar) from None

    # score-wide marks, from this part where earlier parts gave none
    _collect_marks(p21, measures, marks, first_part)

    instrument_id = context.instrument(p21, xml_id, name, has_unpitched, records, staff=staff)
    if not name:
        from partita import instruments

        name = instruments.get(instrument_id).name
    try:
        return Part(
            id=part_id, name=name, instrument=instrument_id, notes=tuple(notes),
            dynamics=tuple(dyns), hairpins=tuple(hairpins), graces=tuple(graces), ornaments=tuple(ornaments),
            verses=tuple(verses),
        )  # fmt: skip
    except ScoreError as exc:
        raise exc.located(part=name) from None


def _pitch_and_spelling(n21: Any) -> tuple[int, str | None]:
    """Sounding MIDI pitch and spelling of a pitched music21 note (grace notes)."""
    ps = n21.pitch.ps
    midi = min(max(int(round(ps)), 0), 127)
    return midi, (_spelling_of(n21.pitch, midi) if midi == ps else None)


def _snap(onset: Fraction) -> Fraction:
    """Undo music21's truncation of direction offsets to whole divisions.

    music21 writes a direction's ``<offset>`` as ``int(float difference * divisions)``, which can
    land one division (1/10080 quarter) short. A mark within one division of a
    fraction with a denominator up to 64 is put back on it.
    """
    tolerance = Fraction(1, 10080)
    for den in range(1, 65):
        candidate = Fraction(round(onset * den), den)
        if abs(candidate - onset) <= tolerance:
            return candidate
    return onset


def _collect_marks(p21, measures, marks, first_part):
    from music21 import expressions, harmony, key, meter, stream, tempo

    if first_part:
        # meters, and the pickup: a first measure shorter than its meter
        for m in measures:
            # a part without measures (music21 makes none for some ABC tunes) holds its meters itself
            m_offset = as_ql(m.offset) if m is not p21 else Fraction(0)
            for ts in m.getElementsByClass(meter.TimeSignature):
                onset = m_offset + as_ql(ts.offset)
                if ts.denominator not in (1, 2, 4, 8, 16, 32, 64) or not 1 <= ts.numerator <= 64:
                    raise FormatError(f"time signature {ts.ratioString} is not one partita holds",
                                  bar=m.number if m is not p21 else None)
                new = TimeSignature(onset, int(ts.numerator), int(ts.denominator))
                last = marks.time_signatures[-1] if marks.time_signatures else None
                if last is not None and last.onset == new.onset:
                    marks.time_signatures[-1] = new
                else:
                    marks.time_signatures.append(new)
        if marks.time_signatures and marks.time_signatures[0].onset != 0:
            marks.time_signatures[0] = TimeSignature(0, marks.time_signatures[0].numerator,
                                                     marks.time_signatures[0].denominator)  # fmt: skip
        if not marks.time_signatures:
            marks.time_signatures.append(TimeSignature(0, 4, 4))
        real = [m for m in measures if m is not p21]
        bar_length = marks.time_signatures[0].bar_length
        if len(real) >= 2:
            second = as_ql(real[1].offset)
            if 0 < second < bar_length:
                marks.pickup = second
        elif len(real) == 1 and real[0].paddingLeft:
            pad = as_ql(real[0].paddingLeft)
            if 0 < pad < bar_length:
                marks.pickup = bar_length - pad
    # keys: from the first part without a transposing instrument (else the first part)
    i21 = p21.getInstrument(returnDefault=False, recurse=True)
    transposing = i21 is not None and i21.transposition is not None and i21.transposition.semitones != 0
    if not marks.keys or (marks.keys_from_transposing and not transposing):
        found = []
        for ks in p21.recurse().getElementsByClass(key.KeySignature):
            onset = as_ql(ks.getOffsetInHierarchy(p21))
            fifths = int(ks.sharps)
            while fifths > 7:
                fifths -= 12
            while fifths < -7:
                fifths += 12
            mode = getattr(ks, "mode", None) if isinstance(ks, key.Key) else None
            mode = mode if mode in MODES else "major"
            new = KeySignature(onset, fifths, mode)
            if found and found[-1].onset == onset:
                found[-1] = new
            else:
                found.append(new)
        if found or not marks.keys:
            marks.keys = found
            marks.keys_from_transposing = transposing
    # tempo marks (with a <words> text at the same onset as their text), sections, chords
    texts: dict[Fraction, str] = {}
    for te in p21.recurse().getElementsByClass(expressions.TextExpression):
        if te.content:
            texts.setdefault(_snap(as_ql(te.getOffsetInHierarchy(p21))), str(te.content).strip())
    here: set[Fraction] = set()
    for mm in p21.recurse().getElementsByClass(tempo.MetronomeMark):
        onset = _snap(as_ql(mm.getOffsetInHierarchy(p21)))
        if onset in marks.tempi and onset not in here:
            continue  # an earlier part gave one
        # two marks at one place in a part: the last is played, as MuseScore 3 plays it
        if onset in here and not mm.text and marks.tempi[onset].text:
            text_kept = marks.tempi[onset].text
        else:
            text_kept = None
        bpm = mm.getQuarterBPM()
        if bpm is None:
            continue
        bpm = round(float(bpm), 6)  # music21 scales by the referent in binary floating point
        text = mm.text if mm.text and not mm.textImplicit else (text_kept or texts.get(onset))
        try:
            marks.tempi[onset] = TempoMark(onset, float(bpm), text or None)
            here.add(onset)
        except ScoreError:
            continue
    for rm in p21.recurse().getElementsByClass(expressions.RehearsalMark):
        onset = _snap(as_ql(rm.getOffsetInHierarchy(p21)))
        if rm.content and onset not in marks.sections:
            marks.sections[onset] = Section(onset, str(rm.content))
    for cs in p21.recurse().getElementsByClass(harmony.ChordSymbol):
        onset = _snap(as_ql(cs.getOffsetInHierarchy(p21)))
        figure = cs.figure
        if figure and onset not in marks.chords:
            marks.chords[onset] = ChordSymbol(onset, _score_figure(str(figure)))


def _add_lyric(el, text: str, number: int) -> None:
    """Write one verse's syllable (hyphens for begin/middle/end, see
    :func:`partita.symbolic.lyrics.encode_syllable`) as MusicXML lyric ``number``."""
    from music21 import note as m21note

    if text.strip():
        syllabic = None
        core = text.strip()
        if len(core) > 1 and core.endswith("-") and core.startswith("-"):
            syllabic, core = "middle", core[1:-1]
        elif len(core) > 1 and core.endswith("-"):
            syllabic, core = "begin", core[:-1]
        elif len(core) > 1 and core.startswith("-"):
            syllabic, core = "end", core[1:]
        ly = m21note.Lyric(text=core, number=number, applyRaw=True)
        if syllabic:
            ly.syllabic = syllabic
        el.lyrics.append(ly)
