"""The picture in docs/originality.md: mean distributions of the Bach chorale and fiddle-tune
reference profiles (shipped in symbolic/composer/styles/) beside the profile of the chorales
the shipped composer wrote for benchmarks/bench_originality.py --compose.

    .venv/bin/python benchmarks/plot_profiles.py   # -> docs/img/profiles.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from partita.symbolic.composer.profile import profile_scores
    from partita.symbolic.composer.profile_plot import plot_profiles
    from partita.symbolic.composer.styles import reference_profile
    from partita.symbolic.score import Score

    profiles = [reference_profile("bach-chorales"), reference_profile("fiddle-tunes")]
    comp = [Score.from_dict(json.loads(f.read_text())["score"])
            for f in sorted((ROOT / "data" / "bench_originality").glob("*_chorale.json"))]  # fmt: skip
    if comp:
        profiles.append(profile_scores(comp, label=f"shipped composer, {len(comp)} chorales"))
    plot_profiles(profiles, ROOT / "docs" / "img" / "profiles.png",
                  title="style profiles: mean distributions")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
