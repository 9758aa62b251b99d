"""The drum sampler: a percussion part played from one-shot samples, in stereo.

Every hit of the part (onset and velocity from the score, :func:`~partita.render.drums.scored_hits`)
becomes a :class:`Hit` (:func:`plan_hits`):

- **humanisation** (``humanize`` > 0): the onset moves by ``N(0, 1) * timing_sd_ms * humanize``
  and the velocity is scaled by ``1 + N(0, 1) * velocity_sd * humanize`` (``drum_sampler.toml``
  [humanize]), both drawn, in that order, from ``numpy.random.default_rng(phrase_seed(seed,
  part_id + "#humanize", onset, key))``: one hit's draw depends on nothing else;
- **velocity layer**: the kit's layer nearest the velocity, its take scaled by
  ``(v / layer) ** level_exponent``;
- **round robin**: the take is ``default_rng(phrase_seed(seed, part_id + "#rr", onset,
  key)).integers(n_takes)``, moved on by one when it equals the same draw of the previous hit of
  that key (so a key rarely repeats a take, and an edit changes at most the next hit's take).

:func:`render_sampled_part` then adds each take into the stereo buffer at its onset, panned
(constant power) to its piece's seat, and **chokes**: a hit of a choke group (the hi-hats) cuts
the one before it in that group that still rings, with a ``fade_ms`` fade from the new onset.
A key the kit lacks plays the designed drum (:func:`partita.render.drums.drum_hit`) at the same
seat.

>>> from partita.symbolic.score import Note, Part, Score
>>> p = Part("dr", "Drums", "drum_kit", notes=(Note(0, 1, 36, velocity=100),))
>>> [(h.key, h.onset_s, h.offset_s) for h in plan_hits(p, Score(parts=(p,)), seed=0, humanize=0.0)]
[(36, 0.0, 0.0)]
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from partita.errors import ConfigError, ExternalToolError
from partita.render.controls import phrase_seed
from partita.render.drum_samples import GROUPS, SampleKit, SamplerLayout, default_kit, layout, load_sample_kit
from partita.render.settings import RenderSettings, RenderWarning
from partita.render.drums import drum_hit, drum_hit_length, scored_hits
from partita.symbolic.score import Part, Score

__all__ = ["Hit", "kit_fingerprint", "plan_hits", "render_drums", "render_sampled_part"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One hit as the sampler plays it.

    Parameters
    ----------
    key
        GM percussion key.
    onset_s
        Onset the score gives (tempo map, swing), s.
    offset_s
        Humanisation added to it, s.
    velocity
        1-127, after dynamics, accents and humanisation.
    variant_draw
        This hit's own round-robin draw, 0-2 (before the no-repeat step; taken modulo the
        number of takes the kit has).
    beat
        The note's onset in quarters (what its seeds derive from).
    """

    key: int
    onset_s: float
    offset_s: float
    velocity: float
    variant_draw: int
    beat: Fraction = Fraction(0)

    @property
    def start_s(self) -> float:
        """When the sample starts (never before 0), s."""
        return max(0.0, self.onset_s + self.offset_s)


def plan_hits(part: Part, score: Score, *, seed: int, humanize: float, lay: SamplerLayout | None = None) -> list[Hit]:
    """The hits of ``part`` in score order, humanised from ``seed`` (see the module text)."""
    lay = lay or layout()
    hits = []
    for note, on_s, v in scored_hits(part, score):
        dt, vel = 0.0, v
        if humanize > 0.0:
            rng = np.random.default_rng(phrase_seed(seed, f"{part.id}#humanize", note.onset, note.pitch))
            dt = float(rng.standard_normal()) * lay.timing_sd_ms / 1000.0 * humanize
            vel = v * (1.0 + float(rng.standard_normal()) * lay.velocity_sd * humanize)
        draw = int(np.random.default_rng(phrase_seed(seed, f"{part.id}#rr", note.onset, note.pitch)).integers(3))
        hits.append(Hit(int(note.pitch), float(on_s), dt, float(min(127.0, max(1.0, vel))), draw, Fraction(note.onset)))
    return hits


def _pan(pan: float) -> tuple[float, float]:
    theta = (min(1.0, max(-1.0, pan)) + 1.0) * math.pi / 4.0
    return math.cos(theta), math.sin(theta)


def render_sampled_part(
    part: Part, score: Score, kit: SampleKit, *, sample_rate: int, seed: int, n_samples: int,
    humanize: float = 0.0, by_group: bool = False,
) -> np.ndarray:  # fmt: skip
    """A percussion part played from ``kit``.

    Parameters
    ----------
    part, score
        The part and its score (tempo map, swing).
    kit
        A loaded kit (:func:`~partita.render.drum_samples.load_sample_kit`) at ``sample_rate``.
    sample_rate, n_samples
        Hz, and the length of the result (later samples are cut).
    seed
        Seed of the round robin and the humanisation.
    humanize
        0: the score's onsets and velocities; 1: a drummer's spread (``drum_sampler.toml``).
    by_group
        False: float32 (2, n_samples), the kit in stereo. True: float32 (2 * len(GROUPS),
        n_samples), channels 2 g and 2 g + 1 the stereo stem of ``GROUPS[g]`` (kick, snare,
        hats, toms, cymbals, percussion); the groups sum to the one-stem render.

    Returns
    -------
    numpy.ndarray
    """
    lay = layout()
    if kit.sample_rate != sample_rate:
        raise ValueError(f"the kit is at {kit.sample_rate} Hz, the render at {sample_rate} Hz")
    n_takes = {k: min(len(t) for t in layers.values()) for k, layers in kit.samples.items()}
    hits = plan_hits(part, score, seed=seed, humanize=humanize, lay=lay)
    starts = [int(round(h.start_s * sample_rate)) for h in hits]
    # choke: the sample end each hit may keep (a later hit of its choke group cuts it)
    cut = [None] * len(hits)
    for members in lay.choke:
        idx = sorted((i for i, h in enumerate(hits) if h.key in members), key=lambda i: (starts[i], i))
        for a, b in zip(idx, idx[1:]):
            if starts[b] > starts[a]:
                cut[a] = starts[b] - starts[a]
    fade = max(1, int(lay.choke_fade_ms / 1000.0 * sample_rate))
    # what each hit plays, in the hits' order (the round robin depends on it); its audio is
    # made when its first block is summed and dropped after its last
    played: list[tuple[int, int, int, float, float, Callable[[], np.ndarray], int | None, int]] = []
    last_take: dict[int, int] = {}
    for i, h in enumerate(hits):
        start = starts[i]
        if start >= n_samples:
            continue
        key = h.key if (h.key in kit.samples or h.key in lay.group) else 38
        group = GROUPS.index(lay.group.get(key, "snare")) if by_group else 0
        sound: Callable[[], np.ndarray]
        if key in kit.samples:
            layers = kit.samples[key]
            layer = min(layers, key=lambda lv: (abs(lv - h.velocity), lv))
            n = n_takes[key]
            take = h.variant_draw % n
            if last_take.get(key) == take:
                take = (take + 1) % n
            last_take[key] = h.variant_draw % n
            size = layers[layer][take].size
            sound = functools.partial(_scaled, layers[layer][take], (h.velocity / layer) ** lay.level_exponent)
        else:  # no sample for this key: the designed drum
            size = drum_hit_length(key, sample_rate)
            sound = functools.partial(_designed, key, h.velocity, sample_rate, phrase_seed(seed, part.id, h.beat, h.key))
        choked = cut[i] is not None and cut[i] < size
        keep = min(size, cut[i] + fade) if choked else size
        stop = min(n_samples, start + keep)
        if stop > start:
            left, right = _pan(lay.pan.get(key, 0.0))
            played.append((start, stop, group, left, right, sound, cut[i] if choked else None, keep))
    # the sums are made a block of samples at a time, each sample's in the hits' order (the
    # same numbers as in one buffer of the part's length): a stereo float64 buffer of the whole
    # part was 160 MB of fresh memory, and its float32 copy 80 MB more, whose pages the system
    # clears (in a profile of the pop band, a tenth of the render's CPU)
    rows = 2 * (max(q[2] for q in played) + 1) if played else 2
    out = np.zeros((2 * len(GROUPS) if by_group else 2, n_samples), np.float32)
    acc = np.empty((rows, _BLOCK), np.float32 if by_group else np.float64)
    in_block: list[list[int]] = [[] for _ in range((n_samples + _BLOCK - 1) // _BLOCK)]
    for j, (start, stop, *_) in enumerate(played):
        for b in range(start // _BLOCK, (stop - 1) // _BLOCK + 1):
            in_block[b].append(j)
    made: dict[int, np.ndarray] = {}
    for b, js in enumerate(in_block):
        if not js:
            continue
        b0 = b * _BLOCK
        b1 = min(n_samples, b0 + _BLOCK)
        used = sorted({played[j][2] for j in js})
        for g in used:
            acc[2 * g : 2 * g + 2, : b1 - b0] = 0.0
        for j in js:
            start, stop, g, left, right, sound, cut_at, keep = played[j]
            x = made.get(j)
            if x is None:
                x = made[j] = _cut(sound(), cut_at, keep)
            lo, hi = max(start, b0), min(stop, b1)
            acc[2 * g, lo - b0 : hi - b0] += left * x[lo - start : hi - start]
            acc[2 * g + 1, lo - b0 : hi - b0] += right * x[lo - start : hi - start]
            if stop <= b1:
                del made[j]
        for g in used:
            out[2 * g : 2 * g + 2, b0:b1] = acc[2 * g : 2 * g + 2, : b1 - b0]
    return out


#: Samples a block of the drum part's sums (see :func:`render_sampled_part`).
_BLOCK = 1 << 15


def _scaled(take: np.ndarray, gain: float) -> np.ndarray:
    return take.astype(np.float64) * gain


def _designed(key: int, velocity: float, sample_rate: int, seed: int) -> np.ndarray:
    return drum_hit(key, velocity=velocity, sample_rate=sample_rate, seed=seed).astype(np.float64)


def _cut(x: np.ndarray, cut: int | None, keep: int) -> np.ndarray:
    """A hit's audio cut by its choke group at ``cut``, with a linear fade to ``keep``."""
    if cut is None:
        return x
    x = x[:keep].copy()
    x[cut:] *= np.linspace(1.0, 0.0, keep - cut)
    return x


def _kit_for(drums: str, drum_kit: str | None, sample_rate: int) -> tuple[SampleKit, tuple[str, ...]]:
    """The kit a render uses and what to warn about (cached per process while the kit's
    ``kit.toml`` or soundfont file stays as it is)."""
    stamp = None
    if drum_kit is not None:
        path = Path(drum_kit) / "kit.toml" if Path(drum_kit).is_dir() else Path(drum_kit)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = None
    return _kit_cached(drums, drum_kit, sample_rate, stamp)


@functools.lru_cache(maxsize=8)
def _kit_cached(drums: str, drum_kit: str | None, sample_rate: int, _stamp: int | None) -> tuple[SampleKit, tuple[str, ...]]:
    empty = SampleKit(Path("."), sample_rate, {}, "designed")
    if drums == "designed":
        return empty, ()
    if drum_kit is not None and not Path(drum_kit).exists():
        raise ConfigError("the drum kit is neither a kit folder nor a soundfont: not found", file=drum_kit)
    try:
        if drum_kit is not None and Path(drum_kit).is_dir():
            folder = Path(drum_kit)
        else:
            folder = default_kit(soundfont=drum_kit)
    except ExternalToolError as exc:
        return empty, (f"{exc}; percussion plays the designed kit",)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RenderWarning)
        kit = load_sample_kit(folder, sample_rate=sample_rate)
    said = tuple(f"drum kit {kit.folder}: sample {name} is missing or unreadable; its key plays the designed drum"
                 for name in kit.missing)  # fmt: skip
    return kit, said


def kit_fingerprint(settings: RenderSettings) -> str:
    """sha256 of the kit the percussion parts of a render with ``settings`` play (part of their
    cache key): its samples, or ``"designed"``."""
    return _kit_for(settings.drums, settings.drum_kit, settings.sample_rate)[0].fingerprint


def render_drums(part: Part, score: Score, settings: RenderSettings, *, n_samples: int) -> np.ndarray:
    """A percussion part as ``settings`` ask (kit, humanisation, stems by group): float32
    (2, n_samples), or (2 * len(GROUPS), n_samples) with ``settings.drum_stems``. What the kit
    lacks is a :class:`~partita.render.settings.RenderWarning`, and the designed drum plays."""
    kit, said = _kit_for(settings.drums, settings.drum_kit, settings.sample_rate)
    for line in said:
        warnings.warn(line, RenderWarning, stacklevel=2)
    return render_sampled_part(part, score, kit, sample_rate=settings.sample_rate, seed=settings.seed,
                               n_samples=n_samples, humanize=settings.humanize, by_group=settings.drum_stems)  # fmt: skip
