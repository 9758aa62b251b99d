"""The arranger (issue 11): each role in its style's idiom, inside the catalog's ranges, with no
hard theory_rules error; statistics checked against music21's chord roots."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from partita import instruments as cat
from partita.symbolic.arranger.arrange import arrange, comp_kind
from partita.symbolic.arranger.library import patterns, style, styles
from partita.symbolic.composer.planner import plan
from partita.theory_rules import check

harmony = pytest.importorskip("music21.harmony")


def _score(p, parts):
    from partita.symbolic.score import ChordSymbol, Score
    from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

    chords = tuple(ChordSymbol(k * p.bar_ql, f) for k, f in enumerate(p.bar_chords()))
    return Score(title="t", parts=tuple(parts.values()), tempo_map=TempoMap((TempoMark(0, p.tempo_bpm),)),
                 time_signatures=(TimeSignature(0, *p.meter),), key_signatures=(p.key_signature(),), chords=chords)  # fmt: skip


def _m21_root(figure: str) -> int:
    """The chord root's pitch class as music21 reads the symbol (flats written '-')."""
    fig = figure[0] + figure[1:].replace("b", "-") if len(figure) > 1 and figure[1] == "b" else figure
    return harmony.ChordSymbol(fig).root().pitchClass


@pytest.mark.parametrize("name", sorted(styles()))
def test_every_style_arranges_inside_the_ranges_with_no_hard_error(name):
    s = styles()[name]
    p = plan(s.words[0], duration_s=20, seed=3)
    parts = arrange(p, seed=3)
    assert set(parts) == {x.id for x in p.instrumentation if x.role != "melody"}
    for part in parts.values():
        inst = cat.get(part.instrument)
        assert part.notes or inst.percussion, (name, part.id)
        for n in part.notes:
            if not inst.percussion:
                assert inst.comfortable_range[0] <= n.pitch <= inst.comfortable_range[1], (name, part.id, n)
        if inst.monophonic:
            onsets = [n.onset for n in part.notes]
            assert len(onsets) == len(set(onsets)), (name, part.id)
    report = check(_score(p, parts), profile=s.profile if s.arrange else "orchestration")
    assert report.n_errors == 0, (name, [v for v in report.violations if v.severity == "error"][:3])


@pytest.mark.parametrize("prompt", ["a rock song", "a pop song", "a country song", "a punk song"])
def test_bass_plays_the_chord_root_on_the_downbeats_by_music21(prompt):
    hits = total = 0
    for seed in range(3):
        p = plan(prompt, duration_s=40, seed=seed)
        bass = next(x.id for x in p.instrumentation if x.role == "bass")
        notes = arrange(p, seed=seed)[bass].notes
        for k, figure in enumerate(p.bar_chords()):
            down = [n for n in notes if n.onset == k * p.bar_ql]
            if down:
                total += 1
                hits += min(n.pitch for n in down) % 12 == _m21_root(figure)
    assert total >= 20 and hits / total >= 0.8


@pytest.mark.parametrize("prompt", ["a pop song", "a rock song", "bossa nova", "jazz", "a country song", "reggae"])
def test_comping_sounds_chords_of_three_or_more_pitches(prompt):
    p = plan(prompt, duration_s=40, seed=1)
    parts = arrange(p, seed=1)
    groups = []
    for x in p.instrumentation:
        if x.role == "accompaniment":
            by = {}
            for n in parts[x.id].notes:
                by.setdefault(n.onset, set()).add(n.pitch)
            groups += list(by.values())
    assert groups and sum(len(g) >= 3 for g in groups) / len(groups) >= 0.5


def test_rock_and_pop_drums_hit_beat_one_with_crashes_and_fills_at_sections():
    for prompt in ("a rock song", "a pop song"):
        p = plan(prompt, duration_s=60, seed=2)
        drums = arrange(p, seed=2)[next(x.id for x in p.instrumentation if x.role == "percussion")].notes
        bars = {int(n.onset // p.bar_ql) for n in drums if n.onset % p.bar_ql == 0}
        assert len(bars) / p.n_bars >= 0.9
        starts, k = [], 0
        for s in p.sections:
            starts.append(k)
            k += s.bars
        for k in starts[1:]:
            assert any(n.pitch == 49 and n.onset == k * p.bar_ql for n in drums)  # crash
            last_beat = [n for n in drums if (k - 1) * p.bar_ql + p.bar_ql - 1 <= n.onset < k * p.bar_ql]
            assert any(n.pitch in (38, 43, 47, 50) for n in last_beat)  # a fill into the section


def test_the_bass_locks_with_the_kick_where_the_style_says():
    assert style("pop").lock_kick
    p = plan("a pop song", duration_s=40, seed=4)
    parts = arrange(p, seed=4)
    role = {x.role: x.id for x in p.instrumentation}
    kicks = {n.onset for n in parts[role["percussion"]].notes if n.pitch == 36}
    bass = {n.onset for n in parts[role["bass"]].notes}
    assert bass <= kicks and len(bass) >= p.n_bars


def test_walking_bass_steps_into_the_next_root_by_a_semitone():
    p = plan("bebop", duration_s=40, seed=0)
    bass = arrange(p, seed=0)[next(x.id for x in p.instrumentation if x.role == "bass")].notes
    chords = p.bar_chords()
    checked = 0
    for k in range(p.n_bars - 1):
        bar = sorted((n for n in bass if k * 4 <= n.onset < k * 4 + 4), key=lambda n: n.onset)
        assert [n.onset - k * 4 for n in bar] == [0, 1, 2, 3]
        assert bar[0].pitch % 12 == _m21_root(chords[k])
        nxt = next(n for n in bass if n.onset == (k + 1) * 4)
        assert abs(bar[3].pitch - nxt.pitch) == 1
        checked += 1
    assert checked >= 10


def _playable_on_guitar(pitches) -> bool:
    """An assignment of the pitches, low to high, to distinct strings (E A D G B E) with the
    fretted notes inside a four-fret span."""
    tuning = (40, 45, 50, 55, 59, 64)
    ps = sorted(pitches)

    def go(i, string, frets):
        if i == len(ps):
            fretted = [f for f in frets if f > 0]
            return not fretted or max(fretted) - min(fretted) <= 3
        for s in range(string, 6):
            f = ps[i] - tuning[s]
            if 0 <= f <= 12 and go(i + 1, s + 1, frets + [f]):
                return True
        return False

    return go(0, 0, [])


def test_guitar_strums_are_playable_shapes():
    for prompt in ("a rock song", "a folk song with acoustic guitar and fiddle", "bossa nova"):
        p = plan(prompt, duration_s=30, seed=5)
        parts = arrange(p, seed=5)
        for x in p.instrumentation:
            if x.instrument.endswith("guitar") and x.role == "accompaniment":
                by = {}
                for n in parts[x.id].notes:
                    by.setdefault(n.onset, []).append(n.pitch)
                assert by and all(_playable_on_guitar(ps) for ps in by.values()), prompt


def test_keyboard_comping_moves_to_the_nearest_inversion():
    p = plan("a pop song with synth lead, piano, bass and drums", duration_s=40, seed=6)
    pid = next(x.id for x in p.instrumentation if x.instrument == "piano")
    piano = arrange(p, seed=6)[pid].notes
    by = {}
    for n in piano:
        by.setdefault(n.onset, []).append(n.pitch)
    chords = [sorted(v) for _, v in sorted(by.items()) if len(v) >= 3]
    moves = [sum(abs(a - b) for a, b in zip(c1, c2)) for c1, c2 in zip(chords, chords[1:]) if len(c1) == len(c2)]
    assert moves and max(moves) <= 12  # four voices move an octave in all at most: nearest inversion


def test_patterns_are_data_chosen_by_seed_and_the_result_is_deterministic():
    p = plan("a pop song", duration_s=60, seed=0)
    a, b = arrange(p, seed=0), arrange(p, seed=0)
    assert a == b
    variants = {tuple(n.onset for n in arrange(p, seed=s)[p.instrumentation[1].id].notes) for s in range(6)}
    assert len(variants) > 1
    for s in styles().values():
        for role in ("bass", "comp", "strum", "drums"):
            for lvl in ("low", "high"):
                for name in s.patterns[role][lvl]:
                    assert name in patterns()[role]


def test_roles_pick_the_right_pattern_family():
    assert comp_kind("electric_guitar", "accompaniment") == "strum"
    assert comp_kind("piano", "accompaniment") == "comp"
    assert comp_kind("synth_pad", "inner") == "pad"
    assert comp_kind("trombone", "inner") == "line"
    assert comp_kind("drum_kit", "percussion") == "drums"


def test_compose_writes_melody_by_model_and_the_rest_by_the_arranger(untrained_composer):
    from partita.symbolic.composer.sample import compose

    p = plan("a swing tune for tenor sax, piano, upright bass and drums", duration_s=24, seed=1)
    score = compose(p, model=untrained_composer, seed=1, max_tokens_per_bar=24)
    arranged = arrange(p, seed=1)
    for part in score.parts:
        if part.id in arranged:
            assert tuple((n.onset, n.pitch) for n in part.notes) == tuple((n.onset, n.pitch) for n in arranged[part.id].notes)
    assert score.tempo_map.marks[0].text == "Swing"
    assert [s.name for s in score.sections] == [s.name for s in p.sections]
    assert score.chords and score.chords[0].figure == p.bar_chords()[0]
    assert check(score, profile="pop").n_errors == 0
    before = compose(p, model=untrained_composer, seed=1, max_tokens_per_bar=24, arranger=False)
    assert [x.id for x in before.parts] == [x.id for x in score.parts] and before != score


def test_intro_and_outro_quote_the_chorus_where_the_chords_agree():
    from partita.symbolic.arranger.arrange import quote_material
    from partita.symbolic.composer.planner import PlanSection
    from partita.symbolic.score import Note, Part

    p = plan("a pop song", duration_s=30, seed=0)
    p = dataclasses.replace(p, sections=(PlanSection("intro", 2, 0.3, ("C", "G")), PlanSection("chorus", 2, 0.8, ("C", "F")),
                                         PlanSection("outro", 2, 0.3, ("C", "C"))))  # fmt: skip
    mel = Part("m", "M", "flute", (Note(0, 4, 72), Note(8, 2, 76), Note(10, 2, 77), Note(12, 4, 79), Note(16, 4, 81)))
    out = quote_material(p, mel)
    assert [(n.onset, n.pitch) for n in out.notes if n.onset < 4] == [(0, 76), (2, 77)]  # bar 1 quotes the chorus
    assert [(n.onset, n.pitch) for n in out.notes if 4 <= n.onset < 8] == []  # G is not the chorus's F
    assert [(n.onset, n.pitch) for n in out.notes if 16 <= n.onset < 20] == [(16, 76), (18, 77)]


NEW_INSTRUMENTS = ("nylon_guitar", "banjo", "mandolin", "ukulele", "electric_piano", "clavinet", "accordion",
                   "harmonica", "synth_pad", "synth_lead", "synth_bass", "tin_whistle")  # fmt: skip


@pytest.mark.parametrize("instrument_id", NEW_INSTRUMENTS)
def test_new_catalog_instruments_render_with_a_designed_timbre_at_their_pitch(instrument_id):
    import numpy as np

    from partita.render.settings import RenderSettings
    from partita.render.stems import render_part
    from partita.render.timbres import TIMBRES, style_of
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    inst = cat.get(instrument_id)
    assert style_of(instrument_id) in TIMBRES
    pitch = (inst.comfortable_range[0] + inst.comfortable_range[1]) // 2
    part = Part("x", inst.name, instrument_id, (Note(0, 2, pitch, velocity=90),))
    score = Score(title="t", parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))
    sr = 16000
    audio = render_part(part, score, RenderSettings(sample_rate=sr))[0]
    assert np.isfinite(audio).all() and np.sqrt(np.mean(audio**2)) > 1e-3
    seg = audio[int(0.1 * sr): int(0.6 * sr)].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), n=1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / sr)
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    # the strongest partial is a harmonic of the written pitch (within 3 %)
    peak = freqs[np.argmax(spec[freqs > 0.8 * f0]) + np.searchsorted(freqs, 0.8 * f0)]
    ratio = peak / f0
    assert abs(ratio - round(ratio)) < 0.03 * round(ratio) and round(ratio) >= 1


def test_a_swing_score_plays_its_off_beat_eighths_as_triplets():
    """Measured on the audio: a hi-hat written on the '&' of beat 1 at 120 bpm sounds at 2/3 of
    the beat (0.333 s) in a score marked Swing, at 0.25 s otherwise; the marking is what
    changes the stem's cache key."""
    import numpy as np

    from partita.render.drums import render_drum_part
    from partita.render.settings import RenderSettings
    from partita.render.stem_cache import part_cache_key
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    part = Part("dr", "Drums", "drum_kit", (Note(Fraction(1, 2), Fraction(1, 4), 42, velocity=100),))
    sr = 16000

    def onset_s(text):
        score = Score(title="t", parts=(part,), tempo_map=TempoMap((TempoMark(0, 120, text),)))
        x = render_drum_part(part, score, sample_rate=sr, seed=0, n_samples=sr)[0]
        return np.argmax(np.abs(x) > 0.05 * np.abs(x).max()) / sr, part_cache_key(part, score, RenderSettings(), None)

    (swing_t, swing_key), (straight_t, straight_key) = onset_s("Swing"), onset_s(None)
    assert abs(straight_t - 0.25) < 0.005 and abs(swing_t - 1 / 3) < 0.005
    assert swing_key != straight_key
