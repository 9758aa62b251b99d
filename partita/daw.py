"""DAW export: a REAPER project (``project.rpp``) over a render folder's stems and MIDI.

The project opens with one named track per stem (the WAV at position 0, full length, panned
and gained as the mix staged it when a mix result is given), one track holding ``score.mid``,
the score's first tempo and meter as the project's, and every later tempo or meter change as
a point of the tempo envelope (square shape: tempo jumps as in the score). Paths are relative
to the project file, so the folder can be moved.

>>> from partita.symbolic.score import Score
>>> from partita.symbolic.timeline import TempoMap, TempoMark
>>> s = Score(tempo_map=TempoMap((TempoMark(0, 90), TempoMark(8, 60))))
>>> text = rpp_text(s, stems=[("Violin I", "stems/01_violin-i.wav", 0.0, 0.0)], length_s=10.0)
>>> parse_rpp_tracks(text)
[('Violin I', [('WAVE', 'stems/01_violin-i.wav')]), ('MIDI (score)', [('MIDI', 'score.mid')])]
>>> [line.strip() for line in text.splitlines() if line.strip().startswith("PT ")]
['PT 0.000000000 90 1 262148', 'PT 5.333333333 60 1']
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from partita._fileio import atomic_write_text

__all__ = ["rpp_text", "write_rpp", "parse_rpp_tracks", "tempo_points"]


def _q(text: str) -> str:
    """A string as REAPER quotes it (it has no escapes: pick a quote the text lacks)."""
    text = str(text).replace("\n", " ")
    for q in ('"', "'", "`"):
        if q not in text:
            return f"{q}{text}{q}"
    return '"' + text.replace('"', "'") + '"'


def tempo_points(score: Any) -> list[tuple[float, float, int | None]]:
    """(seconds, bpm, meter or None) at 0 and at every tempo or meter change.

    The meter is REAPER's packed form ``numerator + 65536 * denominator``.

    >>> from partita.symbolic.score import Score
    >>> from partita.symbolic.timeline import TimeSignature
    >>> tempo_points(Score(time_signatures=(TimeSignature(0, 3, 4), TimeSignature(6, 4, 4))))
    [(0.0, 120.0, 262147), (3.0, 120.0, 262148)]
    """
    onsets = sorted({m.onset for m in score.tempo_map.marks} | {t.onset for t in score.time_signatures} | {0})
    ts_at = {t.onset: t for t in score.time_signatures}
    pts = []
    for on in onsets:
        ts = ts_at.get(on)
        meter = ts.numerator + 65536 * ts.denominator if ts is not None else None
        pts.append((float(score.tempo_map.seconds_at(on)), float(score.tempo_map.bpm_at(on)), meter))
    return pts


def rpp_text(
    score: Any,
    *,
    stems: Sequence[tuple[str, str, float, float]],
    length_s: float,
    midi_file: str | None = "score.mid",
    sample_rate: int = 48000,
) -> str:
    """The text of a REAPER project.

    Parameters
    ----------
    score
        The score (tempo map and time signatures).
    stems
        (track name, WAV path relative to the project, pan -1..1, gain dB) per stem, in order.
    length_s
        Length of every item (the stems' common length), seconds.
    midi_file
        The MIDI file for a track of its own (None: no MIDI track).
    sample_rate
        The project's sample rate, Hz.
    """
    pts = tempo_points(score)
    t0 = score.time_signatures[0]
    lines = ['<REAPER_PROJECT 0.1 "6.0/partita" 0', "  RIPPLE 0", f"  TEMPO {pts[0][1]:.6g} {t0.numerator} {t0.denominator}",
             f"  SAMPLERATE {int(sample_rate)} 0 0"]  # fmt: skip
    if len(pts) > 1:
        lines += ["  <TEMPOENVEX", "    EGUID {00000000-0000-0000-0000-000000000000}", "    ACT 1 -1", "    VIS 1 0 1",
                  "    LANEHEIGHT 0 0", "    ARM 0", "    DEFSHAPE 1 -1 -1"]  # fmt: skip
        for sec, bpm, meter in pts:
            lines.append(f"    PT {sec:.9f} {bpm:.6g} 1" + (f" {meter}" if meter is not None else ""))
        lines.append("  >")

    def track(name: str, pan: float, gain_db: float, source: list[str], item_name: str) -> None:
        vol = 10.0 ** (gain_db / 20.0)
        lines.extend([
            "  <TRACK", f"    NAME {_q(name)}", f"    VOLPAN {vol:.6g} {max(-1.0, min(1.0, pan)):.4f} -1 -1 1",
            "    <ITEM", "      POSITION 0", f"      LENGTH {length_s:.9f}", "      LOOP 0",
            f"      NAME {_q(item_name)}", *("      " + s for s in source), "    >", "  >",
        ])  # fmt: skip

    for name, path, pan, gain_db in stems:
        track(name, pan, gain_db, ["<SOURCE WAVE", f"  FILE {_q(path)}", ">"], Path(path).name)
    if midi_file:
        track("MIDI (score)", 0.0, 0.0, ["<SOURCE MIDI", f"  FILE {_q(midi_file)}", ">"], Path(midi_file).name)
    lines.append(">")
    return "\n".join(lines) + "\n"


def write_rpp(
    out_dir: str | os.PathLike[str],
    score: Any,
    *,
    manifest: Mapping[str, Any],
    stem_pan: Mapping[str, float] | None = None,
    stem_gain_db: Mapping[str, float] | None = None,
    midi_file: str | None = "score.mid",
    name: str = "project.rpp",
) -> Path:
    """Write ``out_dir/project.rpp`` for the stems ``manifest`` (a ``render.json``) lists.

    ``stem_pan``/``stem_gain_db`` (part id -> value, e.g. from a
    :class:`~partita.mixing.MixResult`) preset each track's pan and fader (gains are
    relative to the loudest-staged stem, so no fader starts above 0 dB).
    """
    pans = dict(stem_pan or {})
    gains = dict(stem_gain_db or {})
    top = max(gains.values(), default=0.0)
    stems = [(s.get("name") or s["part_id"], s["file"], pans.get(s["part_id"], 0.0), gains.get(s["part_id"], top) - top)
             for s in manifest["stems"]]  # fmt: skip
    text = rpp_text(score, stems=stems, length_s=float(manifest["duration_s"]),
                    midi_file=midi_file if midi_file and (Path(out_dir) / midi_file).exists() else None,
                    sample_rate=int(manifest["sample_rate"]))  # fmt: skip
    path = Path(out_dir) / name
    atomic_write_text(path, text)
    return path


_TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|`[^`]*`|\S+')


def parse_rpp_tracks(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Tracks of a REAPER project: (name, [(source type, file), ...]) in order.

    A small reader of REAPER's nested ``<TAG ...>`` blocks, enough for tests and tools.
    """
    tracks: list[tuple[str, list[tuple[str, str]]]] = []
    stack: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        toks = [t[1:-1] if t[0] in "\"'`" and len(t) > 1 and t[-1] == t[0] else t for t in _TOKEN.findall(line)]
        if line.startswith("<"):
            stack.append(toks[0][1:])
            if stack[-1] == "TRACK":
                tracks.append(("", []))
            elif stack[-1] == "SOURCE" and tracks:
                tracks[-1][1].append((toks[1] if len(toks) > 1 else "", ""))
            continue
        if line == ">":
            stack.pop()
            continue
        if stack and stack[-1] == "TRACK" and toks[0] == "NAME":
            tracks[-1] = (toks[1] if len(toks) > 1 else "", tracks[-1][1])
        elif stack and stack[-1] == "SOURCE" and toks[0] == "FILE" and tracks and tracks[-1][1]:
            kind, _ = tracks[-1][1][-1]
            tracks[-1][1][-1] = (kind, toks[1] if len(toks) > 1 else "")
    return tracks
