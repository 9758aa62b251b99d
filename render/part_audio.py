"""The audio of one part: its decoder, its performer's phrases, each phrase's audio, and their
sum into the part's buffer -- on one thread, or on the render's threads with the sums made in
one fixed order (:func:`_render_part_indexed`). :func:`partita.render.stems.render` writes the
parts' stems from it; :func:`render_part` is one part's audio on its own.

A part's audio is the overlap-add of its phrases (see :mod:`partita.render.performance`), each
rendered from sample 0 of its first frame and added at its place in the phrases' order; an edit
re-renders only the phrases whose keys changed (:mod:`partita.render.stem_cache`).
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Executor
from typing import Any, Iterator, Mapping

import numpy as np

from partita.errors import InstrumentError
from partita.render.settings import RenderSettings
from partita.render.stem_cache import PhraseEntry, is_singer, phrase_key
from partita.render.timbres import Decoder, style_of
from partita.symbolic.score import Part, Score

__all__ = ["render_part"]


def _decoder_for(part: Part, decoders: Mapping[str, Decoder] | None) -> Decoder | None:
    try:
        style = style_of(part.instrument)
    except InstrumentError as exc:
        raise exc.located(part=part.name) from None
    if style == "drums":
        return None
    if decoders and part.id in decoders:
        from partita.render.techniques import with_techniques

        return with_techniques(part, decoders[part.id])
    from partita.symbolic.underlay import is_voice

    if is_voice(part):  # voices sing (their words, or a neutral vowel)
        from partita.render.singer import SingerDecoder
        from partita.render.singing import voice_type_of

        return SingerDecoder(voice_type_of(part))
    from partita.render.neural_infer import decoder_for  # shipped neural weights, else the designed timbre
    from partita.render.techniques import with_techniques  # pizzicato notes: their own model

    return with_techniques(part, decoder_for(part.instrument))


def _phrase_audio(decoder: Decoder, curves: Any, sample_rate: int) -> np.ndarray:
    """One phrase's audio: the decoder's own ``render_phrase`` (a string model renders notes to
    audio directly), else the kernels on its decoded parameters."""
    from partita.render.synth import synthesize

    own = getattr(decoder, "render_phrase", None)
    if own is not None:
        return own(curves, sample_rate=sample_rate)[0]
    return synthesize(decoder.decode(curves, sample_rate=sample_rate), sample_rate=sample_rate)[0]


#: Phrases a render thread makes in one go (see :func:`_render_part_indexed`): a few ms of work,
#: against a task's hand-over of some tens of microseconds.
_RUN = 8


class _Buffers:
    """Zeroed float32 buffers of a stem's length for the parts' audio, each used again once a
    part's stem is written: a new buffer costs the system a page fault and a cleared page for
    every page it touches (in a profile of the 8-part benchmark, 0.6 of 5 CPU s), a used one a
    memset."""

    def __init__(self, n: int):
        self.n = n
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()

    def take(self) -> np.ndarray:
        with self._lock:
            buf = self._free.pop() if self._free else None
        if buf is None:
            return np.zeros(self.n, np.float32)
        buf.fill(0.0)
        return buf

    def give(self, buf: np.ndarray) -> None:
        with self._lock:
            self._free.append(buf)


def _perform(part: Part, score: Score, settings: RenderSettings, decoder: Decoder, style: str | None) -> list[Any]:
    """The performer's phrases of ``part`` (sung phrases where a singer plays it)."""
    if is_singer(decoder):
        from partita.render.singing import perform_sung_part

        curves, _report = perform_sung_part(part, score, frame_rate=settings.frame_rate, seed=settings.seed,
                                            verse=settings.verse, neutral_vowel=settings.neutral_vowel,
                                            language=settings.language)  # fmt: skip
        return list(curves)
    from partita.render.performance import perform_part

    return list(perform_part(part, score, frame_rate=settings.frame_rate, seed=settings.seed,
                             humanize=settings.humanize, style=style))  # fmt: skip


def render_part(part: Part, score: Score, settings: RenderSettings, *, decoder: Decoder | None = None) -> np.ndarray:
    """A part's audio before limiting: float32 (1, n), from 0 to the end of its last release;
    a percussion part (2, n), or (2 * len(drum_samples.GROUPS), n) with ``settings.drum_stems``.

    ``decoder`` None picks the designed timbre (or the drum kit) of the part's instrument.
    """
    return _render_part_indexed(part, score, settings, decoder=decoder)[0]


def _phrases(part: Part, score: Score, settings: RenderSettings, decoder: Decoder,
             style: str | None) -> tuple[list[Any], list[Decoder]]:  # fmt: skip
    """The performer's phrases of a part and the decoder of each: a part whose notes mark a
    technique (pizzicato) plays them by the technique's own decoder, after the notes without one;
    the phrases go into the part's one buffer in this order, so that an edit re-renders only the
    phrases it touches, whichever decoder plays them."""
    from partita.render.techniques import TechniqueDecoder, split_by_technique

    subs = split_by_technique(part, decoder) if isinstance(decoder, TechniqueDecoder) else [(part, decoder, style)]
    curves, decs = [], []
    for sub, dec, sub_style in subs:
        for c in _perform(sub, score, settings, dec, sub_style):
            curves.append(c)
            decs.append(dec)
    return curves, decs


def _made_on(pool: Executor, curves: list[Any], decs: list[Decoder], sample_rate: int) -> Iterator[np.ndarray]:
    """The phrases' audio, in their order, made by ``pool``'s threads in runs of :data:`_RUN`
    consecutive phrases (all the runs are handed to the pool at once)."""

    def run(lo: int) -> list[np.ndarray]:
        return [_phrase_audio(decs[i], curves[i], sample_rate) for i in range(lo, min(lo + _RUN, len(curves)))]

    return (a for run_audio in pool.map(run, range(0, len(curves), _RUN)) for a in run_audio)


def _render_part_indexed(
    part: Part, score: Score, settings: RenderSettings, *, decoder: Decoder | None = None,
    previous: tuple[np.ndarray, list[PhraseEntry]] | None = None, style: str | None = None,
    buffer: np.ndarray | None = None, pool: Executor | None = None,
    phrases: tuple[list[Any], list[Decoder]] | None = None, made: Iterator[np.ndarray] | None = None,
) -> tuple[np.ndarray, list[PhraseEntry] | None]:  # fmt: skip
    """A part's audio and its phrase index; with ``previous`` (audio and index of an earlier
    render of this part), only the phrases that changed -- and those overlapping them -- are
    synthesized again, and the result is bit-identical to a render from scratch. ``style``: the
    performer style (default: the instrument's). ``buffer``: a zeroed float32 array the part's
    audio is added into where it fits (then the audio is a view of its start; see
    :class:`_Buffers`), else a new one. ``pool``: threads that make the phrases' audio, a run of
    consecutive phrases each, while this thread adds them to the part's audio in the phrases'
    order (the sums, and so the audio, are those of one thread). ``phrases``: :func:`_phrases` of
    the part, made already; ``made``: their audio in order (:func:`_made_on`), handed to the
    threads already (a render without ``previous`` only)."""
    from partita.render.room import apply_room, room_impulse_response
    from partita.render.frames import segment_start

    sr = settings.sample_rate
    if decoder is None:
        decoder = _decoder_for(part, None)
    index: list[PhraseEntry] | None = None
    if decoder is None:
        from partita.render.drum_sampler import render_drums
        from partita.render.drums import DRUM_TAIL_S

        n = int(np.ceil((score.tempo_map.seconds_at(part.end) + DRUM_TAIL_S) * sr)) if part.notes else 0
        audio = render_drums(part, score, settings, n_samples=n)
    else:
        curves, decs = phrases if phrases is not None else _phrases(part, score, settings, decoder, style)
        ratio = settings.frame_rate / sr
        keys = [phrase_key(c, dec, sr) for c, dec in zip(curves, decs)]
        starts = [segment_start(c.start_frame, ratio) for c in curves]
        made_once: dict[int, np.ndarray] = {}

        def phrase_audio(i: int) -> np.ndarray:
            if i not in made_once:
                made_once[i] = _phrase_audio(decs[i], curves[i], sr)
            return made_once[i]

        old_len = {} if previous is None else {k: (s, m) for k, s, m in previous[1]}
        reuse = previous is not None and settings.room_rt60_s is None
        lengths = []
        if not reuse:
            # each phrase is added as soon as it is made and then dropped: holding every
            # phrase's audio until the end cost a fresh page of memory per 1024 samples (system
            # time) and the whole part's audio twice over
            buf = buffer if buffer is not None else np.zeros(0, np.float32)
            n = 0
            if made is not None:
                made_in_order = made
            elif pool is not None and len(curves) > _RUN:
                made_in_order = _made_on(pool, curves, decs, sr)
            else:
                made_in_order = (_phrase_audio(decs[i], curves[i], sr) for i in range(len(curves)))
            for i, a in enumerate(made_in_order):  # the list's order: the same sums for every phrase an edit leaves alone
                s0, s1 = starts[i], starts[i] + a.size
                if s1 > buf.size:  # grow geometrically; the tail beyond n stays zero
                    grown = np.zeros(max(s1, 2 * buf.size, 1 << 16), np.float32)
                    grown[:n] = buf[:n]
                    buf = grown
                buf[s0:s1] += a
                n = max(n, s1)
                lengths.append(a.size)
        else:
            for i, k in enumerate(keys):
                if k in old_len and old_len[k][0] == starts[i]:
                    lengths.append(old_len[k][1])
                else:
                    lengths.append(phrase_audio(i).size)
            n = max((s + m for s, m in zip(starts, lengths)), default=0)
            old_audio, old_index = previous
            new_set = set(zip(keys, starts))
            spans = [(s, s + m) for k, s, m in old_index if (k, s) not in new_set]
            old_set = {(k, s) for k, s, _ in old_index}
            spans += [(s, s + m) for k, s, m in zip(keys, starts, lengths) if (k, s) not in old_set]
            old = old_audio[0]
            if old.size >= n and old.flags.writeable and old.dtype == np.float32:
                buf = old  # the previous render's own array (the cache read it for this render): no copy
            else:
                buf = buffer if buffer is not None and buffer.size >= n else np.zeros(n, np.float32)
                keep = min(n, old.size)
                buf[:keep] = old[:keep]
            for lo, hi in _merge(spans):
                lo, hi = min(lo, n), min(hi, n)
                buf[lo:hi] = 0.0
                # every phrase touching this span, in the same order as a full render
                for i in range(len(curves)):
                    s, e = starts[i], starts[i] + lengths[i]
                    if e <= lo or s >= hi:
                        continue
                    a = phrase_audio(i)
                    a_lo, a_hi = max(lo, s), min(hi, e)
                    buf[a_lo:a_hi] += a[a_lo - s : a_hi - s]
        audio = buf[None, :n]
        index = list(zip(keys, starts, lengths))
    if settings.room_rt60_s is not None and audio.shape[1]:
        ir = room_impulse_response(
            sample_rate=sr, rt60_s=settings.room_rt60_s,
            seed=int(hashlib.sha256(f"{settings.seed}|{part.id}|room".encode()).hexdigest()[:8], 16),
        )  # fmt: skip
        audio = apply_room(audio, ir)
        index = None
    return audio, index


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
