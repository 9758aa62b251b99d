#!/usr/bin/env bash
# Train the shipped harmonic-plus-noise decoders (instruments/weights/), one instrument at a
# time, on CPU: the 12 orchestral ones (sessions 1-5) and the band's wind and reed instruments
# (session 6: organ, accordion, the saxophones, tin whistle, piccolo, english horn, recorder,
# harmonica; those were trained with --out data/neural/new_weights and copied in, which their
# cards' commands show).
# Session 10 retrained all 23 at the new default width, 32 channels, in two lanes of this loop
# with --out data/neural/w32 and copied them in (their cards' commands show it); session 11
# retrained 15 of them for 10 minutes (MINUTES=10, --out data/neural/w32long); session 12 trained
# the trumpet, alto sax, clarinet and horn, session 13 the organ and accordion, and session 14
# the cello, flute, contrabass, english horn and tenor sax, while their held-out loss improved (MINUTES=30 PATIENCE=9,
# --out data/neural/p30). Session 15 trained the benchmark score's six (violin, viola, cello,
# flute, clarinet, horn) from FluidR3_GM and MuseScore_General together at 24 channels
# (TWO_SOUNDFONTS=1 CHANNELS=24 MINUTES=30 PATIENCE=9: 3 minutes of each soundfont, the work in
# data/neural/ms2_NAME, --out data/neural/ms2c24); the violin's was installed. Session 16 trained the
# flute, viola, cello and horn from FluidR3_GM alone at 24 channels (CHANNELS=24 MINUTES=30 PATIENCE=9,
# --work data/neural/c24_NAME, --out data/neural/c24) and installed them. Each card's command is the
# one that made its file.
#
#   nohup nice -n 10 scripts/train_instruments.sh > data/neural/logs/train_instruments.log 2>&1 &
#
# Each instrument: 3 minutes of FluidR3_GM audio rendered and analysed (f0 by CREPE tiny;
# cached in data/neural/NAME/dataset.npz), then 3 minutes of training with 1 torch thread.
# Writes NAME.safetensors, NAME.md and manifest.json in instruments/weights/. Per-instrument
# logs go to data/neural/logs/NAME.log. Usage: scripts/train_instruments.sh [NAME ...]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PARTITA=${PARTITA:-.venv/bin/partita}
SF2=/usr/share/sounds/sf2/FluidR3_GM.sf2
MINUTES=${MINUTES:-3}
PATIENCE=${PATIENCE:-}  # a number of validations: train while the held-out loss improves (docs/neural_renderers.md)
CHANNELS=${CHANNELS:-}  # the network's width (default: train-instrument's)
TWO_SOUNDFONTS=${TWO_SOUNDFONTS:-}  # 1: FluidR3_GM and MuseScore_General together, 3 minutes of each
SF3=/usr/share/sounds/sf3/MuseScore_General.sf3
NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
    NAMES=(violin viola cello contrabass flute oboe clarinet bassoon horn trumpet trombone tuba
           organ accordion soprano_sax alto_sax tenor_sax baritone_sax tin_whistle piccolo english_horn recorder harmonica)
fi
mkdir -p data/neural/logs
for name in "${NAMES[@]}"; do
    echo "$(date -u +%FT%TZ) $name: start (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ -n "$TWO_SOUNDFONTS" ]; then
        sources=("$SF2" "$SF3"); data=(--data-minutes 6 --work "data/neural/ms2_$name")
    else
        sources=("$SF2"); data=(--data-minutes 3)
    fi
    "$PARTITA" train-instrument "${sources[@]}" --name "$name" --minutes "$MINUTES" ${PATIENCE:+--patience "$PATIENCE"} \
        ${CHANNELS:+--channels "$CHANNELS"} "${data[@]}" --out instruments/weights --f0 crepe --quiet \
        > "data/neural/logs/$name.log" 2>&1
    echo "$(date -u +%FT%TZ) $name: done -> $(tail -n 1 "data/neural/logs/$name.log")"
done
