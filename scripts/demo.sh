#!/usr/bin/env bash
# The main job: a one-line prompt -> plan -> score -> stems -> mix -> REAPER project -> signed
# provenance, on the shipped composer and instrument weights, offline; then the signed record
# is checked. Everything lands in OUT (default out/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/demo}
P=.venv/bin/partita
"$P" compose "a gentle folk tune for string quartet" -o "$OUT"
"$P" verify "$OUT"
