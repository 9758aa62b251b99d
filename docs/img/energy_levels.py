"""The energy levels a plan asks for, on the plain scale and read against the corpus (the counts
docs/composer.md quotes in "Energy levels from the corpus"):

    .venv/bin/python docs/img/energy_levels.py

prints, per genre with energy shares in ``symbolic/composer/priors.json``, each ``Energy``
level's share of the training pieces' bars per meter (what ``scripts/calibrate_priors.py``
counted), and for a few prompts the share of the planned bars at each level over 20 plans
(seeds 0-19, 36 s), on the plain scale and read against the genre's shares in the plan's meter.
"""

from __future__ import annotations

from collections import Counter

PROMPTS = ("a reel", "a jig", "a lively jig", "a lively irish jig in G for a session")


def _shares(levels: list[int]) -> str:
    from partita.symbolic.composer.controls import ENERGY_LEVELS

    c = Counter(levels)
    return " ".join(f"{k}: {c[k] / len(levels):.2f}" for k in range(ENERGY_LEVELS))


def main() -> int:
    from partita.symbolic.composer.controls import controls_of_plan
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.priors import load_priors, prior_for

    tables = load_priors()
    for genre, t in sorted(tables.items()):
        for meter, shares in sorted(t.get("energy", {}).items()):
            print(f"{genre} {meter}: training bars at levels 0-4: {' '.join(f'{x:.3f}' for x in shares)}")
    for prompt in PROMPTS:
        plain, read = [], []
        for seed in range(20):
            p = plan(prompt, duration_s=36, seed=seed)
            prior = prior_for(p.genre, p.key_signature())
            shares = prior.energy_shares(p.meter) if prior is not None else None  # as compose reads them
            plain += [b.energy for b in controls_of_plan(p).bars]
            read += [b.energy for b in controls_of_plan(p, shares).bars]
        print(f"{prompt!r} (genre {p.genre}, {p.meter[0]}/{p.meter[1]}): plain scale {_shares(plain)}; "
              f"read against the corpus {_shares(read)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
