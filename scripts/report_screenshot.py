"""The screenshot of docs/teachers.md: the one command a teacher types, then the report in
headless Chromium (Debian's ``chromium``).

    nice .venv/bin/python scripts/report_screenshot.py [--out docs/img/teacher_report.png]

Runs ``partita orchestrate bwv66.6 --for "wind quintet" --assign Soprano=flute --fit -o OUT``
on BWV 66.6 from the music21 corpus, then photographs OUT/report.html at 1400 x 1500 pixels.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "teacher_report.png"))
    args = ap.parse_args()
    from music21 import corpus

    from partita.symbolic.io import write
    from partita.symbolic.io.musicxml import score_from_music21

    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        raise SystemExit("needs Debian's chromium (apt-get install chromium)")
    partita = str(Path(sys.executable).with_name("partita"))
    with tempfile.TemporaryDirectory(prefix="teacher-") as tmp:
        src = write(score_from_music21(corpus.parse("bach/bwv66.6")), Path(tmp) / "bwv66.6.musicxml")
        out = Path(tmp) / "out"
        subprocess.run([partita, "orchestrate", str(src), "--for", "wind quintet", "--assign", "Soprano=flute",
                        "--fit", "--no-mscz", "-o", str(out)], check=True)  # fmt: skip
        subprocess.run([browser, "--headless=new", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                        "--window-size=1400,1500", "--virtual-time-budget=10000", f"--screenshot={args.out}",
                        (out / "report.html").as_uri()], check=True, capture_output=True)  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
