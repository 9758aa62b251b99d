#!/usr/bin/env bash
# Rebuild the analysed training data of the shipped neural decoders (data/neural/NAME/dataset.npz,
# git-ignored) without training: what benchmarks/bench_neural.py measures the held-out items of,
# and what a retraining reuses. The same settings as scripts/train_instruments.sh (3 minutes of
# FluidR3_GM audio, f0 by CREPE tiny, seed 0), so the data keys match the shipped cards'. About
# 80-130 s of one core per instrument; an instrument whose data is cached is read back at once.
#
#   nice -n 10 scripts/build_neural_data.sh [NAME ...]     # default: every shipped neural decoder
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" - "$@" <<'PY'
import sys
import time
from pathlib import Path

from partita.render.instrument_training import prepare_data
from partita.render.neural_infer import shipped_manifest

names = sys.argv[1:] or [k for k, e in shipped_manifest().items() if e.get("kind", "instrument-decoder") == "instrument-decoder"]
for name in names:
    t0 = time.monotonic()
    prepare_data(source="/usr/share/sounds/sf2/FluidR3_GM.sf2", name=name, data_minutes=3.0, seed=0, f0_method="crepe",
                 work_dir=Path("data/neural") / name)
    print(f"{name}: data/neural/{name}/dataset.npz ({time.monotonic() - t0:.0f} s)", flush=True)
PY
