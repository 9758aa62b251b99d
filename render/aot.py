"""Build the render's kernels ahead of time: ``python -m partita.render.aot``.

The build runs the kernels once through numba's JIT on a small render that reaches every one of
them (shipped neural decoders, string models, a pizzicato run, a sung part, the designed
timbres), so that each kernel has compiled the argument types the renderer gives it. Each of
those compilations is then exported by numba's ahead-of-time compiler (``numba.pycc``) into the
extension ``partita.render._kernels_aot_ext``, for this machine's CPU, through a one-line
function that calls the kernel: the kernel keeps its own numba options (``fastmath``,
``error_model``), and the exported function releases the GIL while it runs, as ``nogil`` does
for the JIT. Last, ``partita/render/_kernels_aot.py`` is written: the table from argument types
to exported functions, and the sha256 of each kernel module's source, which
:mod:`partita.render.jit` checks before it uses the extension. Both files stay out of git.

It takes about a minute and needs a C compiler (Debian's ``gcc``); without one it says so and the
JIT is used. ``scripts/setup.sh`` runs it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_MODULES", "build", "main"]

#: The modules whose ``njit`` functions are built.
KERNEL_MODULES = (
    "partita.render.frames", "partita.render.synth", "partita.render.neural_kernel", "partita.render.performance_kernel",
    "partita.render.strings_kernel", "partita.render.strings", "partita.render.singer", "partita.render.timbres",
)  # fmt: skip
EXT_NAME = "_kernels_aot_ext"
INDEX_NAME = "_kernels_aot"


def _exercise(work: Path) -> None:
    """A small render through every kernel the renderer calls (the JIT compiles them)."""
    from partita.render import warmup
    from partita.render.stems import render
    from partita.symbolic.score import Note, Part, Score

    warmup()
    pizz = frozenset({"pizzicato"})
    parts = (
        Part("fl", "Flute", "flute", notes=tuple(Note(i, 1, 72 + i % 3) for i in range(4))),
        Part("vn", "Violin", "violin", notes=tuple(Note(i, 1, 67, articulations=pizz if i % 2 else frozenset())
                                                   for i in range(4))),  # fmt: skip
        Part("pf", "Piano", "piano", notes=(Note(0, 2, 60), Note(0, 2, 64), Note(2, 2, 67))),
        Part("t", "Tenor", "tenor", notes=(Note(0, 2, 57, lyric="la"), Note(2, 2, 59, lyric="lo"))),
        Part("dr", "Drums", "drum_kit", notes=(Note(0, 1, 36), Note(1, 1, 38))),
    )
    render(Score(parts=parts), work, progress=False, workers=1)


def _type_key(t: Any) -> tuple | str:
    """:func:`partita.render.jit.type_key` of the values numba types as ``t``."""
    import numpy as np
    from numba.core import types

    if isinstance(t, types.Array):
        return (np.dtype(str(t.dtype)).char, t.ndim, t.layout, bool(t.mutable))
    if isinstance(t, (types.Boolean, types.Integer, types.Float)):
        return np.dtype(str(t)).char
    raise TypeError(f"no ahead-of-time export for arguments of type {t}")


def _gil_free_flags() -> None:
    """pycc compiles its exports with default flags: have them release the GIL (``nogil``)."""
    import numba.pycc.compiler as pycc_compiler
    from numba.core.compiler import Flags

    class _NoGilFlags(Flags):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    pycc_compiler.Flags = _NoGilFlags


def build(out_dir: str | os.PathLike[str] | None = None, *, quiet: bool = False) -> Path:
    """Build the extension and its index into ``out_dir`` (default: the package's ``render``
    folder); returns the index's path. Run it in a fresh process (``python -m
    partita.render.aot``): the kernels must be numba's dispatchers."""
    from partita.render import jit

    if jit._aot:  # this process's kernels already run an extension
        raise RuntimeError("build the kernels in a fresh process: python -m partita.render.aot")
    os.environ["PARTITA_JIT"] = "1"
    jit._aot = False
    import importlib

    from numba.core import config as numba_config
    from numba.core.registry import CPUDispatcher
    from numba.pycc import CC

    from partita.render.jit import source_digest

    t0 = time.perf_counter()
    target = Path(out_dir) if out_dir is not None else Path(__file__).parent
    (target / f"{INDEX_NAME}.py").unlink(missing_ok=True)  # until the new build is whole: the JIT
    # export names carry the build's id: an index never runs another build's functions
    build_id = hashlib.sha256(f"{time.time_ns()}|{os.getpid()}".encode()).hexdigest()[:8]
    with tempfile.TemporaryDirectory(prefix="partita-aot-") as tmp:
        # compiled afresh, not loaded from numba's on-disk cache: a kernel loaded from it calls
        # its callees' cached code, so their dispatchers compile nothing and would miss from the
        # build (a kernel that Python also calls directly, as the forward pass, then ran the JIT)
        numba_config.CACHE_DIR = str(Path(tmp) / "numba-cache")
        _exercise(Path(tmp) / "render")
    modules = [importlib.import_module(m) for m in KERNEL_MODULES]
    _gil_free_flags()
    cc = CC(EXT_NAME)
    cc.target_cpu = "host"
    cc.output_dir = str(target)
    cc.verbose = False
    exports: dict[str, list[tuple[tuple, str]]] = {}
    n = 0
    for mod in modules:
        for name, obj in sorted(vars(mod).items()):
            if not isinstance(obj, CPUDispatcher) or obj.py_func.__module__ != mod.__name__:
                continue
            for sig, cres in obj.overloads.items():
                try:
                    key = tuple(_type_key(t) for t in sig)
                except TypeError:
                    continue  # stays with the JIT
                params = ", ".join(f"a{i}" for i in range(len(sig)))
                export = f"k{n}_{build_id}"
                ns: dict[str, Any] = {"_kernel": obj}
                exec(f"def {export}({params}):\n    return _kernel({params})\n", ns)  # a call, in numba
                cc.export(export, cres.signature)(ns[export])
                exports.setdefault(f"{mod.__name__}.{name}", []).append((key, export))
                n += 1
    cc.compile()
    sources = {m: source_digest(m) for m in KERNEL_MODULES}
    index = target / f"{INDEX_NAME}.py"
    lines = [
        '"""Written by ``python -m partita.render.aot``: which compiled function runs which kernel for',
        'which argument types, and the sources it was built from (see partita.render.jit)."""',
        "",
        f"from partita.render.{EXT_NAME} import {', '.join(e for v in exports.values() for _, e in v)}  # noqa: F401",
        "",
        f"SOURCES = {sources!r}",
        f"EXPORTS = {exports!r}",
        "",
    ]
    tmp_index = index.with_suffix(".py.partial")
    tmp_index.write_text("\n".join(lines))
    os.replace(tmp_index, index)
    if not quiet:
        print(f"aot: {n} kernel builds in {target / (EXT_NAME + sysconfig.get_config_var('EXT_SUFFIX'))} "
              f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip
    return index


def up_to_date() -> bool:
    """Whether the package's extension is built, loads, and was built from the kernels' current
    sources (imports no kernel module)."""
    import importlib
    import importlib.util

    try:
        index = importlib.import_module(f"partita.render.{INDEX_NAME}")
    except ImportError:
        return False
    for name in KERNEL_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return False
        digest = hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()
        if getattr(index, "SOURCES", {}).get(name) != digest:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partita.render.aot", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=None, help="folder for the extension (default: the package's)")
    parser.add_argument("--if-stale", action="store_true", help="build only when the package's build is missing or stale")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.if_stale and args.out is None and up_to_date():
        return 0
    build(args.out, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
