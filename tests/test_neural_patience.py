"""Training while the held-out loss improves (``DecoderTrainConfig.patience``, ``--patience``):
each stage stops on a plateau, the spectral stage starts from the regression stage's best weights,
and the run returns its best weights by the held-out spectral loss, not its last ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from partita.render import dataset, neural
from partita.render.neural_infer import load_weights

torch.set_num_threads(1)
SR = 16000


def _tone(f0_hz: float, seconds: float = 1.0, sample_rate: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    env = np.minimum(1.0, np.minimum(t / 0.05, (seconds - 0.3 - t) / 0.05)).clip(0, 1)
    x = sum(0.3 / k * np.sin(2 * np.pi * k * f0_hz * t) for k in range(1, 9) if k * f0_hz < sample_rate / 2)
    return (env * x).astype(np.float32)


@pytest.fixture(scope="module")
def tones() -> dict[str, np.ndarray]:
    items = [dataset.Item(f"tone{f}", _tone(f), SR) for f in (196.0, 247.0, 311.0, 370.0, 440.0)]
    return neural.decoder_inputs(dataset.build_dataset(items))


CFG = neural.DecoderConfig(channels=16, dilations=(1, 2))
KW = dict(batch_size=2, segment_frames=64, spectral_batch=2, spectral_frames=40, validate_every_s=0.0, seed=3)


def test_the_held_out_spectral_loss_is_the_same_at_every_call_and_nan_without_audio(tones) -> None:
    net = neural.CausalDecoder(CFG)
    a = neural.evaluate_spectral(net, tones, CFG, t=40)
    assert math.isfinite(a) and a > 0 and a == neural.evaluate_spectral(net, tones, CFG, t=40)
    assert math.isnan(neural.evaluate_spectral(net, {k: v for k, v in tones.items() if k != "audio16"}, CFG, t=40))


def test_both_stages_stop_on_a_plateau_and_the_best_weights_are_returned(tones, tmp_path) -> None:
    # every validation (one a step) must beat the best by 30 %: the stages plateau within a few steps
    tc = neural.DecoderTrainConfig(max_steps=400, patience=2, min_improvement=0.3, spectral_fraction=0.0, **KW)
    res = neural.train(tones, config=CFG, train_config=tc, out_dir=tmp_path, progress=False)
    assert res["steps"] < 400  # stopped early, not by the step limit
    assert set(res["stopped"]) == {"regression", "spectral"}
    assert all(why.startswith("no better held-out loss") for why in res["stopped"].values())
    state = load_weights(tmp_path / "checkpoint.safetensors").header["training"]
    reg_best, spec_best = res["best"]["regression"], res["best"]["spectral"]
    assert reg_best[0] < state["plateau_step"] <= spec_best[0] <= res["steps"]
    # the returned weights are the spectral stage's best: the same held-out spectral loss
    again = neural.evaluate_spectral(res["model"], tones, CFG, t=40)
    assert again == pytest.approx(spec_best[1], rel=1e-5)
    # ... and differ from the last step's weights, which are in the checkpoint
    last = neural.CausalDecoder(CFG)
    neural._restore(tmp_path / "checkpoint.safetensors", last)
    if res["steps"] != spec_best[0]:
        assert any(not torch.equal(p, q) for p, q in zip(res["model"].state_dict().values(), last.state_dict().values()))
    # the held-out spectral losses were recorded for the spectral stage's validations
    assert [row[0] for row in res["spectral_curve"]][-1] <= res["steps"] and len(res["spectral_curve"]) >= 3


def test_the_spectral_stage_starts_from_the_regression_stages_best_weights(tones, tmp_path) -> None:
    tc = neural.DecoderTrainConfig(max_steps=400, patience=2, min_improvement=0.3, spectral_fraction=0.0, **KW)
    neural.train(tones, config=CFG, train_config=tc, out_dir=tmp_path, progress=False)
    # the regression stage's best weights, the spectral stage's first validation: the spectral
    # stage's first held-out figure is that of weights one step on from the regression best
    state = load_weights(tmp_path / "checkpoint.safetensors").header["training"]
    first = state["spectral_curve"][0]
    assert first[0] == state["plateau_step"] + 1


def test_without_patience_the_whole_budget_runs_and_the_last_weights_are_kept(tones, tmp_path) -> None:
    tc = neural.DecoderTrainConfig(max_steps=12, spectral_fraction=0.0, **KW)
    res = neural.train(tones, config=CFG, train_config=tc, out_dir=tmp_path, progress=False)
    assert res["steps"] == 12 and "best" not in res
    assert not (tmp_path / "best.safetensors").exists()


def test_train_instrument_records_the_selection_in_the_card(tmp_path) -> None:
    import soundfile

    from partita.cli import main
    from partita.errors import ConfigError
    from partita.render.instrument_training import train_instrument

    rec = tmp_path / "recordings"
    rec.mkdir()
    for i, f in enumerate((220.0, 262.0, 330.0, 392.0, 494.0)):
        soundfile.write(rec / f"take{i}.wav", _tone(f, sample_rate=44100), 44100)
    out = tmp_path / "out"
    rc = main(["train-instrument", str(rec), "--name", "mine", "--minutes", "0.3", "--patience", "1", "--out", str(out),
               "--work", str(tmp_path / "work"), "--quiet"])  # fmt: skip
    assert rc == 0
    card = (out / "mine.md").read_text()
    assert "--patience 1" in card and "While the held-out loss improved (patience 1" in card
    header = load_weights(out / "mine.safetensors").header["training"]
    # 18 s: no validation in the regression stage before its share of the budget ran out
    assert header["stopped"] == {"regression": "its share of the budget", "spectral": "budget"}
    assert set(header["best"]) == {"spectral"} and header["best"]["spectral"][0] <= header["steps"]
    with pytest.raises(ConfigError, match="--patience 0"):
        train_instrument(rec, "mine", patience=0, out_dir=out)


def test_validations_every_n_steps_fall_on_the_same_steps_and_give_the_same_weights(tones, tmp_path) -> None:
    """``validate_every_steps`` (``--validate-every``): the validations come at whole multiples of
    N steps whatever the clock says (here the clock's interval never comes), so the plateaus, the
    best steps and the weights are those of any other run of the same settings."""
    kw = {**KW, "validate_every_s": 1e9}
    tc = neural.DecoderTrainConfig(max_steps=60, patience=2, min_improvement=0.3, spectral_fraction=0.0,
                                   validate_every_steps=4, **kw)  # fmt: skip
    runs = [neural.train(tones, config=CFG, train_config=tc, out_dir=tmp_path / str(k), progress=False) for k in range(2)]
    steps = [row[0] for row in runs[0]["curve"][:-1]]  # the last row: the run's end
    assert steps and all(s % 4 == 0 for s in steps) and steps == sorted(set(steps))
    assert runs[0]["steps"] < 60  # a plateau ended it: the validations came, every 4 steps
    assert [row[0] for row in runs[1]["curve"][:-1]] == steps and runs[1]["best"] == runs[0]["best"]
    a, b = (dict(r["model"].state_dict()) for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
