"""Independent references the tests compare partita against, written here in plain Python."""

from __future__ import annotations

from collections import Counter

from partita.symbolic.score import Part

#: MIDI velocities of the dynamic marks, written out here rather than read from partita
#: (MuseScore 3's defaults: ppp 16, pp 33 ... fff 126, in steps of about 16; a note with no mark
#: before it plays at 80, as partita documents).
_MARK_VELOCITY = {
    "pppp": 10, "ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112,
    "fff": 126, "ffff": 127, "sf": 112, "sfz": 112, "sff": 126, "sffz": 126, "fp": 96,
    "rf": 112, "rfz": 112, "fz": 112,
}  # fmt: skip
_NO_MARK_VELOCITY = 80


def _velocity(part: Part, note) -> int:
    """The note's own velocity, else that of the last dynamic mark at or before its onset."""
    if note.velocity is not None:
        return note.velocity
    mark = None
    for d in sorted(part.dynamics, key=lambda d: d.onset):  # stable: the later of two at one onset wins
        if d.onset <= note.onset:
            mark = d.mark
    return _NO_MARK_VELOCITY if mark is None else _MARK_VELOCITY[mark]


def sounding_notes(part: Part) -> Counter:
    """The notes of a part as they sound, worked out independently of partita's MIDI and token
    code: a tie joins a note to the next of its pitch and voice starting where it ends; the
    velocity is the note's, else that of the dynamic mark before it.

    Returns a Counter of ``(onset, duration, pitch, velocity)``.
    """
    out, open_ = [], {}
    for n in part.notes:
        key = (n.voice, n.pitch)
        i = open_.pop(key, None)
        if i is not None and n.tie in ("continue", "stop") and out[i][0] + out[i][1] == n.onset:
            out[i][1] += n.duration
        else:
            i = len(out)
            out.append([n.onset, n.duration, n.pitch, _velocity(part, n)])
        if n.tie in ("start", "continue"):
            open_[key] = i
    return Counter(tuple(x) for x in out)


def rpp_tracks(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Tracks of a REAPER project as ``(name, [(source type, file), ...])``, read here with the
    standard library's shlex rather than partita's own reader. REAPER's format (documented in its
    SDK, "RPP file format"): nested ``<TAG args`` ... ``>`` blocks, one element per line, strings
    quoted with double quotes, single quotes or backticks."""
    import shlex

    tracks: list[tuple[str, list[tuple[str, str]]]] = []
    stack: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == ">":
            stack.pop()
            continue
        lex = shlex.shlex(line.replace("`", "'"), posix=True)
        lex.whitespace_split = True
        words = list(lex)
        if words[0].startswith("<"):
            stack.append(words[0][1:])
            if stack[-1] == "TRACK":
                tracks.append(("", []))
            elif stack[-1] == "SOURCE":
                tracks[-1][1].append((words[1] if len(words) > 1 else "", ""))
        elif stack[-1:] == ["TRACK"] and words[0] == "NAME":
            tracks[-1] = (words[1] if len(words) > 1 else "", tracks[-1][1])
        elif stack[-1:] == ["SOURCE"] and words[0] == "FILE":
            kind, _ = tracks[-1][1][-1]
            tracks[-1][1][-1] = (kind, words[1])
    return tracks


def drop_within_db(audio, start: int, *, sample_rate: int, within_s: float = 0.5, attack_s: float = 0.15) -> float:
    """How far a note's level falls below its attack within ``within_s`` of its onset (dB, >= 0).

    ``audio``: mono samples; ``start``: the note's first sample. Levels are mean squares of
    20 ms frames every 10 ms; the attack is the loudest frame starting in the first
    ``attack_s``; the result is that level minus the quietest frame after it that starts before
    ``within_s``. A plucked note dies away (tens of dB), a bowed one holds (a few dB).
    """
    import numpy as np

    hop = int(0.01 * sample_rate)
    frames = [np.asarray(audio[start + k * hop : start + (k + 2) * hop], np.float64)
              for k in range(int(round(within_s / 0.01)))]  # fmt: skip
    levels = np.array([10 * np.log10(np.mean(f * f) + 1e-20) for f in frames])
    peak = int(np.argmax(levels[: int(round(attack_s / 0.01))]))
    return float(levels[peak] - levels[peak:].min())
