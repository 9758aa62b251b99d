#!/usr/bin/env bash
# The main job. Until the composer and renderer land, it reads the bundled example score,
# describes it, and converts it to every format partita writes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/demo}
P=.venv/bin/partita
EXAMPLE=partita/examples/bwv66.6.musicxml
mkdir -p "$OUT"
"$P" info "$EXAMPLE"
for ext in mid mscx mscz mxl; do
    "$P" convert "$EXAMPLE" "$OUT/example.$ext"
done
"$P" info "$OUT/example.mscz" --json > "$OUT/example.info.json"
"$P" render "$EXAMPLE" -o "$OUT/render"   # one WAV stem per part in $OUT/render/stems, render.json
# the main job: prompt -> plan -> score -> stems -> mix -> REAPER project -> signed provenance,
# on the shipped composer weights, offline; then check the signed record
"$P" compose "a gentle folk tune for string quartet" -o "$OUT"
"$P" verify "$OUT"
echo "demo: wrote $OUT"
