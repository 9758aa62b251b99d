#!/usr/bin/env bash
# Make a fresh Debian machine ready for partita: system packages (when root), a virtual
# environment in .venv, torch's CPU wheel first, then the package with its extras.
# Idempotent: a stamp file keyed on pyproject.toml and this script makes a re-run take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PARTITA_VENV:-.venv}
PY=${PYTHON:-python3}

need_apt=()
command -v mscore3 >/dev/null 2>&1 || need_apt+=(musescore3)
command -v fluidsynth >/dev/null 2>&1 || need_apt+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || need_apt+=(fluid-soundfont-gm)
# the drum sampler's default kit is rendered from MuseScore_General (MIT) by fluidsynth on first use
[ -f /usr/share/sounds/sf3/MuseScore_General.sf3 ] || need_apt+=(musescore-general-soundfont-small)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)  # numba.pycc builds the render's kernels with it  # pronunciations the CMU dictionary lacks
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian packages: ${need_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "setup: warning: missing ${need_apt[*]} (run as root to install); tests that need them will fail" >&2
    fi
fi

# the package's bytecode, as a regular (non-editable) install writes it: a process that starts
# with PYTHONDONTWRITEBYTECODE set (as some CI images do) would otherwise compile ~70 modules
# from source at every start (0.1 s of each `partita` command). Up-to-date files are skipped.
compile_bytecode() {
    "$VENV/bin/python" -m compileall -q -j 0 partita symbolic render theory_rules instruments >/dev/null || true
    # the render's numba kernels, compiled ahead of time for this machine (partita.render.aot):
    # a render then starts without numba (0.5 s sooner); rebuilt when a kernel's source changed.
    # Without a C compiler the JIT runs them, as it always could.
    "$VENV/bin/python" -m partita.render.aot --if-stale --quiet \
        || echo "setup: warning: the kernels could not be built ahead of time; numba's JIT will run them" >&2
}

stamp="$VENV/.partita-setup"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
    compile_bytecode
    exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
# torch first, pinned: this takes the local CPU wheel; anything asking for plain torch later is satisfied.
pip install "torch==2.13.0"
pip install -e ".[render,train,voice,mix,batch,report,dev]"
compile_bytecode
echo "$want" > "$stamp"
echo "setup: ready ($VENV)"
