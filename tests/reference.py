"""Independent references the tests compare partita against, written here in plain Python."""

from __future__ import annotations

from collections import Counter

from partita.symbolic.score import Part


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
            out.append([n.onset, n.duration, n.pitch, part.velocity_of(n)])
        if n.tie in ("start", "continue"):
            open_[key] = i
    return Counter(tuple(x) for x in out)
