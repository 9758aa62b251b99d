"""The API reference builds from the docstrings (scripts/build_docs.sh, mkdocs + mkdocstrings)
and documents every function of the facade; the facade has a function for every CLI command."""

from __future__ import annotations

import argparse
import html
import importlib
import inspect
import re
import subprocess
from pathlib import Path

import pytest

import partita

ROOT = Path(__file__).resolve().parents[1]
#: CLI command -> the facade function that does the same from Python.
COMMAND_FUNCTIONS = {
    "info": "load", "convert": "save", "check": "check", "render": "render", "plan": "plan",
    "compose": "compose", "regenerate": "regenerate", "harmonize": "harmonize", "continue": "continue_",
    "mix": "mix", "verify": "verify", "profile": "profile", "similarity": "similarity", "originality": "originality",
    "orchestrate": "orchestrate", "engrave": "engrave", "batch": "render_batch",
    "train-composer": "train_composer", "train-instrument": "train_instrument", "upgrade-checkpoint": "upgrade_checkpoint",
}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "build_docs.sh"), str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_the_facade_page_documents_every_public_function(site):
    page = html.unescape((site / "api" / "facade" / "index.html").read_text(encoding="utf-8"))
    functions = [n for n in partita.__all__ if callable(getattr(partita, n)) and not inspect.isclass(getattr(partita, n))]
    assert len(functions) >= 12
    for name in functions:
        fn = importlib.import_module("partita.render").render if name == "render" else getattr(partita, name)
        first_line = inspect.getdoc(fn).split("\n")[0]
        words = re.sub(r"[`:~*]|\{[^}]*\}", "", first_line).split()[:4]  # plain words of its summary
        anchor = "partita.render.render" if name == "render" else f"partita.{name}"  # the callable package
        assert f'id="{anchor}"' in page, f"partita.{name} is not in the API reference"
        assert all(w.strip(".,()") in re.sub(r"<[^>]+>", "", page) for w in words), (name, words)


def test_every_module_page_is_built(site):
    for md in (ROOT / "docs" / "api").glob("*.md"):
        built = site / "api" / md.stem / "index.html"
        text = built.read_text(encoding="utf-8")
        for target in re.findall(r"^::: (\S+)", md.read_text(encoding="utf-8"), flags=re.M):
            assert f'id="{target}"' in text, f"{target} missing from {built}"


def test_every_command_has_a_facade_function():
    from partita.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = sorted(set(sub.choices) - set(COMMAND_FUNCTIONS))
    assert not missing, f"commands with no function in the facade: {missing}"
    for command, name in COMMAND_FUNCTIONS.items():
        assert callable(getattr(partita, name)), command
