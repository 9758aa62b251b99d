"""The prompt reader: everyday text becomes a :class:`Reading` (style, instruments with counts
and roles, key, mode, tempo, length, meter, moods), with every contradiction resolved by a
stated rule and every unknown content word reported.

The words are data: ``lexicon.toml`` (instruments, groups, counts, negations, voices, tempo,
meter and mode words, instruments partita cannot play and the nearest it can), the styles'
words in ``partita.symbolic.arranger``'s ``styles.toml``, moods and Italian tempo terms in
``planner.toml``. Phrases are matched longest first, each span of text once.

Rules for contradictions (each one applied is written into :attr:`Reading.notes`):

1. An explicit meter ("in 4/4") wins over the style's ("waltz"); a second style word with
   its own meter ("a rock waltz") sets the meter of the first style.
2. Named instruments are the whole ensemble; "solo X" alongside other named instruments
   gives way: every named instrument plays.
3. A negated instrument ("no drums", "without piano") is removed even when also named.
4. A number of bpm wins over tempo words.
5. The first style named is the style; later style words are reported as not used.
6. An instrument partita cannot play is replaced by the nearest it can, named.

>>> r = read_prompt("a punk song with electric guitars, bass and drums")
>>> r.style, [i for i, _ in r.instruments]
('punk', ['electric_guitar', 'electric_guitar', 'electric_bass', 'drum_kit'])
>>> read_prompt("a jazz quartet with trumpet, piano, upright bass and drums").instruments[2]
('acoustic_bass', '')
>>> read_prompt("a waltz in 4/4").meter, read_prompt("a waltz in 4/4").notes[0][:19]
((4, 4), 'meter: the explicit')
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

from partita.symbolic.composer.vocab import ensembles, vocabulary

__all__ = ["Reading", "lexicon", "read_prompt", "assign_roles"]

_CHORDAL = {"piano", "electric_piano", "organ", "clavinet", "accordion", "harpsichord", "celesta", "harp",
            "acoustic_guitar", "nylon_guitar", "electric_guitar", "banjo", "mandolin", "ukulele", "synth_pad"}
_BASSES = ("electric_bass", "acoustic_bass", "contrabass", "synth_bass", "tuba", "bass", "bass_trombone",
           "contrabassoon")  # fmt: skip
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "a": 1, "an": 1, "half a": 0.5}  # fmt: skip


@functools.lru_cache(maxsize=1)
def lexicon() -> Mapping[str, Any]:
    """``lexicon.toml`` as read."""
    text = resources.files("partita.symbolic.composer").joinpath("lexicon.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a prompt says.

    ``instruments``: ``(catalog id, role)`` top to bottom, or empty when the prompt names none
    (the style's or the defaults' ensemble applies); ``preset``: an ensemble preset of
    planner.toml named as a whole (``"string_quartet"``) when that is all that was named;
    ``excluded``: instruments negated ("no drums"), left out of any ensemble;
    ``style``: a style of styles.toml or None; ``meter``, ``tempo_bpm``, ``relative_tempo``
    (0-1 in the style's range), ``duration_s``, ``key``/``mode`` (None: not said);
    ``moods``; ``unknown``: content words not understood; ``notes``: the rules applied.
    """

    style: str | None = None
    instruments: tuple[tuple[str, str], ...] = ()
    preset: str | None = None
    excluded: tuple[str, ...] = ()
    key: str | None = None
    mode: str | None = None
    meter: tuple[int, int] | None = None
    tempo_bpm: float | None = None
    tempo_word: str | None = None
    relative_tempo: float | None = None
    duration_s: float | None = None
    moods: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


_KEY_RE = re.compile(
    r"(?<![\w-])([a-g])\s*(#|♯|b|♭|-sharp|-flat| sharp| flat)?\s*"
    r"(major|minor|maj|min|dorian|mixolydian|lydian|phrygian|aeolian|ionian|locrian)\b", re.I)
_KEY_M_RE = re.compile(r"(?<![\w-])in\s+([A-G])(#|b|♯|♭)?(m)?(?![\w#♯♭/])")  # "in F#m", "in D" (capital)
_KEY_OF_RE = re.compile(r"\bkey of\s+([a-g])(#|b|♯|♭)?(m)?\b", re.I)
_METER_RE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_BPM_RE = re.compile(r"(?:(?:♩|q|quarter)\s*=\s*(\d{2,3}))|(?:\b(\d{2,3})\s*(?:bpm|beats per minute|b\.p\.m\.))|(?:\btempo\s+(?:of\s+)?(\d{2,3})\b)", re.I)
_MSS_RE = re.compile(r"(?<![\d:])(\d{1,2}):([0-5]\d)(?![\d:])")
_LEN_RE = re.compile(
    r"\b(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|a|an|half a)\s*-?\s*"
    r"(minutes?|mins?|m|seconds?|secs?|s)\b"
    r"(?:\s*(?:and\s+)?(?:(\d+)\s*(?:seconds?|secs?|s)\b|(a half)))?", re.I)


def _phrase_re(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'-])" + re.escape(phrase) + r"(?![\w'-])")


@functools.lru_cache(maxsize=1)
def _phrases() -> tuple[tuple[str, str, Any, re.Pattern[str]], ...]:
    """Every (phrase, kind, value, compiled pattern), longest phrase first."""
    from partita.symbolic.arranger.library import style_for_words

    lex, voc = lexicon(), vocabulary()
    rows: list[tuple[str, str, Any]] = []
    for inst, words in lex["instruments"].items():
        rows += [(w, "instrument", inst) for w in words]
    for name, g in lex["groups"].items():
        rows += [(w, "group", name) for w in g["words"]]
    for w, nearest in lex["unsupported"].items():
        rows.append((w, "unsupported", nearest))
    rows += [(w, "style", s) for w, s in style_for_words().items()]
    for mood, m in voc["moods"].items():
        rows += [(w, "mood", mood) for w in m["words"]]
    rows += [(w, "tempo_word", w) for w in voc["tempo_words"]]
    rows += [(w, "relative_tempo", v) for w, v in lex["relative_tempo"].items()]
    rows += [(w, "meter_word", tuple(v)) for w, v in lex["meter_words"].items()]
    rows += [(w, "mode_word", v) for w, v in lex["modes"].items() if w not in ("major", "minor")]
    rows += [(w, "count", v) for w, v in lex["counts"].items()]
    rows += [(w, "size", v) for w, v in lex["ensemble_sizes"].items()]
    rows += [(w, "negation", True) for w in lex["negations"]]
    rows += [(w, "voice_mod", v) for w, v in lex["voice_modifiers"].items()]
    seen: dict[str, tuple[str, Any]] = {}
    for w, kind, value in rows:
        seen.setdefault(w.lower(), (kind, value))
    ordered = sorted(seen.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return tuple((w, kind, value, _phrase_re(w)) for w, (kind, value) in ordered)


def _tonic(letter: str, acc: str | None) -> str:
    acc = (acc or "").strip().lower()
    acc = {"#": "#", "♯": "#", "-sharp": "#", "sharp": "#", "b": "b", "♭": "b", "-flat": "b", "flat": "b"}.get(acc, "")
    return letter.upper() + acc


def read_prompt(text: str) -> Reading:
    """Read ``text`` (see the module docstring for the rules).

    Parameters
    ----------
    text
        Free text, may be empty.

    Returns
    -------
    Reading
    """
    lex = lexicon()
    original = text
    low = text.lower()
    spans: list[tuple[int, int]] = []
    notes: list[str] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in spans)

    def take(m: re.Match[str] | None) -> re.Match[str] | None:
        if m is not None and free(m.start(), m.end()):
            spans.append((m.start(), m.end()))
            return m
        return None

    # explicit facts first: key, meter, tempo, length
    key = mode = None
    m = take(_KEY_RE.search(low))
    if m:
        key = _tonic(m.group(1), m.group(2))
        word = m.group(3).lower()
        mode = {"maj": "major", "min": "minor"}.get(word, lex["modes"].get(word, word))
        if word not in ("major", "minor", "maj", "min"):
            notes.append(f"mode: {word.capitalize()} is read as {mode} (a plan is major or minor)")
    else:
        m = take(_KEY_OF_RE.search(low)) or take(_KEY_M_RE.search(original))
        if m:
            key, mode = _tonic(m.group(1), m.group(2)), ("minor" if m.group(3) else None)
    meter = None
    m = take(_METER_RE.search(low))
    explicit_meter = False
    if m:
        meter, explicit_meter = (int(m.group(1)), int(m.group(2))), True
    tempo_bpm = None
    m = take(_BPM_RE.search(low))
    if m:
        tempo_bpm = float(next(g for g in m.groups() if g))
    duration_s = None
    m = take(_MSS_RE.search(low))
    if m:
        duration_s = 60.0 * int(m.group(1)) + int(m.group(2))
    else:
        m = take(_LEN_RE.search(low))
        if m:
            n = m.group(1).lower()
            value = float(_NUM_WORDS.get(n, n) if not n.replace(".", "").isdigit() else n)
            unit = m.group(2).lower()
            is_min = unit.startswith("m")
            if is_min and unit == "m" and value > 20:  # "90m" is not a length we write
                duration_s = None
            else:
                duration_s = value * 60.0 if is_min else value
                if m.group(3):
                    duration_s += float(m.group(3))
                if m.group(4):
                    duration_s += 30.0 if is_min else 0.5

    # phrases, longest first
    hits: list[tuple[int, int, str, Any, str]] = []
    for phrase, kind, value, rx in _phrases():
        for mm in rx.finditer(low):
            if free(mm.start(), mm.end()):
                spans.append((mm.start(), mm.end()))
                hits.append((mm.start(), mm.end(), kind, value, phrase))
    hits.sort()

    # unknown words
    stop = set(lex["stop_words"])
    unknown: list[str] = []
    for mm in re.finditer(r"[^\s,.;:!?()\"&+/]+", low):
        word = mm.group(0).strip("'-")
        if not word or word in stop or re.fullmatch(r"[\d.:/x]+|\d+(st|nd|rd|th|s)?", word):
            continue
        if any(a <= mm.start() and mm.end() <= b for a, b in spans):
            continue
        if word not in unknown:
            unknown.append(word)

    # style, moods, tempo words, meter words
    styles_named = [h for h in hits if h[2] == "style"]
    style = styles_named[0][3] if styles_named else None
    from partita.symbolic.arranger.library import style as get_style

    for h in styles_named[1:]:
        if h[3] == style:
            continue
        other = get_style(h[3])
        if meter is None and style is not None and other.meter != get_style(style).meter:
            meter = other.meter
            notes.append(f"style: {style} is the style; {h[4]!r} sets the meter {meter[0]}/{meter[1]}")
        else:
            notes.append(f"style: {h[4]!r} is not used (the first style named, {style}, wins)")
    if style is None:  # a formation that implies a style ("jazz trio", "bluegrass band")
        style = next((_group(h[3])["style"] for h in hits if h[2] == "group" and "style" in _group(h[3])), None)
    moods = tuple(dict.fromkeys(h[3] for h in hits if h[2] == "mood"))
    tempo_word = next((h[3] for h in reversed(hits) if h[2] == "tempo_word"), None)
    relative = next((float(h[3]) for h in reversed(hits) if h[2] == "relative_tempo"), None)
    if tempo_bpm is not None and (tempo_word or relative is not None):
        notes.append(f"tempo: {tempo_bpm:g} bpm as written wins over tempo words")
        tempo_word, relative = None, None
    for h in hits:
        if h[2] == "meter_word":
            if meter is None:
                meter = h[3]
            elif meter != h[3]:
                notes.append(f"meter: {meter[0]}/{meter[1]} as written wins over {h[4]!r}")
    if mode is None:
        mode = next((h[3] for h in hits if h[2] == "mode_word"), None)
        if mode is not None:
            word = next(h[4] for h in hits if h[2] == "mode_word")
            notes.append(f"mode: {word.capitalize()} is read as {mode} (a plan is major or minor)")
    if explicit_meter and style is not None and get_style(style).meter != meter:
        sm = get_style(style).meter
        notes.append(f"meter: the explicit {meter[0]}/{meter[1]} wins over {style}'s {sm[0]}/{sm[1]}")

    instruments, preset, excluded = _instruments(hits, style, notes, low)
    return Reading(style=style, instruments=instruments, preset=preset, excluded=excluded, key=key, mode=mode, meter=meter,
                   tempo_bpm=tempo_bpm, tempo_word=tempo_word, relative_tempo=relative, duration_s=duration_s,
                   moods=moods, unknown=tuple(unknown), notes=tuple(notes))  # fmt: skip


#: The voices of a choir: a style whose voice is one of them voices a count of voices as a
#: choir (lexicon.toml [voice_counts]).
CHOIR_VOICES = ("soprano", "alto", "tenor", "bass")


def _resolve(name: str, style: str | None) -> str:
    """A lexicon instrument name (``"@bass"``) as a catalog id for ``style``."""
    if not name.startswith("@"):
        return name
    from partita.symbolic.arranger.library import _styles, style as get_style

    attr = name[1:]
    if style is None:
        return str(_styles()[1][attr])
    return str(getattr(get_style(style), attr))


def _instruments(hits: list[tuple[int, int, str, Any, str]], style: str | None, notes: list[str],
                 low: str) -> tuple[tuple[tuple[str, str], ...], str | None, tuple[str, ...]]:  # fmt: skip
    """The named ensemble ``(instrument, role or "")`` in prompt order, a preset name, and the
    negated instrument ids."""
    from partita.symbolic.arranger.library import style as get_style

    named: list[tuple[str, str, str]] = []  # (instrument, role, phrase)
    negated: set[str] = set()
    solo = False
    presets: list[str] = []
    for k, (a, b, kind, value, phrase) in enumerate(hits):
        if kind not in ("instrument", "group", "unsupported"):
            continue
        prev = hits[k - 1] if k else None
        gap = low[prev[1]:a] if prev else ""
        adjacent = prev is not None and re.fullmatch(r"\s*(the|any|a|an|of)?\s*", gap) is not None
        if adjacent and prev[2] == "negation":
            ids = _ids_of(kind, value, style)
            negated.update(ids)
            continue
        count = 1
        if adjacent and prev[2] == "count":
            count = int(prev[3])
            solo = solo or prev[4] == "solo"
        mdig = re.search(r"(?<![\w.])(\d{1,2})\s+$", low[max(0, a - 4):a])
        if mdig:
            count = int(mdig.group(1))
        if prev is not None and prev[2] == "voice_mod":  # the count before "female"/"male": "four female voices"
            if k >= 2 and hits[k - 2][2] == "count" and re.fullmatch(r"\s*", low[hits[k - 2][1]:prev[0]]):
                count = int(hits[k - 2][3])
            mmod = re.search(r"(?<![\w.])(\d{1,2})\s+$", low[max(0, prev[0] - 4):prev[0]])
            if mmod:
                count = int(mmod.group(1))
        nxt = hits[k + 1] if k + 1 < len(hits) else None
        if nxt is not None and nxt[2] == "size" and re.fullmatch(r"\s*", low[b:nxt[0]]) and kind == "instrument":
            count = int(nxt[3])
        if kind == "unsupported":
            notes.append(f"instrument: partita cannot play {phrase!r}; the nearest it can is {value.replace('_', ' ')}")
            named += [(value, "", phrase)] * count
        elif kind == "instrument":
            inst = value
            if count == 1 and not (adjacent and prev[2] == "count") and not mdig and _plural(phrase, value):
                count = int(lexicon()["plurals"]["count"])
            if inst.startswith("@voice"):
                if adjacent and prev[2] == "voice_mod" or (prev is not None and prev[2] == "voice_mod" and a - prev[1] < 12):
                    inst = prev[3]
            choir = lexicon()["voice_counts"].get(inst, {}).get(str(count))
            if choir and _resolve(inst, style) in CHOIR_VOICES:  # "four voices": a choir voiced top down
                named += [(v, "", phrase) for v in choir]
                continue
            named += [(_resolve(inst, style), "", phrase)] * count
        else:  # group
            g = _group(value)
            if "preset" in g:
                presets.append(g["preset"])
                named += [(p[2], p[3], phrase) for p in ensembles()[g["preset"]]]
            elif g["parts"] == "@style" or g["parts"] == "@rhythm":
                s = get_style(style or "pop")
                rows = [(i, r) for i, r in s.ensemble if g["parts"] == "@style" or r != "melody"]
                named += [(i, r, phrase) for i, r in rows]
            elif g["parts"] == "@horns":
                horns = get_style(style).horns if style else ("horn", "horn")
                named += [(h, "", phrase) for h in horns]
            else:
                named += [(_resolve(i, style), r, phrase) for i, r in g["parts"]]
    if solo and len({n[0] for n in named}) > 1:
        notes.append("instruments: 'solo' gives way: every named instrument plays")
    if negated:
        dropped = [n for n in named if n[0] in negated]
        if dropped:
            notes.append(f"instruments: {', '.join(sorted({d[2] for d in dropped}))} named and negated: left out")
        named = [n for n in named if n[0] not in negated]
    preset = presets[0] if presets and len(named) == len(ensembles()[presets[0]]) else None
    return tuple((i, r) for i, r, _ in named), preset, tuple(sorted(negated))


def _plural(phrase: str, entry: str) -> bool:
    """Whether ``phrase`` is the plural of another word of the same instrument entry."""
    lex = lexicon()
    if phrase in lex["plurals"]["one_part"]:
        return False
    words = lex["instruments"][entry]
    return any(phrase[: -k] in words for k in (1, 2) if phrase.endswith("s"))


def _group(name: str) -> Mapping[str, Any]:
    return lexicon()["groups"][name]


def _ids_of(kind: str, value: str, style: str | None) -> set[str]:

    if kind in ("instrument", "unsupported"):
        return {_resolve(value, style)}
    g = _group(value)
    if "preset" in g:
        return {p[2] for p in ensembles()[g["preset"]]}
    if isinstance(g["parts"], list):
        return {_resolve(i, style) for i, _ in g["parts"]}
    return set()


def assign_roles(parts: list[tuple[str, str]]) -> list[str]:
    """A role for each ``(instrument, role or "")``: roles given are kept; the rest follow the
    rules of docs/arranger.md: percussion for the drum kit; the melody for the highest voice
    when voices are planned, else the first named one-line instrument, else the first named;
    the bass for the lowest bass instrument (or the lowest instrument of three or more);
    accompaniment for instruments that play chords; inner for the rest."""
    from partita import instruments as cat

    roles = [r for _, r in parts]
    for k, (inst, _) in enumerate(parts):
        if not roles[k] and cat.get(inst).percussion:
            roles[k] = "percussion"
    pitched = [k for k in range(len(parts)) if roles[k] != "percussion"]
    if "melody" not in roles and pitched:
        voices = [k for k in pitched if not roles[k] and cat.get(parts[k][0]).family == "voice"]
        free = [k for k in pitched if not roles[k]]
        lines = [k for k in free if parts[k][0] not in _CHORDAL and parts[k][0] not in _BASSES]
        if voices:
            lead = max(voices, key=lambda k: cat.get(parts[k][0]).comfortable_range[1])
        elif lines:
            lead = lines[0]
        elif free:
            lead = next((k for k in free if parts[k][0] not in _BASSES), free[0])
        else:
            lead = None
        if lead is not None:
            roles[lead] = "melody"
    if "bass" not in roles:
        free = [k for k in pitched if not roles[k]]
        basses = [k for k in free if parts[k][0] in _BASSES]
        if basses:
            # the lowest; of equals the last named (parts run top down: Bass II under Bass I)
            roles[min(basses, key=lambda k: (cat.get(parts[k][0]).comfortable_range[0], -k))] = "bass"
        elif len(pitched) >= 3 and free:
            k = min(free, key=lambda k: (cat.get(parts[k][0]).comfortable_range[0], -k))
            if cat.get(parts[k][0]).comfortable_range[0] <= 48 and parts[k][0] not in _CHORDAL:
                roles[k] = "bass"
    for k in pitched:
        if not roles[k]:
            roles[k] = "accompaniment" if parts[k][0] in _CHORDAL else "inner"
    return roles
