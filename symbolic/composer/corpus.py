"""The composer's training corpus: public-domain music21 collections or a user's own folder,
parsed through partita's readers, cached as Score JSON, tokenized with control tokens,
augmented by transposition and split into training and held-out sets *by piece*.

Stages (each cached under a data directory outside git, default ``data/composer``)::

    sources  -> list of (piece id, file, opus number) from music21 collections or a folder
    parse    -> one gzipped Score JSON per piece   (slow: music21; parallel, resumable)
    tokenize -> one token array per piece and transposition, with control tokens
    card     -> a data card (collections, pieces, tokens, licence status)

The collections and their licences are data (``corpus.toml``). The Essen folk songs
(``essenFolksong``) are licensed for non-commercial use only; :func:`sources` refuses them.

>>> [s for s in collections()][:3]
['bach', 'palestrina', 'monteverdi']
>>> held_out("bach/bwv10.7.mxl") in (True, False)
True
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from partita._fileio import atomic_write_bytes
from partita.errors import ConfigError, FormatError, InstrumentError, PartitaError
from partita.symbolic.io.musicxml import score_from_music21

__all__ = [
    "DEFAULT_DATA_DIR",
    "EXCLUDED",
    "Source",
    "collections",
    "held_out",
    "parse_corpus",
    "parse_source",
    "sources",
    "spec_sources",
]

#: Where the corpus cache goes unless told otherwise (git-ignored).
DEFAULT_DATA_DIR = Path("data/composer")
#: Percent of pieces held out (chosen by a hash of the piece id, so stable across runs).
HELD_OUT_PERCENT = 10
USER_SUFFIXES = (".mid", ".midi", ".musicxml", ".mxl", ".xml", ".krn", ".abc")


def _catalog() -> dict[str, Any]:
    text = resources.files("partita.symbolic.composer").joinpath("corpus.toml").read_text("utf-8")
    return tomllib.loads(text)


def collections() -> dict[str, dict[str, Any]]:
    """The allowed collections, name -> entry of ``corpus.toml`` (music21 folder, suffixes,
    licence ...), in file order."""
    return dict(_catalog()["collections"])


#: Collections that are never used, name -> reason.
EXCLUDED: Mapping[str, str] = {k: v["reason"] for k, v in _catalog()["excluded"].items()}


@dataclass(frozen=True, slots=True)
class Source:
    """One file to read: ``piece`` is the piece id (``"bach/bwv10.7.mxl"``), ``collection``
    the collection name (``"user"`` for a folder), ``number`` the piece inside an opus file."""

    piece: str
    collection: str
    path: str
    opus: bool = False


def held_out(piece: str) -> bool:
    """Whether a piece id belongs to the held-out split (stable: a hash of the id, ~10 %).

    Every transposition and every tune of an opus file follow their piece, so no held-out
    music leaks into training.
    """
    h = int(hashlib.sha256(piece.encode("utf-8")).hexdigest()[:8], 16)
    return h % 100 < HELD_OUT_PERCENT


def _is_excluded(name: str) -> str | None:
    low = name.lower()
    for k, reason in EXCLUDED.items():
        if k.lower() in low or low in ("essen", "essenfolk", "essenfolksongs"):
            return reason
    return None


def sources(names: Sequence[str], *, max_files: int | None = None) -> list[Source]:
    """The files of music21 collections ``names`` (``"all"`` = every allowed one).

    Parameters
    ----------
    names
        Collection names of ``corpus.toml``.
    max_files
        Cap per collection (None: the collection's ``default_max_files``; 0: no cap).

    Raises
    ------
    ConfigError
        An excluded collection (the Essen folk songs) or an unknown name (the known ones listed).
    """
    from music21 import corpus as m21corpus

    table = collections()
    wanted: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        reason = _is_excluded(name)
        if reason:
            raise ConfigError(f"collection {name!r} is excluded: {reason}")
        if name == "all":
            wanted.extend(table)
        elif name in table:
            wanted.append(name)
        else:
            raise ConfigError(f"unknown collection {name!r}; known: {', '.join(table)}")
    out: list[Source] = []
    for name in dict.fromkeys(wanted):
        entry = table[name]
        if _is_excluded(entry["music21"]):  # belt and braces: the catalog itself
            raise ConfigError(f"collection {name!r} points at an excluded corpus")
        paths = sorted(
            (Path(p) for p in m21corpus.getComposer(entry["music21"])),
            key=lambda p: p.as_posix(),
        )
        paths = [p for p in paths if p.suffix in entry["suffixes"] and p.name.startswith(entry.get("prefix", ""))]
        paths = [p for p in paths if not _is_excluded(p.as_posix())]
        cap = entry.get("default_max_files", 0) if max_files is None else max_files
        if cap:
            paths = paths[:cap]
        for p in paths:
            out.append(Source(f"{name}/{_relative_id(p, entry['music21'])}", name, str(p), bool(entry.get("opus", False))))
    return out


def _relative_id(path: Path, folder: str) -> str:
    """A corpus file's path below its music21 collection folder (``opus18no1/movement1.mxl``):
    quartet collections repeat file names across opus folders, so the bare name is not an id."""
    parts = path.parts
    if folder in parts:
        return "/".join(parts[len(parts) - parts[::-1].index(folder) :])
    return path.name


def spec_sources(spec: str, *, max_files: int | None = None) -> list[Source]:
    """Sources from a ``--corpus`` argument: ``music21:bach,haydn`` or a folder of MIDI/MusicXML.

    Raises
    ------
    ConfigError
        A folder with no readable files (says what it found) or a bad collection.
    """
    if spec.startswith("music21:"):
        return sources(spec.split(":", 1)[1].split(","), max_files=max_files)
    root = Path(spec)
    if not root.is_dir():
        raise ConfigError(f"corpus {spec!r} is neither music21:COLLECTIONS nor a folder", file=spec)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    usable = [p for p in files if p.suffix.lower() in USER_SUFFIXES]
    if not usable:
        kinds = sorted({p.suffix or "(no suffix)" for p in files})
        found = f"{len(files)} file(s) of kinds {', '.join(kinds)}" if files else "no files"
        raise ConfigError(
            f"no MIDI or MusicXML files to train on (found {found}); "
            f"readable: {', '.join(USER_SUFFIXES)}",
            file=spec,
        )
    if max_files:
        usable = usable[:max_files]
    return [Source(f"user/{p.relative_to(root).as_posix()}", "user", str(p)) for p in usable]


def _cache_name(piece: str) -> str:
    h = hashlib.sha256(piece.encode("utf-8")).hexdigest()[:16]
    return f"{h}.json.gz"


def parse_source(src: Source) -> list[tuple[str, dict[str, Any]]]:
    """Read one source into ``[(piece id, Score.to_dict()), ...]`` (several for an opus).

    Raises
    ------
    PartitaError
        The file does not read (FormatError naming the file) or makes no valid Score.
    """
    if src.collection == "user":
        from partita.symbolic import io as sio

        try:
            return [(src.piece, sio.read(src.path).to_dict())]
        except PartitaError as exc:
            raise exc.located(file=src.path) from None
    from music21 import converter

    try:
        s21 = converter.parse(src.path)
    except Exception as exc:  # music21 raises many kinds
        raise FormatError(f"music21 cannot parse it: {type(exc).__name__}: {exc}", file=src.path) from None
    items = list(s21.scores) if src.opus and hasattr(s21, "scores") else [s21]
    out = []
    for i, item in enumerate(items):
        piece = f"{src.piece}#{i + 1}" if src.opus else src.piece
        try:
            try:
                score = score_from_music21(item)
            except InstrumentError:
                # tokens keep part slots, not instruments: read unknown voices ("Canto",
                # "Quinto") as piano rather than lose the piece
                score = score_from_music21(_known_instruments(item))
            out.append((piece, score.to_dict()))
        except PartitaError as exc:
            if not src.opus:
                raise exc.located(file=src.path) from None
        except Exception as exc:  # noqa: BLE001 - one bad tune in an opus is skipped
            if not src.opus:
                raise FormatError(f"{type(exc).__name__}: {exc}", file=src.path) from None
    return out


def _known_instruments(s21: Any) -> Any:
    """A copy of a music21 score whose parts the instrument catalog cannot name play piano."""
    from music21 import instrument as m21inst

    from partita import instruments

    s21 = s21.coreCopy() if hasattr(s21, "coreCopy") else s21
    for p in getattr(s21, "parts", []):
        names = [n for n in (p.partName, getattr(p.getInstrument(), "instrumentName", None)) if n]
        known = False
        for n in names:
            try:
                instruments.lookup(n)
                known = True
                break
            except PartitaError:
                continue
        if not known:
            for old in list(p.recurse().getElementsByClass(m21inst.Instrument)):
                old.activeSite.remove(old)
            p.insert(0, m21inst.Piano())
            p.partName = "Piano"
    return s21


def _parse_job(args: tuple[Source, str]) -> tuple[str, int, str]:
    src, out_dir = args
    target = Path(out_dir) / src.collection / _cache_name(src.piece)
    if target.exists():
        return src.piece, -1, ""
    try:
        items = parse_source(src)
    except PartitaError as exc:
        items, err = [], str(exc)
    except Exception as exc:  # noqa: BLE001 - reported, never fatal for the corpus
        items, err = [], f"{src.path}: {type(exc).__name__}: {exc}"
    else:
        err = ""
    blob = json.dumps({"source": src.path, "collection": src.collection, "pieces": items, "error": err})
    atomic_write_bytes(target, gzip.compress(blob.encode("utf-8")))
    return src.piece, len(items), err


def parse_corpus(
    srcs: Sequence[Source],
    *,
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    workers: int = 1,
    progress: bool = True,
    scheduler: str | None = None,
) -> Path:
    """Parse every source into ``data_dir/scores/<collection>/<hash>.json.gz`` (resumable:
    files already there are kept). Returns the scores folder.

    ``workers`` > 1 parses in that many processes (a Dask LocalCluster); ``scheduler``
    (``tcp://HOST:PORT``) parses on that Dask cluster instead (see :mod:`partita._engine`).
    """
    from partita._engine import map_items

    out = Path(data_dir) / "scores"
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(s, str(out)) for s in srcs]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="parse", unit="file")
    for _ in map_items(_parse_job, jobs, scheduler=scheduler, workers=workers):
        if bar:
            bar.update()
    if bar:
        bar.close()
    return out


def cached_scores(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR, *, collections_: Iterable[str] | None = None
) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """Yield ``(collection, piece id, score dict)`` of every parsed piece in the cache."""
    root = Path(data_dir) / "scores"
    wanted = None if collections_ is None else set(collections_)
    for f in sorted(root.glob("*/*.json.gz")):
        if wanted is not None and f.parent.name not in wanted:
            continue
        try:
            blob = json.loads(gzip.decompress(f.read_bytes()))
        except (OSError, ValueError, EOFError):
            continue  # a file cut off mid-write cannot exist (atomic), but be safe
        for piece, d in blob["pieces"]:
            yield blob["collection"], piece, d


def parse_errors(data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR) -> list[str]:
    """The messages of sources that did not parse."""
    out = []
    for f in sorted((Path(data_dir) / "scores").glob("*/*.json.gz")):
        blob = json.loads(gzip.decompress(f.read_bytes()))
        if blob["error"]:
            out.append(blob["error"])
    return out


if __name__ == "__main__":  # pragma: no cover - the background parse of the shipped subset
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="music21:all")
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-files", type=int, default=None)
    a = ap.parse_args()
    parse_corpus(spec_sources(a.corpus, max_files=a.max_files), data_dir=a.data_dir, workers=a.workers)


# ---------------------------------------------------------------------------------------------
# Tokenizing the cache into training and held-out arrays


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Token sequences of many pieces, concatenated.

    ``ids``: int32 [n_tokens], every piece's composer sequence (header, bars, EOS) end to end;
    ``offsets``: int64 [n_pieces + 1]; ``header``: int32 [n_pieces], length of each piece's
    header (``BOS Key Tempo Role...``); ``pieces``: piece ids; ``collections``: their collections.
    """

    ids: Any
    offsets: Any
    header: Any
    pieces: tuple[str, ...]
    collections: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.pieces)

    def piece(self, i: int) -> Any:
        """The ids of piece ``i``."""
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    def save(self, path: str | os.PathLike[str]) -> None:
        import io

        import numpy as np

        buf = io.BytesIO()
        np.savez_compressed(
            buf, ids=self.ids, offsets=self.offsets, header=self.header,
            pieces=np.array(self.pieces, dtype=object).astype(str),
            collections=np.array(self.collections, dtype=object).astype(str),
        )  # fmt: skip
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TokenSet:
        import numpy as np

        with np.load(path) as z:
            return cls(z["ids"], z["offsets"], z["header"], tuple(z["pieces"].tolist()), tuple(z["collections"].tolist()))

    @classmethod
    def from_sequences(cls, seqs: Sequence[tuple[str, str, Any, int]]) -> TokenSet:
        """From ``(collection, piece, ids, header length)`` tuples."""
        import numpy as np

        lengths = [len(s[2]) for s in seqs]
        offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(lengths)
        ids = np.concatenate([np.asarray(s[2], dtype=np.int32) for s in seqs]) if seqs else np.zeros(0, np.int32)
        return cls(ids, offsets, np.array([s[3] for s in seqs], dtype=np.int32),
                   tuple(s[1] for s in seqs), tuple(s[0] for s in seqs))  # fmt: skip


def tokenize_piece(score_dict: Mapping[str, Any], vocab: Any = None) -> tuple[list[int], int, int]:
    """Composer ids of one cached piece, its header length and the number of notes moved onto
    the grid. Raises PartitaError when the piece cannot be tokenized (too many parts, a meter
    without a token)."""
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.score import Score

    cv = vocab or ComposerVocab.default()
    score = Score.from_dict(score_dict)
    seq, controls = cv.encode(score, strict=False)
    return list(seq.ids), 3 + len(controls.roles), len(seq.problems)


def _tokenize_job(score_dict: Mapping[str, Any], vocab: Any = None) -> tuple[list[int], int, int] | str:
    """:func:`tokenize_piece`, with a PartitaError returned as its message (for worker pools)."""
    try:
        return tokenize_piece(score_dict, vocab)
    except PartitaError as exc:
        return str(exc)


def build_tokens(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    *,
    collections_: Iterable[str] | None = None,
    tokens_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Tokenize every cached piece into ``tokens_dir/{train,heldout}.npz`` (default
    ``data_dir/tokens``; split by piece with :func:`held_out`) and return the statistics the
    data card reports (also written to ``tokens_dir/stats.json``). ``workers`` > 1 or a Dask
    ``scheduler`` tokenizes on the engine of :mod:`partita._engine`; the result is the same."""
    from partita._engine import map_items

    from partita.symbolic.composer.controls import ComposerVocab

    cv = ComposerVocab.default()
    items = list(cached_scores(data_dir, collections_=collections_))
    train, held = [], []
    stats: dict[str, Any] = {"collections": {}, "skipped": []}
    local = scheduler is None and workers <= 1
    results = map_items(_tokenize_job, [d for _, _, d in items], scheduler=scheduler, workers=workers,
                        vocab=cv if local else None)  # in order  # fmt: skip
    it = zip(items, results)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=len(items), desc="tokenize", unit="piece")
    for (coll, piece, _), result in it:
        c = stats["collections"].setdefault(coll, {"pieces": 0, "tokens": 0, "notes": 0,
                                                   "heldout_pieces": 0, "heldout_tokens": 0, "moved_notes": 0})  # fmt: skip
        if isinstance(result, str):
            stats["skipped"].append(f"{piece}: {result}")
            continue
        ids, header, moved = result
        n_notes = sum(1 for i in ids if cv.token_type(i) == "Pitch")
        if n_notes == 0:
            stats["skipped"].append(f"{piece}: no notes")
            continue
        target = held if held_out(piece) else train
        target.append((coll, piece, ids, header))
        c["pieces"] += 1
        c["tokens"] += len(ids)
        c["notes"] += n_notes
        c["moved_notes"] += moved
        if target is held:
            c["heldout_pieces"] += 1
            c["heldout_tokens"] += len(ids)
    out = Path(tokens_dir) if tokens_dir is not None else Path(data_dir) / "tokens"
    out.mkdir(parents=True, exist_ok=True)
    TokenSet.from_sequences(train).save(out / "train.npz")
    TokenSet.from_sequences(held).save(out / "heldout.npz")
    stats["vocab_size"] = cv.vocab_size
    stats["parse_errors"] = parse_errors(data_dir)
    atomic_write_bytes(out / "stats.json", json.dumps(stats, indent=1).encode("utf-8"))
    return stats


def coverage(data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR) -> dict[str, dict[str, Any]]:
    """Per collection in the cache: files parsed, files the music21 collection has (all of
    them, before any cap), and the parsed file names."""
    from music21 import corpus as m21corpus

    out: dict[str, dict[str, Any]] = {}
    table = collections()
    for d in sorted((Path(data_dir) / "scores").glob("*")):
        names = []
        for f in sorted(d.glob("*.json.gz")):
            names.append(Path(json.loads(gzip.decompress(f.read_bytes()))["source"]).name)
        entry = table.get(d.name)
        available = None
        if entry is not None:
            paths = [Path(p) for p in m21corpus.getComposer(entry["music21"])]
            available = sum(1 for p in paths if p.suffix in entry["suffixes"] and p.name.startswith(entry.get("prefix", "")))
        out[d.name] = {"parsed_files": len(names), "available_files": available, "files": sorted(names)}
    return out


def data_card(stats: Mapping[str, Any], *, command: str = "", cover: Mapping[str, Any] | None = None) -> str:
    """The data card (Markdown) of a tokenized corpus: every collection, pieces, tokens,
    notes, held-out share, licence status, and what was skipped."""
    table = collections()
    lines = [
        "# Data card: partita composer corpus",
        "",
        "Generated by `partita.symbolic.composer.corpus.data_card` from the tokenized cache.",
        "",
        f"Command: `{command}`" if command else "",
        "",
        "Split: by piece (a hash of the piece id; about 10 % held out). Every transposition of a",
        "piece, and every tune of an opus file, follows its piece. Transposition augmentation",
        "(-5..+6 semitones, pitches kept inside MIDI 0-127) is applied on the fly while training,",
        "so the token counts below are before augmentation.",
        "",
        "| collection | source | pieces | held-out pieces | tokens | held-out tokens | notes | notes moved to grid | licence status |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    tot = {"pieces": 0, "tokens": 0, "notes": 0, "heldout_pieces": 0, "heldout_tokens": 0, "moved_notes": 0}
    for name, c in stats["collections"].items():
        entry = table.get(name, {"title": "user folder", "licence": "the user's own"})
        lines.append(
            f"| {name} | {entry['title']} (music21 `{entry.get('music21', '-')}`) | {c['pieces']} | "
            f"{c['heldout_pieces']} | {c['tokens']} | {c['heldout_tokens']} | {c['notes']} | "
            f"{c['moved_notes']} | {entry['licence']} |"
        )
        for k in tot:
            tot[k] += c[k]
    lines.append(
        f"| **total** | | {tot['pieces']} | {tot['heldout_pieces']} | {tot['tokens']} | "
        f"{tot['heldout_tokens']} | {tot['notes']} | {tot['moved_notes']} | |"
    )
    if cover:
        lines += ["", "## Files parsed per collection", "",
                  "| collection | files parsed | files in the music21 collection |", "| --- | ---: | ---: |"]
        for name, c in cover.items():
            lines.append(f"| {name} | {c['parsed_files']} | {c['available_files'] if c['available_files'] is not None else '-'} |")
        partial = {k: c for k, c in cover.items() if c["available_files"] and c["parsed_files"] < c["available_files"]}
        if partial:
            lines += ["", "Collections used in part (the files that were parsed, in full):", ""]
            for name, c in partial.items():
                shown = ", ".join(c["files"]) if len(c["files"]) <= 12 else ", ".join(c["files"][:12]) + ", ..."
                lines.append(f"- {name}: {shown}")
    lines += ["", "## Excluded", ""]
    for k, reason in EXCLUDED.items():
        lines.append(f"- `{k}`: {reason}. The corpus builder refuses it (tested).")
    lines += ["", f"## Skipped ({len(stats['skipped'])} pieces, {len(stats.get('parse_errors', []))} files that did not parse)", ""]
    for s in list(stats["skipped"])[:40] + list(stats.get("parse_errors", []))[:40]:
        lines.append(f"- {s}")
    from partita.symbolic.composer.card import data_card_section

    lines += ["", *data_card_section()]  # what the shipped decoding priors read of the same split
    return "\n".join(lines)
