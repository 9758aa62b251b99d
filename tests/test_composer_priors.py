"""The calibrated pitch priors (priors.py) and the key mask switch: the prior moves what is
written the way its tables say, the fit moves the tables toward the reference, the key mask
alone decides whether out-of-key pitches can appear, and the shipped tables belong to the
shipped weights."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from fractions import Fraction

import numpy as np
import pytest

from partita.errors import PresetError
from partita.symbolic.composer import priors
from partita.symbolic.composer.planner import plan
from partita.symbolic.composer.sample import compose
from partita.symbolic.score import Note, Part, Score


@pytest.fixture(scope="module")
def model(untrained_composer):
    return untrained_composer


@pytest.fixture(scope="module")
def chorale_plan():
    return plan("chorale", ensemble="satb choir", duration_s=30, tempo=72, seed=0)


def _tables(interval=None, degree=None) -> dict:
    t = priors.zero_tables()
    for g in priors.GROUPS:
        if interval is not None:
            t["interval"][g] = [float(interval(iv)) for iv in range(-priors.MAX_INTERVAL, priors.MAX_INTERVAL + 1)]
        if degree is not None:
            t["degree"][g] = {m: [float(degree(d)) for d in range(12)] for m in priors.MODES}
    return t


def _stepwise(score) -> float:
    moves = []
    for p in score.parts:
        ps = np.array([n.pitch for n in sorted(p.notes, key=lambda n: n.onset)])
        iv = np.abs(np.diff(ps))
        moves.extend(iv[iv > 0].tolist())
    return float(np.mean(np.array(moves) <= 2))


def test_a_step_prior_makes_the_lines_step_and_stays_deterministic(model, chorale_plan):
    kw = dict(model=model, seed=3, max_tokens_per_bar=40, best_of=1)
    plain = compose(chorale_plan, **kw, pitch_prior=False)
    steps = _tables(interval=lambda iv: 3.0 if 1 <= abs(iv) <= 2 else -3.0)
    stepped = compose(chorale_plan, **kw, pitch_prior=steps)
    assert stepped == compose(chorale_plan, **kw, pitch_prior=steps)
    # random weights leap about freely; the prior multiplies steps by e^6 against everything else
    assert _stepwise(plain) < 0.5 < 0.8 < _stepwise(stepped)
    from partita.theory_rules import check

    assert check(stepped, profile="chorale").n_errors == 0  # the masks still hold


def test_the_key_mask_alone_decides_whether_chromatic_notes_appear(model, chorale_plan):
    ks = chorale_plan.key_signature()
    in_key = set(ks.scale_pcs) | ({(ks.tonic_pc + 9) % 12, (ks.tonic_pc + 11) % 12} if ks.mode == "minor" else set())
    chromatic = _tables(degree=lambda d: 3.0 if (ks.tonic_pc + d) % 12 not in in_key else 0.0)
    kw = dict(model=model, seed=4, max_tokens_per_bar=40, best_of=1, pitch_prior=chromatic)

    def outside(score) -> int:
        return sum(n.pitch % 12 not in in_key for p in score.parts for n in p.notes)

    assert outside(compose(chorale_plan, **kw, key_mask=True)) == 0
    assert outside(compose(chorale_plan, **kw, key_mask=False)) > 10


def test_line_counts_read_the_top_line_and_skip_tied_continuations():
    from partita.symbolic.pitch import KeySignature

    notes = (Note(Fraction(0), Fraction(1), 60), Note(Fraction(0), Fraction(1), 64), Note(Fraction(1), Fraction(1), 65),
             Note(Fraction(2), Fraction(1), 65, tie="start"), Note(Fraction(3), Fraction(1), 65, tie="stop"),
             Note(Fraction(4), Fraction(1), 72))  # fmt: skip
    s = Score(parts=(Part("p", "Violin", "violin", notes),), key_signatures=(KeySignature(Fraction(0), 0, "major"),))
    c = priors.line_counts(s)
    iv = c["interval"]["melody"]["major"]
    # the top line is 64 65 65 72: +1, 0, +7 (the tied 65 is one note), counted under its mode
    assert {i - priors.MAX_INTERVAL: int(k) for i, k in enumerate(iv) if k} == {1: 1, 0: 1, 7: 1}
    assert not c["interval"]["melody"]["minor"].any()
    assert c["degree"]["melody"]["major"][[0, 4, 5]].tolist() == [2.0, 1.0, 3.0]  # C twice with the octave, E, F x3
    assert {p: int(k) for p, k in enumerate(c["register"]["melody"]) if k} == {60: 1, 64: 1, 65: 3, 72: 1}


def test_a_register_prior_moves_a_part_where_its_table_says(model, chorale_plan):
    low = _tables()
    low["register"]["bass"] = [3.0 if p < 50 else 0.0 for p in range(128)]
    kw = dict(model=model, seed=6, max_tokens_per_bar=40, best_of=1)
    plain = compose(chorale_plan, **kw, pitch_prior=_tables())
    lowered = compose(chorale_plan, **kw, pitch_prior=low)

    def bass(score):
        return np.array([n.pitch for n in score.part("b").notes])

    # e^3 for every pitch below 50 against the rest of the bass's range
    assert np.mean(bass(lowered) < 50) > 0.8 and np.mean(bass(lowered)) < np.mean(bass(plain)) - 3


def _rests_and_lengths(score, part_id):
    c = priors.line_counts(dataclasses.replace(score, parts=(score.part(part_id),)))
    r, d = c["rest"]["melody"], c["duration"]["melody"]
    return 1.0 - r[0] / r.sum(), d / d.sum()


def test_a_rest_prior_closes_the_silences_and_a_duration_prior_sets_the_note_lengths(model):
    # a reel: the model writes the fiddle's line alone (the arranger the rest), so the choice of
    # the next onset is the choice of the rest before the fiddle's next note
    reel = plan("a reel", duration_s=30, seed=0)
    fiddle = next(p.id for p in reel.instrumentation if p.role == "melody")
    kw = dict(model=model, seed=5, max_tokens_per_bar=40, best_of=1)
    plain = compose(reel, **kw, pitch_prior=_tables())
    legato = _tables()
    legato["rest"] = {g: [3.0] + [-3.0] * (priors.N_RESTS - 1) for g in priors.GROUPS}
    eighths = _tables()
    quaver = int(priors.duration_bin(0.5))
    eighths["duration"] = {g: [3.0 if i == quaver else -3.0 for i in range(priors.N_DURATIONS)] for g in priors.GROUPS}
    tied = compose(reel, **kw, pitch_prior=legato)
    assert tied == compose(reel, **kw, pitch_prior=legato)  # deterministic
    # random weights leave the fiddle silent before many of its notes; e^6 for no rest against
    # any rest closes most of them
    rests_plain, lengths_plain = _rests_and_lengths(plain, fiddle)
    rests_tied, _ = _rests_and_lengths(tied, fiddle)
    assert rests_plain > 0.3 and rests_tied < 0.4 * rests_plain
    _, lengths = _rests_and_lengths(compose(reel, **kw, pitch_prior=eighths), fiddle)
    assert lengths_plain[quaver] < 0.2 < 0.5 < lengths[quaver]


def test_a_duration_prior_holds_under_the_chorale_masks(model, chorale_plan):
    kw = dict(model=model, seed=5, max_tokens_per_bar=40, best_of=1)
    quarters = _tables()
    crotchet = int(priors.duration_bin(1.0))
    quarters["duration"] = {g: [3.0 if i == crotchet else -3.0 for i in range(priors.N_DURATIONS)] for g in priors.GROUPS}
    long = compose(chorale_plan, **kw, pitch_prior=quarters)
    from partita.theory_rules import check

    assert check(long, profile="chorale").n_errors == 0  # the masks still hold
    for part in ("s", "b"):
        before = _rests_and_lengths(compose(chorale_plan, **kw, pitch_prior=_tables()), part)[1][crotchet]
        # the grid, the bar line and the chords limit where a quarter fits; it still gains
        assert _rests_and_lengths(long, part)[1][crotchet] > before + 0.15


def test_line_counts_count_note_lengths_and_the_rest_before_each_onset():
    notes = (Note(Fraction(0), Fraction(1, 2), 60), Note(Fraction(1, 2), Fraction(1, 2), 62),  # no rest
             Note(Fraction(3, 2), Fraction(1, 4), 64),  # after a rest of 1/2
             Note(Fraction(2), Fraction(2), 65), Note(Fraction(2), Fraction(2), 69),  # a chord after 1/4
             Note(Fraction(4), Fraction(1), 67),  # the chord ends at 4: no rest
             Note(Fraction(8), Fraction(1), 60))  # after a rest of 3  # fmt: skip
    c = priors.line_counts(Score(parts=(Part("p", "Violin", "violin", notes),)))
    rests = {priors.REST_EDGES[i] if i < len(priors.REST_EDGES) else "longer": int(k)
             for i, k in enumerate(c["rest"]["melody"]) if k}  # fmt: skip
    assert rests == {0.0: 2, 0.25: 1, 0.5: 1, "longer": 1}
    lengths = {i: int(k) for i, k in enumerate(c["duration"]["melody"]) if k}
    assert lengths == {int(priors.duration_bin(0.5)): 2, int(priors.duration_bin(0.25)): 1,
                       int(priors.duration_bin(1.0)): 2, int(priors.duration_bin(2.0)): 2}  # fmt: skip
    assert priors.duration_bin(1 / 3) != priors.duration_bin(0.25) != priors.duration_bin(0.5)  # triplets apart


def test_line_counts_count_whether_a_free_part_strikes_at_the_others_onsets():
    soprano = tuple(Note(Fraction(i), Fraction(1), 67) for i in range(6))
    # the bass: a half note (busy at 1), a quarter (free at 3 and 4: silent), then a note at 5
    bass = (Note(Fraction(0), Fraction(2), 48), Note(Fraction(2), Fraction(1), 50), Note(Fraction(5), Fraction(1), 43))
    c = priors.line_counts(Score(parts=(Part("s", "Soprano", "soprano", soprano), Part("b", "Bass", "bass", bass))))
    assert c["strike"]["bass"].tolist() == [2, 2]  # silent at 3 and 4; strikes at 2 and 5
    assert c["strike"]["melody"].tolist() == [0, 5]  # the soprano strikes at every onset after its first
    # a part that has not played yet is not counted as silent
    late = (Note(Fraction(4), Fraction(2), 48),)
    c = priors.line_counts(Score(parts=(Part("s", "Soprano", "soprano", soprano), Part("b", "Bass", "bass", late))))
    assert c["strike"]["bass"].tolist() == [0, 0]


def test_a_strike_prior_keeps_the_free_parts_striking(model, chorale_plan):
    kw = dict(model=model, seed=5, max_tokens_per_bar=40, best_of=1)
    roles = ["melody", "inner", "inner", "bass"]

    def silent(score) -> float:
        c = priors.line_counts(score, roles)
        k = sum(c["strike"][g] for g in priors.GROUPS)
        return float(k[0] / k.sum())

    plain = compose(chorale_plan, **kw, pitch_prior=_tables())
    striking = _tables()
    striking["strike"] = {g: [-6.0, 0.0] for g in priors.GROUPS}
    full = compose(chorale_plan, **kw, pitch_prior=striking)
    assert full == compose(chorale_plan, **kw, pitch_prior=striking)  # deterministic
    from partita.theory_rules import check

    assert check(full, profile="chorale").n_errors == 0  # the masks still hold
    # random weights leave a free voice silent at many of the others' onsets; e^-6 for moving
    # on without it closes most of them
    assert silent(plain) > 0.3 and silent(full) < 0.4 * silent(plain)


def test_a_strike_fit_moves_by_a_bounded_step_within_its_own_clip():
    ref, gen = priors.empty_counts(), priors.empty_counts()
    ref["strike"]["bass"][:] = [1, 999]
    gen["strike"]["bass"][:] = [600, 400]
    t = priors.zero_tables()
    gaps = []
    for _ in range(4):
        t = priors.update(t, ref, gen, groups=("bass",), kinds=("strike",))
        gaps.append(t["strike"]["bass"][0] - t["strike"]["bass"][1])
    # the silent bin's log ratio (-6.0) is held to one step; the striking bin's (+0.92) is not
    strikes = np.log(999.5 / 1000.5) - np.log(400.5 / 1001.0)
    assert gaps[0] == pytest.approx(-priors.STRIKE_STEP - strikes, abs=1e-3)
    assert gaps[1] < -priors.CLIP  # past the pitch tables' clip
    assert gaps[-1] == pytest.approx(-priors.STRIKE_CLIP, abs=0.05) and gaps[-2] == pytest.approx(gaps[-1], abs=0.05)
    assert t["interval"] == priors.zero_tables()["interval"]  # only the kinds asked for move


def test_a_fitting_round_moves_the_tables_toward_the_reference():
    ref, gen = priors.empty_counts(), priors.empty_counts()
    m = priors.MAX_INTERVAL
    ref["interval"]["melody"]["major"][[m - 2, m - 1, m + 1, m + 2]] = 80
    ref["interval"]["melody"]["major"][[m - 7, m + 7]] = 10
    gen["interval"]["melody"]["major"][[m - 2, m - 1, m + 1, m + 2]] = 40
    gen["interval"]["melody"]["major"][[m - 7, m + 7]] = 60
    # minor: the composed lines already step as the reference's do
    ref["interval"]["melody"]["minor"][[m - 1, m + 1, m + 7]] = 50
    gen["interval"]["melody"]["minor"][[m - 1, m + 1, m + 7]] = 50
    t = priors.update(priors.zero_tables(), ref, gen, groups=("melody",))
    major, minor = t["interval"]["melody"]["major"], t["interval"]["melody"]["minor"]
    step, fifth = major[m + 1], major[m + 7]
    assert step > 0 > fifth
    assert step - fifth == pytest.approx(np.log(80.5 / 40.5) - np.log(10.5 / 60.5), abs=1e-3)
    assert minor[m + 1] == pytest.approx(minor[m + 7], abs=1e-9)  # each mode fitted on its own counts
    assert t["interval"]["inner"] == {mode: [0.0] * priors.N_INTERVALS for mode in priors.MODES}  # groups not fitted are kept
    # an older fit's pooled table splits into the modes and moves from there
    old = {**priors.zero_tables(), "interval": {"melody": [0.5] * priors.N_INTERVALS}}
    t = priors.update(old, ref, gen, groups=("melody",))
    assert set(t["interval"]["melody"]) == set(priors.MODES)
    p = priors.placed({"interval": {"melody": [0.5] * priors.N_INTERVALS}, "degree": {}}, _key("minor"))
    assert (p.interval["melody"] == 0.5).all()  # a pooled table still places in either mode


def test_the_shipped_priors_belong_to_the_shipped_weights_and_load():
    from partita.symbolic.composer.weights_info import shipped_path

    data = json.loads(priors._FILE.read_text())
    assert data["weights_sha256"] == hashlib.sha256(shipped_path().read_bytes()).hexdigest()
    from partita.symbolic.composer.decoding import load_decoding

    wanted = sorted(g for g, d in load_decoding().items() if d.pitch_prior)
    assert wanted and all(g in data["genres"] for g in wanted)  # every genre that asks for one has one
    for g in wanted:
        rounds = data["genres"][g]["rounds"]
        kept = [r for r in rounds if r["tables"].endswith("(kept)")]
        assert len(kept) == 1  # the round whose tables ship is named
        # the first round of the first stage (a --resume chain keeps the earlier stages' rounds)
        first = (data["genres"][g].get("earlier_rounds") or [rounds])[0][0]["tv"]
        last = kept[0]["tv"]
        # the fit brought the composed histograms of the tables it fits closer to the reference's
        fitted = data["genres"][g].get("fitted") or ["interval"]
        keys = [k for k in last if k.split()[0] in fitted and k in first]
        assert keys and np.mean([last[k] for k in keys]) < np.mean([first[k] for k in keys]), g
        if "interval" in fitted:
            assert last["interval melody"] < first["interval melody"]
    from partita.symbolic.pitch import KeySignature

    p = priors.prior_for("chorale", KeySignature(Fraction(0), 2, "minor"))
    b = p.pitch_bias("melody", 62)
    assert b.shape == (128,) and np.isfinite(b).all() and np.abs(b).max() <= 3 * priors.CLIP  # interval + degree + register


def test_a_malformed_priors_file_is_refused_by_name(tmp_path):
    bad = tmp_path / "priors.json"
    bad.write_text(json.dumps({"genres": {"chorale": {"interval": {"melody": [0.0] * 5}}}}))
    with pytest.raises(PresetError, match="priors.json"):
        priors.load_priors(bad)
    bad.write_text(json.dumps({"genres": {"reel": {"rest": {"melody": [0.0] * (priors.N_RESTS + 1)}}}}))
    with pytest.raises(PresetError, match="rest table"):
        priors.load_priors(bad)
    bad.write_text("{not json")
    with pytest.raises(PresetError, match="priors.json"):
        priors.load_priors(bad)


def test_decoding_toml_flags_must_be_true_or_false(tmp_path):
    from partita.symbolic.composer.decoding import load_decoding

    f = tmp_path / "decoding.toml"
    f.write_text('[default]\ntemperature = 1.0\ntop_p = 0.95\ncritic_weight = 1.0\n\n[chorale]\ntemperature = 0.8\n'
                 'top_p = 0.9\nkey_mask = "no"\n')  # fmt: skip
    with pytest.raises(PresetError, match="key_mask"):
        load_decoding(f)


def test_regenerate_uses_the_genres_prior(model, chorale_plan, tmp_path, monkeypatch):
    from partita.symbolic.composer.edit import regenerate

    score = compose(chorale_plan, model=model, seed=1, max_tokens_per_bar=40, best_of=1, pitch_prior=False)
    steps = tmp_path / "priors.json"
    steps.write_text(json.dumps({"genres": {"chorale": _tables(interval=lambda iv: 3.0 if 1 <= abs(iv) <= 2 else -3.0)}}))
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"genres": {"chorale": priors.zero_tables()}}))

    def span(path):
        monkeypatch.setattr(priors, "_FILE", path)
        out = regenerate(score, part="b", bars=(2, 7), seed=2, model=model)
        bass = out.part("b")
        lo, hi = out.bar_start(2), out.bar_start(8)
        return Score(parts=(dataclasses.replace(bass, notes=tuple(n for n in bass.notes if lo <= n.onset < hi)),))

    assert _stepwise(span(flat)) < 0.6 < 0.8 < _stepwise(span(steps))


def test_a_style_without_a_named_key_is_planned_in_its_corpus_keys():
    # the training split's O'Neill reels are in G (41 %), D (34 %) and A (16 %) major, almost never in Bb
    names, shares = priors.style_tonics("reel", "major")
    assert abs(sum(shares) - 1) < 1e-3 and set(names) <= {"C", "D", "F", "G", "A", "Bb", "B", "E", "Eb"}
    keys = [plan("a reel", duration_s=20, seed=s).key for s in range(40)]
    assert sum(k in ("G", "D", "A") for k in keys) >= 32
    # a named key is kept, and a style without key shares (pop) draws as before
    assert plan("a reel in Bb major", duration_s=20, seed=0).key == "Bb"
    assert priors.style_tonics("pop", "major") is None


def test_the_provenance_record_names_the_prior_file_a_compose_used():
    from partita.pipeline import _prior_record
    from partita.provenance import sha256_file
    from partita.symbolic.composer.sample import resolve_decoding

    reel = plan("a reel", duration_s=20, seed=0)
    rec = _prior_record(reel, resolve_decoding(reel))
    assert rec == {"file": "priors.json", "sha256": sha256_file(priors._FILE), "genre": "reel"}
    pop = plan("a pop song", duration_s=20, seed=0)
    assert _prior_record(pop, resolve_decoding(pop)) is None  # pop's decoding uses no prior


def test_the_cards_decoding_recipe_names_each_genres_refit_command():
    from partita.symbolic.composer.card import decoding_section

    rounds = [{"round": 0, "tables": "zero", "tv": {"interval melody": 0.2, "rest melody": 0.3}},
              {"round": 1, "tables": "after round 0 (kept)", "tv": {"interval melody": 0.05, "rest melody": 0.04}},
              {"round": 2, "tables": "after round 1", "tv": {"interval melody": 0.07, "rest melody": 0.09}}]  # fmt: skip
    text = "\n".join(decoding_section({"command": "calibrate_priors.py --genres reel", "weights_sha256": "ab" * 32,
                                       "genres": {"reel": {"rounds": rounds, "command": "calibrate_priors.py --genres reel --n 24"},
                                                  "chorale": {"rounds": rounds[:2]}}}))  # fmt: skip
    assert "reel: `calibrate_priors.py --genres reel --n 24`" in text
    assert "The tables of chorale come from an earlier run" in text
    # the kept round's distances, not the last round's
    assert "| reel | " in text and "0.200 -> 0.050 | 0.300 -> 0.040 | - -> - |" in text
    assert "last written by `calibrate_priors.py --genres reel`" in text


def test_the_shipped_cards_decoding_recipe_is_the_one_priors_json_gives(tmp_path):
    from partita.symbolic.composer import card

    shipped = card.Path(card.__file__).resolve().parent / "weights" / "composer-small.md"
    copy = tmp_path / "card.md"
    copy.write_text(shipped.read_text())
    # refreshing the shipped card from priors.json changes nothing: it was refreshed after the last refit
    assert not card.refresh_decoding_recipe(copy)
    stale = shipped.read_text().replace("## Decoding recipe\n", "## Decoding recipe\n\nan older recipe\n", 1)
    copy.write_text(stale)
    assert card.refresh_decoding_recipe(copy) and copy.read_text() == shipped.read_text()


def _key(mode):
    from partita.symbolic.pitch import KeySignature

    return KeySignature(Fraction(0), 0, mode)


JIG_ENERGY = [0.06, 0.37, 0.56, 0.01, 0.0]  # O'Neill's jigs in 6/8, about as priors.json holds them


def test_a_plans_energies_are_read_against_the_styles_own_densities():
    from partita.symbolic.composer.controls import ENERGY_LEVELS, controls_of_plan, energy_level

    assert priors.N_ENERGY_LEVELS == ENERGY_LEVELS
    jig = plan("a lively jig", duration_s=40, seed=3)
    plain = [b.energy for b in controls_of_plan(jig).bars]
    read = [b.energy for b in controls_of_plan(jig, JIG_ENERGY).bars]
    # the plain scale asks for the top level, which no O'Neill jig reaches; read against the
    # jigs' own shares, every bar asks for a level they write, and busier sections stay busier
    assert max(plain) == ENERGY_LEVELS - 1 and set(read) <= {0, 1, 2, 3} and max(read) == 2
    order = np.argsort(plain, kind="stable")
    assert all(np.diff(np.array(read)[order]) >= 0)
    # a quantile: half the energy scale reaches the level that holds the reference's median bar
    assert energy_level(0.5, [0.1, 0.1, 0.6, 0.1, 0.1]) == 2 and energy_level(0.05, [0.1, 0.1, 0.6, 0.1, 0.1]) == 0
    with pytest.raises(ValueError, match="energy shares"):
        energy_level(0.5, [0.5, 0.5])


def test_compose_reads_the_energies_through_the_genres_prior(model, monkeypatch):
    from partita.symbolic.composer import controls

    seen = []
    real = controls.controls_of_plan
    monkeypatch.setattr(controls, "controls_of_plan", lambda p, shares=None: seen.append(shares) or real(p, shares))
    jig = plan("a jig", duration_s=20, seed=0)
    t = _tables()
    compose(jig, model=model, seed=1, max_tokens_per_bar=30, best_of=1, pitch_prior={**t, "energy": {"6/8": JIG_ENERGY}})
    compose(jig, model=model, seed=1, max_tokens_per_bar=30, best_of=1, pitch_prior={**t, "energy": {"2/2": JIG_ENERGY}})
    compose(jig, model=model, seed=1, max_tokens_per_bar=30, best_of=1, pitch_prior=False)
    # the jig's meter is 6/8: its shares are used; none for another meter or without a prior
    assert seen == [tuple(JIG_ENERGY), None, None]


def test_a_malformed_energy_table_is_refused_by_name(tmp_path):
    bad = tmp_path / "priors.json"
    bad.write_text(json.dumps({"genres": {"jig": {"energy": {"6/8": [0.5, 0.5]}}}}))
    with pytest.raises(PresetError, match="jig: energy table '6/8'"):
        priors.load_priors(bad)
    bad.write_text(json.dumps({"genres": {"jig": {"energy": {"six-eight": JIG_ENERGY}}}}))
    with pytest.raises(PresetError, match="energy table"):
        priors.load_priors(bad)


def test_the_data_card_names_what_the_shipped_priors_read(tmp_path):
    from partita.symbolic.composer import card

    shipped = Path(card.__file__).resolve().parents[2] / "docs" / "data_card_composer.md"
    copy = tmp_path / "data_card.md"
    copy.write_text(shipped.read_text())
    assert not card.refresh_data_card(copy)  # refreshed after the last refit
    section = "\n".join(card.data_card_section())
    data = json.loads(priors._FILE.read_text())
    for name, g in data["genres"].items():  # every genre, its collections and its training pieces
        assert f"| {name} | {', '.join(g['reference']['collections'])} | {g['reference']['pieces']} |" in section
    # a card without the section gets it at the end; a stale one is rewritten in place
    bare = shipped.read_text().split(card.DATA_CARD_SECTION)[0].rstrip("\n") + "\n"
    copy.write_text(bare)
    assert card.refresh_data_card(copy) and copy.read_text() == shipped.read_text()


def test_the_calibration_keeps_the_round_closest_on_the_tables_it_fits():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from calibrate_priors import _fitted_mean

    d = {"interval melody": 0.5, "interval melody major": 0.1, "interval melody minor": 0.1, "strike bass": 0.4,
         "register melody": 0.9, "rest melody": 0.7}  # fmt: skip
    # per-mode intervals and strikes; not the pooled interval, nor a register the parts cannot reach
    assert _fitted_mean(d, ("interval", "register", "strike"), {"melody": 0.5}) == pytest.approx(0.2)
    assert _fitted_mean(d, ("interval", "register", "strike"), {"melody": 1.0}) == pytest.approx(0.375)
