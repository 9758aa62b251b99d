"""docs/licences.md covers every dependency (with the licence its own metadata states) and every
shipped weight file; a dependency or weight file added without a row fails here."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "licences.md").read_text(encoding="utf-8")

# how package metadata spells the SPDX ids the matrix uses (classifiers, old License fields)
ALIASES = {
    "Apache-2.0": ("Apache-2.0", "Apache Software License", "Apache License"),
    "BSD-2-Clause": ("BSD-2-Clause", "BSD License", "BSD"),
    "BSD-3-Clause": ("BSD-3-Clause", "BSD 3-Clause", "BSD License"),
    "MIT": ("MIT",),
    "MPL-2.0": ("MPL-2.0", "Mozilla Public License 2.0"),
    "GPL-3.0": ("GPL-3.0", "GPLv3", "GNU GENERAL PUBLIC LICENSE"),
    "PSF-2.0": ("PSF-2.0", "Python Software Foundation License"),
    "LGPL-3.0": ("LGPL-3.0", "GNU Lesser General Public License v3"),
}


def _rows(heading: str) -> list[list[str]]:
    """Table rows (cells) of the section under ``## heading``."""
    section = DOC.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # without the header row


def _dependencies() -> dict[str, str]:
    """Distribution name -> extra ('core' for the required ones), from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = lambda spec: re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]  # noqa: E731
    deps = {name(s): "core" for s in project["dependencies"]}
    for extra, specs in project["optional-dependencies"].items():
        for s in specs:
            deps.setdefault(name(s), extra)
    return deps


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_has_a_row_in_its_extra():
    table = {_norm(r[0]): r for r in _rows("Python dependencies")}
    missing = [d for d in _dependencies() if _norm(d) not in table]
    assert not missing, f"dependencies without a row in docs/licences.md: {missing}"
    wrong_extra = [d for d, extra in _dependencies().items() if table[_norm(d)][1] != extra]
    assert not wrong_extra, f"rows naming the wrong extra: {wrong_extra}"


@pytest.mark.parametrize("row", _rows("Python dependencies"), ids=lambda r: r[0])
def test_the_licence_agrees_with_the_package_metadata(row):
    name, _, licence, _ = row
    meta = md.metadata(name)
    stated = " ".join(
        [meta.get("License-Expression") or "", (meta.get("License") or "")[:300]]
        + [c for c in meta.get_all("Classifier") or [] if c.startswith("License")]
    )
    ids = re.findall(r"[A-Za-z0-9.]+-[0-9.]+(?:-[A-Za-z]+)?|MIT|ISC", licence.split("(")[0])
    assert ids, f"{name}: no SPDX id in {licence!r}"
    for spdx in ids:
        assert any(a.lower() in stated.lower() for a in ALIASES.get(spdx, (spdx,))), (
            f"{name}: docs/licences.md says {spdx}, its metadata says {stated!r}"
        )


def test_every_shipped_weight_file_has_a_row_and_its_card_exists():
    listed = {r[0].strip("`") for r in _rows("Shipped weight files")}
    shipped = []
    for manifest in [ROOT / "instruments/weights/manifest.json", ROOT / "symbolic/composer/weights/manifest.json"]:
        data = json.loads(manifest.read_text())
        entries = data.values() if "file" not in data else [data]
        shipped += [(manifest.parent / e["file"]).relative_to(ROOT).as_posix() for e in entries]
    assert shipped and sorted(set(shipped)) == sorted(listed)
    for r in _rows("Shipped weight files"):
        assert (ROOT / r[4].strip("`")).is_file(), f"{r[0]}: card {r[4]} is missing"
        assert (ROOT / r[0].strip("`")).is_file()


def test_the_excluded_corpus_is_listed_as_never_used():
    from partita.symbolic.composer.corpus import _catalog

    excluded = _catalog().get("excluded", {})
    assert excluded
    rows = _rows("Data sources")
    squash = lambda t: re.sub(r"\W+", "", t).lower()  # noqa: E731
    for name in excluded:
        row = [r for r in rows if squash(name) in squash(r[0])]
        assert row and "**never**" in row[0][2], f"excluded collection {name} has no 'never' row"
