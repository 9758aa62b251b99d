"""Options every command that reads a score shares: which tune of an ABC book, which lyric verse
is sung, the size limits, and progress on a terminal.

``--tune N`` reads tune ``X: N`` of an ABC tune book; ``--verse N`` sings lyric verse N; ``--max-bars`` and ``--max-parts`` raise
(or lower) the limits above which a score is refused (0: no limit); while a large file is read,
progress goes to stderr when stderr is a terminal (never into piped output).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_read_options(p: argparse.ArgumentParser) -> None:
    """Add ``--tune``, ``--max-bars`` and ``--max-parts`` to a subcommand's parser."""
    from partita.symbolic.io.musicxml_parts import DEFAULT_MAX_BARS, DEFAULT_MAX_PARTS

    p.add_argument("--tune", type=int, default=None, metavar="N",
                   help="which tune of an ABC tune book to read (its X: number; default: the first)")  # fmt: skip
    p.add_argument("--verse", type=int, default=None, metavar="N",
                   help="the lyric verse to sing (default: verse 1; every verse is kept)")  # fmt: skip
    p.add_argument("--max-bars", type=int, default=DEFAULT_MAX_BARS, metavar="N",
                   help=f"refuse scores longer than N bars (default {DEFAULT_MAX_BARS:,}; 0: no limit)")  # fmt: skip
    p.add_argument("--max-parts", type=int, default=DEFAULT_MAX_PARTS, metavar="N",
                   help=f"refuse scores with more than N parts (default {DEFAULT_MAX_PARTS:,}; 0: no limit)")  # fmt: skip


def _progress_to_terminal() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, what: str) -> None:
        text = f"{what} {done}/{total}" if total else f"{what} {done:,}"
        print(f"\r  reading: {text} ", end="", file=sys.stderr, flush=True)

    return show


def read_score(path: str, args: argparse.Namespace) -> Any:
    """Read ``path`` with the options :func:`add_read_options` added."""
    from partita.errors import ConfigError
    from partita.symbolic.io import read
    from partita.symbolic.io.musicxml_parts import Limits

    for name in ("max_bars", "max_parts"):
        if getattr(args, name, 0) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be 0 (no limit) or more")
    limits = Limits(max_bars=getattr(args, "max_bars", 0) or None, max_parts=getattr(args, "max_parts", 0) or None)
    progress = _progress_to_terminal()
    try:
        score = read(path, number=getattr(args, "tune", None), limits=limits, progress=progress)
    finally:
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    if getattr(args, "verse", None) is not None:
        score = score.with_verse(args.verse)
    return score
