"""What a batch works on: score files (a folder, a glob, a list file) or a table of prompts.

Every item gets an id from its content, so two copies of one score (or two identical rows of a
compose table) are one item: rendered once, listed twice in the manifest.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from partita._fileio import sha256_file
from partita.errors import ConfigError, FormatError

__all__ = ["SCORE_SUFFIXES", "Source", "ComposeRow", "score_sources", "compose_rows"]

#: Files a folder or glob contributes (what :func:`partita.symbolic.io.read` reads).
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".mid", ".midi", ".mscx", ".mscz", ".abc", ".krn")
#: Columns a compose table may have (``prompt`` is required; the others have defaults).
COMPOSE_FIELDS = ("id", "prompt", "seed", "ensemble", "seconds", "key", "tempo", "meter")


@dataclass(frozen=True, slots=True)
class Source:
    """One score file of a batch: its path as given, and the sha256 of its bytes (its id)."""

    path: str
    sha256: str

    @property
    def item_id(self) -> str:
        return self.sha256[:16]


@dataclass(frozen=True, slots=True)
class ComposeRow:
    """One row of a compose table (see :data:`COMPOSE_FIELDS`)."""

    name: str
    prompt: str
    seed: int = 0
    ensemble: str | None = None
    seconds: float | None = None
    key: str | None = None
    tempo: float | None = None
    meter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "seed": self.seed, "ensemble": self.ensemble, "seconds": self.seconds,
                "key": self.key, "tempo": self.tempo, "meter": self.meter}  # fmt: skip

    @property
    def sha256(self) -> str:
        """sha256 of what the row asks for (its name aside)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    @property
    def item_id(self) -> str:
        return self.sha256[:16]


def _expand(entry: str, base: Path) -> list[Path]:
    p = Path(entry).expanduser()
    if not p.is_absolute():
        p = base / p
    if any(ch in entry for ch in "*?["):
        return sorted(Path(m) for m in glob.glob(str(p), recursive=True) if Path(m).is_file())
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SCORE_SUFFIXES
                      and not any(part.startswith(".") for part in f.relative_to(p).parts))  # fmt: skip
    return [p]


def score_sources(specs: Sequence[str | os.PathLike[str]]) -> list[Source]:
    """The score files named by ``specs``, in order: each a folder (searched recursively for
    :data:`SCORE_SUFFIXES`), a glob (``"corpus/**/*.mxl"``), a list file (``.txt`` or ``.lst``:
    one path or glob a line, ``#`` comments, relative to the list's folder) or a file.

    A named file that does not exist is still a source (its item fails with the reason); a
    folder or glob that finds nothing is a :class:`ConfigError`.
    """
    files: list[Path] = []
    for spec in specs:
        s = str(spec)
        p = Path(s).expanduser()
        if p.is_file() and p.suffix.lower() in (".txt", ".lst"):
            for line in p.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    files += _expand(line, p.parent)
            continue
        found = _expand(s, Path.cwd())
        if not found:
            raise ConfigError(f"no score files found for {s!r}")
        files += found
    out = []
    for f in files:
        try:
            digest = sha256_file(f)
        except OSError as exc:  # unreadable: an item of its own that fails with this reason
            digest = hashlib.sha256(f"unreadable|{f}|{exc.strerror}".encode()).hexdigest()
        out.append(Source(str(f), digest))
    return out


def _row(raw: Mapping[str, Any], n: int, where: str) -> ComposeRow:
    unknown = set(raw) - set(COMPOSE_FIELDS)
    if unknown:
        raise ConfigError(f"unknown column(s) {', '.join(sorted(unknown))} (known: {', '.join(COMPOSE_FIELDS)})", file=where)
    vals = {k: (None if (v is None or (isinstance(v, str) and not v.strip())) else v) for k, v in raw.items()}
    if not vals.get("prompt") and not vals.get("ensemble"):
        raise ConfigError(f"row {n}: a prompt or an ensemble is needed", file=where)
    try:
        return ComposeRow(
            name=str(vals.get("id") or f"row{n:05d}"), prompt=str(vals.get("prompt") or ""),
            seed=int(vals.get("seed") or 0), ensemble=vals.get("ensemble"),
            seconds=None if vals.get("seconds") is None else float(vals["seconds"]), key=vals.get("key"),
            tempo=None if vals.get("tempo") is None else float(vals["tempo"]), meter=vals.get("meter"),
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"row {n}: {exc}", file=where) from None


def compose_rows(spec: str | os.PathLike[str]) -> list[ComposeRow]:
    """The rows of a compose table: a CSV with a header line, or a TOML file of ``[[item]]``
    tables, with the columns of :data:`COMPOSE_FIELDS`.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "spec.csv"
    >>> _ = f.write_text("prompt,seed,ensemble,seconds\\ncalm,1,string quartet,8\\n")
    >>> compose_rows(f)[0]
    ComposeRow(name='row00001', prompt='calm', seed=1, ensemble='string quartet', seconds=8.0, key=None, tempo=None, meter=None)
    """
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"cannot read the compose table: {exc.strerror}", file=str(path)) from None
    if path.suffix.lower() == ".toml":
        import tomllib

        try:
            raw = tomllib.loads(text).get("item", [])
        except tomllib.TOMLDecodeError as exc:
            raise FormatError(f"not TOML: {exc}", file=str(path)) from None
    else:
        raw = list(csv.DictReader(text.splitlines()))
    rows = [_row(r, i, str(path)) for i, r in enumerate(raw, start=1)]
    if not rows:
        raise ConfigError("the compose table has no rows", file=str(path))
    return rows
