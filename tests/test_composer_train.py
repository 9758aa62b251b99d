"""Training: loss falls, resume after a cut gives the same weights, a killed run continues."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from partita.symbolic.composer.controls import BarControl, ComposerVocab, Controls
from partita.symbolic.composer.corpus import TokenSet
from partita.symbolic.composer.model import load_checkpoint
from partita.symbolic.composer.train import ComposerTrainConfig, _Windows, train
from partita.symbolic.score import Note, Part, Score

CV = ComposerVocab.default()
TINY = {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 48, "dropout": 0.0}


def _toy_set(n: int, seed: int) -> TokenSet:
    rng = np.random.default_rng(seed)
    seqs = []
    for k in range(n):
        notes = []
        t = 0
        for _ in range(16):
            notes.append(Note(t, 1, int(60 + rng.choice([0, 2, 4, 5, 7]))))
            t += 1
        s = Score(parts=(Part("p", "Flute", "flute", tuple(notes)),))
        seq, c = CV.encode(s)
        seqs.append(("toy", f"toy/{seed}-{k}", list(seq.ids), 3 + len(c.roles)))
    return TokenSet.from_sequences(seqs)


def _cfg(steps: int) -> ComposerTrainConfig:
    return ComposerTrainConfig(model=TINY, batch_size=4, lr=3e-3, min_lr=3e-4, warmup_steps=2, max_steps=steps,
                       ckpt_every=2, eval_every=2, eval_windows=8, transpose=(-2, 2))  # fmt: skip


def test_windows_start_at_bars_with_the_header_and_skip_control_targets():
    ts = _toy_set(3, 0)
    w = _Windows(ts, CV, 48)
    gen = torch.Generator().manual_seed(0)
    x, y = w.batch(gen, 6, (-2, 2))
    assert x.shape == (6, 48) and y.shape == (6, 48)
    for row in x.numpy():
        toks = CV.tokens(row[:6])
        assert toks[0] == "BOS_None" and toks[1].startswith("Key_") and toks[3] == "Role_melody"
        assert toks[4] == "Bar_None"
    assert not any(CV.is_control[t] for t in y.numpy().ravel() if t >= 0)


def test_loss_falls_and_resume_after_a_cut_gives_the_same_weights(tmp_path):
    torch.set_num_threads(1)
    train_set, held = _toy_set(6, 1), _toy_set(2, 2)
    whole = train(_cfg(12), train_set=train_set, heldout_set=held, out_dir=tmp_path / "a", progress=False)
    # the same run cut off at step 7 (its last checkpoint: step 6), then resumed to 12

    class Cut(Exception):
        pass

    def cut_at_7(step):
        if step == 7:
            raise Cut

    with pytest.raises(Cut):
        train(_cfg(12), train_set=train_set, heldout_set=held, out_dir=tmp_path / "c", progress=False, on_step=cut_at_7)
    assert load_checkpoint(tmp_path / "c" / "last.safetensors")[1]["training"]["step"] == 6
    resumed = train(_cfg(12), train_set=train_set, heldout_set=held, out_dir=tmp_path / "c", resume=True, progress=False)
    assert resumed.step == 12
    ma, ha, _ = load_checkpoint(whole.path)
    mc, hc, _ = load_checkpoint(resumed.path)
    for (k, a), (_, c) in zip(ma.state_dict().items(), mc.state_dict().items()):
        torch.testing.assert_close(a, c, rtol=1e-6, atol=1e-7, msg=k)
    hist = ha["training"]["history"]
    assert hist[-1]["heldout_loss"] < hist[0]["heldout_loss"]
    assert ha["training"]["step"] == 12 and hc["training"]["history"][-1]["step"] == 12


@pytest.mark.slow
def test_a_killed_training_run_continues_from_its_last_checkpoint(tmp_path):
    """A real ``partita train-composer`` process killed with SIGKILL mid-run, then resumed."""
    from partita.symbolic.io import midi

    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        notes = tuple(Note(j, 1, int(60 + rng.integers(0, 12))) for j in range(32))
        midi.write(Score(parts=(Part("p", "Piano", "piano", notes),)), folder / f"t{i}.mid")
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "partita", "train-composer", "--corpus", str(folder), "--data-dir",
           str(tmp_path / "data"), "--out", str(out), "--model", "tiny", "--steps", "400",
           "--ckpt-every", "5", "--eval-every", "50", "--threads", "1", "--no-progress", "--allow-small"]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ckpt = out / "last.safetensors"
    deadline = time.monotonic() + 240
    step = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.exists():
            try:
                step = load_checkpoint(ckpt)[1]["training"]["step"]
            except Exception:  # noqa: BLE001 - never half-written: atomic rename; retry anyway
                step = 0
            if step >= 10:
                break
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # a killed writer may leave its temporary behind; the checkpoint itself is whole (it loads)
    before = load_checkpoint(ckpt)[1]["training"]["step"]
    assert 10 <= before < 400
    done = subprocess.run(cmd + ["--resume", "--steps", str(before + 10)], env=env, capture_output=True, timeout=240)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert load_checkpoint(ckpt)[1]["training"]["step"] == before + 10


def test_ship_writes_weights_manifest_and_card(tmp_path):
    import json

    from partita.symbolic.composer.card import ship
    from partita.symbolic.composer.model import sha256_of

    r = train(_cfg(4), train_set=_toy_set(4, 1), heldout_set=_toy_set(2, 2), out_dir=tmp_path / "run",
              progress=False, corpus_info={"spec": "toy", "train_pieces": 4})  # fmt: skip
    manifest = ship(str(r.path), command="partita train-composer --corpus toy", dest=str(tmp_path / "w"))
    w = tmp_path / "w"
    assert manifest["sha256"] == sha256_of(w / manifest["file"])
    assert json.loads((w / "manifest.json").read_text()) == manifest
    card = (w / "composer-small.md").read_text()
    assert manifest["sha256"] in card and "partita train-composer --corpus toy" in card
    assert f"{manifest['n_params']:,}" in card
    # weights only: no optimizer state travels with the shipped file
    _, header, extra = load_checkpoint(w / manifest["file"], sha256=manifest["sha256"])
    assert extra == {} and header["training"]["command"] == "partita train-composer --corpus toy"


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    from partita.errors import ConfigError

    if torch.cuda.is_available():
        r = train(_cfg(2), train_set=_toy_set(2, 1), heldout_set=None, out_dir=tmp_path, device="cuda", progress=False)
        assert r.step == 2
    else:
        with pytest.raises(ConfigError, match="CUDA"):
            train(_cfg(2), train_set=_toy_set(2, 1), heldout_set=None, out_dir=tmp_path, device="cuda", progress=False)


def test_fine_tuning_records_the_earlier_stage_and_the_card_totals_the_time(tmp_path):
    from partita.symbolic.composer.card import ship
    from partita.symbolic.composer.model import sha256_of
    from partita.symbolic.composer.train import stages

    first = train(_cfg(4), train_set=_toy_set(4, 1), heldout_set=None, out_dir=tmp_path / "a",
                  progress=False, corpus_info={"spec": "toy-a", "train_pieces": 4})  # fmt: skip
    second = train(_cfg(6), train_set=_toy_set(6, 3), heldout_set=None, out_dir=tmp_path / "b", init=first.path,
                   progress=False, corpus_info={"spec": "toy-b", "train_pieces": 6})  # fmt: skip
    extra = load_checkpoint(second.path)[1]["training"]
    chain = stages(extra)
    assert [st["corpus"]["spec"] for st in chain] == ["toy-a", "toy-b"]
    assert [st["step"] for st in chain] == [4, 6]
    assert chain[0]["sha256"] == sha256_of(first.path)
    # a resumed fine-tuning run keeps the record of where it started
    third = train(_cfg(8), train_set=_toy_set(6, 3), heldout_set=None, out_dir=tmp_path / "b", resume=True,
                  progress=False, corpus_info={"spec": "toy-b", "train_pieces": 6})  # fmt: skip
    assert stages(load_checkpoint(third.path)[1]["training"])[0]["sha256"] == sha256_of(first.path)
    ship(str(third.path), command="two stages", dest=str(tmp_path / "w"))
    card = (tmp_path / "w" / "composer-small.md").read_text()
    total = (chain[0]["elapsed_s"] + load_checkpoint(third.path)[1]["training"]["elapsed_s"]) / 60
    assert "Trained in stages" in card and "`toy-a`" in card and "`toy-b`" in card
    assert f"Total training time over all stages: {total:.1f} minutes" in card


def test_the_facade_trains_reports_progress_and_exports(tmp_path, capsys):
    """``partita.train_composer``: corpus built from a folder, a typed result, progress through
    the callback (nothing printed by the library), and an exported weights-only file."""
    import partita
    from partita.errors import ConfigError
    from partita.symbolic.io import midi

    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(4):
        notes = tuple(Note(j, 1, 60 + (i * j) % 12) for j in range(16))
        midi.write(Score(parts=(Part("p", "Piano", "piano", notes),)), folder / f"t{i}.mid")
    heard = []
    # 420 tokens: too few to fine-tune on; refused, naming the folder, until allowed (with a warning)
    with pytest.raises(ConfigError, match=r"mine gives 420 training tokens \(4 pieces\); fine-tuning wants at least 2,000.*--allow-small"):
        partita.train_composer(str(folder), data_dir=tmp_path / "data", out_dir=tmp_path / "run", model="tiny", steps=3)
    assert not (tmp_path / "run" / "last.safetensors").exists()  # stopped before any step
    with pytest.warns(UserWarning, match="continuing as asked"):
        r = partita.train_composer(str(folder), data_dir=tmp_path / "data", out_dir=tmp_path / "run", model="tiny",
                                   steps=3, eval_every=3, export=tmp_path / "w.safetensors", allow_small=True,
                                   progress=lambda s, m: heard.append(s))  # fmt: skip
    assert r.step == 3 and r.checkpoint == tmp_path / "run" / "last.safetensors" and r.corpus["spec"] == str(folder)
    assert r.corpus["train_pieces"] + r.corpus["heldout_pieces"] == 4
    assert heard[:2] == ["corpus", "corpus"] and "train" in heard and heard[-1] == "export"
    assert capsys.readouterr().out == ""
    model, header, extra = load_checkpoint(r.exported, sha256=r.exported_sha256)
    assert extra == {} and header["training"]["step"] == 3 and header["data"]["spec"] == str(folder)
    with pytest.raises(ConfigError, match="model 'huge'"):
        partita.train_composer(str(folder), data_dir=tmp_path / "data", model="huge")
