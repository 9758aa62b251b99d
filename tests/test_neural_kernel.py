"""The decoder's numba forward pass against two independent references: torch's CausalDecoder
on the same weights, and the numpy matrix-product version the renderer used before."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from partita.render import neural
from partita.render.neural_infer import forward
from partita.render.neural_kernel import forward_packed, pack

torch.set_num_threads(1)


def _model(seed: int, **config) -> neural.CausalDecoder:
    torch.manual_seed(seed)
    m = neural.CausalDecoder(neural.DecoderConfig(instrument="flute", **config))
    with torch.no_grad():  # a head that matters (the default starts near zero)
        m.head.weight.normal_(0, 0.3)
        m.head.bias.normal_(0, 0.3)
    return m


def _arrays(m: neural.CausalDecoder) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().astype(np.float32) for k, v in m.state_dict().items()}


def _numpy_forward(arrays, config, x):
    """The numpy version (matrix products per tap), as the renderer ran it before the kernel."""
    k = int(config["kernel_size"])
    h = x @ arrays["inp.weight"][:, :, 0].T + arrays["inp.bias"]
    n = h.shape[0]
    for i, d in enumerate(config["dilations"]):
        w = arrays[f"blocks.{i}.conv.weight"]
        y = np.broadcast_to(arrays[f"blocks.{i}.conv.bias"], h.shape).copy()
        for j in range(k):
            lag = (k - 1 - j) * int(d)
            if lag < n:
                y[lag:] += h[: n - lag] @ w[:, :, j].T
        np.maximum(y, 0.0, out=y)
        h = h + (y @ arrays[f"blocks.{i}.mix.weight"][:, :, 0].T + arrays[f"blocks.{i}.mix.bias"])
    return h @ arrays["head.weight"][:, :, 0].T + arrays["head.bias"]


def _features(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 250.0
    return np.stack([0.3 * np.sin(2 * np.pi * 0.7 * t), rng.uniform(-2, 1, n), 1 - np.exp(-t / 0.2)], 1).astype(np.float32)


@pytest.mark.parametrize(("config", "n"), [
    ({}, 700),  # the shipped shape: 64 channels, kernel 3, dilations 1..32
    ({}, 1), ({}, 5), ({}, 63),  # shorter than the tile, than the receptive field
    ({"channels": 24, "kernel_size": 2, "dilations": (3, 1, 7)}, 101),
    ({"channels": 40, "kernel_size": 4, "dilations": (1, 2)}, 33),
])  # fmt: skip
def test_kernel_equals_torch_causal_decoder(config, n) -> None:
    m = _model(n, **config)
    x = _features(n, seed=n)
    with torch.no_grad():
        ref = m(torch.from_numpy(x)[None])[0].numpy()
        ref64 = copy.deepcopy(m).double()(torch.from_numpy(x.astype(np.float64))[None])[0].numpy()
    cfg = m.config.to_dict()
    got = forward(_arrays(m), cfg, x)
    assert got.shape == ref.shape and got.dtype == np.float32
    scale = np.abs(ref64).max()
    # float32 sums in another order than torch's: within float32 rounding of the float64 result
    assert np.abs(got - ref64).max() <= 2e-5 * scale
    assert np.abs(ref - ref64).max() <= 2e-5 * scale  # (torch's own float32 error, for scale)
    assert np.abs(got - _numpy_forward(_arrays(m), cfg, x)).max() <= 2e-5 * scale


def test_kernel_zero_pads_each_phrase_start() -> None:
    # a phrase's first frames do not see anything before it: the head of a longer input
    # equals the same frames run alone
    m = _model(3)
    arrays, cfg = _arrays(m), m.config.to_dict()
    x = _features(300)
    whole = forward(arrays, cfg, x)
    assert np.array_equal(forward(arrays, cfg, x[:130]), whole[:130])


def test_kernel_is_the_same_in_any_thread() -> None:
    m = _model(4)
    w = pack(_arrays(m), m.config.to_dict())
    xs = [_features(400 + 37 * i, seed=i) for i in range(8)]
    alone = [forward_packed(w, x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda x: forward_packed(w, x), xs * 3))
    for i, got in enumerate(together):
        assert np.array_equal(got, alone[i % len(xs)])


def test_pack_refuses_weights_that_do_not_match_the_config() -> None:
    m = _model(5)
    cfg = {**m.config.to_dict(), "kernel_size": 2}
    with pytest.raises(ValueError, match="taps"):
        pack(_arrays(m), cfg)


def test_stems_are_bit_identical_whatever_the_number_of_threads(tmp_path) -> None:
    # shipped neural decoders on four parts that render side by side
    from partita.render.neural_infer import shipped_decoder
    from partita.render.stems import render
    from partita.symbolic.score import Note, Part, Score

    instruments = ("violin", "viola", "cello", "flute")
    assert all(shipped_decoder(i) is not None for i in instruments)
    parts = tuple(
        Part(i, i.title(), i, notes=tuple(Note(k, 1, base + (k * 7) % 12, slur="start" if k % 4 == 0 else "stop" if k % 4 == 3 else "continue")
                                              for k in range(16)))
        for i, base in zip(instruments, (72, 60, 45, 79))
    )  # fmt: skip
    score = Score(parts=parts)
    runs = {w: render(score, tmp_path / str(w), sample_rate=24000, progress=False, workers=w) for w in (1, 2, 4, None)}
    hashes = {w: [s.sha256 for s in r.stems] for w, r in runs.items()}
    assert hashes[1] == hashes[2] == hashes[4] == hashes[None]
    assert len(set(hashes[1])) == len(parts)  # four different stems, not four silences
