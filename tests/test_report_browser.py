"""The classroom report in a real browser: headless Chromium (Debian's ``chromium``, installed by
scripts/test.sh) loads report.html, takes a screenshot and dumps the DOM after its scripts ran.

Checked against files the report did not make itself: one notehead per note of score.musicxml
(counted by music21), the coloured noteheads against check.json, and every audio element
loading its data (the page records each ``loadedmetadata`` duration in the DOM) with the
duration of the WAV file it came from.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fractions import Fraction
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed: scripts/test.sh installs Debian's chromium when run as root")


def run_browser(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless=new", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
           "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=15000", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


class Notes(HTMLParser):
    """Every ``<g class="note ...">`` of the page: version slot, part, index, classes."""

    def __init__(self) -> None:
        super().__init__()
        self.slot: str | None = None
        self.notes: list[tuple[str, str, int, set[str]]] = []
        self.audio: list[dict[str, str]] = []
        self.status = ""
        self._in_status = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "section" and "version" in classes:
            self.slot = a.get("data-slot")
        elif tag == "g" and "note" in classes and "data-part" in a:
            self.notes.append((self.slot, a["data-part"], int(a["data-index"]), classes))
        elif tag == "audio":
            self.audio.append(a)
        elif tag == "pre" and a.get("id") == "test-status":
            self._in_status = True

    def handle_data(self, data):
        if self._in_status:
            self.status += data

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_status = False


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from music21 import corpus

    from partita.classroom import orchestrate
    from partita.symbolic.io import write
    from partita.symbolic.io.musicxml import score_from_music21

    d = tmp_path_factory.mktemp("report")
    src = write(score_from_music21(corpus.parse("bach/bwv66.6")), d / "bwv66.6.musicxml")
    out = d / "out"
    orchestrate(src, "wind quintet", out, assign="Soprano=flute", fit=True, sample_rate=16000, mscz=False)
    return out


@pytest.fixture(scope="module")
def page(folder):
    proc = run_browser("--dump-dom", (folder / "report.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = Notes()
    parser.feed(proc.stdout)
    return parser


def test_screenshot(folder, tmp_path):
    shot = tmp_path / "report.png"
    proc = run_browser("--window-size=1400,1800", f"--screenshot={shot}", (folder / "report.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 1800)
    assert len(data) > 50_000  # notation and text, not a blank page


def test_one_notehead_per_note_of_the_score(folder, page):
    from music21 import converter

    from partita.symbolic.score import Score

    score = Score.from_dict(json.loads((folder / "score.json").read_text()))
    heads = [(p, i) for slot, p, i, _ in page.notes if slot == "1"]
    m21 = converter.parse(str(folder / "score.musicxml"))
    assert len(heads) == sum(len(n.pitches) for n in m21.recurse().notes)
    assert set(heads) == {(p.id, i) for p in score.parts for i in range(len(p.notes))}
    original = [(p, i) for slot, p, i, _ in page.notes if slot == "0"]
    assert len(set(original)) == 165  # BWV 66.6 has 165 notes


def test_coloured_noteheads_match_check_json(folder, page):
    from partita.symbolic.score import Score

    score = Score.from_dict(json.loads((folder / "score.json").read_text()))
    where = {(p.id, n.onset, n.pitch): i for p in score.parts for i, n in enumerate(p.notes)}
    want: dict[tuple[str, int], str] = {}
    for v in json.loads((folder / "check.json").read_text())["violations"]:
        for n in v["notes"]:
            for pid in v["parts"]:
                key = (pid, Fraction(n["onset"]).limit_denominator(960), n["pitch"])
                if key in where:
                    k = (pid, where[key])
                    want[k] = "error" if "error" in (want.get(k), v["severity"]) else v["severity"]
                    break
    got = {}
    for slot, p, i, classes in page.notes:
        if slot == "1" and classes & {"v-error", "v-warning"}:
            got[(p, i)] = "error" if "v-error" in classes else "warning"
    assert want, "the chorale for wind quintet still breaks some rules"
    assert got == want
    changes = json.loads((folder / "changes.json").read_text())["changes"]
    moved = {(c["part"], i) for c in changes if c["reason"] == "into range"
             for i in [where[(c["part"], Fraction(c["onset"]).limit_denominator(960), c["to_midi"])]]}  # fmt: skip
    assert {(p, i) for slot, p, i, c in page.notes if slot == "1" and "moved" in c} == moved


def test_every_audio_element_loads_its_file(folder, page):
    import soundfile as sf

    status = json.loads(page.status)
    n_parts = len(json.loads((folder / "changes.json").read_text())["assignment"])
    assert status["audio"] == len(page.audio) == 2 * (1 + n_parts)
    assert status["failed"] == 0 and status["loaded"] == status["audio"]
    for a in page.audio:
        assert a["src"].startswith("data:audio/mpeg;base64,")
        version = "original" if a["data-version"] == "0" else "orchestrated"
        render = json.loads((folder / "audio" / version / "render.json").read_text())
        if a["data-track"] == "mix":
            wav = folder / "audio" / version / "mix.wav"
        else:
            wav = folder / "audio" / version / next(s["file"] for s in render["stems"] if s["part_id"] == a["data-track"])
        # an MP3 frame holds 576 samples at 16 kHz: the decoder may pad the last one
        assert float(a["data-duration"]) == pytest.approx(sf.info(str(wav)).duration, abs=0.08), a["data-track"]
    assert re.search(r"Solo: Horn", (folder / "report.html").read_text())


def test_audio_beside_the_report_loads_too(folder):
    """--audio-files: the page plays the WAV files next to it through relative paths."""
    from partita.report import Version, write_report
    from partita.symbolic.score import Score

    versions = []
    for label, sub in (("Original", "original"), ("After", "orchestrated")):
        d = folder / "audio" / sub
        score = Score.from_dict(json.loads((d / "score.json").read_text()))
        render = json.loads((d / "render.json").read_text())
        sounds = {"mix": d / "mix.wav", **{s["part_id"]: d / s["file"] for s in render["stems"]}}
        versions.append(Version(label, score, audio=sounds))
    page_path = write_report(folder / "report_files.html", versions, title="files", embed_audio=False, max_pages=1)
    proc = run_browser("--dump-dom", page_path.as_uri())
    parser = Notes()
    parser.feed(proc.stdout)
    status = json.loads(parser.status)
    assert all(a["src"].startswith("audio/") for a in parser.audio)
    assert status["loaded"] == status["audio"] == len(parser.audio) > 0 and status["failed"] == 0
