"""What a Dask worker does for one batch item (module-level functions of plain dicts, so that
any worker process, on any machine, can run them).

An item folder is complete when ``item.json`` is there, names the item's input key (source
hash, settings, renderer and partita versions) and every file it lists still has its sha256.
``item.json`` is written last, atomically, like every other file: a worker killed at any moment
leaves an item that the next run sees as unfinished and redoes (the renderer's own cache keeps
the stems that were already complete).
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import warnings
from pathlib import Path
from typing import Any, Mapping

from partita._fileio import atomic_path, atomic_write_text, sha256_file

__all__ = ["ITEM_FILE", "ALIGNMENT_FILE", "input_key", "complete_record", "write_alignment", "run_item", "render_part_job"]

ITEM_FILE = "item.json"
ALIGNMENT_FILE = "alignment.json"
#: Bump when the layout of an item folder changes: it is part of every input key.
BATCH_VERSION = "batch-1"
#: Files of an item that record when they were made (render.json: its stems' modification
#: times, for the renderer's cache; provenance.json: the signing time). item.json requires
#: them but does not hash them: every other byte of an item is the same in every run.
TIMESTAMPED = ("render.json", "provenance.json")


def input_key(kind: str, content_sha256: str, settings: Mapping[str, Any], mix: Mapping[str, Any]) -> str:
    """sha256 of everything that decides an item's files (the item's source or row, the render
    and mix settings, the renderer's and partita's versions)."""
    from partita._version import __version__
    from partita.render.settings import RENDERER_VERSION

    blob = {"kind": kind, "content": content_sha256, "render": dict(settings), "mix": dict(mix),
            "renderer": RENDERER_VERSION, "partita": __version__, "batch": BATCH_VERSION}  # fmt: skip
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def complete_record(item_dir: str | Path, key: str) -> dict[str, Any] | None:
    """The item's record when its folder is complete for ``key`` (see the module's doc), else None."""
    out = Path(item_dir)
    try:
        rec = json.loads((out / ITEM_FILE).read_text(encoding="utf-8"))
        if rec.get("input_key") != key or not all((out / f).is_file() for f in TIMESTAMPED):
            return None
        for rel, digest in rec["files"].items():
            if sha256_file(out / rel) != digest:
                return None
        return rec
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_alignment(out_dir: str | Path, score: Any, settings: Any) -> Path:
    """``alignment.json``: every sounding note of every stem, with the seconds and samples at
    which the renderer starts and releases it (see docs/batch.md, "Alignment").

    Per stem the notes are columns of equal length: ``pitch`` (sounding MIDI), ``velocity``
    (the note's own, null when the dynamics decide), ``voice``, ``onset_beats`` and
    ``offset_beats`` (quarter notes, as strings of exact fractions), ``onset_s``, ``offset_s``,
    ``onset_sample`` and ``offset_sample`` (``floor(t * sample_rate + 0.5)``).
    """
    from partita.render.performance import note_times

    out = Path(out_dir)
    manifest = json.loads((out / "render.json").read_text(encoding="utf-8"))
    files = {s["part_id"]: s["file"] for s in manifest["stems"]}
    sr = int(settings.sample_rate)
    stems = []
    for part in score.parts:
        cols: dict[str, list[Any]] = {k: [] for k in ("pitch", "velocity", "voice", "onset_beats", "offset_beats",
                                                       "onset_s", "offset_s", "onset_sample", "offset_sample")}  # fmt: skip
        for n, on_s, off_s in note_times(part, score, seed=settings.seed, humanize=settings.humanize):
            for k, v in (("pitch", n.pitch), ("velocity", n.velocity), ("voice", n.voice), ("onset_beats", str(n.onset)),
                         ("offset_beats", str(n.end)), ("onset_s", round(on_s, 9)), ("offset_s", round(off_s, 9)),
                         ("onset_sample", math.floor(on_s * sr + 0.5)), ("offset_sample", math.floor(off_s * sr + 0.5))):  # fmt: skip
                cols[k].append(v)
        stems.append({"part_id": part.id, "name": part.name, "instrument": part.instrument, "file": files[part.id],
                      "n_notes": len(cols["pitch"]), "notes": cols})  # fmt: skip
    doc = {"format": "partita-alignment", "version": 1, "sample_rate": sr, "n_samples": manifest["n_samples"],
           "time_origin": "sample 0 of every stem and of mix.wav", "stems": stems}  # fmt: skip
    path = out / ALIGNMENT_FILE
    atomic_write_text(path, json.dumps(doc, separators=(",", ":")) + "\n")
    return path


def _settings(job: Mapping[str, Any]) -> tuple[Any, Any]:
    from partita.mixing import MixSettings
    from partita.render.settings import RenderSettings

    return RenderSettings.from_dict(job["settings"]), MixSettings.from_dict(job["mix"])


def _one_line(exc: BaseException) -> str:
    from partita.errors import PartitaError

    text = str(exc) if isinstance(exc, PartitaError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500] or type(exc).__name__


def _finish(job: Mapping[str, Any], score: Any, rendered: Any) -> dict[str, Any]:
    """Write ``item.json`` (last) and return the item's record."""
    from partita.provenance import folder_hashes

    out = Path(job["item_dir"])
    manifest = json.loads((out / "render.json").read_text(encoding="utf-8"))
    rec = {
        "format": "partita-batch-item", "version": 1, "input_key": job["key"], "kind": job["kind"],
        "item": out.name, "title": score.title or "", "score_sha256": score.canonical_hash(),
        "duration_s": manifest["duration_s"], "n_samples": manifest["n_samples"], "sample_rate": manifest["sample_rate"],
        "instruments": [p.instrument for p in score.parts], "parts": [p.name for p in score.parts],
        "n_notes": sum(len(p.notes) for p in score.parts),
        "files": {k: v for k, v in folder_hashes(out).items() if k not in (*TIMESTAMPED, ITEM_FILE)},
    }  # fmt: skip
    atomic_write_text(out / ITEM_FILE, json.dumps(rec, indent=1, sort_keys=True) + "\n")
    _drop_part_arrays(out / ".cache")
    return {**rec, "status": "done", "error": None, "computed": True}


def _drop_part_arrays(cache: Path) -> None:
    """Part audio that the stems themselves now hold (float stems name themselves as the cache
    entry) need not stay twice on disk."""
    for pointer in cache.glob("part-*.json"):
        try:
            data = json.loads(pointer.read_text())
            if isinstance(data.get("stem"), dict):
                (cache / f"{data['key']}.npy").unlink(missing_ok=True)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue


def _read_score(job: Mapping[str, Any]) -> Any:
    from partita.symbolic import io as sio

    return sio.read(job["source"])


def render_part_job(job: Mapping[str, Any], index: int) -> str:
    """Render part ``index`` of a long score into the item's part cache (``.cache/<key>.npy``),
    where the item's own render then finds it. Returns the part's cache key."""
    import numpy as np

    from partita.render.stem_cache import part_cache_key
    from partita.render.stems import _decoder_for, render_part

    rs, _ = _settings(job)
    score = _read_score(job)
    part = score.parts[index]
    dec = _decoder_for(part, None)
    key = part_cache_key(part, score, rs, dec)
    target = Path(job["item_dir"]) / ".cache" / f"{key}.npy"
    if not target.exists():
        audio = render_part(part, score, rs, decoder=dec)
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, audio, allow_pickle=False)
    return key


def run_item(job: Mapping[str, Any], *parts_done: Any) -> dict[str, Any]:
    """Make one item folder (``job["kind"]`` ``render`` or ``compose``); never raises for a bad
    item: the record's ``status`` is ``done`` or ``failed`` (with a one-line ``error``;
    ``fatal`` when the disk is full), or ``split`` (a long score: render its parts first, then
    call again with their results as ``parts_done``)."""
    out = Path(job["item_dir"])
    done = complete_record(out, job["key"])
    if done is not None:
        return {**done, "status": "done", "error": None, "computed": False}
    try:
        (out / ITEM_FILE).unlink(missing_ok=True)  # from here on the folder is unfinished
        rs, ms = _settings(job)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if job["kind"] == "render":
                return _render(job, rs, ms, split=not parts_done)
            return _compose(job, rs, ms)
    except OSError as exc:
        fatal = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return {"status": "failed", "error": _one_line(exc), "fatal": fatal, "computed": True}
    except Exception as exc:  # noqa: BLE001 - a bad item is recorded, never fatal for the batch
        return {"status": "failed", "error": _one_line(exc), "fatal": False, "computed": True}


def _render(job: Mapping[str, Any], rs: Any, ms: Any, *, split: bool) -> dict[str, Any]:
    from partita.pipeline import master_folder

    score = _read_score(job)
    split_s = job.get("split_s")
    if split and split_s is not None and len(score.parts) > 1 and score.duration_seconds > split_s:
        return {"status": "split", "n_parts": len(score.parts), "computed": False}
    record = {"batch": {"source": {"file": Path(job["source"]).name, "sha256": job["sha256"]}}}
    out = Path(job["item_dir"])
    rendered, _mixed, _prov = master_folder(
        out, score, record=record, render_settings=rs, mix_settings=ms, key_dir=job.get("key_dir"), workers=1,
        c2pa=False, before_signing=lambda d: write_alignment(d, score, rs),
    )  # fmt: skip
    return _finish(job, score, rendered)


def _compose(job: Mapping[str, Any], rs: Any, ms: Any) -> dict[str, Any]:
    import dataclasses

    from partita.pipeline import compose_to_master
    from partita.symbolic.composer.planner import plan

    row = job["row"]
    seed = int(row["seed"])
    p = plan(row["prompt"], duration_s=row["seconds"], key=row["key"], tempo=row["tempo"], meter=row["meter"],
             ensemble=row["ensemble"], seed=seed)  # fmt: skip
    rs = dataclasses.replace(rs, seed=seed)
    holder: dict[str, Any] = {}

    def align(d: Path) -> None:
        from partita.pipeline import _load_score

        holder["score"] = _load_score(d)
        write_alignment(d, holder["score"], rs)

    result = compose_to_master(p, job["item_dir"], seed=seed, render_settings=rs, mix_settings=ms,
                               key_dir=job.get("key_dir"), workers=1, c2pa=False, before_signing=align)  # fmt: skip
    return _finish(job, result.score, result.render)
