"""Neural decoders against the designed timbres (and a GRU-512 DDSP baseline) on held-out notes.

For each instrument with shipped weights, the held-out items of its training data
(``data/neural/NAME/dataset.npz``, ``split == 1``: every fifth note or phrase rendered from
FluidR3_GM, never trained on) are re-synthesised from their *measured* controls (f0 and loudness
from the audio) by

* (a) ``neural``: the shipped decoder (numpy inference, numba kernels);
* (b) ``designed``: the hand-designed timbre of the instrument (``timbres.timbre_for``, with
  brightness 0.5 and noise 0.5, the performer's neutral values);
* (c) ``baseline`` (with ``--baseline``): a decoder built the way published PyTorch DDSP code
  builds it (``neural.BaselineGRUDecoder``: MLPs of 3 x 512, GRU of 512 units), trained on the
  same data with the same CPU budget (``--minutes``, 1 thread) and the same two-stage recipe;

and compared with the recording:

* ``spectral``: DDSP's multi-scale spectral loss (FFT 2048...64, linear + log magnitudes) at
  16 kHz, averaged over items (lower is better);
* ``f0_cents``: median absolute f0 error in cents of the rendered audio (YIN, as the dataset
  measures it) on voiced frames;
* ``loudness_db``: mean absolute A-weighted loudness error in dB on frames above -60 dB.

Usage::

    .venv/bin/python benchmarks/bench_neural.py [--baseline NAME ...] [--minutes 3]

writes ``benchmarks/results/neural.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _items(data):
    val = data["split"] == 1
    for item in np.unique(data["item"][val]):
        idx = np.nonzero(data["item"] == item)[0]
        yield idx


def _render(decoder, f0, loud, sample_rate=48000):
    from partita.render.controls import ControlCurves
    from partita.render.synth import synthesize

    n = len(f0)
    c = ControlCurves(part_id="x", voice=1, start_frame=0, frame_rate=250.0, f0_hz=f0, loudness_db=np.where(loud <= -100, -120.0, loud),
                      brightness=np.full(n, 0.5), noise=np.full(n, 0.5), seed=7)  # fmt: skip
    return synthesize(decoder.decode(c, sample_rate=sample_rate), sample_rate=sample_rate)[0][: n * 192]


class _TorchDecoder:
    """Wrap a torch decoder (the baseline) in the render decoder interface."""

    def __init__(self, model):
        self.model = model
        self.decoder_id = "baseline"

    def fingerprint(self):
        return "baseline"

    def decode(self, curves, *, sample_rate):
        import torch

        from partita.render.controls import SynthParams
        from partita.render.neural import torch_features
        from partita.render.neural_infer import heads_to_params

        with torch.no_grad():
            x = torch_features(torch.from_numpy(curves.f0_hz.astype(np.float32)), torch.from_numpy(curves.loudness_db.copy()))
            out = self.model(x[None])[0].numpy()
        cfg = self.model.config
        amp, dist, mags = heads_to_params(out, f0_hz=curves.f0_hz, loudness_db=curves.loudness_db, n_harmonics=cfg.n_harmonics,
                                          n_bands=cfg.n_bands, sample_rate=sample_rate, render_bands=17)  # fmt: skip
        return SynthParams(f0_hz=curves.f0_hz, amplitude=amp, harmonic_distribution=dist, noise_magnitudes=mags,
                           start_frame=curves.start_frame, frame_rate=curves.frame_rate, seed=curves.seed)  # fmt: skip


def evaluate(decoder, data) -> dict:
    import torch
    from scipy.signal import resample_poly

    from partita.render import dataset
    from partita.render.neural import spectral_loss

    spec, cents, loud_err = [], [], []
    first = next(iter(_items(data)))
    _render(decoder, data["f0_hz"][first], data["loudness_db"][first])  # warm-up: kernels, caches
    t_decode = 0.0
    n_frames = 0
    for idx in _items(data):
        f0 = data["f0_hz"][idx]
        loud = data["loudness_db"][idx]
        t0 = time.process_time()
        y48 = _render(decoder, f0, loud)
        t_decode += time.process_time() - t0
        n_frames += len(idx)
        ref16 = data["audio16"][idx[0] * 64 : (idx[-1] + 1) * 64]
        y16 = resample_poly(y48.astype(np.float64), 1, 3)[: len(ref16)]
        y16 = np.pad(y16, (0, len(ref16) - len(y16)))
        spec.append(float(spectral_loss(torch.from_numpy(y16[None]), torch.from_numpy(ref16[None].astype(np.float64)))))
        a = dataset.analyze(y48.astype(np.float32), sample_rate=48000)
        m = min(len(a["f0_hz"]), len(idx))
        w = (data["weight"][idx][:m] > 0) & (a["weight"][:m] > 0)
        if w.any():
            cents.append(np.abs(1200 * np.log2(a["f0_hz"][:m][w] / f0[:m][w])))
        la_ref = data["loudness_a_db"][idx][:m]
        sel = la_ref > -60
        if sel.any():
            loud_err.append(np.abs(a["loudness_a_db"][:m][sel] - la_ref[sel]))
    return {
        "spectral": round(float(np.mean(spec)), 4),
        "f0_cents": round(float(np.median(np.concatenate(cents))), 2) if cents else None,
        "loudness_db": round(float(np.mean(np.concatenate(loud_err))), 2) if loud_err else None,
        "items": len(spec),
        "cpu_s_per_1000_frames_render": round(1000 * t_decode / max(n_frames, 1), 4),
    }


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from partita.render import neural
    from partita.render.neural_infer import shipped_decoder, shipped_manifest
    from partita.render.timbres import timbre_for

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", nargs="*", default=[], help="instruments to train the GRU-512 baseline for")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    results = {}
    out_json = ROOT / "benchmarks/results/neural.json"
    if out_json.exists():
        results = json.loads(out_json.read_text()).get("instruments", {})
    for name, entry in shipped_manifest().items():
        if args.only and name not in args.only:
            continue
        cache = ROOT / "data/neural" / name / "dataset.npz"
        if not cache.exists():
            continue
        z = np.load(cache)
        data = {k: z[k] for k in z.files if k != "key"}
        row = {"params": entry["n_params"], "neural": evaluate(shipped_decoder(name), data),
               "designed": evaluate(timbre_for(name), data)}  # fmt: skip
        if name in args.baseline:
            cfg = neural.DecoderConfig(instrument=name)
            model = neural.BaselineGRUDecoder(cfg)
            tc = neural.TrainConfig(minutes=args.minutes, seed=0)
            t0 = time.process_time()
            res = neural.train(data, config=cfg, train_config=tc, out_dir=ROOT / "data/neural" / name / "baseline", model=model, progress=False)
            row["baseline"] = {**evaluate(_TorchDecoder(res["model"].eval()), data), "params": model.n_params(),
                               "steps": res["steps"], "train_cpu_s": round(time.process_time() - t0, 1)}  # fmt: skip
        elif name in results and "baseline" in results[name]:
            row["baseline"] = results[name]["baseline"]
        results[name] = row
        print(name, json.dumps(row))
    payload = {"machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores (shared)", "instruments": results}
    out_json.write_text(json.dumps(payload, indent=1) + "\n")
    lines = ["# Neural decoders vs designed timbres (held-out FluidR3_GM notes and phrases)", "",
             "Generated by `benchmarks/bench_neural.py`. Spectral: multi-scale spectral loss at 16 kHz (lower is better); "
             "f0: median |error| in cents; loudness: mean |A-weighted loudness error| in dB; CPU: decode + synthesis per "
             "1000 frames (4 s of audio) at 48 kHz.", "",
             "| instrument | neural spectral | designed spectral | baseline spectral | neural f0 c | designed f0 c | "
             "neural loud dB | designed loud dB | baseline loud dB | neural CPU s/1k fr | baseline CPU s/1k fr |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, r in sorted(results.items()):
        b = r.get("baseline", {})
        lines.append(f"| {name} | {r['neural']['spectral']} | {r['designed']['spectral']} | {b.get('spectral', '-')} | "
                     f"{r['neural']['f0_cents']} | {r['designed']['f0_cents']} | {r['neural']['loudness_db']} | "
                     f"{r['designed']['loudness_db']} | {b.get('loudness_db', '-')} | {r['neural']['cpu_s_per_1000_frames_render']} | "
                     f"{b.get('cpu_s_per_1000_frames_render', '-')} |")  # fmt: skip
    (ROOT / "benchmarks/results/neural.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
