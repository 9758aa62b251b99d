"""Batch rendering and dataset building on Dask: many scores (or prompts) into aligned stems,
mixes, MIDI, MusicXML and a manifest.

:func:`render_batch` renders score files; :func:`compose_batch` composes a table of prompts,
seeds and ensembles and renders them into the same layout. Both run on a Dask LocalCluster by
default or on any ``dask.distributed`` scheduler (``scheduler="tcp://HOST:PORT"``), skip items
that are complete already, redo partial ones, and record bad items as ``failed`` without
stopping. See docs/batch.md.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from partita._engine import Engine, EngineError, Progress
from partita.batch.runner import MANIFEST_FILE, BatchError, BatchResult

__all__ = ["BatchError", "BatchResult", "EngineError", "MANIFEST_FILE", "Progress", "compose_batch", "render_batch"]


def _settings(sample_rate: int, seed: int, humanize: float, target_lufs: float | None) -> tuple[Any, Any]:
    from partita.mixing import MixSettings
    from partita.render.settings import RenderSettings

    ms = MixSettings() if target_lufs is None else MixSettings(target_lufs=target_lufs)
    return RenderSettings(sample_rate=sample_rate, seed=seed, humanize=humanize), ms


def render_batch(
    sources: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    humanize: float = 0.0,
    target_lufs: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    split_s: float | None = 600.0,
    progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[Engine], None] | None = None,
) -> BatchResult:
    """Render every score of ``sources`` into ``out_dir/items/<id>/`` and list them in
    ``out_dir/manifest.jsonl``.

    Parameters
    ----------
    sources
        Folders, globs, list files (``.txt``: one path or glob a line) or score files (see
        :func:`partita.batch.sources.score_sources`).
    out_dir
        The dataset folder (created). Running again into it skips complete items.
    sample_rate, seed, humanize, target_lufs
        Render settings (:class:`~partita.render.settings.RenderSettings`) and the mix's loudness
        target (default that of :class:`~partita.mixing.MixSettings`).
    scheduler
        ``tcp://HOST:PORT`` of a running ``dask scheduler``; None: a LocalCluster.
    workers
        LocalCluster worker processes (default: one per core).
    key_dir
        Folder of the key that signs every item's ``provenance.json``.
    split_s
        A score longer than this many seconds, with several parts, renders each part as a task
        of its own (None: never).
    progress
        Called with a :class:`~partita._engine.Progress` as each item finishes.
    on_start
        Called with the started :class:`~partita._engine.Engine` (its dashboard address).

    Returns
    -------
    BatchResult

    Raises
    ------
    EngineError
        The scheduler cannot be reached (the message names its address).
    BatchError
        The disk filled up: the batch stopped, and the manifest lists what is done.

    Examples
    --------
    >>> r = render_batch("scores/", "dataset/", sample_rate=22050, workers=2)  # doctest: +SKIP
    >>> r.count("done"), r.manifest.name  # doctest: +SKIP
    (40, 'manifest.jsonl')
    """
    from partita.batch.runner import run_batch
    from partita.batch.sources import score_sources

    specs = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    rs, ms = _settings(sample_rate, seed, humanize, target_lufs)
    entries = [(s.path, s.sha256, s.item_id, {"source": str(os.path.abspath(s.path))}, {}) for s in score_sources(specs)]
    return run_batch("render", entries, out_dir, settings=rs, mix_settings=ms, scheduler=scheduler, workers=workers,
                     key_dir=key_dir, split_s=split_s, progress=progress, on_start=on_start)  # fmt: skip


def compose_batch(
    spec: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    sample_rate: int = 48000,
    target_lufs: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[Engine], None] | None = None,
) -> BatchResult:
    """Compose every row of the table ``spec`` (CSV or TOML; columns ``id, prompt, seed,
    ensemble, seconds, key, tempo, meter``) with the shipped composer and render it into
    ``out_dir/items/<id>/``, the layout of :func:`render_batch` plus ``plan.json``.

    The row's seed drives the plan, the composer and every render stream. Identical rows are
    one item. Other parameters as in :func:`render_batch`.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> r = compose_batch("prompts.csv", "synthetic/", sample_rate=22050)  # doctest: +SKIP
    """
    from partita.batch.runner import run_batch
    from partita.batch.sources import compose_rows

    rs, ms = _settings(sample_rate, 0, 0.0, target_lufs)
    entries = [(r.name, r.sha256, r.item_id, {"row": r.to_dict()}, {"prompt": r.prompt, "seed": r.seed, "ensemble": r.ensemble})
               for r in compose_rows(spec)]  # fmt: skip
    return run_batch("compose", entries, out_dir, settings=rs, mix_settings=ms, scheduler=scheduler, workers=workers,
                     key_dir=key_dir, split_s=None, progress=progress, on_start=on_start)  # fmt: skip
