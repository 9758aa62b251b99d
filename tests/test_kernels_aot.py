"""The render's kernels compiled ahead of time (``python -m partita.render.aot``, run by
scripts/setup.sh): a render through them is the JIT's bit for bit, never imports numba, and any
kernel the build does not cover -- an edited module, argument types it did not see -- goes to the
JIT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = r'''
import json, sys
from partita.render import jit
for name in sys.argv[2:]:  # modules to treat as edited since the build
    jit._digests[name] = "0" * 64
from partita.render.stems import render
from partita.symbolic.score import Note, Part, Score
pizz = frozenset({"pizzicato"})
parts = (
    Part("fl", "Flute", "flute", notes=tuple(Note(i, 1, 72 + i % 3) for i in range(4))),
    Part("vn", "Violin", "violin", notes=tuple(Note(i, 1, 67, articulations=pizz if i % 2 else frozenset()) for i in range(4))),
    Part("pf", "Piano", "piano", notes=(Note(0, 2, 60), Note(0, 2, 64), Note(2, 2, 67))),
    Part("t", "Tenor", "tenor", notes=(Note(0, 2, 57, lyric="la"), Note(2, 2, 59, lyric="lo"))),
    Part("ob", "Oboe", "oboe", notes=(Note(0, 3, 70),)),
)
result = render(Score(parts=parts), sys.argv[1], progress=False, workers=2)
from partita.render import synth
print(json.dumps({"stems": [s.sha256 for s in result.stems], **jit.aot_status(), "numba": "numba" in sys.modules,
                  "synth_kernel": type(synth._harmonic_kernel).__name__,
                  "synth_built": bool(getattr(synth._harmonic_kernel, "_table", None))}))
'''


def _render(tmp_path: Path, name: str, *edited: str, jit: bool = False) -> dict:
    env = {**os.environ, "PARTITA_JIT": "1" if jit else "0"}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / name), *edited], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_ahead_of_time_kernels_render_the_jits_audio_without_numba(tmp_path):
    aot = _render(tmp_path, "aot")
    jit = _render(tmp_path, "jit", jit=True)
    assert aot["extension"], "scripts/setup.sh builds partita.render._kernels_aot (python -m partita.render.aot)"
    assert aot["fallbacks"] == [] and not aot["numba"]  # every kernel of this render ran compiled code
    assert aot["synth_built"]
    assert not jit["extension"] and jit["numba"] and jit["synth_kernel"] == "CPUDispatcher"
    assert aot["stems"] == jit["stems"]  # bit for bit


def test_a_kernel_module_edited_since_the_build_runs_the_jit(tmp_path):
    edited = _render(tmp_path, "edited", "partita.render.synth")
    assert edited["extension"] and edited["numba"]
    # the edited module: numba's JIT (a kernel of it that calls another module's built kernel,
    # as the harmonic bank calls frames', is a dispatcher that holds no build and compiles on use)
    assert not edited["synth_built"]
    # a kernel of another module that calls the edited one has the old one compiled into its
    # build: it goes to the JIT too (the neural decoder's phrase kernel calls the harmonic bank)
    assert "partita.render.neural_kernel.phrase_audio" in edited["fallbacks"]
    # (with the kernels it calls of its own module, compiled again for it) while the module's
    # other kernels run the build
    assert "partita.render.neural_kernel.input_features" not in edited["fallbacks"]
    assert not any(f.startswith("partita.render.performance_kernel") for f in edited["fallbacks"])
    assert edited["stems"] == _render(tmp_path, "jit", jit=True)["stems"]


def test_an_edited_kernel_that_calls_another_modules_built_kernel_runs_the_jit(tmp_path):
    # the string model's note kernel calls the harmonic noise and partial kernels of two other
    # modules, whose builds stay in use elsewhere; numba compiles their source for it
    edited = _render(tmp_path, "edited", "partita.render.strings")
    assert "partita.render.strings._note_audio" in edited["fallbacks"]
    assert edited["synth_built"]  # synth itself: the build
    assert edited["stems"] == _render(tmp_path, "aot")["stems"]


def test_arguments_the_build_did_not_see_go_to_the_jit():
    from partita.render import jit, synth

    f0 = np.full(8, 220.0)  # float64: the renderer passes float32, so the build has no float64 version
    amps = np.full((8, 4), 0.01)
    out = np.zeros(int(8 * 48000 / 250), np.float64)
    phase = synth._harmonic_kernel(f0, amps, 250 / 48000, 1 / 48000, 24000.0, 960.0, 0, 0.0, out)
    expected = np.sum([0.01 * np.sin(2 * np.pi * k * 220.0 * np.arange(out.size) / 48000) for k in range(1, 5)], axis=0)
    assert np.max(np.abs(out - expected)) < 1e-7 and 0.0 <= phase < 1.0  # the recurrence runs in float32
    if isinstance(synth._harmonic_kernel, jit._Kernel):  # the build is in use: this call went to the JIT
        assert "partita.render.synth._harmonic_kernel" in jit.aot_status()["fallbacks"]


def test_setup_builds_from_the_current_sources():
    import importlib

    from partita.render.aot import KERNEL_MODULES, up_to_date
    from partita.render.jit import source_digest

    assert up_to_date()  # scripts/setup.sh built (or rebuilt) it from these sources
    index = importlib.import_module("partita.render._kernels_aot")
    for name in KERNEL_MODULES:
        importlib.import_module(name)
        assert index.SOURCES[name] == source_digest(name)
        assert any(k.startswith(name + ".") for k in index.EXPORTS)  # every kernel module has its exports
    # kernels that Python calls directly as well as from other kernels (the decoder's forward pass
    # and heads): built whether or not numba's on-disk cache held their callers already
    for name in ("partita.render.neural_kernel._forward_kernel", "partita.render.neural_kernel.heads"):
        assert name in index.EXPORTS


KEY_SCRIPT = r'''
import json, sys
from partita.render import jit
if sys.argv[1] == "edited":  # the harmonic bank's module edited since the last run
    jit._digests["partita.render.synth"] = "0" * 64
from numba.core.registry import cpu_target
from partita.render import neural_kernel, synth
codegen = cpu_target.target_context.codegen()
print(json.dumps([str(k._cache._index_key(("sig",), codegen)) for k in (neural_kernel.phrase_audio, synth._noise_kernel)]))
'''


def test_numbas_cache_of_a_kernel_is_keyed_on_the_sources_of_the_kernels_it_calls_from_other_modules():
    # numba invalidates its cache of a kernel only when the kernel's own file changes; the neural
    # phrase kernel holds the harmonic bank's code (synth.py), so an edit there must miss it
    env = {**os.environ, "PARTITA_JIT": "1"}

    def keys(state: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", KEY_SCRIPT, state], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    plain, edited = keys("plain"), keys("edited")
    assert plain[0] != edited[0]  # the phrase kernel: another entry of numba's cache
    assert plain[1] == edited[1]  # the noise kernel itself: numba's own test (its file's stamp)


def test_a_call_s_dispatch_key_is_its_arguments_type_keys():
    """The dispatcher's key (jit.key_of, type_key's arithmetic written inline for speed) is the
    tuple of each argument's type_key, for every kind of argument a kernel is given."""
    from partita.render import jit

    a = np.zeros((4, 6), np.float32)
    read_only = np.zeros(3)
    read_only.setflags(write=False)
    values = [a, a.T, a[:, ::2], a[0], np.asfortranarray(a), read_only, np.zeros(0, np.int64), np.zeros((2, 2, 2), np.bool_),
              1.5, 7, True, np.float32(2.0), np.uint64(3), np.int64(-1), "text", None]  # fmt: skip
    assert jit.key_of(tuple(values)) == tuple(jit.type_key(v) for v in values)
    assert [jit.type_key(v)[2] for v in values[:5]] == ["C", "F", "A", "C", "F"]
    assert jit.type_key(a) == ("f", 2, "C", True) and jit.type_key(read_only) == ("d", 1, "C", False)
    assert [jit.type_key(v) for v in values[8:]] == ["d", "l", "?", "f", np.dtype(np.uint64).char, np.dtype(np.int64).char, "object:str", "object:NoneType"]
    assert jit.key_of(()) == ()
