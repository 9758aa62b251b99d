#!/usr/bin/env bash
# Build the documentation site (docs/ plus the API reference from the docstrings) into site/,
# or into the folder given as $1. The package installs from five folders (pyproject.toml's
# package-dir); mkdocstrings reads sources statically, so it gets the package as it installs:
# build/api-src/partita, a tree of links (partita/* plus symbolic, theory_rules, instruments and
# render under it). Nothing is imported.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-site}
VENV=${PARTITA_VENV:-.venv}
src=build/api-src/partita
rm -rf build/api-src
mkdir -p "$src"
for f in partita/*; do ln -s "$PWD/$f" "$src/"; done
for d in symbolic theory_rules instruments render; do ln -s "$PWD/$d" "$src/$d"; done
"$VENV/bin/mkdocs" build --quiet --site-dir "$OUT"
