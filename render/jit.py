"""The render's numba kernels, compiled ahead of time where they can be, else just in time.

Every kernel of the renderer is written once, in numba, and decorated with :func:`njit` (numba's
options, unchanged). Where ``python -m partita.render.aot`` has built the extension
``partita.render._kernels_aot`` (``scripts/setup.sh`` does, with the machine's C compiler), a
kernel whose module's source is the one the extension was built from runs the extension's
compiled code: a process then never imports numba, and starts about half a second sooner (numba's
import and the loading of its cached kernels; ``docs/render.md``). Anything else -- no
extension, a kernel module edited since the build, argument types the build did not see, or
``PARTITA_JIT=1`` -- runs numba's JIT, as before, with its on-disk cache.

The extension is compiled by numba itself (``numba.pycc``, for this machine's CPU, with the
kernels' own options, releasing the GIL as ``nogil`` does), from the same source: its audio is the
JIT's bit for bit (``tests/test_kernels_aot.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from typing import Any, Callable

import numpy as np

__all__ = ["njit", "aot_status", "key_of", "source_digest", "type_key"]

AOT_MODULE = "partita.render._kernels_aot"

_aot: Any = None  # the extension module, False when absent or disabled
_digests: dict[str, str] = {}
_fallbacks: list[str] = []  # "module.function" of each kernel that went to the JIT


def _extension() -> Any:
    global _aot
    if _aot is None:
        _aot = False
        if os.environ.get("PARTITA_JIT") != "1":
            try:
                _aot = importlib.import_module(AOT_MODULE)
            except ImportError:
                _aot = False
    return _aot


def source_digest(module_name: str) -> str:
    """sha256 of a kernel module's source file (what an extension must have been built from)."""
    if module_name not in _digests:
        path = sys.modules[module_name].__file__
        with open(str(path), "rb") as fh:
            _digests[module_name] = hashlib.sha256(fh.read()).hexdigest()
    return _digests[module_name]


_SCALARS = {float: "d", int: "l", bool: "?"}


def type_key(value: Any) -> tuple | str:
    """The numba type an argument takes, as a hashable key: an array by its dtype's character,
    dimensions, layout and writability; a scalar by its dtype's character (a Python float a
    float64, an int an int64)."""
    return key_of((value,))[0]


def key_of(args: tuple) -> tuple:
    """The dispatch key of a kernel call: the :func:`type_key` of each argument, made in one
    function call per kernel call (a render makes some 150,000 argument keys, and a call and a
    generator step per argument cost about as much as the key itself)."""
    key: list[tuple | str] = []
    for a in args:
        t = type(a)
        if t is np.ndarray:
            flags = a.flags
            layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
            key.append((a.dtype.char, a.ndim, layout, flags.writeable))
        else:
            char = _SCALARS.get(t)
            if char is None:  # a numpy scalar by its dtype, anything else by its class
                dtype = getattr(a, "dtype", None)
                char = dtype.char if dtype is not None else f"object:{t.__name__}"
            key.append(char)
    return tuple(key)


class _Kernel:
    """A kernel with compiled ahead-of-time versions: the one for the arguments' types, else the
    JIT's (compiled on first need)."""

    def __init__(self, func: Callable, options: dict, table: dict[tuple, Callable]):
        self.py_func = func
        self._options = options
        self._table = table
        self._jit: Any = None
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__
        self.__wrapped__ = func

    def __call__(self, *args: Any) -> Any:
        fn = self._table.get(key_of(args))
        if fn is not None:
            return fn(*args)
        return self.jit(*args)

    @property
    def jit(self) -> Any:
        """numba's dispatcher of the same function (imports numba)."""
        if self._jit is None:
            import types

            import numba

            _fallbacks.append(f"{self.__module__}.{self.__name__}")
            func = self.py_func
            # the kernels it calls must be numba's dispatchers too, for numba to type the calls
            names = func.__code__.co_names
            glob = dict(func.__globals__)
            for name in names:
                if isinstance(glob.get(name), _Kernel):
                    glob[name] = glob[name].jit
            func = types.FunctionType(func.__code__, glob, func.__name__, func.__defaults__, func.__closure__)
            func.__qualname__ = self.py_func.__qualname__
            func.__module__ = self.py_func.__module__
            self._jit = _numba_njit(func, self._options)
        return self._jit


def _modules_of(func: Callable) -> set[str]:
    """The module of ``func`` and of every kernel it calls by a global name (a kernel of another
    module compiled into its build: its build is only good while both sources are)."""
    mods = {func.__module__}
    for name in func.__code__.co_names:
        callee = func.__globals__.get(name)
        if isinstance(callee, _Kernel) or type(callee).__name__ == "CPUDispatcher":
            mods.add(callee.py_func.__module__)
    return mods


def njit(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(**options)``, or the ahead-of-time build of the same function where one is
    built from this source (see the module's docstring)."""

    def decorate(func: Callable) -> Any:
        ext = _extension()
        if ext and getattr(ext, "SOURCES", {}).get(func.__module__) == source_digest(func.__module__):
            table = {key: getattr(ext, name) for key, name in ext.EXPORTS.get(f"{func.__module__}.{func.__name__}", ())}
            if not all(ext.SOURCES.get(m) == source_digest(m) for m in _modules_of(func)):
                table = {}  # it calls a kernel edited since the build: its build holds the old one
            # a helper only other kernels call needs no export of its own: the JIT compiles it
            # if ever a kernel of this module falls back to it
            return _Kernel(func, options, table)
        if ext and any(isinstance(func.__globals__.get(name), _Kernel) for name in func.__code__.co_names):
            # an edited module's kernel that calls another module's built one: numba cannot call
            # the build, so it compiles that kernel's source too (on the first call)
            return _Kernel(func, options, {})
        return _numba_njit(func, options)

    return decorate


def _numba_njit(func: Callable, options: dict) -> Any:
    """``numba.njit(**options)(func)``; with ``cache=True``, numba's on-disk cache of a kernel
    that calls kernels of other modules is keyed on their sources too. numba invalidates a cached
    kernel only when its own file changes (a documented limitation of its cache), and a kernel
    holds the code of those it calls: edited, they would keep running from the cache."""
    import numba

    dispatcher = numba.njit(**options)(func)
    others = sorted(_modules_of(func) - {func.__module__})
    if options.get("cache") and others:
        from numba.core.caching import FunctionCache

        deps = hashlib.sha256("".join(source_digest(m) for m in others).encode()).hexdigest()

        class _KeyedOnCallees(FunctionCache):
            def _index_key(self, sig: Any, codegen: Any) -> Any:
                return (*super()._index_key(sig, codegen), deps)

        dispatcher._cache = _KeyedOnCallees(dispatcher.py_func)
    return dispatcher


def aot_status() -> dict[str, Any]:
    """Whether the kernels run ahead-of-time code: ``{"extension": bool, "fallbacks": [...]}``,
    the kernels that went to the JIT in this process so far."""
    return {"extension": bool(_extension()), "fallbacks": list(_fallbacks)}
