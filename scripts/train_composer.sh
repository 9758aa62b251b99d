#!/usr/bin/env bash
# How the shipped composer (symbolic/composer/weights/composer-small.safetensors) was trained, in
# resumable stages on a shared 2-core CPU (one torch thread). Each stage may be cut off at any
# moment and continued with the same command plus --resume. The corpus cache and the run
# folders live under data/ (git-ignored); the model card lists the stages and their times.
#
#   bash scripts/train_composer.sh stage3     # fine-tune the shipped weights on the full corpus
#   bash scripts/train_composer.sh ship       # export weights, manifest and card (after the benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export OMP_NUM_THREADS=1

case "${1:-}" in
stage1)  # session 1: a partial parse of the corpus (what was cached when parsing was cut off)
    nice -n 15 .venv/bin/partita train-composer --corpus music21:all --cached-only --threads 1 \
        --minutes 55 --steps 1600 --batch-size 6 --out data/composer/shipped --data-dir data/composer
    ;;
stage2)  # session 1: resumed from step 725 with the cosine decay ending at step 875
    nice -n 15 .venv/bin/partita train-composer --corpus music21:all --cached-only --threads 1 \
        --minutes 12 --steps 875 --batch-size 6 --out data/composer/shipped --data-dir data/composer --resume
    ;;
stage3)  # session 2: every file of every allowed collection, starting from the stage-2 weights.
    # Run as: `bash scripts/train_composer.sh stage3` (650 steps planned), cut deliberately at
    # step 125 once its speed (about 2 s a step) showed more steps fit the time, then
    # `RESUME=1 STEPS=1100 MINUTES=45 bash scripts/train_composer.sh stage3`.
    nice -n 5 .venv/bin/partita train-composer --corpus music21:all --workers 2 --threads 1 \
        --init "${INIT:-data/composer/shipped/last.safetensors}" \
        --minutes "${MINUTES:-70}" --steps "${STEPS:-650}" --batch-size 6 --lr 5e-4 \
        --out data/composer/full --data-dir data/composer ${RESUME:+--resume}
    ;;
bench)
    nice -n 5 $PY benchmarks/bench_composer.py --weights data/composer/full/last.safetensors
    ;;
ship)
    $PY -m partita.symbolic.composer.card data/composer/full/last.safetensors \
        --command "$(sed -n '/^stage1)/,/^bench)/p' "$0" | grep -v '^bench)')" \
        --bench benchmarks/results/composer.json
    ;;
*)
    echo "usage: $0 stage1|stage2|stage3|bench|ship" >&2
    exit 2
    ;;
esac
