"""Calibrated line priors: the step/leap, scale-degree, register and rhythm controls of the
composer's decoding.

The composer's lines leap where its teachers step (issue 17): a small model, a cool melody
temperature and the masks each bend the distribution of the written lines away from the
corpus'. A :class:`LinePrior` bends it back. At every ``Pitch`` choice of a part it adds a
bias to each pitch's tempered logit,

    ``logit(p) / T + interval[role][p - previous] + degree[role][mode][(p - tonic) % 12] + register[role][p]``

so that the model's probabilities are multiplied by a factor per melodic interval (from the
part's previous note, clipped to :data:`MAX_INTERVAL` semitones either way), per scale
degree (the pitch class relative to the plan's tonic, per mode) and per register (the MIDI
pitch itself: where the part's notes lie). ``role`` is the part's role
group (:func:`role_group`: melody, inner or bass). The rhythm has two tables of its own: at
every ``Duration`` choice a bias per note length (:data:`DURATION_EDGES`), and at every choice
of the next onset (a ``Position`` or the ``Bar`` line) a bias per rest it would leave before the
next note of each part (:data:`REST_EDGES`, averaged over the parts written so far). Where the
model writes several parts, a ``strike`` table per role group weighs whether a part that is free
at an onset (its notes so far have ended) strikes there or falls silent: moving on to the next
onset is multiplied by ``exp(strike[g][0] - strike[g][1])`` for every such part of group ``g``
that has not struck (a chorale bass that rests while the soprano moves on). The masks
still decide what is legal; the prior only reweighs the legal choices.

The biases are not hand-picked: ``scripts/calibrate_priors.py`` fits them per genre, so that
the lines composed with them have the interval, degree, register, duration and rest histograms of the genre's reference
collection (the training split of the music21 corpus; held-out pieces are never read). Each
round composes a calibration set with the genre's shipped decoding, counts its histograms
(:func:`line_counts`, the same way as the reference's), and moves each bias by the log ratio
of the reference's share to the composed share (:func:`update`). The fitted tables are data,
``priors.json`` beside ``decoding.toml``; a genre without a table decodes without a prior.
The same file holds each genre's tonic shares per mode in that training split
(:func:`style_tonics`): the planner draws a piece's tonic from them when the prompt names none,
and, where it was fitted with them, the share of the split's bars at each ``Energy`` level per
meter (:meth:`LinePrior.energy_shares`): ``compose`` reads a plan's section energies as
quantiles of that distribution (:func:`~partita.symbolic.composer.controls.energy_level`), so
that a section asks the model for a density the genre writes, and the tables are fitted under
that reading.

>>> import numpy as np
>>> prior = LinePrior({"melody": np.where(np.abs(np.arange(-MAX_INTERVAL, MAX_INTERVAL + 1)) <= 2, 1.0, 0.0)},
...                    {"melody": {"major": np.zeros(12), "minor": np.zeros(12)}}, tonic=0, mode="major")
>>> b = prior.pitch_bias("melody", previous=60)
>>> float(b[62]), float(b[67]), float(b[60])  # a step, a fifth, a repeat (|0| <= 2)
(1.0, 0.0, 1.0)
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from partita.errors import PresetError
from partita.symbolic.composer.masks import TICKS_PER_QUARTER

__all__ = ["DURATION_EDGES", "GROUPS", "KINDS", "LinePrior", "MAX_INTERVAL", "MODES", "REST_EDGES", "RHYTHM_KINDS", "STRIKE",
           "duration_bin", "line_counts", "load_priors", "meter_key", "placed", "prior_for", "rest_bin", "role_group", "style_tonics",
           "update"]  # fmt: skip

#: Melodic intervals are binned -MAX_INTERVAL .. +MAX_INTERVAL semitones; larger moves fall in
#: the outermost bins.
MAX_INTERVAL = 13
N_INTERVALS = 2 * MAX_INTERVAL + 1
#: Role groups a table is kept for, and the modes of the degree tables.
GROUPS = ("melody", "inner", "bass")
MODES = ("major", "minor")
#: Note lengths are binned by these upper edges (quarter-lengths, inclusive); longer notes fall
#: in one last bin.
DURATION_EDGES = (0.125, 0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
N_DURATIONS = len(DURATION_EDGES) + 1
#: The silence before a part's next note (from the end of its previous onset's notes) is binned
#: by these upper edges (quarter-lengths, inclusive; the first bin is no rest at all).
REST_EDGES = (0.0, 0.25, 0.5, 1.0, 2.0)
N_RESTS = len(REST_EDGES) + 1
#: The bins of a strike table: at an onset of the score where a part is free (its notes so far
#: have all ended, and it has played before), index 0 counts it staying silent, 1 striking.
STRIKE = ("silent", "strikes")
N_STRIKE = len(STRIKE)
#: ``Energy`` levels of an energy table (controls.ENERGY_LEVELS; not imported: controls imports
#: the planner, which imports this module; a test checks the two agree).
N_ENERGY_LEVELS = 5
# the edges as searchsorted reads them (a length on an edge falls in that edge's bin)
_DURATION_UPPER = np.asarray(DURATION_EDGES) + 1e-9
_REST_UPPER = np.asarray(REST_EDGES) + 1e-9
#: The most a bias may move a pitch's log-probability, either way (nats).
CLIP = 3.0
_FILE = Path(__file__).with_name("priors.json")


def role_group(role: str) -> str:
    """The table a part of ``role`` uses: ``melody`` and ``bass`` their own, every other role
    (inner, accompaniment, ...) ``inner``."""
    return role if role in ("melody", "bass") else "inner"


def _mode(mode: str) -> str:
    return "minor" if mode in ("minor", "aeolian", "dorian", "phrygian", "locrian") else "major"


def duration_bin(ql: Any) -> np.ndarray:
    """The :data:`DURATION_EDGES` bin of each note length (quarter-lengths)."""
    return np.searchsorted(_DURATION_UPPER, np.asarray(ql, dtype=np.float64), side="left")


def rest_bin(ql: Any) -> np.ndarray:
    """The :data:`REST_EDGES` bin of each silence before a note (quarter-lengths; 0 or less: no rest)."""
    return np.searchsorted(_REST_UPPER, np.asarray(ql, dtype=np.float64), side="left")


class LinePrior:
    """The biases of one genre, placed for one piece's key.

    Parameters
    ----------
    interval
        Role group -> float [:data:`N_INTERVALS`]: the bias of each melodic interval, index
        ``interval + MAX_INTERVAL``; or role group -> mode -> that (a table per mode: minor
        tunes step more often than major ones, 0.62 against 0.58 in O'Neill's).
    degree
        Role group -> mode -> float [12]: the bias of each pitch class above the tonic.
    register
        Role group -> float [128]: the bias of each MIDI pitch (none: 0).
    duration, rest
        Role group -> float [:data:`N_DURATIONS`] / [:data:`N_RESTS`]: the bias of each note
        length and of each rest before a note (none: the rhythm is the model's own).
    strike
        Role group -> float [:data:`N_STRIKE`]: the bias of a free part staying silent at an
        onset (index 0) and of striking there (1); only their difference is used.
    tonic, mode
        The piece's key (tonic pitch class 0-11, ``"major"``/``"minor"``; church modes count as
        their nearest: dorian, phrygian, aeolian and locrian as minor).
    energy
        Meter (``"6/8"``) -> float [5]: each ``Energy`` level's share of the bars of the genre's
        reference pieces in that meter (none: the plan's energies on the plain scale; see
        :func:`~partita.symbolic.composer.controls.energy_level`).
    """

    def __init__(self, interval: Mapping[str, Any], degree: Mapping[str, Mapping[str, Any]], *, tonic: int, mode: str,
                 register: Mapping[str, Any] | None = None, duration: Mapping[str, Any] | None = None,
                 rest: Mapping[str, Any] | None = None, energy: Mapping[str, Any] | None = None,
                 strike: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        self.energy = {m: tuple(float(x) for x in v) for m, v in (energy or {}).items()}
        self.tonic = int(tonic) % 12
        self.mode = _mode(mode)
        self.interval = {g: np.asarray(v[self.mode] if isinstance(v, Mapping) else v, dtype=np.float64)
                         for g, v in interval.items()}  # fmt: skip
        self.duration = {g: np.asarray(v, dtype=np.float64) for g, v in (duration or {}).items()}
        self.rest = {g: np.asarray(v, dtype=np.float64) for g, v in (rest or {}).items()}
        # the log-factor of moving on without a free part of the group striking
        self.silent = {g: float(v[0]) - float(v[1]) for g, v in (strike or {}).items() if float(v[0]) != float(v[1])}
        pcs = (np.arange(128) - self.tonic) % 12
        self._degree = {g: np.asarray(v[self.mode], dtype=np.float64)[pcs] for g, v in degree.items()}
        for g, v in (register or {}).items():  # degree and register are both fixed per pitch: one table
            self._degree[g] = self._degree.get(g, np.zeros(128)) + np.asarray(v, dtype=np.float64)
        self._pitches = np.arange(128)

    def energy_shares(self, meter: tuple[int, int]) -> tuple[float, ...] | None:
        """The reference's energy-level shares in ``meter`` (numerator, denominator), or None
        where the genre has none for it (the plan's energies then keep the plain scale)."""
        return self.energy.get(meter_key(*meter))

    def pitch_bias(self, group: str, previous: int | None) -> np.ndarray:
        """float [128]: the bias of each MIDI pitch for the next note of a part of role group
        ``group`` whose previous note is ``previous`` (None: its first note, degree bias only)."""
        out = self._degree.get(group, np.zeros(128)).copy()
        table = self.interval.get(group)
        if table is not None and previous is not None:
            out += table[np.clip(self._pitches - int(previous), -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL]
        return out

    def mask_bias(self, mask: Any, groups: Sequence[str], vocab_size: int) -> np.ndarray | None:
        """float [vocab_size]: what ``compose`` and the edits add to the tempered logits of the
        choice ``mask`` (a DecodeMask) expects next, 0 on other ids; None where the prior has
        nothing to say (a velocity, a part's program). ``groups``: the role group of each slot.

        * a ``Pitch``: :meth:`pitch_bias` of the slot being written, from its previous note;
        * a ``Duration``: the slot's duration table at each length;
        * the next onset (``Position`` or ``Bar``): for each part with a note so far, its rest
          table at the silence that onset would leave after its latest notes, averaged over the
          parts (one onset moves every part on: summed, four voices would weigh four times as
          much as one line, and the fit overshot); and after a note, for every part free at
          the current onset that has not struck there, its group's silent-versus-strike
          log-factor (summed: each is that part's own choice), so that the parts the model
          would leave resting strike as often as the reference's do."""
        if mask.expects_pitch:
            ids = np.asarray(mask.tables.pitch_id)  # MIDI pitch -> Pitch token id (-1: none)
            has = ids >= 0
            out = np.zeros(vocab_size)
            out[ids[has]] = self.pitch_bias(groups[mask.slot], mask.last_pitch(mask.slot))[has]
            return out
        if mask.expects_duration and groups[mask.slot] in self.duration:
            ids, ticks = mask.duration_choices()
            out = np.zeros(vocab_size)
            out[ids] = self.duration[groups[mask.slot]][duration_bin(ticks / TICKS_PER_QUARTER)]
            return out
        if mask.expects_onset and (self.rest or self.silent):
            ids, onsets = mask.onset_choices()
            add, n = np.zeros(len(ids)), 0
            for slot, g in enumerate(groups):
                table, end = self.rest.get(g), mask.slot_end(slot)
                if table is not None and end is not None:
                    add += table[rest_bin((onsets - end) / TICKS_PER_QUARTER)]
                    n += 1
            add = add / max(n, 1)
            silent = 0.0
            if self.silent and mask.expects_program:  # after a note: the onset may still take more parts
                for slot, g in enumerate(groups):
                    end = mask.slot_end(slot)
                    if g in self.silent and end is not None and end <= mask.onset and slot not in mask.at_onset:
                        silent += self.silent[g]
            if n == 0 and silent == 0.0:
                return None
            out = np.zeros(vocab_size)
            out[ids] = add + silent
            return out
        return None


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PresetError(f"cannot read the pitch priors: {e}", file=path) from e
    genres = data.get("genres")
    if not isinstance(genres, dict):
        raise PresetError("no 'genres' table", file=path)
    for genre, t in genres.items():
        for g, v in t.get("interval", {}).items():
            tables = list(v.values()) if isinstance(v, dict) and set(v) == set(MODES) else [v]
            if g not in GROUPS or any(not isinstance(x, list) or len(x) != N_INTERVALS for x in tables):
                raise PresetError(f"genre {genre}: interval table {g!r} must be one of {GROUPS} with {N_INTERVALS} values", file=path)
        for g, modes in t.get("degree", {}).items():
            if g not in GROUPS or set(modes) != set(MODES) or any(len(x) != 12 for x in modes.values()):
                raise PresetError(f"genre {genre}: degree table {g!r} needs 12 values for major and minor", file=path)
        for m, v in t.get("keys", {}).items():
            if m not in MODES or len(v) != 12:
                raise PresetError(f"genre {genre}: keys table {m!r} must be major or minor with 12 shares", file=path)
        for m, v in t.get("energy", {}).items():
            if not re.fullmatch(r"\d+/\d+", m) or len(v) != N_ENERGY_LEVELS or min(v) < 0 or sum(v) <= 0:
                raise PresetError(f"genre {genre}: energy table {m!r} must be a meter with {N_ENERGY_LEVELS} shares", file=path)
        for kind, n in (("register", 128), ("duration", N_DURATIONS), ("rest", N_RESTS), ("strike", N_STRIKE)):
            for g, v in t.get(kind, {}).items():
                if g not in GROUPS or len(v) != n:
                    raise PresetError(f"genre {genre}: {kind} table {g!r} must be one of {GROUPS} with {n} values", file=path)
    return genres


def load_priors(path: str | Path | None = None) -> dict[str, dict]:
    """Genre -> ``{"interval": {group: [...]}, "degree": {group: {mode: [...]}}, ...}`` from
    ``priors.json`` (package data) or the file at ``path``; a malformed file raises
    :class:`~partita.errors.PresetError` naming it."""
    return _load(str(path or _FILE))


def prior_for(genre: str, key: Any, path: str | Path | None = None) -> LinePrior | None:
    """The :class:`LinePrior` of ``genre`` placed in ``key`` (a KeySignature), or None when the
    genre has no fitted table."""
    t = load_priors(path).get(genre)
    return None if t is None else placed(t, key)


def meter_key(numerator: int, denominator: int) -> str:
    """The key of a meter in an energy table: ``"6/8"``."""
    return f"{numerator}/{denominator}"


def placed(tables: Mapping[str, Any], key: Any) -> LinePrior:
    """A genre's ``tables`` (as ``priors.json`` holds them) placed in ``key`` (a KeySignature)."""
    return LinePrior(tables.get("interval", {}), tables.get("degree", {}), tonic=key.tonic_pc, mode=key.mode,
                     register=tables.get("register"), duration=tables.get("duration"), rest=tables.get("rest"),
                     energy=tables.get("energy"), strike=tables.get("strike"))  # fmt: skip


#: Tonic spellings by pitch class, per mode (the keys a planner writes).
TONIC_NAMES = {"major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
                "minor": ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")}  # fmt: skip


def style_tonics(genre: str, mode: str, path: str | Path | None = None) -> tuple[list[str], list[float]] | None:
    """The tonics a piece of ``genre`` in ``mode`` is written in, and their shares in the training
    split of the genre's reference collection (``priors.json``'s ``keys``): what the planner draws
    from when the prompt names no key. None for a genre or mode without them.

    >>> names, shares = style_tonics("reel", "major")
    >>> names[shares.index(max(shares))] in ("D", "G")   # fiddle tunes sit in the fiddle's keys
    True
    """
    t = load_priors(path).get(genre, {}).get("keys", {}).get(_mode(mode))
    if not t or sum(t) <= 0:
        return None
    pairs = [(TONIC_NAMES[_mode(mode)][pc], float(w)) for pc, w in enumerate(t) if w > 0]
    return [n for n, _ in pairs], [w for _, w in pairs]


# -- fitting ------------------------------------------------------------------------------------


def empty_counts() -> dict[str, Any]:
    return {"interval": {g: {m: np.zeros(N_INTERVALS) for m in MODES} for g in GROUPS},
            "degree": {g: {m: np.zeros(12) for m in MODES} for g in GROUPS},
            "register": {g: np.zeros(128) for g in GROUPS},
            "duration": {g: np.zeros(N_DURATIONS) for g in GROUPS},
            "rest": {g: np.zeros(N_RESTS) for g in GROUPS},
            "strike": {g: np.zeros(N_STRIKE) for g in GROUPS},
            "keys": {m: np.zeros(12) for m in MODES}}  # the pieces' tonics  # fmt: skip


def line_counts(score: Any, roles: Sequence[str] | None = None, counts: dict | None = None) -> dict[str, Any]:
    """Add the interval, degree, register, duration and rest counts of ``score``'s pitched parts
    to ``counts`` (new when None) and return it. ``roles``: each pitched part's role in part
    order; None: a reference score, read top down (one part: melody; else the first melody, the
    last bass, the rest inner). A part's line is its highest note at each onset (tied
    continuations are not new notes), as the decoding mask sees a part's previous note, its
    intervals counted per mode; degrees count every note, against the score's first key
    signature (a score without one adds no interval or degree counts). Durations count every note as written (a tied note by its pieces, as the
    composer writes a bar at a time); a rest is counted before each onset of the line after the
    first: the silence since the part's notes so far have all ended (none: bin 0). Strikes are
    counted at every onset of the counted parts together: for each part that has played before
    and whose notes have all ended by then, whether a note of it (a tied piece too: the composer
    writes it anew) starts there (bin 1) or not (bin 0)."""
    from partita.instruments import is_percussion

    counts = counts or empty_counts()
    parts = [p for p in score.parts if not is_percussion(p.instrument) and p.notes]
    if score.key_signatures:
        k0 = score.key_signatures[0]
        counts["keys"][_mode(k0.mode)][k0.tonic_pc % 12] += 1
    if roles is None:
        roles = ["melody"] if len(parts) == 1 else ["melody"] + ["inner"] * (len(parts) - 2) + ["bass"]
    key = score.key_signatures[0] if score.key_signatures else None
    all_onsets = np.array(sorted({float(n.onset) for p in parts for n in p.notes}))
    for part, role in zip(parts, roles):
        g = role_group(role)
        top: dict = {}
        ends: dict = {}
        for n in part.notes:
            counts["register"][g][n.pitch] += 1
            ends[n.onset] = max(ends.get(n.onset, n.onset), n.onset + n.duration)
            if key is not None:
                counts["degree"][g][_mode(key.mode)][(n.pitch - key.tonic_pc) % 12] += 1
            if n.tie in ("stop", "continue"):
                continue
            top[n.onset] = max(top.get(n.onset, -1), n.pitch)
        line = np.array([top[o] for o in sorted(top)], dtype=np.int64)
        iv = np.clip(np.diff(line), -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
        if key is not None:
            counts["interval"][g][_mode(key.mode)] += np.bincount(iv, minlength=N_INTERVALS)
        lengths = duration_bin([float(n.duration) for n in part.notes])
        counts["duration"][g] += np.bincount(lengths, minlength=N_DURATIONS)
        onsets = sorted(ends)
        own = np.array([float(o) for o in onsets])
        sounding = np.maximum.accumulate(np.array([float(ends[o]) for o in onsets]))  # all notes so far end here
        if len(onsets) > 1:
            gaps = own[1:] - sounding[:-1]
            counts["rest"][g] += np.bincount(rest_bin(gaps), minlength=N_RESTS)
        # strikes: at each onset of the score after the part's first, where it is free
        later = all_onsets[all_onsets > own[0]]
        before = np.searchsorted(own, later, side="left") - 1  # the part's latest onset before each
        free = sounding[before] <= later + 1e-9
        struck = np.isin(later, own)
        counts["strike"][g] += np.bincount(struck[free].astype(np.int64), minlength=N_STRIKE)
    return counts


def add_counts(scores: Iterable[Any], roles: Sequence[str] | None = None) -> dict[str, Any]:
    counts = empty_counts()
    for s in scores:
        line_counts(s, roles, counts)
    return counts


def _log_share(c: np.ndarray, pseudo: float) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64) + pseudo
    return np.log(c / c.sum())


def _smooth(c: np.ndarray, sigma: float) -> np.ndarray:
    k = np.arange(-int(3 * sigma), int(3 * sigma) + 1)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    return np.convolve(np.asarray(c, dtype=np.float64), w / w.sum(), mode="same")


#: The register tables are fitted on histograms smoothed over this many semitones (a Gaussian's
#: standard deviation) and at this share of the rate: they place a part's notes (high, low, how
#: wide), while the degree tables, fitted in the same round, shape its pitch classes; unsmoothed,
#: both would correct the same pitch-class mismatch and the fit would overshoot.
REGISTER_SIGMA = 3.0
REGISTER_RATE = 0.5
#: The rhythm tables (duration, rest) move at this share of the rate and by at most this much a
#: round: the model continues the rhythm it has written, so a bias on note lengths feeds on
#: itself (a jig's note-length distance went 0.07 -> 0.20 -> 0.11 -> 0.84 over three rounds
#: at the full rate).
RHYTHM_RATE = 0.5
RHYTHM_STEP = 1.0
#: The strike tables move by at most this much a round and reach further than :data:`CLIP`:
#: a Bach voice that is free at an onset of the others stays silent there once in a thousand
#: times (0.0006-0.001 over the training split), the composed bass two times in three.
STRIKE_STEP = 3.0
STRIKE_CLIP = 8.0


#: The tables :func:`update` fits by default, and the rhythm ones among them.
KINDS = ("interval", "degree", "register", "duration", "rest", "strike")
RHYTHM_KINDS = ("duration", "rest")


def update(tables: dict[str, Any], reference: dict[str, Any], composed: dict[str, Any], *, rate: float = 1.0,
           pseudo: float = 0.5, groups: Sequence[str] = GROUPS, kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    """One fitting round: each bias of ``groups`` moved by ``rate`` times the log ratio of the
    reference's share to the composed share of its bin (counts plus ``pseudo`` each), centred
    on the reference's mean and clipped to +-:data:`CLIP`; the register tables on smoothed
    histograms at a share of the rate (:data:`REGISTER_SIGMA`, :data:`REGISTER_RATE`), the
    rhythm tables at a share of it and by a bounded step (:data:`RHYTHM_RATE`,
    :data:`RHYTHM_STEP`), the strike tables by a bounded step within a wider clip
    (:data:`STRIKE_STEP`, :data:`STRIKE_CLIP`). Only the tables of ``kinds`` move. A group or mode with no composed
    or no reference counts keeps its table."""
    out = json.loads(json.dumps(tables))
    for g in groups:
        pairs = [(k, None, reference[k][g], composed[k][g]) for k in ("register", "duration", "rest", "strike")
                 if k in kinds and k in reference and k in composed]  # fmt: skip
        for k in ("interval", "degree"):
            if k in kinds:
                pairs += [(k, m, reference[k][g][m], composed[k][g][m]) for m in MODES]
        if "interval" in kinds and g in out.get("interval", {}) and not isinstance(out["interval"][g], dict):
            out["interval"][g] = {m: list(out["interval"][g]) for m in MODES}  # a pooled table (an older fit) splits
        for kind, m, ref, gen in pairs:
            if ref.sum() == 0 or gen.sum() == 0:
                continue
            out.setdefault(kind, {})
            old = np.asarray(out[kind].get(g, np.zeros(len(ref))) if m is None else out[kind][g][m], dtype=np.float64)
            if kind == "register":
                ref, gen = _smooth(ref, REGISTER_SIGMA), _smooth(gen, REGISTER_SIGMA)
                step = REGISTER_RATE * rate * (_log_share(ref, 1e-3 * ref.sum() / len(ref))
                                               - _log_share(gen, 1e-3 * gen.sum() / len(gen)))  # fmt: skip
            else:
                step = rate * (_log_share(ref, pseudo) - _log_share(gen, pseudo))
                if kind in RHYTHM_KINDS:
                    step = np.clip(RHYTHM_RATE * step, -RHYTHM_STEP, RHYTHM_STEP)
                elif kind == "strike":
                    step = np.clip(step, -STRIKE_STEP, STRIKE_STEP)
            new = old + step
            w = ref / ref.sum()
            bound = STRIKE_CLIP if kind == "strike" else CLIP
            new = np.clip(new - float((w * new).sum()), -bound, bound)
            if m is None:
                out[kind][g] = [round(float(x), 4) for x in new]
            else:
                out[kind][g][m] = [round(float(x), 4) for x in new]
    return out


def zero_tables() -> dict[str, Any]:
    return {"interval": {g: {m: [0.0] * N_INTERVALS for m in MODES} for g in GROUPS},
            "degree": {g: {m: [0.0] * 12 for m in MODES} for g in GROUPS},
            "register": {g: [0.0] * 128 for g in GROUPS},
            "duration": {g: [0.0] * N_DURATIONS for g in GROUPS},
            "rest": {g: [0.0] * N_RESTS for g in GROUPS},
            "strike": {g: [0.0] * N_STRIKE for g in GROUPS}}  # fmt: skip
