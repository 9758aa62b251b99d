"""Run a batch on the engine and keep its manifest: the client's side of ``partita batch``.

``OUT/`` holds::

    OUT/batch.json              what every item was made with (kind, render and mix settings)
    OUT/manifest.jsonl          one line per listed source or row, in the order given
    OUT/items/<id>/             one folder per distinct item (see docs/batch.md)

The manifest is rewritten atomically as items finish (at most every two seconds, and at the
end), so at any moment it is a complete, consistent file: items not finished yet are
``pending``.
"""

from __future__ import annotations

import errno
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from partita._engine import Engine, Progress
from partita._fileio import atomic_write_text
from partita.errors import PartitaError

__all__ = ["BatchError", "BatchResult", "MANIFEST_FILE", "run_batch"]

MANIFEST_FILE = "manifest.jsonl"
#: Fields a manifest line copies from an item's record.
_ITEM_FIELDS = ("title", "score_sha256", "duration_s", "n_samples", "sample_rate", "instruments", "parts", "n_notes", "files")


class BatchError(PartitaError):
    """A batch that had to stop (a full disk); the manifest says what is done."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch run did.

    ``rows``: the manifest's lines (dicts, in the order the sources were given);
    ``computed``: item ids made in this run (the others were complete already, or failed);
    ``split``: item ids whose parts were rendered as tasks of their own (long scores).
    """

    out_dir: Path
    rows: tuple[dict[str, Any], ...]
    computed: tuple[str, ...]
    elapsed_s: float
    dashboard: str | None = None
    workers: int = 0
    split: tuple[str, ...] = field(default=())

    @property
    def manifest(self) -> Path:
        return self.out_dir / MANIFEST_FILE

    def count(self, status: str) -> int:
        """Listed rows with this status (``done``, ``failed``, ``pending``)."""
        return sum(1 for r in self.rows if r["status"] == status)

    def summary(self) -> str:
        """One line: rows done and failed, items computed and reused, time."""
        n_items = len({r["item"] for r in self.rows})
        return (f"{self.count('done')} of {len(self.rows)} listed done, {self.count('failed')} failed, "
                f"{self.count('pending')} pending; {n_items} distinct items, {len(self.computed)} made now; "
                f"{self.elapsed_s:.1f} s; manifest {self.manifest}")  # fmt: skip


@dataclass
class _Entry:
    """One listed source or row."""

    index: int
    source: str
    content_sha256: str
    item_id: str
    job: dict[str, Any]
    extra: dict[str, Any]


def _write_manifest(out: Path, entries: Sequence[_Entry], results: Mapping[str, dict[str, Any]]) -> None:
    first: dict[str, int] = {}
    lines = []
    for e in entries:
        rec = results.get(e.item_id, {"status": "pending", "error": None})
        row = {"index": e.index, "source": e.source, "item": f"items/{e.item_id}", "content_sha256": e.content_sha256,
               "status": rec["status"], "error": rec.get("error"), "duplicate_of": first.get(e.item_id), **e.extra}  # fmt: skip
        first.setdefault(e.item_id, e.index)
        for k in _ITEM_FIELDS:
            row[k] = rec.get(k)
        lines.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    atomic_write_text(out / MANIFEST_FILE, "\n".join(lines) + "\n")


def _cost(job: Mapping[str, Any]) -> int:
    """A cheap estimate of an item's work, for the scheduler's priority: the largest items start
    first, so that a long piece does not start last and leave the other workers idle while it
    finishes (longest-processing-time-first ordering). A score's size in bytes; a composed row's
    seconds."""
    if job["kind"] == "compose":
        return int(float(job["row"].get("seconds") or 0) * 1000)
    try:
        return int(os.path.getsize(job["source"]))
    except OSError:
        return 0


def run_batch(
    kind: str,
    entries: Sequence[tuple[str, str, str, dict[str, Any], dict[str, Any]]],
    out_dir: str | os.PathLike[str],
    *,
    settings: Any,
    mix_settings: Any,
    scheduler: str | None = None,
    workers: int | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    split_s: float | None = 600.0,
    progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[Engine], None] | None = None,
) -> BatchResult:
    """Make every distinct item of ``entries`` into ``out_dir/items/<id>`` on the engine.

    ``entries``: ``(source label, content sha256, item id, job fields, manifest fields)`` per
    listed source; entries sharing an item id are made once. See :func:`partita.batch.render_batch`.
    """
    from partita.batch.items import input_key, run_item, render_part_job

    t0 = time.perf_counter()
    out = Path(out_dir)
    (out / "items").mkdir(parents=True, exist_ok=True)
    rs, ms = settings.to_dict(), mix_settings.to_dict()
    listed = []
    jobs: dict[str, dict[str, Any]] = {}
    for i, (label, sha, item_id, job_fields, extra) in enumerate(entries):
        listed.append(_Entry(i, label, sha, item_id, {}, extra))
        if item_id not in jobs:
            jobs[item_id] = {"kind": kind, "item_dir": str((out / "items" / item_id).resolve()), "sha256": sha,
                             "key": input_key(kind, sha, rs, ms), "settings": rs, "mix": ms,
                             "key_dir": None if key_dir is None else str(key_dir), "split_s": split_s, **job_fields}  # fmt: skip
    from partita._version import __version__

    atomic_write_text(out / "batch.json", json.dumps({"format": "partita-batch", "version": 1, "kind": kind,
                                                      "partita": __version__, "render_settings": rs, "mix_settings": ms},
                                                     indent=1, sort_keys=True) + "\n")  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    computed: list[str] = []
    split: list[str] = []
    stop: str | None = None
    last_write = 0.0

    def save(force: bool = False) -> None:
        nonlocal last_write, stop
        if not force and time.perf_counter() - last_write < 2.0:
            return
        try:
            _write_manifest(out, listed, results)
        except OSError as exc:  # the old manifest stays, whole
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            stop = stop or f"no space left on the device writing {out / MANIFEST_FILE}"
        last_write = time.perf_counter()

    def tell() -> None:
        if progress is None:
            return
        failed = sum(1 for r in results.values() if r["status"] == "failed")
        skipped = sum(1 for k, r in results.items() if r["status"] == "done" and k not in computed)
        done = len(results) - failed
        el = time.perf_counter() - t0
        n_made = len(results) - skipped
        left = len(jobs) - len(results)
        eta = el / n_made * left if n_made else None
        progress(Progress(done, failed, skipped, len(jobs), el, eta))

    save(force=True)
    tell()
    from distributed import as_completed

    engine = Engine(scheduler, workers=workers)
    engine.start()
    run_tag = uuid.uuid4().hex[:8]
    try:
        if on_start is not None:
            on_start(engine)
        client = engine.client
        owner: dict[str, str] = {}
        futures = []
        for item_id, job in jobs.items():
            f = client.submit(run_item, job, key=f"item-{item_id}-{run_tag}", pure=False, priority=_cost(job))
            owner[f.key] = item_id
            futures.append(f)
        pending = as_completed(futures, loop=client.loop)
        try:
            for fut in pending:
                item_id = owner[fut.key]
                try:
                    rec = fut.result()
                except Exception as exc:  # noqa: BLE001 - a task Dask gave up on (workers died running it)
                    rec = {"status": "failed", "error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
                           "computed": True}  # fmt: skip
                fut.release()
                if rec["status"] == "split":
                    job = jobs[item_id]
                    parts = [client.submit(render_part_job, job, i, key=f"part-{item_id}-{i}-{run_tag}", pure=False)
                             for i in range(rec["n_parts"])]  # fmt: skip
                    again = client.submit(run_item, job, *parts, key=f"item-{item_id}-{run_tag}-parts", pure=False)
                    owner[again.key] = item_id
                    pending.add(again)
                    split.append(item_id)
                    continue
                results[item_id] = rec
                if rec.get("computed") and rec["status"] == "done":
                    computed.append(item_id)
                if rec.get("fatal"):
                    stop = f"{rec['error']} (item {item_id})"
                tell()
                save()
                if stop:
                    break
        except KeyboardInterrupt:
            save(force=True)
            raise
    finally:
        if stop:
            for f in futures:
                f.cancel()
        dashboard = engine.dashboard_link
        n_workers = len(engine.client.scheduler_info().get("workers", {})) if engine.client is not None else 0
        engine.close()
    if stop:
        results = {k: v for k, v in results.items() if not v.get("fatal")}
    save(force=True)
    rows = tuple(json.loads(line) for line in (out / MANIFEST_FILE).read_text(encoding="utf-8").splitlines())
    if stop:
        n_done = sum(1 for r in rows if r["status"] == "done")
        raise BatchError(f"stopped: {stop}; {n_done} of {len(rows)} listed items are done and in the manifest; "
                         "free some space and run the same command again to finish", file=str(out))  # fmt: skip
    return BatchResult(out, rows, tuple(computed), time.perf_counter() - t0, dashboard, n_workers, tuple(split))
