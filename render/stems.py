"""Render a score into one stem per part: the performer, the decoders and the kernels, cached.

``render(score, out_dir)`` writes::

    OUT/stems/01_violin-i.wav ...   one WAV per part (mono; a drum kit stereo, or one stereo WAV per
                                    kit group with ``drum_stems``), all starting at 0, all equally long
    OUT/render.json                 per stem: part id, name, instrument, file, sha256; settings
    OUT/.cache/<key>.npy            a part's audio, keyed by what made it

A stem is the overlap-add of its phrases (see :mod:`partita.render.performance`), followed by a
sample-wise soft limiter that keeps every sample inside [-1, 1] (transparent below 0.9). Both
steps are local in time, so an edit of one note changes only the samples of its phrase (plus
release; plus the room's tail when a room is on).

The cache key of a part is a sha256 of: the part (notes, dynamics, hairpins, instrument), the
score's tempo map, the decoder's fingerprint, the settings, the seed and
:data:`~partita.render.settings.RENDERER_VERSION` (:mod:`partita.render.stem_cache`).
Re-rendering an edited score recomputes only the parts whose key changed. What a render takes
and gives (:class:`~partita.render.settings.RenderSettings`,
:class:`~partita.render.settings.RenderResult`) is :mod:`partita.render.settings`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import warnings
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from partita._fileio import atomic_path, atomic_write_text
from partita._version import __version__
from partita.errors import ConfigError
from partita.render import stem_cache
from partita.render import part_audio
from partita.render.part_audio import _Buffers, _decoder_for, _made_on, _phrases, _render_part_indexed, render_part
from partita.render.settings import RENDERER_VERSION, RenderResult, RenderSettings, RenderWarning, StemInfo
from partita.render.stem_cache import is_singer, part_cache_key
from partita.render.timbres import Decoder
from partita.render.wavfile import riff_info_chunk, wav_bytes, write_wav
from partita.symbolic.playback import performed
from partita.symbolic.report import drops_json
from partita.symbolic.score import Part, Score

__all__ = ["default_workers", "render", "render_part", "soft_limit"]


def soft_limit(audio: np.ndarray, *, knee: float = 0.9) -> np.ndarray:
    """Sample-wise soft limiter: identity up to ``knee``, then a tanh curve towards 1.

    >>> [round(float(v), 3) for v in soft_limit(np.array([0.5, 0.95, 10.0, -10.0], np.float32))]
    [0.5, 0.946, 1.0, -1.0]
    """
    x = np.asarray(audio, dtype=np.float32)
    if x.size == 0 or (float(x.max()) <= knee and float(x.min()) >= -knee):
        return x
    mag = np.abs(x)
    over = mag > knee
    out = x.copy()
    head = 1.0 - knee
    out[over] = np.sign(x[over]) * (knee + head * np.tanh((mag[over] - knee) / head))
    return np.clip(out, -1.0, 1.0)


def default_workers() -> int:
    """Render threads by default: the CPU cores this process may run on (its affinity mask,
    which a container or ``taskset`` narrows; ``os.cpu_count()`` where there is none)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


class _NoBar:
    """The progress bar's calls, doing nothing."""

    def update(self, n: int) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _group_name(group: int) -> str:
    """The name of a drum kit's stem group (``drum_samples.GROUPS``, imported when a kit has them)."""
    from partita.render.drum_samples import GROUPS

    return GROUPS[group]


def _exact(files: list[tuple[Path, str, dict | None, str, str | None]]) -> dict | None:
    """Where the one stem of a part holds its audio bit for bit (None for stems by group)."""
    return files[0][2] if len(files) == 1 else None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "part"


def render(
    score: Score,
    out_dir: str | os.PathLike[str],
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    settings: RenderSettings | None = None,
    decoders: Mapping[str, Decoder] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    repeats: bool = True,
) -> RenderResult:
    """Render every part of ``score`` to ``out_dir/stems/NN_<part>.wav`` plus ``render.json``.

    Parameters
    ----------
    score
        The score (sounding pitch).
    out_dir
        Output folder; created if missing. Existing stems are replaced only once every new one
        is complete.
    sample_rate, seed
        Shorthands for the same fields of ``settings`` (ignored when ``settings`` is given).
    settings
        Everything else (:class:`RenderSettings`).
    decoders
        Part id -> decoder, to use a trained decoder for some parts.
    cache_dir
        Where part audio is cached; default ``out_dir/.cache``, which keeps only the entries of
        the latest render (a cache folder given here is never pruned).
    workers
        Jobs rendering parts in parallel (1: one after the other); default: one per CPU core
        this process may use (:func:`default_workers`). On Linux, where this process runs no
        other thread, whole parts go to forked processes (:mod:`partita.render.part_processes`);
        elsewhere each part's phrases go to threads (the kernels release the GIL, the
        performer's Python does not). The stems are bit-identical whatever the number.
    progress
        Show a progress bar on stderr; default: when stderr is a terminal.
    repeats
        Play the written form out (repeats, voltas, D.C./D.S., :func:`partita.symbolic.playback.performed`);
        False plays each bar once, as written. Grace notes and ornaments are played either way.

    Returns
    -------
    RenderResult

    Examples
    --------
    >>> import tempfile
    >>> from partita.symbolic.score import Note, Part, Score
    >>> s = Score(parts=(Part("fl", "Flute", "flute", notes=(Note(0, 1, 72),)),))
    >>> r = render(s, tempfile.mkdtemp(), sample_rate=16000, progress=False)
    >>> [st.file for st in r.stems], r.n_samples == int(16000 * (0.5 + 3.0))
    (['stems/01_flute.wav'], True)
    """
    t0 = time.perf_counter()
    score = performed(score, repeats=repeats)
    settings = settings or RenderSettings(sample_rate=sample_rate, seed=seed)
    if workers is None:
        workers = default_workers()
    if workers < 1:
        raise ConfigError(f"workers {workers} must be at least 1")
    out = Path(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else out / ".cache"
    sr = settings.sample_rate
    from partita.symbolic.underlay import underlay_missing

    if any(p.sung_verse != settings.verse and any(v.verse == settings.verse for v in p.verses) for p in score.parts):
        score = score.with_verse(settings.verse)  # one mechanism chooses the verse: Part.sung_verse
    score, underlaid = underlay_missing(score, verse=settings.verse)  # one text for every voice
    decs = {p.id: _decoder_for(p, decoders) for p in score.parts}
    if not any(p.notes for p in score.parts):
        warnings.warn("the score has no notes: writing silent stems", RenderWarning, stacklevel=2)
    tail = settings.tail_s + (settings.room_rt60_s or 0.0)
    n_total = int(np.ceil((score.duration_seconds + tail) * sr))

    keys = {p.id: part_cache_key(p, score, settings, decs[p.id]) for p in score.parts}
    names = {p.id: f"{i:02d}_{_slug(p.name or p.id)}.wav" for i, p in enumerate(score.parts, start=1)}
    stems_dir = out / "stems"
    # a percussion part rendered by group: its groups' stems (the percussion group only when played)
    pieces: dict[str, list[int]] = {}
    names_of: dict[str, list[str]] = {}
    if settings.drum_stems:
        from partita.render.drum_samples import GROUPS, layout

        lay = layout()
        for p in score.parts:
            if decs[p.id] is None:
                played = {lay.group.get(n.pitch, "snare") for n in p.notes}
                pieces[p.id] = [g for g, name in enumerate(GROUPS) if name != "percussion" or name in played]
                names_of[p.id] = [names[p.id].replace(".wav", f"-{name}.wav") for name in GROUPS]
    # stems already on disk from this very content need neither audio nor writing
    up_to_date = stem_cache.up_to_date_stems(out, keys, names, n_total, settings)
    audio: dict[str, np.ndarray] = {}
    todo = []
    for p in score.parts:
        if p.id in up_to_date:
            continue
        cached = stem_cache.load_cached(cache, p.id, keys[p.id])
        if cached is not None:
            audio[p.id] = cached
            continue
        todo.append(p)  # (a broken or missing cache entry is recomputed)
    previous = {p.id: stem_cache.previous_render(cache, p.id) for p in todo}
    rendered = {p.id for p in todo}
    cache.mkdir(parents=True, exist_ok=True)
    stems_dir.mkdir(parents=True, exist_ok=True)

    def save_npy(pid: str, a: np.ndarray) -> None:
        with atomic_path(cache / f"{keys[pid]}.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, a, allow_pickle=False)

    def stage_stem(p: Part, a: np.ndarray) -> list[tuple[Path, str, dict | None, str, str | None]]:
        # write the stem to a staging file; the old one is replaced only when all are done.
        # Returns the file, its sha256 and, when the file holds ``a`` bit for bit (float, mono,
        # not limited, not cut), where: then the stem itself is the cache entry; and the stem's
        # file name and piece. A drum part rendered by group (``drum_stems``) writes one stereo
        # stem per group, any other part one stem
        if p.id in pieces:
            return [stage_one(p, a[2 * g : 2 * g + 2], names_of[p.id][g], g) for g in pieces[p.id]]
        return [stage_one(p, a, names[p.id], None)]

    def stage_one(p: Part, a: np.ndarray, name: str, group: int | None) -> tuple[Path, str, dict | None, str, str | None]:
        # the file pads the part's audio with silence to the stem's length (no padded copy)
        stem = a
        cut = a.shape[1] > n_total
        if cut:  # a ring longer than the tail ends with a 10 ms fade
            stem = a[:, :n_total].copy()
            fade = min(n_total, int(0.01 * sr))
            stem[:, n_total - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        limited = soft_limit(stem)
        exact = settings.subtype == "float" and not cut and limited is stem and a.shape[0] == 1 and group is None
        tmp = stems_dir / f".{name}.partial.wav"
        # a short provenance record that depends only on what made the stem (its cache key)
        record = riff_info_chunk({
            "ISFT": f"partita {__version__} ({RENDERER_VERSION})",
            "INAM": p.name if group is None else f"{p.name} ({_group_name(group)})",
            "ICMT": f"part {p.id}; instrument {p.instrument}; seed {seed}; render key {keys[p.id]}",
        })  # fmt: skip
        digest = write_wav(tmp, limited, sample_rate=sr, subtype=settings.subtype, info=record, n_samples=n_total)
        where = None
        if exact:
            offset = len(wav_bytes(np.zeros((1, 0), np.float32), sample_rate=sr, subtype="float"))  # the header: no samples, no padding
            where = {"path": str((stems_dir / name).resolve()), "offset": offset, "n": int(a.shape[1]),
                     "sha256": digest}  # fmt: skip
        return tmp, digest, where, name, None if group is None else _group_name(group)

    # stems are written by two I/O threads while later parts render
    io = ThreadPoolExecutor(max_workers=2)
    staging: dict[str, Any] = {}
    raw: dict[str, np.ndarray] = {}
    indexes: dict[str, list | None] = {}
    # with several workers on Linux, whole parts go to forked processes (part_processes); they
    # are forked before this process starts a thread, so the cached parts' stems wait for them
    from partita.render import part_processes

    processes = part_processes.usable(len(todo), workers)
    done_files: dict[str, list[tuple[Path, str, dict | None, str, str | None]]] = {}
    def stage_cached() -> None:
        for p in [p for p in score.parts if p.id in audio]:
            raw[p.id] = audio.pop(p.id)
            staging[p.id] = io.submit(stage_stem, p, raw[p.id])

    try:
        if not processes:
            stage_cached()

        buffers = _Buffers(n_total)
        lent: dict[str, np.ndarray] = {}

        def render_one(p: Part, pool: Executor | None = None, phrases: Any = None,
                       made: Iterator[np.ndarray] | None = None) -> tuple[np.ndarray, list | None]:  # fmt: skip
            buf = buffers.take()
            a, index = _render_part_indexed(p, score, settings, decoder=decs[p.id], previous=previous[p.id], buffer=buf,
                                            pool=pool, phrases=phrases, made=made)  # fmt: skip
            if a.base is buf:
                lent[p.id] = buf
            else:  # a drum part's own audio, or a room's
                buffers.give(buf)
            return a, index

        def stage_and_release(p: Part, a: np.ndarray) -> list[tuple[Path, str, dict | None, str, str | None]]:
            files = stage_stem(p, a)
            if _exact(files) is not None:  # the stem holds the audio: the buffer may be used again
                raw.pop(p.id, None)
                buf = lent.pop(p.id, None)
                if buf is not None:
                    buffers.give(buf)
            return files

        def finished(p: Part, a: np.ndarray, index: list | None) -> None:
            raw[p.id], indexes[p.id] = a, index
            staging[p.id] = io.submit(stage_and_release, p, a)
            bar.update(1)

        show = sys.stderr.isatty() if progress is None else progress
        if show and todo:
            from tqdm import tqdm

            class _Bar(tqdm):  # type: ignore[misc, valid-type]
                monitor_interval = 0  # no monitor thread (a process with threads is not forked)

            bar: Any = _Bar(total=len(todo), desc="render", unit="part", file=sys.stderr)
        else:  # no bar: not even tqdm's import and its lock (which imports multiprocessing)
            bar = _NoBar()
        if processes:
            from partita.render.phrase_help import Board

            slot = {p.id: k for k, p in enumerate(todo)}
            board = Board.create()

            def helpable(p: Part) -> bool:  # made phrase by phrase, in order (not an edit's few)
                return decs[p.id] is not None and previous[p.id] is None and settings.room_rt60_s is None

            def phrases_of(p: Part) -> tuple[list[Any], list[Decoder]]:
                return _phrases(p, score, settings, decs[p.id], None)

            def make(dec: Decoder, curves: Any) -> np.ndarray:  # looked up at the call (tests spy on it)
                return part_audio._phrase_audio(dec, curves, sr)

            def one(p: Part) -> tuple[list, list | None]:
                # a whole part, as on one thread, its stem written at once and its buffer used
                # again; in this process or a child, which sends the result back as JSON. A
                # process with no part left may make some of its phrases (phrase_help)
                if helpable(p):
                    curves, p_decs = planned = phrases_of(p)
                    made = board.own(slot[p.id], len(curves), lambda i: make(p_decs[i], curves[i]))
                    a, index = render_one(p, phrases=planned, made=made)
                else:
                    a, index = render_one(p)
                files = stage_stem(p, a)
                if _exact(files) is None and not (cache / f"{keys[p.id]}.npy").exists():
                    save_npy(p.id, a)
                buf = lent.pop(p.id, None)
                if buf is not None:
                    buffers.give(buf)
                return [[str(tmp), *rest] for tmp, *rest in files], index

            def helper() -> None:  # only a helpable part is on the board: its own process put it there
                board.help(todo, phrases_of, make)

            try:
                for p, (files, index) in part_processes.run(todo, workers, one, helper):
                    done_files[p.id] = [(Path(tmp), *rest) for tmp, *rest in files]  # type: ignore[misc]
                    indexes[p.id] = index
                    bar.set_postfix_str(p.name[:20])
                    bar.update(1)
            finally:
                board.close()
            stage_cached()
        elif workers > 1 and todo:
            # threads (where processes are not used): the kernels release the GIL. The parts go
            # one after another, each part's phrases on all the threads (runs of _RUN phrases),
            # so that no thread waits for another's long part at the end; a part whose audio is
            # not made phrase by phrase (a drum kit) is one task of its own, from the start.
            # This thread performs the next part while the threads make the phrases of the one
            # before, then adds those to its audio: the threads' queue holds the next part's
            # phrases before the last of this part's are done
            with ThreadPoolExecutor(max_workers=workers) as pool:
                whole = {pool.submit(render_one, p): p for p in todo if decs[p.id] is None}
                ahead: list[tuple[Part, Any, Iterator[np.ndarray] | None]] = []
                for p in [p for p in todo if decs[p.id] is not None] + [None]:
                    if p is not None:
                        planned = _phrases(p, score, settings, decs[p.id], None)
                        fresh = previous[p.id] is None or settings.room_rt60_s is not None  # else an edit: lazily
                        ahead.append((p, planned, _made_on(pool, *planned, sr) if fresh else None))
                    if len(ahead) == 2 or (p is None and ahead):
                        q, planned_q, made_q = ahead.pop(0)
                        bar.set_postfix_str(q.name[:20])
                        finished(q, *render_one(q, pool, planned_q, made_q))
                    for fut in [f for f in whole if f.done()]:  # a drum kit done: its stem is written now
                        finished(whole.pop(fut), *fut.result())
                for fut in as_completed(whole):
                    finished(whole[fut], *fut.result())
        else:
            for p in todo:
                bar.set_postfix_str(p.name[:20])
                finished(p, *render_one(p))
        bar.close()
        staged_files = {**done_files, **{pid: job.result() for pid, job in staging.items()}}
        # rendered parts whose stem does not hold their audio exactly keep an .npy
        keep = [pid for pid in raw if _exact(staged_files[pid]) is None and not (cache / f"{keys[pid]}.npy").exists()]
        for job in [io.submit(save_npy, pid, raw[pid]) for pid in keep]:
            job.result()
        raw.clear()
    except BaseException:
        io.shutdown(wait=True, cancel_futures=True)
        for files in done_files.values():
            for staged_file in files:
                staged_file[0].unlink(missing_ok=True)
        for pid, job in staging.items():
            if job.done() and not job.cancelled() and job.exception() is None:
                for staged_file in job.result():
                    staged_file[0].unlink(missing_ok=True)
        raise
    io.shutdown(wait=True)
    staged: list[tuple[Path, Path]] = []
    infos = []
    for p in score.parts:
        name = names[p.id]
        if p.id in up_to_date:
            infos.append(StemInfo(p.id, p.name, p.instrument, f"stems/{name}", up_to_date[p.id], True))
            continue
        for tmp, digest, _where, file_name, piece in staged_files[p.id]:
            staged.append((tmp, stems_dir / file_name))
            infos.append(StemInfo(p.id, p.name, p.instrument, f"stems/{file_name}", digest, p.id not in rendered, piece))
    old = stem_cache.old_stem_files(out)
    for tmp, final in staged:
        os.replace(tmp, final)
    for stale in old - {Path(i.file).name for i in infos}:
        (stems_dir / stale).unlink(missing_ok=True)
    for p in score.parts:
        if p.id in staged_files:
            where = _exact(staged_files[p.id])
            pointer = stem_cache.read_pointer(cache, p.id) or {}
            if pointer.get("key") != keys[p.id]:
                pointer = {"key": keys[p.id]}
            if p.id in indexes:
                pointer["phrases"] = indexes[p.id]
            if where is not None:
                pointer["stem"] = where
            else:
                pointer.pop("stem", None)
            atomic_write_text(cache / f"part-{stem_cache.id_hash(p.id)}.json", json.dumps(pointer))
    if cache_dir is None:  # the folder's own cache keeps only what this render used
        current = {f"{keys[p.id]}.npy" for p in score.parts} | {f"part-{stem_cache.id_hash(p.id)}.json" for p in score.parts}
        for entry in cache.glob("*"):
            if entry.is_file() and entry.name not in current and (entry.suffix in (".npy", ".json")):
                entry.unlink(missing_ok=True)
    duration = n_total / sr
    manifest = {
        "format": "partita-render",
        "version": 1,
        "renderer": RENDERER_VERSION,
        "sample_rate": sr,
        "seed": settings.seed,
        "duration_s": duration,
        "n_samples": n_total,
        "settings": settings.to_dict(),
        # what made these stems: the part keys cover notes, dynamics, tempo, decoders, settings
        "content_hash": hashlib.sha256("".join(keys[p.id] for p in score.parts).encode()).hexdigest(),
        # what the score's reader could not keep from its file
        "dropped": drops_json(score.dropped),
        "stems": [
            {"part_id": s.part_id, "name": s.name, "instrument": s.instrument, "file": s.file, "sha256": s.sha256,
             "key": keys[s.part_id], **({"piece": s.piece} if s.piece else {}), **stem_cache.file_stamp(out / s.file)}
            for s in infos
        ],
    }
    atomic_write_text(out / "render.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return RenderResult(
        out_dir=out, stems=tuple(infos), sample_rate=sr, seed=settings.seed, n_samples=n_total,
        duration_s=duration, elapsed_s=time.perf_counter() - t0, rendered_parts=tuple(p.id for p in todo),
        notes=tuple(underlaid + _lyric_notes(score, decs, settings)),
    )  # fmt: skip


def _lyric_notes(score: Score, decs: Mapping[str, Decoder | None], settings: RenderSettings) -> list[str]:
    """Summary lines about words: what the pronouncing dictionary lacked, notes without a
    syllable, lyrics on parts that do not sing."""
    out = []
    for p in score.parts:
        if not any(n.lyric for n in p.notes):
            continue
        if is_singer(decs[p.id]):
            from partita.render.singing import lyric_report

            out.extend(lyric_report(p, score, verse=settings.verse, language=settings.language).lines(p.name or p.id))
        else:
            out.append(f"part {p.name or p.id!r}: has lyrics but {p.instrument} does not sing; rendered as the instrument")
    return out
