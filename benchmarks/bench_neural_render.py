"""Inference cost of the neural decoders in the render benchmark's 3.5-minute, 8-part score.

The score is ``bench_render_stems.build_score()`` (flute, clarinet, horn, two violins, viola,
cello, piano; 210 s at 48 kHz). Two renders, each in a fresh subprocess with one worker and an
empty cache:

* ``designed``: every part with its designed timbre (``PARTITA_NO_NEURAL=1``);
* ``neural``: the default decoders, i.e. the shipped neural weights where they exist
  (``instruments/weights/manifest.json``) and the designed timbre elsewhere (the piano).

CPU time (user + system) of the render call is the cost; wall time is printed too (the machine
is shared). Target from the issue: the neural render of the whole score under 15 s.

A third subprocess times the decoders' forward pass alone on every neural phrase of the score
(the features the render feeds it): the numba kernel the render runs
(:func:`partita.render.neural_infer.forward`) against the numpy version it replaced (matrix
products per tap on OpenBLAS limited to one thread, kept as the reference in
``tests/test_neural_kernel.py``); CPU time, best of three, interleaved.

Usage::

    .venv/bin/python benchmarks/bench_neural_render.py

writes ``benchmarks/results/neural_render.json`` and ``.md``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

ROOT = Path(__file__).resolve().parents[1]


def _stems_bench():
    spec = importlib.util.spec_from_file_location("bench_render_stems", ROOT / "benchmarks/bench_render_stems.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def child(out: str) -> None:
    import partita
    from partita.render import warmup
    from partita.render.stems import _decoder_for

    score = _stems_bench().build_score()
    warmup()
    decoders = {p.id: _decoder_for(p, None) for p in score.parts}

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    result = partita.render(score, out, sample_rate=48000, workers=1, decoders=decoders, progress=False)
    print(json.dumps({"render_s": time.perf_counter() - t0, "render_cpu_s": cpu() - c0, "audio_s": result.duration_s,
                      "decoders": {k: d.decoder_id for k, d in decoders.items()}}))  # fmt: skip


def forward_child() -> None:
    from threadpoolctl import threadpool_limits

    from partita.render.neural_infer import NeuralDecoder, forward
    from partita.render.performance import perform_part
    from partita.render.stems import _decoder_for

    spec = importlib.util.spec_from_file_location("test_neural_kernel", ROOT / "tests/test_neural_kernel.py")
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    score = _stems_bench().build_score()
    phrases = []
    for p in score.parts:
        dec = _decoder_for(p, None)
        if isinstance(dec, NeuralDecoder):  # the piano's string model has weights but no forward pass
            phrases += [(dec.weights.arrays, dec.weights.config, dec.inputs(c)) for c in perform_part(p, score)]
    forward(*phrases[0])  # the kernel from numba's disk cache

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    times: dict[str, list[float]] = {"numba": [], "numpy": []}
    worst = 0.0
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(3):
            for name, fn in (("numba", forward), ("numpy", ref._numpy_forward)):
                c0 = cpu()
                for a, cfg, x in phrases:
                    fn(a, cfg, x)
                times[name].append(cpu() - c0)
        for a, cfg, x in phrases[::50]:
            got, want = forward(a, cfg, x), ref._numpy_forward(a, cfg, x)
            worst = max(worst, float(abs(got - want).max() / max(abs(want).max(), 1e-30)))
    print(json.dumps({"phrases": len(phrases), "frames": sum(len(x) for _, _, x in phrases),
                      "numba_cpu_s": min(times["numba"]), "numpy_cpu_s": min(times["numpy"]), "runs": times,
                      "max_rel_difference": worst}))  # fmt: skip


def main() -> None:
    rows = {}
    for mode in ("designed", "neural"):
        env = dict(os.environ)
        if mode == "designed":
            env["PARTITA_NO_NEURAL"] = "1"
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([sys.executable, __file__, "--child", tmp], capture_output=True, text=True, check=True, env=env)
        rows[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(mode, rows[mode])
    proc = subprocess.run([sys.executable, __file__, "--forward"], capture_output=True, text=True, check=True)
    rows["forward"] = f = json.loads(proc.stdout.strip().splitlines()[-1])
    print("forward", f)
    d, n = rows["designed"], rows["neural"]
    md = ["One worker, 48 kHz, empty cache, a fresh process per row.", "",
          "| decoders | render CPU s | render wall s | audio s |", "| --- | --- | --- | --- |",
          f"| designed | {d['render_cpu_s']:.2f} | {d['render_s']:.2f} | {d['audio_s']:.1f} |",
          f"| neural where shipped | {n['render_cpu_s']:.2f} | {n['render_s']:.2f} | {n['audio_s']:.1f} |", "",
          "Neural decoders used: " + ", ".join(f"{k}: {v}" for k, v in n["decoders"].items()), "",
          f"The forward pass alone, on the {f['phrases']} neural phrases ({f['frames']} frames) of the score, one thread:", "",
          "| forward pass | CPU s (best of 3) |", "| --- | --- |",
          f"| numba kernel (the render's) | {f['numba_cpu_s']:.2f} |",
          f"| numpy matrix products, OpenBLAS on one thread (before) | {f['numpy_cpu_s']:.2f} |", "",
          f"Largest difference between the two, relative to a phrase's largest output (every 50th phrase): {f['max_rel_difference']:.1e}."]  # fmt: skip
    write_results("neural_render", rows, md, title="Neural decoders in the 3.5-minute, 8-part render benchmark")

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "--forward":
        forward_child()
    else:
        main()
