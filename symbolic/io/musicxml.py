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
  the lower staff's voices numbered 5-8. Octave lines (whose notes keep their sounding pitch),
  clef changes and cross-staff notes are read from the file and written back
  (:mod:`~partita.symbolic.io.musicxml_notation`).
- An ABC (or other) file holding several pieces (an opus) reads its first piece, or the one
  ``number`` names (:func:`partita.symbolic.io.abc.tunes` lists an ABC book's tunes). Files are parsed with music21's cache off (``forceSource``), so nothing is
  written beside them; every failure to parse is a :class:`~partita.errors.FormatError` naming
  the file.
- An overfull measure holds every part back (:mod:`~partita.symbolic.io.musicxml_measures`) and a
  ``<forward>`` of duration 0 moves nothing, as in MuseScore 3.

Where the work is done: this module reads and writes files; :mod:`~partita.symbolic.io.musicxml_read`
turns music21's parse into a Score, :mod:`~partita.symbolic.io.musicxml_write` a Score into
music21 objects; :mod:`~partita.symbolic.io.musicxml_parts` (the streaming scan, instruments),
:mod:`~partita.symbolic.io.musicxml_form`, :mod:`~partita.symbolic.io.musicxml_marks`,
:mod:`~partita.symbolic.io.musicxml_notation` and :mod:`~partita.symbolic.io.musicxml_fixup` hold
what music21 loses or cannot write.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from partita._fileio import atomic_path
from partita.errors import FormatError, PartitaError, ScoreError
from partita.symbolic.io.musicxml_form import read_form, read_playing
from partita.symbolic.io.musicxml_marks import (
    exact_tempos,
    for_musescore,
    grace_slashes,
    with_exact_tempos,
    with_grace_slashes,
)
from partita.symbolic.io.musicxml_fields import EXPRESSION_FIELD, METADATA_FIELD, PART_IDS_FIELD
from partita.symbolic.io.musicxml_read import score_from_music21, score_from_parsed
from partita.symbolic.io.musicxml_write import bar_layout, score_to_music21, xml_part_ids
from partita.symbolic.score import Score
from partita.symbolic.timeline import as_ql

__all__ = [
    "EXPRESSION_FIELD",
    "METADATA_FIELD",
    "PART_IDS_FIELD",
    "read",
    "write",
    "score_from_music21",
    "score_to_music21",
]

_READ_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml",
                 ".abc": "abc", ".krn": "humdrum"}  # fmt: skip
_WRITE_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "mxl"}


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

    from partita.symbolic.io import musicxml_m21, musicxml_notation, musicxml_parts

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
            cleaned = root = None
            if facts is not None and any(p.empty_forwards for p in facts.parts.values()):
                cleaned = _without_empty_forwards(path)
            if fmt == "musicxml" and cleaned is None and not zipfile.is_zipfile(path):
                # one XML parse for music21 and for what is read from the file itself below
                root = ElementTree.parse(path).getroot()
                parsed = musicxml_m21.parse_root(root, path.name)
            elif fmt == "musicxml":  # music21's importer without its per-bar walk (linear in bars)
                parsed = musicxml_m21.parse_data(cleaned) if cleaned is not None else musicxml_m21.parse(path)
            elif cleaned is not None:
                parsed = converter.parseData(cleaned, format=fmt)
            else:
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
    from partita.symbolic.io.musicxml_measures import align_measures

    overfull = []  # parts out of step after an overfull measure: lined up as MuseScore does
    if facts is not None and number is None:
        overfull = align_measures(parsed, [p.measure_lengths for p in facts.parts.values()])
    if root is None and fmt == "musicxml":
        root = _file_root(path)
    other = _other_dynamics(root)
    context = musicxml_parts.ReadContext(facts, hints, progress)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = score_from_parsed(parsed, other_dynamics=other, context=context, owned=True)
            if root is not None:
                score = _replace(score, form=read_form(root, _measure_spans(parsed)))
                score = with_grace_slashes(score, grace_slashes(root))
                score = with_exact_tempos(score, exact_tempos(root))
                score = _replace(score, playing=read_playing(root, _measure_spans(parsed)))
                score = musicxml_notation.with_notation(score, musicxml_notation.read_notation(root, _measure_spans(parsed)))
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None
    except Exception as exc:  # a music21 object model broken in ways the parser let through
        raise FormatError(f"cannot make a score of it: {_one_line(exc)}", file=str(path)) from None
    if score.title == path.name:  # music21 names untitled works after their file
        score = _replace(score, title="")
    if overfull:
        from partita.symbolic.report import Dropped

        lost = [Dropped(f"overfull measure ({length} quarters in a {meter}-quarter bar; the other parts wait at its "
                        "bar line, as MuseScore plays it)", bar, part) for part, bar, length, meter in overfull]  # fmt: skip
        score = _replace(score, dropped=(*score.dropped, *lost))
    return context.finish(score)


_EMPTY_FORWARD = re.compile(r"<forward>\s*<duration>\s*0\s*</duration>.*?</forward>", re.S)


def _without_empty_forwards(path: Path) -> str | None:
    """The MusicXML text of ``path`` without its ``<forward>`` elements of duration 0.

    MusicXML wants a positive duration; in a file that names Finale as its software, music21
    reads a zero one as a quarter rest, which makes the measure a quarter too long and puts the
    part's later bars out of step with the other parts (Haydn op. 1 no. 1, movements 3 and 5, of
    music21's corpus). MuseScore 3 reads it as no move at all, as this does.
    """
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml"))]
            data = zf.read(names[0])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # another encoding: music21 reads the file as it is
        return None
    return _EMPTY_FORWARD.sub("", text)


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
                _rewrite_for_musescore(Path(tmp), score, compressed=fmt == "mxl")
        except PartitaError as exc:
            raise exc.located(file=str(path)) from None
        except Exception as exc:
            raise ScoreError(f"music21 cannot write this score: {_one_line(exc)}", file=str(path)) from None


def _fix_written(text: str, score: Score) -> str:
    """Voices of lower staves, drum sets, octave lines, clef changes and cross-staff notes,
    which music21 cannot write as MuseScore reads them (:mod:`partita.symbolic.io.musicxml_fixup`,
    :mod:`partita.symbolic.io.musicxml_notation`)."""
    from partita.symbolic.io import musicxml_fixup, musicxml_notation

    xml_ids = xml_part_ids(score)
    staffed = [x for x, p in zip(xml_ids, score.parts) if len(musicxml_fixup.split_staves(p)) > 1]
    drummed = [x for x, p in zip(xml_ids, score.parts) if p.instrument == "drum_kit"]
    text = musicxml_fixup.renumber_slurs(text)
    text = musicxml_fixup.fix_staff_voices(text, staffed)
    text = musicxml_fixup.write_unpitched(text, drummed)
    text = musicxml_fixup.write_instrument_sounds(text, {x: _sound_of(p.instrument) for x, p in zip(xml_ids, score.parts)})
    return musicxml_notation.write_notation(text, score, xml_ids, bar_layout(score))


def _sound_of(instrument_id: str) -> str | None:
    from partita import instruments
    from partita.errors import InstrumentError

    try:
        return instruments.get(instrument_id).sound
    except InstrumentError:
        return None


def _rewrite_for_musescore(path: Path, score: Score, *, compressed: bool) -> None:
    """Put marks where MuseScore 3 reads them (:func:`musicxml_marks.for_musescore`) and add
    what music21 cannot write (:func:`_fix_written`), in place."""
    if not compressed:
        path.write_text(_fix_written(for_musescore(path.read_text(encoding="utf-8")), score), encoding="utf-8")
        return
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if not info.filename.startswith("META-INF") and info.filename.endswith((".xml", ".musicxml")):
                data = _fix_written(for_musescore(data.decode("utf-8")), score).encode("utf-8")
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
