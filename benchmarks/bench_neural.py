"""Neural decoders against the designed timbres (and a GRU-512 DDSP baseline) on held-out notes.

For each instrument with shipped weights, the held-out items of its training data
(``data/neural/NAME/dataset.npz``, ``split == 1``: every fifth note or phrase rendered from
FluidR3_GM, never trained on) are re-synthesised from their *measured* controls (f0 by CREPE and
RMS level from the audio) the way the renderer drives a decoder: the A-weighted loudness input
comes from the decoder's calibration of the RMS level and the onsets from the detector on the
controls, as for the performer's curves. Decoders:

* (a) ``neural``: the shipped decoder (numpy inference, numba kernels);
* (b) ``designed``: the hand-designed timbre of the instrument (``timbres.timbre_for``, with
  brightness 0.5 and noise 0.5, the performer's neutral values);
* ``sawtooth``: a plain sawtooth of the same pitch and level (harmonic k at 1/k, no noise), the
  floor a trained decoder must beat;
* (c) ``baseline`` (with ``--baseline``): a decoder built the way published PyTorch DDSP code
  builds it (``neural.BaselineGRUDecoder``: MLPs of 3 x 512, GRU of 512 units), trained on the
  same data with the same CPU budget (``--minutes``, 1 thread) and the same two-stage recipe, with
  the same inputs (pitch, calibrated A-weighted loudness, onset feature) and its own calibration;

and compared with the recording:

* ``spectral``: DDSP's multi-scale spectral loss (FFT 2048...64, linear + log magnitudes) at
  16 kHz, averaged over items (lower is better);
* ``f0_cents``: median absolute f0 error in cents of the rendered audio (measured by
  ``dataset.analyze`` with YIN: CREPE would triple the benchmark's time; the reference f0 is
  the training data's, CREPE refined by YIN) on voiced frames;
* ``loudness_db``: mean absolute A-weighted loudness error in dB on frames above -60 dB;
* ``cpu_s_per_1000_frames_decode``: CPU seconds of the decoder alone (network and heads, no
  synthesis) per 1000 frames: the inference-cost ratio (numpy for ours, torch with one thread
  for the baseline); ``..._render`` adds the numba synthesis at 48 kHz.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_neural.py [--baseline NAME ...] [--minutes 3] [--only NAME ...]

writes ``benchmarks/results/neural.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import sys
import json
import time
from pathlib import Path

from _results import provenance, write_results  # benchmarks/ is sys.path[0] when a benchmark runs

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
    """Wrap a torch decoder (the baseline) in the render decoder interface, with the same inputs
    as :class:`NeuralDecoder` (calibrated A-weighted loudness, onset feature)."""

    def __init__(self, model, calibration):
        self.model = model
        self.coef = calibration["loudness_a"]["coef"]
        self.decoder_id = "baseline"

    def fingerprint(self):
        return "baseline"

    def inputs(self, curves):
        from partita.render.neural_infer import calibrated_loudness_a, features, onset_feature

        la = calibrated_loudness_a(curves.loudness_db, curves.f0_hz, self.coef)
        return features(curves.f0_hz, la, onset_feature(curves.f0_hz, curves.loudness_db, frame_rate=curves.frame_rate))

    def decode(self, curves, *, sample_rate):
        import torch

        from partita.render.controls import SynthParams
        from partita.render.neural_infer import heads_to_params

        with torch.no_grad():
            out = self.model(torch.from_numpy(self.inputs(curves))[None])[0].numpy()
        cfg = self.model.config
        amp, dist, mags = heads_to_params(out, f0_hz=curves.f0_hz, loudness_db=curves.loudness_db, n_harmonics=cfg.n_harmonics,
                                          n_bands=cfg.n_bands, sample_rate=sample_rate, render_bands=17)  # fmt: skip
        return SynthParams(f0_hz=curves.f0_hz, amplitude=amp, harmonic_distribution=dist, noise_magnitudes=mags,
                           start_frame=curves.start_frame, frame_rate=curves.frame_rate, seed=curves.seed)  # fmt: skip


def _curves(f0, loud):
    from partita.render.controls import ControlCurves

    n = len(f0)
    return ControlCurves(part_id="x", voice=1, start_frame=0, frame_rate=250.0, f0_hz=f0, loudness_db=np.where(loud <= -100, -120.0, loud),
                         brightness=np.full(n, 0.5), noise=np.full(n, 0.5), seed=7)  # fmt: skip


def evaluate(decoder, data) -> dict:
    import torch
    from scipy.signal import resample_poly

    from partita.render import dataset
    from partita.render.neural_losses import spectral_loss

    spec, cents, loud_err, upper = [], [], [], []
    first = next(iter(_items(data)))
    _render(decoder, data["f0_hz"][first], data["loudness_db"][first])  # warm-up: kernels, caches
    t_decode = 0.0
    t_net = 0.0
    n_frames = 0
    for idx in _items(data):
        f0 = data["f0_hz"][idx]
        loud = data["loudness_db"][idx]
        t0 = time.process_time()
        decoder.decode(_curves(f0, loud), sample_rate=48000)
        t1 = time.process_time()
        y48 = _render(decoder, f0, loud)
        t_decode += time.process_time() - t1
        t_net += t1 - t0
        n_frames += len(idx)
        ref16 = data["audio16"][idx[0] * 64 : (idx[-1] + 1) * 64]
        y16 = resample_poly(y48.astype(np.float64), 1, 3)[: len(ref16)]
        y16 = np.pad(y16, (0, len(ref16) - len(y16)))
        spec.append(float(spectral_loss(torch.from_numpy(y16[None]), torch.from_numpy(ref16[None].astype(np.float64)))))
        a = dataset.analyze(y48.astype(np.float32), sample_rate=48000, f0_method="yin")  # YIN: CREPE would triple the cost
        m = min(len(a["f0_hz"]), len(idx))
        w = (data["weight"][idx][:m] > 0) & (a["weight"][:m] > 0)
        if w.any():
            cents.append(np.abs(1200 * np.log2(a["f0_hz"][:m][w] / f0[:m][w])))
        la_ref = data["loudness_a_db"][idx][:m]
        sel = la_ref > -60
        if sel.any():
            loud_err.append(np.abs(a["loudness_a_db"][:m][sel] - la_ref[sel]))
        hi = _upper_share_db(a["harm_log"][:m][w], data["harm_log"][idx][:m][w], f0[:m][w])
        if hi is not None:
            upper.append(hi)
    return {
        "spectral": round(float(np.mean(spec)), 4),
        "f0_cents": round(float(np.median(np.concatenate(cents))), 2) if cents else None,
        "loudness_db": round(float(np.mean(np.concatenate(loud_err))), 2) if loud_err else None,
        "upper_db": round(float(np.mean(upper)), 2) if upper else None,
        "upper_items": len(upper),
        "items": len(spec),
        "cpu_s_per_1000_frames_render": round(1000 * t_decode / max(n_frames, 1), 4),
        "cpu_s_per_1000_frames_decode": round(1000 * t_net / max(n_frames, 1), 5),
    }


from partita.render.neural import UPPER_HZ  # noqa: E402  (the band the 16 kHz spectral loss cannot hear, as training defines it)

UPPER_FLOOR_DB = -60.0


def _upper_share_db(harm_log, ref_harm_log, f0):
    """|difference| in dB between the render's and the recording's share of harmonic energy above
    UPPER_HZ (over the frames given, voiced in both): the brightness the 16 kHz loss cannot see.
    Both are ``dataset.analyze``'s harmonic amplitudes (a 4096-point STFT at 48 kHz, up to 60
    harmonics below 23 kHz), each share floored at UPPER_FLOOR_DB (as the training's distribution
    loss floors a harmonic 60 dB below the total: a bassoon's share there is -60 to -110 dB, and
    differences so far down are inaudible); None where the recording has no harmonic above
    UPPER_HZ."""
    if not len(f0):
        return None
    k = np.arange(1, ref_harm_log.shape[1] + 1)
    above = (f0[:, None] * k[None, :] >= UPPER_HZ) & (f0[:, None] * k[None, :] < 0.96 * 24000.0)
    if not above.any():
        return None

    def share(h):
        e = np.exp(2.0 * h.astype(np.float64))
        return max(10 * np.log10(max(float(e[above].sum()), 1e-30) / float(e.sum())), UPPER_FLOOR_DB)

    return abs(share(harm_log) - share(ref_harm_log))


def _sawtooth():
    """A plain sawtooth (harmonic k at 1/k) of the same pitch and level, through the designed
    timbres' level convention, with no brightness, formant, lowpass or noise: the floor a trained
    decoder must beat (#13)."""
    from partita.render.timbres import DesignedTimbre

    return DesignedTimbre("sawtooth", tilt=1.0, tilt_per_brightness=0.0, tilt_per_10db=0.0, lowpass_hz=1e6, noise_db=-200.0)


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from partita.render import neural
    from partita.render.neural_infer import shipped_decoder, shipped_manifest
    from partita.render.timbres import timbre_for

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", nargs="*", default=[], help="instruments to train the GRU-512 baseline for")
    ap.add_argument("--minutes", type=float, default=240.0,
                    help="a cap on the baseline's training time; it trains for as many steps as the shipped decoder did "
                         "(its card's 'Steps'), so the comparison is at equal steps, not equal minutes")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-eval", action="store_true", help="only the baselines (another process evaluates neural and designed)")
    args = ap.parse_args()
    # the neural decoders (string models: benchmarks/bench_string_models.py)
    manifest = {k: e for k, e in shipped_manifest().items() if e.get("kind", "instrument-decoder") == "instrument-decoder"}
    wanted = [n for n in manifest if not args.only or n in args.only]
    missing = [n for n in wanted if not (ROOT / "data/neural" / n / "dataset.npz").exists()]
    if missing:  # the held-out data is git-ignored: without it there is nothing to measure
        sys.exit(f"bench_neural: no analysed data for {', '.join(missing)} (data/neural/NAME/dataset.npz, "
                 "git-ignored): build it first with scripts/build_neural_data.sh, or pass --only with the "
                 "instruments that have it")  # fmt: skip
    # Partial results per instrument in data/neural/NAME/bench_{eval,baseline}.json (two processes
    # can share the work); the report is rebuilt from them at the end of every run.
    for name, entry in manifest.items():
        if args.only and name not in args.only:
            continue
        cache = ROOT / "data/neural" / name / "dataset.npz"
        if not cache.exists():
            continue
        z = np.load(cache)
        data = {k: z[k] for k in z.files if k != "key"}
        key = str(z["key"])  # the dataset's hash: results of other data (older analysis) are not reused
        if not args.no_eval:
            row = {"params": entry["n_params"], "sha256": entry["sha256"], "data_key": key,
                   "neural": evaluate(shipped_decoder(name), data), "designed": evaluate(timbre_for(name), data),
                   "sawtooth": evaluate(_sawtooth(), data)}  # fmt: skip
            row["provenance"] = provenance()  # this part's own command, commit, load (several runs make one report)
            (ROOT / "data/neural" / name / "bench_eval.json").write_text(json.dumps(row, indent=1))
            print(name, json.dumps(row), flush=True)
        if name in args.baseline:
            cfg = neural.DecoderConfig(instrument=name)
            model = neural.BaselineGRUDecoder(cfg)
            steps, switch = _shipped_schedule(entry)
            # the shipped decoder's schedule in steps: as many steps, the spectral stage from the same step
            tc = neural.DecoderTrainConfig(minutes=args.minutes, seed=0, max_steps=steps, spectral_from_step=switch, validate_every_s=300.0)
            t0 = time.process_time()
            load0 = " ".join(open("/proc/loadavg").read().split()[:3])
            work = ROOT / "data/neural" / name / "baseline"
            resumed = (work / "checkpoint.safetensors").exists()  # a run cut short continues where it stopped
            res = neural.train(data, config=cfg, train_config=tc, out_dir=work, model=model, progress=False, resume=resumed)
            row = {"data_key": key, **evaluate(_TorchDecoder(res["model"].eval(), res["calibration"]), data), "params": model.n_params(),
                   "steps": res["steps"], "spectral_from_step": switch, "train_s": round(res["seconds"], 1),
                   "train_cpu_s_this_run": round(time.process_time() - t0, 1), "resumed": resumed, "load_at_start": load0}  # fmt: skip
            row["provenance"] = provenance()
            (ROOT / "data/neural" / name / "bench_baseline.json").write_text(json.dumps(row, indent=1))
            print(name, "baseline", json.dumps(row), flush=True)
    results = {}
    parts: dict[str, list[str]] = {}  # command and commit of each run that measured a part of the table
    for name, entry in sorted(manifest.items()):
        ev = _read(ROOT / "data/neural" / name / "bench_eval.json")
        if ev.get("sha256") != entry["sha256"]:
            continue
        bl = _read(ROOT / "data/neural" / name / "bench_baseline.json")
        if bl and bl.get("data_key") == ev["data_key"]:
            ev["baseline"] = bl
        for what, row in (("neural and designed", ev), ("baseline", bl if "baseline" in ev else {})):
            prov = row.get("provenance")
            if prov:  # one line per run (command and commit), with the date of its first row
                run = parts.setdefault(f"`{prov['command']}` (commit {prov['commit'][:12]}, load "
                                       f"{' '.join(map(str, prov['load_average_start']))} at its start)", [])
                run.append(f"{name} {what} ({prov['date']})")
        ev["steps"] = _shipped_steps(entry)
        results[name] = ev
    if not results:
        sys.exit("bench_neural: no measured rows for the shipped decoders (data/neural/NAME/bench_eval.json); nothing written")
    lines = ["This report assembles the rows that earlier runs of this script measured and kept in "
             "data/neural/NAME/bench_eval.json and bench_baseline.json (the evaluation and each baseline may run in "
             "separate processes, and a baseline resumes across runs). The runs:", "",
             *[f"- {cmd}: {', '.join(what)}" for cmd, what in parts.items()], "",
             "Spectral: DDSP's multi-scale spectral loss at 16 kHz (lower is better); f0: median |error| in cents "
             "of the rendered audio (YIN); loudness: mean |A-weighted loudness error| in dB; above 8 kHz: mean over items of the "
             "|difference| in dB between the render's and the recording's share of harmonic energy above 8 kHz (harmonic "
             "amplitudes from a 4096-point STFT at 48 kHz, voiced frames; items with a harmonic there; each share floored at -60 dB), the brightness the "
             "16 kHz spectral loss cannot see; decode CPU: the decoder alone (network and "
             "heads) per 1000 frames (4 s of audio). Ratios are baseline / neural. Steps: training steps of the shipped decoder "
             "(its model card) and of the baseline, which trains with the same data, inputs and recipe for the same number of "
             "steps, its spectral stage from the same step (capped by --minutes; a baseline that hit the cap shows fewer steps; "
             "an interrupted run resumes from its checkpoint). Instruments without a baseline column were not given one.", "",
             "| instrument | neural spectral | designed spectral | sawtooth spectral | baseline spectral | neural f0 c | designed f0 c | baseline f0 c | "
             "neural loud dB | designed loud dB | baseline loud dB | neural >8k dB | designed >8k dB | sawtooth >8k dB | neural decode CPU s/1k fr | baseline decode CPU s/1k fr | "
             "params ratio | decode cost ratio | steps neural / baseline |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, r in sorted(results.items()):
        b = r.get("baseline", {})
        nd = r["neural"].get("cpu_s_per_1000_frames_decode")
        bd = b.get("cpu_s_per_1000_frames_decode")
        pr = f"{b['params'] / r['params']:.1f}" if b else "-"
        cr = f"{bd / nd:.1f}" if (b and nd and bd) else "-"
        lines.append(f"| {name} | {r['neural']['spectral']} | {r['designed']['spectral']} | {r.get('sawtooth', {}).get('spectral', '-')} | {b.get('spectral', '-')} | "
                     f"{r['neural']['f0_cents']} | {r['designed']['f0_cents']} | {b.get('f0_cents', '-')} | {r['neural']['loudness_db']} | "
                     f"{r['designed']['loudness_db']} | {b.get('loudness_db', '-')} | {r['neural'].get('upper_db', '-')} | "
                     f"{r['designed'].get('upper_db', '-')} | {r.get('sawtooth', {}).get('upper_db', '-')} | {nd} | {bd if bd is not None else '-'} | {pr} | {cr} | "
                     f"{r.get('steps')} / {b.get('steps', '-')} |")  # fmt: skip
    write_results("neural", {"instruments": results}, lines,
                  title="Neural decoders vs designed timbres and a GRU-512 baseline (held-out FluidR3_GM notes and phrases)")


def _shipped_steps(entry: dict) -> int | None:
    """Training steps of a shipped decoder, from its model card."""
    import re

    m = re.search(r"Steps: (\d+)", (ROOT / "instruments/weights" / entry["card"]).read_text())
    return int(m.group(1)) if m else None


def _shipped_schedule(entry: dict) -> tuple[int, int]:
    """(steps, the step its spectral stage began) of a shipped decoder, from its model card.

    The shipped decoders switched stage on the clock (at ``1 - spectral fraction`` of the
    budget); the card's curve gives (step, seconds) every 20 s, and the switch step is the last
    regression row's step plus the seconds to the switch at that row's rate."""
    import re

    card = (ROOT / "instruments/weights" / entry["card"]).read_text()
    steps = _shipped_steps(entry)
    budget = re.search(r"Training: ([\d.]+) min budget", card)
    frac = re.search(r"for the last (\d+) % of the time", card)
    rows = [(int(a), float(b)) for a, b in re.findall(r"^\| (\d+) \| ([\d.]+) \|", card, flags=re.M)]
    if steps is None or not budget or not frac or len(rows) < 2:
        sys.exit(f"bench_neural: {entry['card']} has no steps, budget or curve to match the baseline's schedule to")
    t_switch = float(budget.group(1)) * 60.0 * (1 - int(frac.group(1)) / 100)
    before = [r for r in rows if r[1] <= t_switch]
    (s0, t0), (s1, t1) = before[-2], before[-1]
    return steps, min(steps, int(round(s1 + (t_switch - t1) * (s1 - s0) / (t1 - t0))))


if __name__ == "__main__":
    main()
