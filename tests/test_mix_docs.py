"""docs/mixing.md and docs/provenance.md run: every Python block executes and prints what its
comments say; the mix, provenance, DAW and pipeline modules' doctests pass."""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["partita.mixing", "partita.mixing.settings", "partita.mixing.meters", "partita.mixing.bus", "partita.provenance",
           "partita.daw", "partita.pipeline"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def _blocks(doc: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "docs" / doc).read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("doc", ["mixing.md", "provenance.md"])
def test_doc_blocks_print_what_they_say(doc, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTITA_KEY_DIR", str(tmp_path / "keys"))
    blocks = _blocks(doc)
    assert blocks
    for code in blocks:
        expected = [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+#\s*(.*)$", code, flags=re.M)]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, doc, "exec"), {})
        printed = buf.getvalue().strip().splitlines()
        for want, got in zip(expected, printed):
            assert got.strip() == want, (doc, want, got)


def test_docs_name_every_mix_setting():
    from dataclasses import fields

    from partita.mixing import FamilyEQ, MixSettings

    text = (ROOT / "docs" / "mixing.md").read_text(encoding="utf-8")
    for f in fields(MixSettings):
        if f.name != "schema_version":
            assert f"`{f.name}`" in text, f.name
    for f in fields(FamilyEQ):
        assert f.name in text, f.name


def test_mix_presets_are_documented_data_for_every_family():
    import tomllib
    from dataclasses import fields
    from importlib import resources

    from partita.mixing import FAMILIES, FamilyEQ, MixSettings

    text = resources.files("partita.mixing").joinpath("mix_presets.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)["eq"]
    assert set(data) == set(FAMILIES)
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for f in fields(FamilyEQ):
        assert f"#   {f.name}" in header or f"; {f.name}" in header or f" {f.name} " in header, f.name
    # what the file says is what a default mix uses (a changed number in the TOML changes the mix)
    for family, values in data.items():
        eq = MixSettings().eq_for(family)
        assert all(getattr(eq, k) == float(v) for k, v in values.items()), family
