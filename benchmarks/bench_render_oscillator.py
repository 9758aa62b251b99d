"""Oscillator bank speed: partita's numba kernel against a PyTorch bank written like DDSP's.

Both render the same control frames (a glide with vibrato, 60 harmonics with 1/k amplitudes
that change every frame, 250 frames/s) to 48 kHz audio, on one core (NUMBA_NUM_THREADS=1,
torch.set_num_threads(1)). The PyTorch bank is the way published DDSP code writes it
(ddsp/core.py ``oscillator_bank``, and its PyTorch ports): linear upsampling of frequencies and
amplitudes to the sample rate, ``2 pi cumsum(f / sr)`` phase, ``sin`` over [samples, harmonics],
amplitudes above Nyquist zeroed, weighted sum -- in float32, as DDSP runs.

Usage::

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_render_oscillator.py

writes ``benchmarks/results/render_oscillator.json`` and ``.md``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SR = 48000
FRAME_RATE = 250.0
N_HARMONICS = 60
SECONDS = 10.0
REPEATS = 5


def controls() -> tuple[np.ndarray, np.ndarray]:
    n_frames = int(SECONDS * FRAME_RATE) + 1
    t = np.arange(n_frames) / FRAME_RATE
    f0 = 110.0 * 2 ** (t / SECONDS) * 2 ** (0.3 / 12 * np.sin(2 * np.pi * 5.5 * t))
    k = np.arange(1, N_HARMONICS + 1)
    amps = (0.1 / k)[None, :] * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))[:, None]
    return f0.astype(np.float32), amps.astype(np.float32)


def ours(f0: np.ndarray, amps: np.ndarray) -> np.ndarray:
    from partita.render.synth import harmonic_bank

    audio, _ = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=FRAME_RATE, sample_rate=SR)
    return audio[0]


def torch_ddsp(f0, amps, n_samples: int):
    """DDSP's oscillator bank, in PyTorch, float32."""
    import torch
    import torch.nn.functional as F

    f0_t = torch.from_numpy(f0)[None, None, :]  # [1, 1, frames]
    amps_t = torch.from_numpy(amps).T[None]  # [1, harmonics, frames]
    f0_up = F.interpolate(f0_t, size=n_samples, mode="linear", align_corners=True)[0, 0]  # [samples]
    amps_up = F.interpolate(amps_t, size=n_samples, mode="linear", align_corners=True)[0].T  # [samples, harm]
    k = torch.arange(1, amps.shape[1] + 1, dtype=torch.float32)
    freqs = f0_up[:, None] * k[None, :]  # [samples, harmonics]
    amps_up = amps_up * (freqs < SR / 2).float()
    omega = 2 * np.pi * torch.cumsum(f0_up / SR, dim=0)  # [samples]
    phases = omega[:, None] * k[None, :]
    return (torch.sin(phases) * amps_up).sum(dim=-1)


def best_of(fn, repeats: int = REPEATS) -> tuple[float, float]:
    """Best wall time and best CPU time (this process) of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> int:
    import torch

    torch.set_num_threads(1)
    from partita.render.synth import warmup

    warmup()
    f0, amps = controls()
    n = ours(f0, amps).size
    ours(f0, amps)
    torch_ddsp(f0, amps, n)
    t_ours, c_ours = best_of(lambda: ours(f0, amps))
    t_torch, c_torch = best_of(lambda: torch_ddsp(f0, amps, n))
    # the two banks agree: torch's cumsum includes the current sample, ours starts at phase 0,
    # so ours[n + 1] matches torch[n]; float32 torch phase drifts over 10 s: compare 50 ms
    a, b = ours(f0, amps)[1:2401], torch_ddsp(f0, amps, n).numpy()[:2400]
    result = {
        "benchmark": "oscillator bank, 48 kHz, 60 harmonics, one core",
        "command": "NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_render_oscillator.py",
        "samples": n,
        "seconds_of_audio": n / SR,
        "ours_s": t_ours,
        "torch_s": t_torch,
        "ours_msamples_per_s": n / t_ours / 1e6,
        "torch_msamples_per_s": n / t_torch / 1e6,
        "speedup_vs_torch": t_torch / t_ours,
        "ours_cpu_s": c_ours,
        "torch_cpu_s": c_torch,
        "ours_msamples_per_cpu_s": n / c_ours / 1e6,
        "torch_msamples_per_cpu_s": n / c_torch / 1e6,
        "speedup_vs_torch_cpu": c_torch / c_ours,
        "target_msamples_per_s": 40.0,
        "target_speedup": 25.0,
        "max_abs_difference_first_50ms_vs_torch": float(np.max(np.abs(a - b))),
        "repeats": REPEATS,
        "torch_version": torch.__version__,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": sys.version.split()[0],
    }
    md = [
        "| bank | wall time, 10 s of audio | M samples/s (wall) | CPU time | M samples/s (CPU) | ratio (wall / CPU) |",
        "|---|---|---|---|---|---|",
        f"| partita numba kernel | {t_ours * 1e3:.1f} ms | {result['ours_msamples_per_s']:.1f} | {c_ours * 1e3:.1f} ms | "
        f"{result['ours_msamples_per_cpu_s']:.1f} | {result['speedup_vs_torch']:.0f}x / {result['speedup_vs_torch_cpu']:.0f}x |",
        f"| PyTorch DDSP-style, float32 | {t_torch * 1e3:.1f} ms | {result['torch_msamples_per_s']:.2f} | {c_torch * 1e3:.1f} ms | "
        f"{result['torch_msamples_per_cpu_s']:.2f} | 1x |",
        "",
        f"Targets: >= 40 M samples/s and >= 25x PyTorch. Best of {REPEATS}; one core; torch {torch.__version__}.",
    ]
    write_results("render_oscillator", result, md, title="Oscillator bank: partita (numba) vs PyTorch DDSP-style",
                  command=result["command"])  # fmt: skip
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
