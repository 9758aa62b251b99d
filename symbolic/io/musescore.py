"""MuseScore files (``.mscx``, ``.mscz``) through the real MuseScore 3.

partita does not parse MuseScore's own format: it asks ``mscore3`` (Debian's ``musescore3``)
to convert between it and MusicXML, run headless with ``QT_QPA_PLATFORM=offscreen``, and reads
or writes the MusicXML with :mod:`partita.symbolic.io.musicxml`. What survives is therefore what
survives MusicXML *and* MuseScore's MusicXML import/export; ``docs/formats.md`` lists it.

MuseScore exits 0 and prints "success" even when it could not read its input (it then writes
an empty score), so every conversion is checked: the output must exist, parse, and hold as many
notes as the input when the input had any.

>>> from partita.symbolic.io import musescore      # doctest: +SKIP
>>> score = musescore.read("quartet.mscz")          # doctest: +SKIP
>>> musescore.write(score, "quartet.mscx")          # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from partita._fileio import atomic_path
from partita.errors import ExternalToolError, FormatError, PartitaError
from partita.symbolic.score import Score

__all__ = ["read", "write", "find_mscore", "convert_with_mscore", "count_mscx_notes", "part_hints"]

#: Executable names tried in order; ``PARTITA_MSCORE`` overrides them.
MSCORE_NAMES = ("mscore3", "musescore3", "mscore")
#: Seconds one conversion may take before it is given up.
TIMEOUT_S = 120.0


def find_mscore() -> str:
    """Path of the MuseScore 3 executable, or an :class:`ExternalToolError` saying how to get it."""
    override = os.environ.get("PARTITA_MSCORE")
    candidates = (override,) if override else MSCORE_NAMES
    for name in candidates:
        found = shutil.which(name) if name else None
        if found:
            return found
    raise ExternalToolError(
        "MuseScore 3 is not installed (no mscore3 on PATH); install Debian's musescore3 "
        "(apt-get install musescore3) or set PARTITA_MSCORE to its path"
    )


def convert_with_mscore(src: Path, dst: Path, *, timeout_s: float = TIMEOUT_S) -> str:
    """Run ``mscore3 src -o dst`` headless and return what it printed.

    ``dst`` must not exist yet; its extension chooses the format. Raises
    :class:`ExternalToolError` when MuseScore is missing, fails, times out or writes nothing.
    """
    exe = find_mscore()
    with tempfile.TemporaryDirectory(prefix="partita-mscore-") as runtime:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_RUNTIME_DIR": runtime,
            # keep MuseScore's settings and caches out of the user's home
            "XDG_CONFIG_HOME": runtime,
            "XDG_DATA_HOME": runtime,
            "XDG_CACHE_HOME": runtime,
        }
        try:
            proc = subprocess.run(
                [exe, str(src), "-o", str(dst)],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            raise ExternalToolError(f"MuseScore did not finish within {timeout_s:g} s", file=str(src)) from None
        except OSError as exc:
            raise ExternalToolError(f"could not start MuseScore: {exc}", file=str(src)) from None
    log = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0:
        raise ExternalToolError(f"MuseScore failed (exit {proc.returncode}): {_last_line(log)}", file=str(src))
    if not dst.is_file() or dst.stat().st_size == 0:
        raise ExternalToolError(f"MuseScore wrote no output: {_last_line(log)}", file=str(src))
    return log


def _last_line(log: str) -> str:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip() and "XDG_RUNTIME_DIR" not in ln]
    errors = [ln for ln in lines if "error" in ln.lower() or "not a valid" in ln.lower()]
    return (errors or lines or ["no message"])[-1]


def _mscx_root(path: Path) -> ElementTree.Element:
    """The XML root of an ``.mscx`` file or of the score inside an ``.mscz`` archive."""
    try:
        if path.suffix.lower() == ".mscz":
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.lower().endswith(".mscx")]
                if not names:
                    raise FormatError("the .mscz archive holds no .mscx score", file=str(path))
                data = zf.read(names[0])
        else:
            data = path.read_bytes()
        root = ElementTree.fromstring(data)
    except FormatError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, KeyError, ValueError, LookupError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know
        raise FormatError(f"not a MuseScore file: {exc}", file=str(path)) from None
    if root.tag != "museScore" or root.find("Score") is None:
        raise FormatError("not a MuseScore file (no <museScore><Score> element)", file=str(path))
    return root


def part_hints(path: Path) -> list[dict[str, object]]:
    """Per ``<Part>`` of a MuseScore file, in order, what its MusicXML export loses: the
    ``instrumentId`` (MuseScore's sound id, "wind.reed.clarinet.a"), the transposition
    (``transposeChromatic``) and the number of staves. Empty for a file that cannot be read.
    """
    try:
        score = _mscx_root(path).find("Score")
    except FormatError:
        return []
    out: list[dict[str, object]] = []
    for part in score.findall("Part") if score is not None else ():
        inst = part.find("Instrument")
        hint: dict[str, object] = {"staves": len(part.findall("Staff"))}
        if inst is not None:
            iid = (inst.findtext("instrumentId") or inst.get("id") or "").strip()
            if iid:
                hint["instrument_id"] = iid
            chromatic = (inst.findtext("transposeChromatic") or "").strip()
            if chromatic.lstrip("-").isdigit():
                hint["transposition"] = int(chromatic)
            elif iid:
                hint["transposition"] = 0
        out.append(hint)
    return out


def count_mscx_notes(path: Path) -> int:
    """Number of ``<Note>`` elements in a MuseScore file (tied pieces counted separately)."""
    return sum(1 for _ in _mscx_root(path).iter("Note"))


def read(path: str | os.PathLike[str], *, limits: object = None, progress: object = None) -> Score:
    """Read a ``.mscx`` or ``.mscz`` file by converting it to MusicXML with MuseScore.

    Each part's instrument is resolved by MuseScore's own ``instrumentId`` and transposition
    first (:func:`part_hints`); ``limits`` and ``progress`` are
    :func:`partita.symbolic.io.musicxml.read`'s. Every error names ``path``, never the
    temporary files MuseScore works on.
    """
    from partita.symbolic.io import musicxml

    path = Path(path)
    n_notes = count_mscx_notes(path)  # also rejects files that are not MuseScore's
    with tempfile.TemporaryDirectory(prefix="partita-mscore-") as tmp:
        # MuseScore reads by extension; a copy keeps the user's file out of its reach
        src = Path(tmp) / f"in{path.suffix.lower()}"
        shutil.copyfile(path, src)
        out = Path(tmp) / "out.musicxml"
        try:
            convert_with_mscore(src, out)
            score = musicxml.read(out, hints=part_hints(path), limits=limits, progress=progress)
        except PartitaError as exc:  # name the user's file, never the temporary copy
            raise exc.for_file(str(path)) from None
    got = sum(len(p.notes) for p in score.parts)
    if n_notes and not got:
        raise ExternalToolError(f"MuseScore exported none of the file's {n_notes} notes", file=str(path))
    return score


def write(score: Score, path: str | os.PathLike[str]) -> None:
    """Write ``score`` as ``.mscx`` or ``.mscz`` by converting MusicXML with MuseScore.

    The file appears only once MuseScore has written it completely and it has been checked.
    """
    from partita.symbolic.io import musicxml

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="partita-mscore-") as tmp:
        src = Path(tmp) / "in.musicxml"
        out = Path(tmp) / f"out{path.suffix.lower()}"
        try:
            musicxml.write(score, src)
            convert_with_mscore(src, out)
        except PartitaError as exc:  # name the user's file, never the temporary one
            raise exc.for_file(str(path)) from None
        want = sum(len(p.notes) for p in score.parts)
        got = count_mscx_notes(out)
        if want and got < want:
            raise ExternalToolError(
                f"MuseScore kept {got} of the score's {want} notes", file=str(path)
            )
        with atomic_path(path) as final:
            shutil.copyfile(out, final)
