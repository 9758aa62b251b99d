#!/usr/bin/env bash
# Fit the shipped string models (instruments/weights/) of the struck and plucked instruments (and the
# harpsichord, clavinet and electric piano, whose plucked strings and struck tines the model fits) from
# FluidR3_GM, one after another, on one CPU core: `partita train-instrument` picks the string model
# for these instruments by their family (docs/neural_renderers.md). About 20-60 s each. The struck
# bars, tubular bells and timpani fit the modal ("bars") family: modes at learned ratios to the pitch.
#
#   nice -n 10 scripts/train_string_models.sh [NAME ...]
#
# NAME:PROGRAM fits that GM program instead of the catalog's (the acoustic guitar from FluidR3's
# steel-string guitar, 25; the catalog's program 24 is the nylon-string guitar's).
# Writes NAME.safetensors, NAME.md and manifest.json in instruments/weights/.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PARTITA=${PARTITA:-.venv/bin/partita}
SF2=/usr/share/sounds/sf2/FluidR3_GM.sf2
NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
    NAMES=(piano acoustic_guitar:25 nylon_guitar electric_guitar electric_bass acoustic_bass harp banjo mandolin ukulele
           harpsichord clavinet electric_piano celesta glockenspiel vibraphone marimba xylophone tubular_bells timpani)
fi
for spec in "${NAMES[@]}"; do
    name=${spec%%:*}
    program=()
    if [ "$spec" != "$name" ]; then program=(--program "${spec#*:}"); fi
    echo "$(date -u +%FT%TZ) $name: start (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$PARTITA" train-instrument "$SF2" --name "$name" "${program[@]}" --out instruments/weights --quiet
done
