"""The sung performance: lyrics on notes become phonemes in time, then control curves.

For a voice part (catalog family ``voice``) this replaces :func:`partita.render.performance.
perform_part`. It gives the same :class:`~partita.render.controls.ControlCurves` -- pitch,
loudness -- plus ``tract``: per frame, the formants, voicing and noise of the phoneme being
sung. :mod:`partita.render.singer` turns them into harmonics and noise for the common kernels.

1. **Syllables.** Each sounding note (ties merged, chords split into voices) takes its syllable
   of the chosen verse (:func:`partita.symbolic.lyrics.verse_of`); syllables join into words
   (hyphens), words get their phonemes (CMU dictionary, espeak-ng, rules) and are cut into as
   many syllables as the score gives them. A note without a syllable continues the vowel
   before it (melisma). A part with no lyrics sings the neutral vowel ("ah" or "oo").
2. **Phrases.** Notes that touch form a phrase; a rest, a fermata or a comma/full stop at the
   end of a word ends it (before punctuation the note gives up to 180 ms to a breath). A
   phrase is synthesized on its own, so a one-syllable edit re-renders only its phrase.
3. **Placement.** The vowel starts on the note's onset. Onset consonants come before it, taking
   their typical durations (``voices.toml``) from the end of the previous note -- at most 45 %
   of it -- or from the silence before the phrase (at most 300 ms). Coda consonants end the
   syllable's last note (at most 35 % of it). A diphthong glides to its second vowel in the
   last 30 % of the syllable (at most 150 ms). A breath (aspiration noise) fills up to 350 ms
   of a rest before a phrase.
4. **Coarticulation.** Formant targets are step functions of the phonemes smoothed with a
   50 ms Hann window (in log frequency); voicing and noise with a 12 ms one.
5. **Pitch.** Equal temperament; between notes a raised-cosine glide in log frequency, 50 ms,
   120 ms (portamento) under a slur, placed during the consonants when there are some and
   ending on the onset when not. Vibrato grows over long notes: none for the first 200 ms,
   then up to the voice's depth over 800 ms.
6. **Loudness.** The part's dynamic level (marks and hairpins, as for instruments); notes that
   re-start the same vowel (melisma, neutral vowel) dip 9 dB for 50 ms unless slurred to a
   new pitch, so repeated notes are heard.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from partita.errors import ConfigError
from partita.render.controls import FRAME_RATE, SILENCE_DB, ControlCurves, phrase_seed
from partita.render.performance import STYLES, level_curve, seconds_of, sounding_notes
from partita.symbolic import lyrics as lx
from partita.symbolic.score import Part, Score
from partita.symbolic.underlay import is_voice

__all__ = [
    "TRACT_SIZE",
    "NEUTRAL_VOWELS",
    "SungReport",
    "is_voice_part",
    "voice_type_of",
    "voice_data",
    "perform_sung_part",
    "lyric_report",
    "phoneme_timeline",
]

#: Columns of ``ControlCurves.tract``: F1-F5, B1-B5, voicing, frication level, frication centre
#: (Hz), frication width (octaves), aspiration level.
TRACT_SIZE = 15
#: The neutral vowels a part without lyrics can sing.
NEUTRAL_VOWELS = {"ah": "AA", "oo": "UW"}
_VOICE_OF_INSTRUMENT = {"soprano": "soprano", "mezzo_soprano": "mezzo", "alto": "alto", "tenor": "tenor",
                        "baritone": "baritone", "bass": "bass"}  # fmt: skip
_PUNCT_BREATH = re.compile(r"[,;:.!?]['\")»”]*-?$")
_STYLE = STYLES["voice_high"]
_BREATH_GAIN = 0.06  # aspiration of an in-breath re the voice's level (about -24 dB)
_VOWEL_ASPIRATION = 0.02  # breathiness of sung vowels (about -34 dB)


@functools.cache
def voice_data() -> dict:
    """The contents of ``voices.toml`` (formant tables, consonants, voice types)."""
    with importlib.resources.files("partita.render").joinpath("voices.toml").open("rb") as fh:
        return tomllib.load(fh)


def is_voice_part(part: Part) -> bool:
    """Whether a part is sung (its instrument is in the catalog's voice family)."""
    return is_voice(part)


def voice_type_of(part: Part) -> str:
    """``soprano``, ``mezzo``, ``alto``, ``tenor``, ``baritone`` or ``bass`` for a voice part:
    from its instrument, or for a choir (or any other voice) from its median pitch.

    >>> from partita.symbolic.score import Note, Part
    >>> voice_type_of(Part("c", "Choir", "choir", notes=(Note(0, 1, 50),)))
    'baritone'
    """
    if part.instrument in _VOICE_OF_INSTRUMENT:
        return _VOICE_OF_INSTRUMENT[part.instrument]
    pitches = sorted(n.pitch for n in part.notes) or [60]
    median = pitches[len(pitches) // 2]
    for low, name in ((67, "soprano"), (60, "alto"), (53, "tenor"), (47, "baritone")):
        if median >= low:
            return name
    return "bass"


@dataclass(frozen=True, slots=True)
class SungReport:
    """What the renderer tells the user about a sung part's words.

    ``not_in_dictionary``: word -> how it was spelled instead (``"espeak-ng"`` or ``"rules"``);
    ``bare_notes``: onsets (quarters) of notes with no syllable that are neither slurred nor
    after a syllable of the same phrase (sung on the previous vowel); ``has_lyrics``: whether
    the chosen verse has any syllable.
    """

    part_id: str
    not_in_dictionary: dict[str, str] = field(default_factory=dict)
    bare_notes: tuple[Fraction, ...] = ()
    has_lyrics: bool = False

    def lines(self, part_name: str) -> list[str]:
        """Summary lines (none when there is nothing to say)."""
        out = []
        if self.not_in_dictionary:
            words = ", ".join(f"{w} ({src})" for w, src in sorted(self.not_in_dictionary.items()))
            out.append(f"part {part_name!r}: not in the pronouncing dictionary, spelled by the fallback: {words}")
        if self.bare_notes and self.has_lyrics:
            out.append(f"part {part_name!r}: {len(self.bare_notes)} note(s) without a syllable, sung on the "
                       f"previous vowel (first at quarter {float(self.bare_notes[0]):g})")  # fmt: skip
        return out


@dataclass
class _SNote:
    on_s: float
    off_s: float
    onset_q: Fraction
    pitch: int
    slur: str | None
    fermata: bool
    text: str | None  # the syllable as written
    syl: lx.Syllable | None = None
    depth: float | None = None
    rate: float | None = None
    carry: lx.Syllable | None = None  # the vowel a note without a syllable continues
    cons_start: float | None = None  # where its onset consonants start (s)


@functools.lru_cache(maxsize=4096)
def _pronounced(words: tuple[str, ...], language: str = "en") -> dict[str, lx.Pronunciation]:
    return lx.pronounce_many(list(words), language=language)


def _voices(part: Part, score: Score, verse: int) -> dict[int, list[_SNote]]:
    """Sounding notes by sub-voice, in time, with their syllable text."""
    seconds_at = seconds_of(score.tempo_map)
    written = {}
    for n in part.notes:
        written.setdefault((n.voice, n.onset), n)
    out: dict[int, list[_SNote]] = {}
    for sn in sounding_notes(part):
        w = written.get(((sn.voice - 1) // 1000 + 1, sn.onset))
        text = lx.verse_of(w.lyric if w is not None else None, verse)
        on_s = seconds_at(sn.onset)
        off_s = seconds_at(sn.end)
        if "staccatissimo" in sn.articulations:
            off_s = on_s + (off_s - on_s) * 0.3
        elif "staccato" in sn.articulations:
            off_s = on_s + (off_s - on_s) * 0.5
        fermata = "fermata" in sn.articulations
        if fermata:
            off_s = on_s + (off_s - on_s) * 1.6
        out.setdefault(sn.voice, []).append(_SNote(on_s, off_s, sn.onset, sn.pitch, sn.slur, fermata, text,
                                                   depth=sn.vibrato_depth_cents, rate=sn.vibrato_rate_hz))  # fmt: skip
    return out


def _assign_syllables(voices: dict[int, list[_SNote]], neutral: str, language: str = "en") -> SungReport:
    texts = {v: [n.text for n in ns] for v, ns in voices.items()}
    placed = {v: lx.words_on_notes(t) for v, t in texts.items()}
    words = tuple(sorted({w for p in placed.values() for _, w, _, _ in p if w}))
    prons = _pronounced(words, language)
    has_lyrics = any(placed.values())
    for v, ns in voices.items():
        cut: dict[tuple[str, int], tuple[lx.Syllable, ...]] = {}
        for i, w, k, n in placed[v]:
            if not w:
                continue
            if (w, n) not in cut:
                cut[(w, n)] = lx.fit_syllables(prons[w].syllables, n)
            ns[i].syl = cut[(w, n)][k]
    bare: list[Fraction] = []
    for ns in voices.values():
        prev: lx.Syllable | None = None
        for j, n in enumerate(ns):
            if n.syl is None:
                if has_lyrics and (prev is None or n.slur not in ("continue", "stop")):
                    bare.append(n.onset_q)
                vowel = prev.vowel if prev is not None else NEUTRAL_VOWELS[neutral]
                n.carry = lx.Syllable((), vowel, ())
                if prev is None:
                    prev = n.carry
            else:
                prev = n.syl
    unknown = {w: prons[w].source for w in words if prons[w].source != "cmudict"}
    return SungReport("", unknown, tuple(sorted(set(bare))), has_lyrics)


def _phrases(ns: list[_SNote]) -> list[list[_SNote]]:
    out: list[list[_SNote]] = []
    for n in ns:
        if out:
            prev = out[-1][-1]
            breath = prev.text is not None and _PUNCT_BREATH.search(prev.text) is not None
            if not prev.fermata and not breath and abs(prev.off_s - n.on_s) < 1e-6:
                out[-1].append(n)
                continue
            if breath and abs(prev.off_s - n.on_s) < 1e-6:
                prev.off_s -= min(0.18, 0.25 * (prev.off_s - prev.on_s))
        out.append([n])
    return out


def _consonant(ph: str) -> dict:
    return voice_data()["consonants"][ph]


def _segments(phrase: list[_SNote], gap_before_s: float) -> list[tuple[str, float, float]]:
    """(phoneme, start s, end s) of a phrase; "." is silence, "BR" an in-breath; vowels may be
    "AA>IY" for the two halves of a diphthong."""
    diph = voice_data()["diphthongs"]
    segs: list[tuple[str, float, float]] = []
    # syllable index of each note: a note without its own syllable continues the previous one
    groups: list[tuple[lx.Syllable, list[_SNote]]] = []
    for n in phrase:
        if n.syl is None and groups:
            groups[-1][1].append(n)
        else:
            groups.append((n.syl or n.carry or lx.Syllable((), "AH", ()), [n]))
    starts = []  # where each syllable's onset consonants begin
    for g, (syl, notes) in enumerate(groups):
        on = notes[0].on_s
        want = sum(_consonant(c)["dur_s"] for c in syl.onset)
        if g == 0:
            room = min(0.3, max(gap_before_s - 0.05, 0.0)) if gap_before_s < 10 else 0.3
        else:
            prev_last = groups[g - 1][1][-1]
            room = 0.45 * max(prev_last.off_s - prev_last.on_s, 0.0)
        scale = min(1.0, room / want) if want > 0 else 1.0
        t = on - want * scale
        starts.append(t)
        notes[0].cons_start = t
        for c in syl.onset:
            d = _consonant(c)["dur_s"] * scale
            segs.extend(_consonant_segments(c, t, t + d))
            t += d
        end = notes[-1].off_s
        if g + 1 < len(groups):
            end = min(end, groups[g + 1][1][0].on_s)
        coda_want = sum(_consonant(c)["dur_s"] for c in syl.coda)
        room = 0.35 * max(end - on, 0.0)
        cscale = min(1.0, room / coda_want) if coda_want > 0 else 1.0
        v_end = end - coda_want * cscale
        if g + 1 < len(groups):
            # the next syllable's onset consonants take the end of this one
            nxt = groups[g + 1]
            nxt_want = sum(_consonant(c)["dur_s"] for c in nxt[0].onset)
            nroom = 0.45 * max(notes[-1].off_s - notes[-1].on_s, 0.0)
            nscale = min(1.0, nroom / nxt_want) if nxt_want > 0 else 1.0
            v_end = min(v_end, nxt[1][0].on_s - nxt_want * nscale - coda_want * cscale)
        v_end = max(v_end, on + 0.02)
        if syl.vowel in diph:
            a, b = diph[syl.vowel]
            split = v_end - min(0.15, 0.3 * (v_end - on))
            segs.append((a, on, split))
            segs.append((b, split, v_end))
        else:
            segs.append((syl.vowel, on, v_end))
        t = v_end
        for c in syl.coda:
            d = _consonant(c)["dur_s"] * cscale
            segs.extend(_consonant_segments(c, t, t + d))
            t += d
    if gap_before_s >= 0.3:
        first = starts[0]
        b = min(0.35, 0.5 * gap_before_s)
        segs.insert(0, ("BR", first - 0.05 - b, first - 0.05))
    return segs


def _consonant_segments(c: str, t0: float, t1: float) -> list[tuple[str, float, float]]:
    kind = _consonant(c)["kind"]
    if kind == "stop":  # closure, then a burst of at most 20 ms (voiceless ones aspirate)
        burst = min(0.02, 0.3 * (t1 - t0))
        return [(c + ":closure", t0, t1 - burst), (c + ":burst", t1 - burst, t1)]
    if kind == "affricate":
        closure = 0.4 * (t1 - t0)
        return [(c + ":closure", t0, t0 + closure), (c, t0 + closure, t1)]
    return [(c, t0, t1)]


def _targets(label: str, voice: dict, tables: dict, next_vowel: np.ndarray) -> np.ndarray:
    """The tract vector a phoneme aims at (NaN formants: take the neighbours')."""
    row = np.full(TRACT_SIZE, np.nan)
    row[5:10] = voice["bandwidths"]
    row[10:15] = [1.0, 0.0, 4000.0, 1.0, _VOWEL_ASPIRATION]
    scale = voice["scale"]
    if label == "BR":
        row[0:5] = next_vowel
        row[10:15] = [0.0, 0.0, 4000.0, 1.0, _BREATH_GAIN]
        return row
    if label == ".":
        row[10:15] = [0.0, 0.0, 4000.0, 1.0, 0.0]
        return row
    base, _, phase = label.partition(":")
    if base in tables:
        row[0:3] = np.array(tables[base]) * scale
        row[3:5] = voice["f45"]
        return row
    c = _consonant(base)
    if c["f"][0] > 0:
        row[0:3] = np.array(c["f"], float) * scale
        row[3:5] = voice["f45"]
    gain = 10.0 ** (c["noise_db"] / 20.0)
    voicing = c["voicing"]
    if c["kind"] == "nasal":
        row[5] = 100.0
        row[6:8] = [300.0, 300.0]
    if c["kind"] == "aspirate":
        row[0:5] = next_vowel
        row[10:15] = [0.0, 0.0, 4000.0, 1.0, gain]
    elif phase == "closure":
        row[10:15] = [voicing, 0.0, 4000.0, 1.0, 0.0]
    elif phase == "burst":
        asp = 0.0 if voicing > 0 else gain * 0.5
        row[10:15] = [voicing, gain * 1.6, c["noise_hz"], c["noise_oct"], asp]
    else:
        row[10:15] = [voicing, gain if c["noise_hz"] > 0 else 0.0, max(c["noise_hz"], 1000.0),
                      max(c["noise_oct"], 0.5), 0.0]  # fmt: skip
    return row


def _hann_smooth(x: np.ndarray, width_frames: int) -> np.ndarray:
    """Smooth the columns of ``x`` [n, k] with a normalised Hann window, edges held."""
    if width_frames < 3:
        return x
    w = np.hanning(width_frames + 2)[1:-1]
    w /= w.sum()
    pad = width_frames // 2
    xp = np.pad(x, ((pad, width_frames - 1 - pad), (0, 0)), mode="edge")
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        out[:, j] = np.convolve(xp[:, j], w, mode="valid")
    return out


def _tract(segs, t: np.ndarray, voice: dict, tables: dict, frame_rate: float) -> np.ndarray:
    n = t.size
    vowel_rows = [_targets(s[0], voice, tables, np.zeros(5)) for s in segs if s[0] in tables]
    fallback = vowel_rows[0][0:5] if vowel_rows else np.array([700, 1200, 2500, 3300, 3800], float)
    rows = []
    next_vowel = fallback
    for s in reversed(segs):  # a breath or an /h/ takes the formants of the vowel after it
        if s[0] in tables:
            next_vowel = _targets(s[0], voice, tables, fallback)[0:5]
        rows.append(_targets(s[0], voice, tables, next_vowel))
    rows.reverse()
    out = np.empty((n, TRACT_SIZE))
    out[:] = _targets(".", voice, tables, fallback)
    idx = np.full(n, -1)
    for k, (_, a, b) in enumerate(segs):
        idx[(t >= a) & (t < b)] = k
    # frames outside every segment: the nearest segment's formants, silent source
    known = np.flatnonzero(idx >= 0)
    for k in range(len(segs)):
        sel = idx == k
        out[sel] = rows[k]
    if known.size:
        nearest = known[np.clip(np.searchsorted(known, np.arange(n)), 0, known.size - 1)]
        gaps = idx < 0
        out[gaps, 0:10] = out[nearest[gaps], 0:10]
    # consonants without their own formants: interpolate between the neighbours' in time
    for j in range(5):
        col = out[:, j]
        bad = np.isnan(col)
        if bad.all():
            col[:] = fallback[j]
        elif bad.any():
            col[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), col[~bad])
    out[:, 0:5] = np.exp(_hann_smooth(np.log(out[:, 0:5]), int(round(0.05 * frame_rate))))
    out[:, 5:10] = _hann_smooth(out[:, 5:10], int(round(0.05 * frame_rate)))
    out[:, 10:15] = _hann_smooth(out[:, 10:15], int(round(0.012 * frame_rate)))
    return out


def perform_sung_part(
    part: Part, score: Score, *, frame_rate: float = FRAME_RATE, seed: int = 0, verse: int = 1,
    neutral_vowel: str = "ah", language: str = "en",
) -> tuple[tuple[ControlCurves, ...], SungReport]:  # fmt: skip
    """Control curves (with ``tract``) of every sung phrase of a voice part, and its report.

    Parameters
    ----------
    part, score
        A voice part and its score.
    frame_rate
        Control frames per second (Hz).
    seed
        Each phrase's noise seed derives from (seed, part id, onset, voice).
    verse
        Which verse of the lyrics to sing (from 1).
    neutral_vowel
        ``"ah"`` or ``"oo"``: what notes sing when the verse has no words at all.
    language
        ``"en"``: the CMU dictionary, then espeak-ng's American English; another espeak-ng voice
        (``"de"``, ``"it"``, ``"la"`` ...): espeak-ng in that language (see
        :func:`partita.symbolic.lyrics.pronounce_many`).

    Returns
    -------
    (tuple of ControlCurves in onset order, SungReport)

    Examples
    --------
    >>> from partita.symbolic.score import Note, Part, Score
    >>> p = Part("t", "Tenor", "tenor", notes=(Note(0, 2, 57, lyric="sing"),))
    >>> curves, report = perform_sung_part(p, Score(parts=(p,)))
    >>> len(curves), curves[0].tract.shape[1], report.not_in_dictionary
    (1, 15, {})
    """
    if neutral_vowel not in NEUTRAL_VOWELS:
        raise ConfigError(f"neutral vowel {neutral_vowel!r} is not one of {', '.join(NEUTRAL_VOWELS)}")
    if not isinstance(verse, int) or verse < 1:
        raise ConfigError(f"verse {verse!r} must be a whole number from 1")
    vtype = voice_type_of(part)
    data = voice_data()
    voice = data["voice"][vtype]
    tables = data["vowels"][voice["table"]]
    voices = _voices(part, score, verse)
    report = _assign_syllables(voices, neutral_vowel, language)
    report = SungReport(part.id, report.not_in_dictionary, report.bare_notes, report.has_lyrics)
    times, vel = level_curve(part, score)
    curves = []
    for v, ns in sorted(voices.items()):
        prev_end = -1e9
        for phrase in _phrases(ns):
            gap = phrase[0].on_s - prev_end
            prev_end = max(n.off_s for n in phrase)
            curves.append(_phrase_curves(phrase, gap, part, v, voice, tables, times, vel,
                                         frame_rate=frame_rate, seed=seed))  # fmt: skip
    curves.sort(key=lambda c: (c.start_frame, c.voice))
    return tuple(curves), report


def _phrase_curves(phrase, gap, part, v, voice, tables, times, vel, *, frame_rate, seed) -> ControlCurves:
    segs = _segments(phrase, gap)
    release = 0.12
    t0 = min(s[1] for s in segs)
    off = max(max(s[2] for s in segs), max(n.off_s for n in phrase))
    start_frame = max(int(math.floor(t0 * frame_rate)) - 2, 0)
    end_frame = int(math.ceil((off + release) * frame_rate)) + 2
    frames = np.arange(start_frame, end_frame)
    t = frames / frame_rate
    tract = _tract(segs, t, voice, tables, frame_rate)
    # source envelope: attack from the first sound, release after the last
    first_sound = min(s[1] for s in segs if s[0] != "BR")
    env = np.clip((t - first_sound) / 0.04, 0.0, 1.0) * np.clip(1.0 - (t - off) / release, 0.0, 1.0)
    tract[:, 10] *= env
    tract[:, 11] *= env
    breath_env = np.clip(1.0 - (t - off) / release, 0.0, 1.0)
    tract[:, 14] *= breath_env
    # pitch: notes, glides, growing vibrato
    pitch = np.full(t.size, float(phrase[0].pitch))
    vib = np.zeros(t.size)
    depth_max = voice["vibrato_cents"]
    rate0 = voice["vibrato_hz"]
    for k, n in enumerate(phrase):
        if k > 0:
            prev = phrase[k - 1]
            g = 0.12 if n.slur in ("continue", "stop") else 0.05
            if n.cons_start is not None and n.cons_start < n.on_s - 1e-6:
                # during the onset consonants, done by the vowel
                lo, g = n.cons_start, min(g, n.on_s - n.cons_start)
            else:
                lo = n.on_s - g
            x = np.clip((t - lo) / g, 0.0, 1.0)
            pitch = np.where(t >= lo, prev.pitch + (n.pitch - prev.pitch) * 0.5 * (1 - np.cos(np.pi * x)), pitch)
        age = t - n.on_s
        end = phrase[k + 1].on_s if k + 1 < len(phrase) else np.inf
        inside = (age >= 0) & (t < end)
        depth = depth_max if n.depth is None else n.depth
        vib[inside] = depth * np.clip((age[inside] - 0.2) / 0.8, 0.0, 1.0)
    rate = rate0 if phrase[0].rate is None else phrase[0].rate
    vib_phase = 2 * np.pi * rate * (t - phrase[0].on_s)
    f0 = 440.0 * 2.0 ** ((pitch + vib / 100.0 * np.sin(vib_phase) - 69.0) / 12.0)
    # loudness: the dynamic level; a dip where a note re-starts the same vowel
    loud = _STYLE.velocity_to_db(np.interp(t, times, vel))
    for k in range(1, len(phrase)):
        n, prev = phrase[k], phrase[k - 1]
        if n.syl is None or not n.syl.onset:
            if n.slur in ("continue", "stop") and n.pitch != prev.pitch:
                continue
            loud = loud - 9.0 * np.clip(1.0 - np.abs(t - n.on_s) / 0.025, 0.0, 1.0)
    loud = loud.astype(np.float32)
    loud[0] = SILENCE_DB
    loud[-1] = SILENCE_DB
    first = phrase[0]
    return ControlCurves(
        part_id=part.id, voice=v, start_frame=int(start_frame), frame_rate=float(frame_rate),
        f0_hz=f0.astype(np.float32), loudness_db=loud, brightness=np.full(t.size, 0.5, np.float32),
        noise=np.zeros(t.size, np.float32), seed=phrase_seed(seed, part.id, first.onset_q, v),
        onset_s=float(first.on_s), end_s=float(off), tract=tract.astype(np.float32),
    )  # fmt: skip


def lyric_report(part: Part, score: Score, *, verse: int = 1, language: str = "en") -> SungReport:
    """The :class:`SungReport` of a voice part without rendering it."""
    voices = _voices(part, score, verse)
    r = _assign_syllables(voices, "ah", language)
    return SungReport(part.id, r.not_in_dictionary, r.bare_notes, r.has_lyrics)


def phoneme_timeline(part: Part, score: Score, *, verse: int = 1, neutral_vowel: str = "ah",
                     language: str = "en") -> list[tuple[str, float, float]]:  # fmt: skip
    """Every phoneme a voice part sings as ``(label, start s, end s)``, in time: ARPABET
    (stops as ``"T:closure"`` and ``"T:burst"``), ``"BR"`` for a breath. For pictures and checks.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> p = Part("t", "Tenor", "tenor", notes=(Note(2, 2, 57, lyric="sing"),))
    >>> [(x, round(a, 2)) for x, a, _ in phoneme_timeline(p, Score(parts=(p,)))][1:]
    [('S', 0.87), ('IH', 1.0), ('NG', 1.92)]
    """
    voices = _voices(part, score, verse)
    _assign_syllables(voices, neutral_vowel, language)
    out: list[tuple[str, float, float]] = []
    for _, ns in sorted(voices.items()):
        prev_end = -1e9
        for phrase in _phrases(ns):
            out.extend(_segments(phrase, phrase[0].on_s - prev_end))
            prev_end = max(n.off_s for n in phrase)
    return sorted(out, key=lambda s: s[1])
