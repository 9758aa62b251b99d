"""The ``partita`` command line.

Each subcommand lives in its own module under :mod:`partita.commands` with two functions:
``add_parser(subparsers)`` (cheap: no heavy imports) and ``run(args) -> int``. Heavy libraries
(music21, torch, numba) are imported inside ``run`` so that ``partita --help`` answers at once.

Every :class:`~partita.errors.PartitaError` becomes one line on stderr and exit code 2; so does
an operating-system error on a file (a folder that cannot be written, a full disk). A reader
that closes the output early (``partita check --json | head``) ends the run with one line
and exit code 141, as a shell reports a process ended by SIGPIPE; no traceback in either case.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import warnings

from partita.errors import PartitaError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ("info", "convert", "check", "render", "compose_plan", "continue_cmd", "train_composer", "train_instrument", "mix", "verify",
            "profile", "similarity", "originality", "batch", "orchestrate", "engrave", "upgrade_checkpoint")

#: The subcommands a module of :data:`COMMANDS` adds, where they are not the module's name
#: (``tests/test_cli.py`` checks this against what the modules add).
SUBCOMMANDS = {"compose_plan": ("plan", "compose", "regenerate", "harmonize"), "continue_cmd": ("continue",),
               "train_composer": ("train-composer",), "train_instrument": ("train-instrument",),
               "upgrade_checkpoint": ("upgrade-checkpoint",)}  # fmt: skip


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The program's parser, with every subcommand; with ``command`` (a subcommand's name), only
    the module that adds it is imported and asked for its parser (a command line naming its
    subcommand needs no other: the rest took some 10 ms of every command's start)."""
    from partita._version import __version__

    parser = argparse.ArgumentParser(
        prog="partita",
        description="Compose and perform music: scores, stems and mixes, offline.",
    )
    parser.add_argument("--version", action="version", version=f"partita {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [m for m in COMMANDS if command in SUBCOMMANDS.get(m, (m,))] or COMMANDS
    for name in modules:
        importlib.import_module(f"partita.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    warnings.showwarning = _one_line_warning
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at exit
        return code
    except PartitaError as exc:
        print(f"partita: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _silence_stdout()
        print("partita: error: the output was closed before everything was written (broken pipe)", file=sys.stderr)
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"partita: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("partita: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The ``partita`` program (console script and ``python -m partita``): :func:`main` on
    ``sys.argv``, then exit with its code.

    Before exiting it freezes the garbage collector's objects: the interpreter's last
    collection at exit would otherwise walk every object the command made (a render's score,
    notes and phrases), some 50 ms of a 2 s render, to free what the process's end frees anyway.
    Only here: a program that calls :func:`main` goes on, and keeps its collector as it was.
    The same holds for :func:`_keep_freed_memory`, which it calls first.
    """
    _keep_freed_memory()
    _one_blas_thread(sys.argv[1:2])
    code = main()
    gc.freeze()
    sys.exit(code)


#: Subcommands that do their numerical work in partita's own kernels (no BLAS call on the way):
#: their processes start numpy's BLAS with one thread (see :func:`_one_blas_thread`).
NO_BLAS_COMMANDS = ("render",)


def _one_blas_thread(command: list[str]) -> None:
    """Start OpenBLAS with one thread in a command of :data:`NO_BLAS_COMMANDS`, unless the
    environment says otherwise (``OPENBLAS_NUM_THREADS``, read when numpy is first imported).

    numpy's OpenBLAS starts a thread per core at import, and each spins on its core for a while
    waiting for work. A render makes no BLAS call -- its kernels are numba's, one thread each, and
    its parts go to forked processes -- so the spinning thread only took a core from them: about
    0.1 s of CPU in every render, 3 % of the 8-part benchmark's time with the default jobs
    (``docs/render.md``, session 21). Only in the program, as :func:`_keep_freed_memory`."""
    if command and command[0] in NO_BLAS_COMMANDS and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


#: glibc's ``mallopt`` parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _keep_freed_memory() -> None:
    """Let the program's allocator keep what it frees, for the next allocation (glibc only).

    A render allocates and frees a phrase's arrays (tens of kB to a few MB) thousands of times.
    glibc's defaults give the top of the heap back to the system whenever more than twice the
    latest large block is free there, and serve a block above its moving threshold by a fresh
    ``mmap``; either way the next allocation faults its pages in again, each cleared by the
    kernel. In the 8-part benchmark score that was some 20,000 page faults per process (about
    half of all its faults, and most of its system time; ``docs/render.md``, session 19). Here
    a block of up to 32 MB comes from the heap, and up to 512 MB of free heap top stays with the
    process. A ``GLIBC_TUNABLES`` that sets the allocator's own is left to decide; another C
    library (no ``mallopt``) keeps its defaults. Only in the program: a library call must not
    change its host process's allocator."""
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest; a stem's buffer (40 MB) is mmapped still
    mallopt(_M_TRIM_THRESHOLD, 512 << 20)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning from library code (an instrument guessed, say) as one line on stderr."""
    print(f"partita: warning: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of a closed pipe does
    not print a second error (the recipe of Python's ``signal`` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by an object without a file descriptor
        pass


if __name__ == "__main__":  # pragma: no cover
    entry()
