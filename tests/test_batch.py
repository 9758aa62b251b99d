"""``partita batch render`` on a LocalCluster: layout, manifest, duplicates, bad scores,
alignment against music21, bit-identical output for 1 and 2 workers, and resuming."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from partita._fileio import sha256_file
from partita.batch import EngineError, render_batch
from partita.batch.items import complete_record
from tests.batch_helpers import SR, dataset_hashes, free_port, tiny_scores


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scores")
    tiny_scores(folder)
    return folder


@pytest.fixture(scope="module")
def one(scores, keys, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("one")
    return out, render_batch(scores, out, sample_rate=SR, workers=1, key_dir=keys)


def test_two_workers_write_the_same_bytes_as_one(one, scores, keys, tmp_path):
    out1, _ = one
    r2 = render_batch(scores, tmp_path, sample_rate=SR, workers=2, key_dir=keys)
    assert r2.workers == 2
    h1, h2 = dataset_hashes(out1), dataset_hashes(tmp_path)
    assert len(h1) > 20
    assert h1 == h2


def test_long_scores_render_part_by_part_into_the_same_bytes(one, scores, keys, tmp_path):
    out1, _ = one
    r = render_batch(scores, tmp_path, sample_rate=SR, workers=2, key_dir=keys, split_s=0.5)
    # the two-part scores went part by part; the one-part score as one task
    assert len(r.split) == 2
    assert dataset_hashes(tmp_path) == dataset_hashes(out1)
    assert not list(tmp_path.glob("items/*/.cache/*.npy"))  # the stems hold the parts' audio


def test_manifest_lists_every_source_bad_ones_failed_and_copies_once(one, scores):
    out, result = one
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [Path(r["source"]).name for r in rows] == ["broken.musicxml", "s0.musicxml", "s0_copy.musicxml",
                                                      "s1.musicxml", "s2.musicxml"]  # fmt: skip
    by = {Path(r["source"]).name: r for r in rows}
    bad = by["broken.musicxml"]
    assert bad["status"] == "failed" and "broken.musicxml" in bad["error"] and "\n" not in bad["error"]
    # the copy: one item, listed twice, rendered once
    assert by["s0_copy.musicxml"]["item"] == by["s0.musicxml"]["item"]
    assert by["s0_copy.musicxml"]["duplicate_of"] == by["s0.musicxml"]["index"]
    assert by["s0.musicxml"]["duplicate_of"] is None
    assert len(list((out / "items").glob("*/item.json"))) == 3
    assert len(result.computed) == 3 and result.count("done") == 4 and result.count("failed") == 1
    for name in ("s0.musicxml", "s1.musicxml", "s2.musicxml"):
        r = by[name]
        assert r["status"] == "done" and r["error"] is None
        assert r["content_sha256"] == hashlib.sha256((scores / name).read_bytes()).hexdigest()
        item = out / r["item"]
        assert complete_record(item, json.loads((item / "item.json").read_text())["input_key"]) is not None
        for rel, digest in r["files"].items():
            assert sha256_file(item / rel) == digest
        assert {"mix.wav", "score.musicxml", "score.mid", "alignment.json", "mix.json"} <= set(r["files"])
        assert sum(1 for f in r["files"] if f.startswith("stems/")) == len(r["instruments"])
        assert (item / "provenance.json").is_file() and (item / "render.json").is_file()
        assert r["instruments"] == (["flute", "cello"] if name != "s1.musicxml" else ["flute"])
        assert r["sample_rate"] == SR and r["n_samples"] == round(r["duration_s"] * SR)


def test_alignment_agrees_with_music21_and_with_the_audio(one, scores):
    """Onsets from music21's own reading of the source file and its tempo, against the
    alignment; the stem is silent before the first onset and sounds right after it."""
    import music21

    out, _ = one
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    for r in rows:
        if r["status"] != "done" or r["duplicate_of"] is not None:
            continue
        ref = music21.converter.parse(r["source"])
        bpm = ref.flatten().getElementsByClass(music21.tempo.MetronomeMark)[0].getQuarterBPM()
        al = json.loads((out / r["item"] / "alignment.json").read_text())
        assert al["sample_rate"] == SR and len(al["stems"]) == len(ref.parts)
        for stem, part in zip(al["stems"], ref.parts):
            want = sorted(float(n.getOffsetInHierarchy(ref)) * 60.0 / bpm for n in part.recurse().notes)
            got = stem["notes"]
            np.testing.assert_allclose(got["onset_s"], want, atol=1e-9)
            assert got["onset_sample"] == [int(np.floor(t * SR + 0.5)) for t in want]
            assert all(off > on for on, off in zip(got["onset_sample"], got["offset_sample"]))
            audio, sr = sf.read(out / r["item"] / stem["file"], dtype="float32")
            assert sr == SR
            first = int(np.argmax(np.abs(audio) > 1e-4))
            assert abs(first - got["onset_sample"][0]) <= int(0.01 * SR)
            after = audio[got["onset_sample"][0] : got["onset_sample"][0] + int(0.2 * SR)]
            assert float(np.sqrt(np.mean(after**2))) > 1e-3


def test_rerun_skips_complete_items_and_redoes_partial_ones(one, scores, keys, tmp_path):
    out1, _ = one
    out = tmp_path / "ds"
    shutil.copytree(out1, out)
    again = render_batch(scores, out, sample_rate=SR, workers=1, key_dir=keys)
    assert again.computed == ()
    items = sorted(p.parent for p in (out / "items").glob("*/item.json"))
    # one item cut short mid-stem (as a copy would leave it), one without its completion marker
    stem = sorted((items[0] / "stems").glob("*.wav"))[0]
    stem.write_bytes(stem.read_bytes()[:1000])
    (items[1] / "item.json").unlink()
    third = render_batch(scores, out, sample_rate=SR, workers=1, key_dir=keys)
    assert sorted(third.computed) == sorted([items[0].name, items[1].name])
    assert dataset_hashes(out) == dataset_hashes(out1)


def test_unreachable_scheduler_is_one_clear_error(scores, tmp_path, capsys):
    import dask

    from partita.cli import main

    address = f"tcp://127.0.0.1:{free_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(EngineError, match=address.replace(".", r"\.")):
            render_batch(scores, tmp_path / "a", sample_rate=SR, scheduler=address)
        assert main(["batch", "render", str(scores), "-o", str(tmp_path / "b"), "--scheduler", address, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("partita: error: cannot reach the Dask scheduler at " + address)
