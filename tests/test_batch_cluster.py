"""Both batch commands against a separately started ``dask scheduler`` with two ``dask worker``
processes on loopback; a worker killed mid-batch; the whole run killed and restarted; a full
disk; the corpus tokenizer and the instrument data builder on the same cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from partita.batch import BatchError, render_batch
from partita.batch.items import complete_record
from tests.batch_helpers import BIN, SR, LoopbackCluster, dataset_hashes, tiny_scores


@pytest.fixture(scope="module")
def cluster():
    c = LoopbackCluster(2)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scores")
    tiny_scores(folder, n=6)
    return folder


@pytest.fixture(scope="module")
def reference(cluster, scores, keys, tmp_path_factory) -> Path:
    """A clean render of the scores through the CLI on the loopback cluster."""
    out = tmp_path_factory.mktemp("ref")
    proc = subprocess.run(
        [str(BIN / "partita"), "batch", "render", str(scores), "-o", str(out), "--sample-rate", str(SR),
         "--scheduler", cluster.address, "--key-dir", str(keys), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # one broken score
    assert "broken.musicxml" in proc.stderr and "Traceback" not in proc.stderr
    return out


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_render_on_a_separate_cluster(reference):
    rows = _rows(reference)
    assert [r["status"] for r in rows].count("done") == 7 and [r["status"] for r in rows].count("failed") == 1
    assert len(list((reference / "items").glob("*/item.json"))) == 6


def test_compose_on_a_separate_cluster(cluster, keys, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[item]]\nid = "calm"\nprompt = "calm chorale"\nseed = 3\nensemble = "string quartet"\nseconds = 3\n'
                    '[[item]]\nid = "again"\nprompt = "calm chorale"\nseed = 3\nensemble = "string quartet"\nseconds = 3\n')  # fmt: skip
    out = tmp_path / "out"
    proc = subprocess.run([str(BIN / "partita"), "batch", "compose", str(spec), "-o", str(out), "--sample-rate", str(SR),
                           "--scheduler", cluster.address, "--key-dir", str(keys), "--quiet"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = _rows(out)
    assert [r["source"] for r in rows] == ["calm", "again"] and rows[1]["duplicate_of"] == 0
    assert rows[0]["status"] == "done" and rows[0]["instruments"] == ["violin", "violin", "viola", "cello"]
    item = out / rows[0]["item"]
    score = json.loads((item / "score.json").read_text())
    align = json.loads((item / "alignment.json").read_text())
    # every composed note is in the alignment, per stem
    assert [s["n_notes"] for s in align["stems"]] == [len(p["notes"]) for p in score["parts"]]
    assert (item / "plan.json").is_file() and (item / "mix.wav").is_file()


def test_the_corpus_tokenizer_and_the_data_builder_run_on_the_cluster(cluster, tmp_path):
    from partita.render import dataset
    from partita.symbolic.composer import corpus

    files = tiny_scores(tmp_path / "scores", n=3)
    srcs = [corpus.Source(f.name, "user", str(f)) for f in files]
    corpus.parse_corpus(srcs, data_dir=tmp_path / "local", progress=False)
    corpus.parse_corpus(srcs, data_dir=tmp_path / "remote", progress=False, scheduler=cluster.address)
    a = corpus.build_tokens(tmp_path / "local", progress=False)
    b = corpus.build_tokens(tmp_path / "remote", progress=False, scheduler=cluster.address)
    assert a == b and sum(c["pieces"] for c in a["collections"].values()) >= 1
    t = np.arange(int(0.8 * 48000)) / 48000
    items = [dataset.Item(f"tone{k}", (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32), 48000)
             for k, f in enumerate((220.0, 330.0, 440.0))]  # fmt: skip
    local = dataset.build_dataset(items, f0_method="yin")
    remote = dataset.build_dataset(items, f0_method="yin", scheduler=cluster.address)
    assert local.keys() == remote.keys()
    for k in local:
        np.testing.assert_array_equal(local[k], remote[k])


def test_whole_run_killed_then_restarted_redoes_only_unfinished_items(cluster, scores, keys, reference, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([str(BIN / "partita"), "batch", "render", str(scores), "-o", str(out), "--sample-rate", str(SR),
                             "--scheduler", cluster.address, "--key-dir", str(keys), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    t0 = time.monotonic()
    while not list((out / "items").glob("*/item.json")) and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(3.0)  # tasks the workers had started finish or are dropped
    items = [p for p in (out / "items").iterdir() if p.is_dir()]
    finished = {p.name for p in items if (p / "item.json").exists()}
    assert 1 <= len(finished) < 6, "the kill came too late to interrupt anything"
    # the manifest on disk is whole: every line parses
    _rows(out)
    again = render_batch(scores, out, sample_rate=SR, scheduler=cluster.address, key_dir=keys)
    all_items = {p.parent.name for p in (reference / "items").glob("*/item.json")}
    assert set(again.computed) == all_items - finished
    assert dataset_hashes(out) == dataset_hashes(reference)


def test_full_disk_stops_cleanly_with_a_consistent_manifest(cluster, scores, keys, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        with pytest.raises(BatchError, match="no space left|No space left"):
            render_batch(scores, mnt, sample_rate=SR, scheduler=cluster.address, key_dir=keys)
        rows = _rows(mnt)
        assert len(rows) == 8 and {r["status"] for r in rows} <= {"done", "failed", "pending"}
        assert any(r["status"] == "pending" for r in rows)
        for r in rows:
            if r["status"] == "done":
                rec = json.loads((mnt / r["item"] / "item.json").read_text())
                assert complete_record(mnt / r["item"], rec["input_key"]) is not None
            if r["status"] == "failed":
                assert "broken" in r["source"]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_worker_killed_mid_batch_loses_nothing(cluster, scores, keys, reference, tmp_path):
    out = tmp_path / "out"
    done: dict = {}
    run = threading.Thread(target=lambda: done.setdefault(
        "r", render_batch(scores, out, sample_rate=SR, scheduler=cluster.address, key_dir=keys)))  # fmt: skip
    run.start()
    t0 = time.monotonic()
    while not list((out / "items").glob("*/item.json")) and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    n_before = len(list((out / "items").glob("*/item.json")))
    cluster.kill_worker(0)
    run.join(timeout=300)
    assert not run.is_alive()
    assert n_before < 6, "the kill came too late to interrupt anything"
    r = done["r"]
    assert r.count("done") == 7 and r.count("failed") == 1
    assert dataset_hashes(out) == dataset_hashes(reference)
