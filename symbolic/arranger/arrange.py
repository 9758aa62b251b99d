"""Write the accompaniment roles of a plan from its chords, in its style's idiom.

For every part of the plan whose role the arranger writes (``bass``, ``accompaniment``,
``inner``, ``percussion``), each section picks one pattern of the style for that role and the
section's energy (:meth:`~partita.symbolic.arranger.library.Style.choices`), by seed, and
fills it bar by bar with the notes of the bar's chord:

- **bass**: root, fifth, octave, third, seventh, a chromatic approach into the next root, or a
  walking line; where the style locks bass and kick, the bass plays where the kick plays;
- **accompaniment**: keyboards comp with four-note voicings led to the nearest inversion;
  guitars, banjo, mandolin and ukulele strum playable shapes (guitars: the moveable E and A
  shapes nearest the last position); the harp arpeggiates;
- **inner**: instruments that play chords hold pads; one-line instruments (winds, brass,
  voices, bowed strings) play guide tones (thirds and sevenths, nearest the last);
- **percussion**: the style's groove, a fill in the last bar before each new section, a crash
  on the first beat of each section after the first; velocities follow the energy.

Every pitch is folded into the instrument's comfortable range.

>>> from partita.symbolic.composer.planner import plan
>>> p = plan("a reggae song with bass, guitar and drums", duration_s=20, seed=1)
>>> parts = arrange(p, seed=1)
>>> sorted(parts) == sorted(x.id for x in p.instrumentation if x.role != "melody")
True
>>> parts == arrange(p, seed=1)
True
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

from partita.symbolic.arranger.library import DRUM_KEYS, Pattern, Style, pattern, style
from partita.symbolic.arranger.voicing import (
    bass_pitch, chord_tones, fold, guide_tone, guitar_voicing, keyboard_voicing, walking_bar,
)  # fmt: skip

__all__ = ["ARRANGED_ROLES", "arrange", "comp_kind", "quote_material", "vary_last_return"]

#: Roles the arranger writes in a style that arranges.
ARRANGED_ROLES = ("bass", "accompaniment", "inner", "percussion")
_STRUM = {"acoustic_guitar", "nylon_guitar", "electric_guitar", "banjo", "mandolin", "ukulele"}
_GUITARS = {"acoustic_guitar", "nylon_guitar", "electric_guitar"}
_ARP = {"harp", "celesta", "vibraphone", "marimba", "xylophone", "glockenspiel"}
_STEP = Fraction(1, 4)  # a sixteenth in quarter-lengths


def comp_kind(instrument_id: str, role: str) -> str:
    """Which pattern family a part plays: ``bass``, ``strum``, ``comp``, ``pad`` (chords held)
    or ``line`` (a guide-tone line), or ``drums``."""
    from partita import instruments as cat

    inst = cat.get(instrument_id)
    if inst.percussion:
        return "drums"
    if role == "bass":
        return "bass"
    one_line = inst.monophonic or inst.family in ("voice", "strings", "woodwinds", "brass")
    if role == "inner":
        return "line" if one_line else "pad"
    if instrument_id in _STRUM:
        return "strum"
    return "line" if one_line else "comp"


def _meter_steps(meter: tuple[int, int]) -> int:
    return 16 * meter[0] // meter[1]


def _fit(p: Pattern | None, meter: tuple[int, int]) -> bool:
    return p is not None and (p.meter is None or p.meter == meter)


def _pick(st: Style, kind: str, energy: float, meter: tuple[int, int], rng: random.Random) -> Pattern:
    """A pattern of ``kind`` for a section: the style's choices at this energy that fit the
    meter; else any of the library's that fits; else a held chord or note."""
    from partita.symbolic.arranger.library import patterns

    table = "pad" if kind in ("pad", "line") else kind
    names = [n for n in st.choices(table, energy) if _fit(patterns()[table].get(n), meter)]
    if kind == "line":
        names = [n for n in names if all(w == "G" for _, _, w in pattern("pad", n).events)] or [
            n for n in patterns()["pad"] if _fit(patterns()["pad"][n], meter) and n.startswith(("guide", "after"))]
    if not names:
        names = sorted(n for n, p in patterns()[table].items() if _fit(p, meter))
        if kind != "drums":
            names = names[:1]
    if not names:
        steps = _meter_steps(meter)
        if kind == "drums":
            beat = 4 if meter[1] == 4 else 6 if meter[0] % 3 == 0 else 2
            kick = "".join("x" if s == 0 else "." for s in range(steps))
            hat = "".join("x" if s % beat == 0 else "." for s in range(steps))
            return Pattern("drums", "pulse", meter, lines=(("hat", hat), ("kick", kick)))
        what = {"bass": "R", "line": "G"}.get(kind, "C")
        return Pattern(kind, "held", meter, events=((0, steps, what),))
    return pattern(table, rng.choice(names))


def _bars(plan: Any) -> list[tuple[int, Any, int, bool]]:
    """Per bar: (bar index, section, index of the section, opens the section)."""
    out = []
    k = 0
    for si, s in enumerate(plan.sections):
        for j in range(s.bars):
            out.append((k, s, si, j == 0))
            k += 1
    return out


def arrange(plan: Any, *, seed: int = 0, roles: tuple[str, ...] = ARRANGED_ROLES) -> dict[str, Any]:
    """The accompaniment parts of ``plan``: part id -> :class:`~partita.symbolic.score.Part`
    for every part whose role is in ``roles``.

    Parameters
    ----------
    plan
        A :class:`~partita.symbolic.composer.planner.Plan`; its ``genre`` names the style.
    seed
        Picks the patterns of each section; same plan and seed, same parts.
    roles
        The roles to write.

    Returns
    -------
    dict
        Part id -> Part, velocities left to the dynamics except on drums (accents, ghosts).
    """
    from partita.symbolic.score import Part

    st = style(plan.genre)
    chords = plan.bar_chords()
    bars = _bars(plan)
    # the drum grooves first: the bass may lock to their kick
    drum_bars = _drum_bars(plan, st, seed)
    out: dict[str, Any] = {}
    for idx, pp in enumerate(plan.instrumentation):
        if pp.role not in roles:
            continue
        kind = comp_kind(pp.instrument, pp.role)
        rng = random.Random(f"{seed}:{pp.id}:{idx}")
        if kind == "drums":
            notes = _drum_notes(plan, drum_bars)
        else:
            lock = kind == "bass" and st.lock_kick and any(x.role == "percussion" for x in plan.instrumentation)
            notes = _pitched_notes(plan, st, pp.instrument, kind, bars, chords, rng, drum_bars if lock else None)
        out[pp.id] = Part(pp.id, pp.name, pp.instrument, tuple(notes))
    return out


def _pitched_notes(plan: Any, st: Style, instrument: str, kind: str, bars: list[Any], chords: tuple[str, ...],
                   rng: random.Random, kick_bars: list[Any] | None) -> list[Any]:  # fmt: skip
    from partita import instruments as cat
    from partita.symbolic.score import Note

    inst = cat.get(instrument)
    lo, hi = inst.comfortable_range
    meter = plan.meter
    steps = _meter_steps(meter)
    bar_ql = plan.bar_ql
    chosen: dict[int, Pattern] = {}
    notes: list[Any] = []
    prev_voicing: tuple[int, ...] | None = None
    prev_fret: int | None = None
    prev_note: int | None = None
    for k, section, si, _opens in bars:
        if si not in chosen:
            chosen[si] = _pick(st, "comp" if kind == "comp" else kind, section.energy, meter, rng)
        pat = chosen[si]
        figure = chords[k]
        nxt = chords[k + 1] if k + 1 < len(chords) else None
        start = k * bar_ql
        root, pcs = chord_tones(figure)
        if kind == "bass":
            events = _bass_events(pat, kick_bars[k] if kick_bars else None, steps)
            if pat.walk and meter == (4, 4) and not kick_bars:
                line = walking_bar(figure, nxt, lo, min(hi, lo + 24), prev=prev_note, variant=rng.randrange(4))
                for b, p in enumerate(line):
                    notes.append(Note(start + b, 1, p))
                prev_note = line[-1]
                continue
            for step, length, what in events:
                length = length or steps - step
                p = _bass_degree(what, root, pcs, nxt, k, lo, hi, prev_note)
                notes.append(Note(start + step * _STEP, length * _STEP, p))
                prev_note = p
            continue
        if kind == "line":
            for step, length, _what in pat.events:
                length = length or steps - step
                p = guide_tone(figure, lo + 3, hi - 5, prev=prev_note)
                notes.append(Note(start + step * _STEP, length * _STEP, p))
                prev_note = p
            continue
        if kind == "strum" and instrument in _GUITARS:
            prev_fret, voicing = guitar_voicing(figure, prev_fret=prev_fret)
            voicing = tuple(sorted({fold(p, lo, inst.sounding_range[1]) for p in voicing}))
        else:
            top = min(hi, 79 if kind != "pad" else 81)
            bottom = max(lo, min(top - 19, 53 if kind == "comp" else 55))
            voicing = keyboard_voicing(figure, bottom, top, prev=prev_voicing)
        prev_voicing = voicing
        for step, length, what in pat.events:
            length = length or steps - step
            if what == "C":
                ps = voicing
            elif what == "U":
                ps = voicing[1:] if len(voicing) > 3 else voicing
            elif what == "L":
                ps = (bass_pitch(root, max(lo, 36), hi, prev=None),) if kind != "strum" else (voicing[0],)
            elif what.startswith("a"):
                i = int(what[1:])
                ps = (voicing[min(i, len(voicing) - 1)],)
            else:  # "G" in a comp pattern
                ps = (guide_tone(figure, lo, hi, prev=None),)
            onset = start + step * _STEP
            for p in sorted(set(ps)):
                notes.append(Note(onset, length * _STEP, p))
    return notes


def _bass_events(pat: Pattern, kick_steps: Any, steps: int) -> tuple[tuple[int, int, str], ...]:
    """The bass pattern's events, or (locked to the kick) the root at every kick, held to the
    next kick."""
    if kick_steps is None:
        return pat.events
    ks = sorted(s for s, key, _ in kick_steps if key == DRUM_KEYS["kick"])
    if not ks:
        return pat.events
    out = []
    for i, s in enumerate(ks):
        end = ks[i + 1] if i + 1 < len(ks) else steps
        out.append((s, max(1, min(end - s, 4)), "R" if i == 0 or s % 8 == 0 else ("8" if s % 4 else "5")))
    return tuple(out)


def _bass_degree(what: str, root: int, pcs: tuple[int, ...], nxt: str | None, k: int, lo: int, hi: int,
                 prev: int | None) -> int:  # fmt: skip
    top = min(hi, lo + 26)
    r = bass_pitch(root, lo, top, prev=prev if what in ("R", "R5") else None)
    if what == "R":
        return r
    if what == "R5":
        return r if k % 2 == 0 else fold(r + 7 - 12 if r + 7 > top else r + 7, lo, top)
    if what == "5":
        p = r + 7 if r + 7 <= top else r - 5
        return fold(p, lo, top)
    if what == "8":
        return r + 12 if r + 12 <= hi else r
    if what == "3":
        return fold(r + (pcs[1] - root) % 12, lo, top)
    if what == "7":
        return fold(r + 10 if len(pcs) < 4 else r + (pcs[3] - root) % 12, lo, top)
    if what == "A":
        target = bass_pitch(chord_tones(nxt)[0] if nxt else root, lo, top, prev=r)
        return target - 1 if target - 1 >= lo else target + 1
    raise ValueError(f"bass degree {what!r}")


# ---------------------------------------------------------------------------------------------
# Drums


def _drum_bars(plan: Any, st: Style, seed: int) -> list[list[tuple[int, int, str]]]:
    """Per bar: ``(step, GM key, mark)`` of the groove, with fills into each new section and a
    crash on each section's first beat after the first."""
    rng = random.Random(f"{seed}:drums")
    meter = plan.meter
    steps = _meter_steps(meter)
    chosen: dict[int, Pattern] = {}
    bars = _bars(plan)
    out: list[list[tuple[int, int, str]]] = []
    last_of_section = {k for k, _, si, _ in bars if k + 1 < len(bars) and bars[k + 1][2] != si}
    fills = [pattern("fill", f) for f in st.fills]
    for k, section, si, opens in bars:
        if si not in chosen:
            chosen[si] = _pick(st, "drums", section.energy, meter, rng)
        hits: list[tuple[int, int, str]] = []
        lines = dict(chosen[si].lines)
        fill = rng.choice(fills) if fills and k in last_of_section and steps >= 8 else None
        fill_from = steps - max((len(v) for _, v in fill.lines), default=0) if fill else steps
        for piece, line in lines.items():
            for s, ch in enumerate(line):
                if ch != "." and s < fill_from:
                    hits.append((s, DRUM_KEYS[piece], ch))
        if fill is not None:
            for piece, line in fill.lines:
                for j, ch in enumerate(line):
                    if ch != ".":
                        hits.append((steps - len(line) + j, DRUM_KEYS[piece], ch))
        if opens and (si > 0 or section.energy >= 0.6) and section.energy >= 0.4:
            hits.append((0, DRUM_KEYS["crash"], "X"))
        out.append(sorted(set(hits)))
    return out


def _drum_notes(plan: Any, drum_bars: list[list[tuple[int, int, str]]]) -> list[Any]:
    from partita.symbolic.score import Note

    bars = _bars(plan)
    notes = []
    for (k, section, _si, _o), hits in zip(bars, drum_bars):
        base = 56 + int(56 * section.energy)
        for step, key, mark in hits:
            vel = {"X": base + 16, "x": base, "o": max(20, base - 40)}[mark]
            notes.append(Note(k * plan.bar_ql + step * _STEP, _STEP, key, velocity=min(127, vel)))
    return notes


def quote_material(plan: Any, melody: Any) -> Any:
    """``melody`` (the melody Part) with its intro and outro bars replaced by the first chorus's
    bars wherever the chord is the same (an intro or outro built from the hook); unchanged when
    the plan has no chorus."""
    import dataclasses

    bars = _bars(plan)
    chords = plan.bar_chords()
    first_chorus = next((k for k, s, _, o in bars if o and s.name == "chorus"), None)
    if first_chorus is None:
        return melody
    n_chorus = next(s.bars for k, s, _, o in bars if k == first_chorus)
    bar_ql = plan.bar_ql
    by_bar: dict[int, list[Any]] = {}
    for n in melody.notes:
        by_bar.setdefault(int(n.onset // bar_ql), []).append(n)
    replace: dict[int, int] = {}
    for name in ("intro", "outro"):
        ks = [k for k, s, _, _ in bars if s.name == name]
        for j, k in enumerate(ks):
            src = first_chorus + (j % n_chorus)
            if chords[k] == chords[src] and by_bar.get(src) and all(
                    n.onset + n.duration <= (src + 1) * bar_ql for n in by_bar[src]):
                replace[k] = src
    if not replace:
        return melody
    kept = [n for n in melody.notes if int(n.onset // bar_ql) not in replace
            or n.onset + n.duration <= int(n.onset // bar_ql) * bar_ql]  # fmt: skip
    # a held note from a replaced bar's neighbour must not run into it
    kept = [n if int((n.onset + n.duration - Fraction(1, 1000)) // bar_ql) not in replace or int(n.onset // bar_ql) in replace
            else dataclasses.replace(n, duration=(int(n.onset // bar_ql) + 1) * bar_ql - n.onset, tie=None)
            for n in kept]  # fmt: skip
    for k, src in replace.items():
        shift = (k - src) * bar_ql
        kept += [dataclasses.replace(n, onset=n.onset + shift, tie=None, slur=None) for n in by_bar[src]]
    return melody.with_notes(kept)


def vary_last_return(plan: Any, melody: Any) -> Any:
    """``melody`` with its last chorus varied where it would come back note for note like the
    first: of the bars the two have in common, the return's last holds its first note to the
    bar's end (a held cadence), or a bar of one note is struck twice. Unchanged when the chorus
    comes once or already differs."""
    import dataclasses

    bar_ql = plan.bar_ql
    runs = []
    k = 0
    for s in plan.sections:
        if s.name == "chorus":
            runs.append((k, s.bars))
        k += s.bars
    if len(runs) < 2:
        return melody

    def events(start: int, n: int) -> list[tuple[Any, int, Any]]:
        a, b = start * bar_ql, (start + n) * bar_ql
        return sorted((x.onset - a, x.pitch) for x in melody.notes if a <= x.onset < b)

    (first, n0), (last, n1) = runs[0], runs[-1]
    n = min(n0, n1)
    if events(first, n) != events(last, n):
        return melody
    end_bar = last + n - 1  # the last bar the two have in common
    a, b = end_bar * bar_ql, (end_bar + 1) * bar_ql
    in_bar = sorted((x for x in melody.notes if a <= x.onset < b), key=lambda x: (x.onset, x.pitch))
    if not in_bar or in_bar[-1].onset + in_bar[-1].duration > b:
        return melody
    rest = [x for x in melody.notes if not a <= x.onset < b]
    head = in_bar[0]
    if len({x.onset for x in in_bar}) > 1:
        new = [dataclasses.replace(x, duration=b - x.onset, tie=None) for x in in_bar if x.onset == head.onset]
    else:
        half = (b - head.onset) / 2
        new = [y for x in in_bar for y in (dataclasses.replace(x, duration=half, tie=None),
                                           dataclasses.replace(x, onset=x.onset + half, duration=half, tie=None))]  # fmt: skip
    return melody.with_notes(rest + new)
