"""Human in the loop: rewrite one part over a span of bars and keep everything else.

``regenerate(score, part=..., bars=(a, b), seed=...)`` encodes the score with its controls (the
plan stored by :func:`~partita.symbolic.composer.sample.compose`, or controls measured from the
score), primes the model with the bars before the span, and writes bars ``a..b`` again: the
other parts' tokens are forced exactly as they were, while the chosen part's notes are
sampled, every step under the profile's :class:`~partita.symbolic.composer.masks.DecodeMask`. The
chosen part's new notes are written after the other parts' notes at each onset, so the mask
judges parallels against them. The returned score is the input with only that part's notes
that start inside the span replaced: every other note, mark and setting is the same object.
Where ``compose`` recorded that the arranger wrote some parts (metadata ``partita.modelled``),
a part the model wrote is written again in the context it was composed in: the arranged parts
are left out of the tokens the model reads (:func:`model_context`), and kept in the result.

Bars are numbered as in the score (and MuseScore): with a pickup (anacrusis) the pickup is bar
0 and the first full bar is bar 1; the pickup itself cannot be regenerated. Both bar lines of
the span are guarded under a profile with parallels (``chorale``, ``classical``): the first
note of the span is sampled under the mask, which knows every part's notes before the span;
the kept bar after the span is then pushed through the same mask, and if the new notes would
make a parallel fifth, octave or unison into it, the span is sampled again (a new generator
derived from ``seed`` and the try; at most :data:`BOUNDARY_TRIES` tries, then a
``ConfigError``). :class:`RewriteStats` reports the tries and the chord relaxations.

Limits: the score must lie on the token grid and keep one meter per bar line as tokens allow.

>>> import torch
>>> from partita.symbolic.composer.model import GPT, GPTConfig
>>> from partita.symbolic.composer.controls import ComposerVocab
>>> from partita.symbolic.score import Note, Part, Score
>>> _ = torch.manual_seed(0)
>>> m = GPT(GPTConfig(vocab_size=ComposerVocab.default().vocab_size, n_layer=1, n_head=2, n_embd=16, block_size=128, dropout=0.0))
>>> s = Score(parts=(Part("s", "Soprano", "soprano", tuple(Note(i, 1, 67) for i in range(16))),
...                  Part("b", "Bass", "bass", tuple(Note(2 * i, 2, 48) for i in range(8)))))
>>> new = regenerate(s, part="b", bars=(2, 3), seed=1, model=m)
>>> new.part("s") == s.part("s"), [n for n in new.part("b").notes if n.onset < 4] == list(s.part("b").notes[:2])
(True, True)
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from typing import Any

import numpy as np

from partita.errors import ConfigError, ScoreError
from partita.symbolic.composer.decoding import for_edit

__all__ = ["BOUNDARY_TRIES", "MODELLED_KEY", "RewriteStats", "continue_", "harmonize", "model_context", "read_guide", "regenerate"]

#: Most times a span is sampled again when its notes would make parallels across the bar line
#: after it (each try is as costly as the first; a try fails rarely, see docs/composer.md).
BOUNDARY_TRIES = 8


@dataclasses.dataclass(frozen=True, slots=True)
class RewriteStats:
    """What a regenerate, harmonize or continue_ run did: ``tries`` (1 unless the span was
    sampled again to avoid parallels across its closing bar line), ``chord_relaxations`` (notes
    on strong beats where the given chord gave way because no chord tone was legal, see
    :class:`~partita.symbolic.composer.chordmask.ChordMask`), and the seconds spent."""

    tries: int
    chord_relaxations: int
    seconds: float


def _bars_of(ids: list[int], vocab: Any) -> tuple[list[int], list[list[int]]]:
    """Header and per-bar token lists (each starting with Bar) of a composer sequence."""
    first = ids.index(vocab.bar) if vocab.bar in ids else len(ids)
    header, bars = ids[:first], []
    for i in ids[first:]:
        if i == vocab.eos:
            break
        if i == vocab.bar:
            bars.append([i])
        else:
            bars[-1].append(i)
    return header, bars


def _events(bar: list[int], vocab: Any) -> tuple[list[int], list[tuple[int, int, list[int]]]]:
    """Opening (Bar, TimeSig, controls) and notes ``(position, slot, [Program..Duration])``."""
    opening, notes = [], []
    pos = -1
    i = 0
    while i < len(bar):
        t = vocab.token_type(bar[i])
        if t == "Position":
            pos = vocab.base.token_value(bar[i])
            i += 1
        elif t == "Program":
            notes.append((pos, vocab.base.token_value(bar[i]), bar[i : i + 4]))
            i += 4
        else:
            opening.append(bar[i])
            i += 1
    return opening, notes


def regenerate(
    score: Any,
    *,
    part: str,
    bars: tuple[int, int],
    seed: int = 0,
    model: Any = None,
    weights: str | None = None,
    profile: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    pitch_range: str = "comfortable",
    chord_rule: str = "strong-beats",
    return_stats: bool = False,
    style: str | None = None,
) -> Any:
    """A copy of ``score`` whose part ``part`` (id or name) is written again in bars
    ``bars[0]..bars[1]`` (inclusive, numbered as in the score: from 1, a pickup is bar 0);
    everything else is kept.

    ``return_stats``: also return a :class:`RewriteStats`. The returned score's metadata
    ``partita.chord_relaxations`` holds the count of chord relaxations of this run.
    ``style``: the style whose decoding and calibrated prior the edit samples with (a score from
    elsewhere records none; None: the score's own, else ``[default]``).
    ``temperature``, ``top_p``: None (default): the defaults of the score's genre (``decoding.toml``,
    read as :func:`~partita.symbolic.composer.decoding.resolve_for_score` says; a chorale's
    melody is sampled cooler); the settings used are in the metadata ``partita.decoding``.

    Raises
    ------
    ConfigError
        Bars outside the score (the pickup, bar 0, included), an unknown profile, or a span
        whose notes made parallels across its closing bar line in every try.
    ScoreError
        An unknown part (the known ones listed).
    TokenizationError
        Notes off the token grid (quantise first).
    """
    from partita.symbolic.composer.controls import controls_of, controls_of_plan
    from partita.symbolic.composer.planner import Plan

    source = score
    whole = read_guide(score)
    target = whole.part(part)  # ScoreError listing parts
    # the model writes in the context it composed in: where compose recorded that the arranger
    # wrote some parts, those are left out of the tokens it reads (a tune's melody was written
    # alone; among the guitar's and the bass's onsets it fell silent at most of them)
    score = model_context(whole, target.id)
    slot = [p.id for p in score.parts].index(target.id)
    a, b = int(bars[0]), int(bars[1])
    first = 0 if whole.pickup else 1
    last = first + whole.n_bars - 1
    if not 1 <= a <= b <= last:
        pick = " (bar 0, the pickup, is kept)" if whole.pickup else ""
        raise ConfigError(f"bars {a}-{b} are outside the score's 1-{last}{pick}")
    plan = None
    if "partita.plan" in score.metadata:
        try:
            plan = Plan.from_dict(json.loads(score.metadata["partita.plan"]))
        except (ValueError, ConfigError):
            plan = None
    from partita.symbolic.composer.controls import ComposerVocab

    vocab = ComposerVocab.default()
    n_bars_tok = sum(1 for i in vocab.base.encode(score).ids if i == vocab.bar)
    controls = controls_of(score, n_bars=n_bars_tok)
    from_plan = plan is not None and not score.pickup and plan.n_bars >= n_bars_tok and len(plan.instrumentation) >= len(score.parts)
    if from_plan:
        roles = {p.id: p.role for p in plan.instrumentation}
        controls = dataclasses.replace(controls, roles=tuple(roles.get(p.id, r) for p, r in zip(score.parts, controls.roles)))
    if profile is None:
        profile = score.metadata.get("partita.profile", "classical")
    # token bars: a pickup becomes a whole first token bar, so score bar k is token bar k + 1
    ta, tb = a + 1 - first, b + 1 - first
    dec, rec, prior = for_edit(score, source, temperature, top_p, [controls.roles[slot]], style)
    if from_plan:  # the plan's key, tempo and bars, its energies read as compose read them (through the prior)
        pc = controls_of_plan(plan, prior.energy_shares(plan.meter) if prior is not None else None)
        controls = dataclasses.replace(controls, key=pc.key, tempo=pc.tempo, bars=pc.bars[:n_bars_tok])
    decoded, stats = _rewrite(score, controls, {slot}, ta, tb, seed=seed, model=model, weights=weights,
                              profile=profile, decoding=dec, pitch_range=pitch_range, prior=prior,
                              chords=_given_chords(score.chords, chord_rule))  # fmt: skip
    start, end = whole.bar_start(a), whole.bar_start(b) + whole.time_signature_at(whole.bar_start(b)).bar_length
    out = whole.replace_part(target.id, _merged(target, decoded.part(target.id), start, end))
    out = _with_relaxations(out, stats.chord_relaxations, rec)
    return (out, stats) if return_stats else out


#: Score metadata that ``compose`` writes: the ids of the parts the model wrote, comma-separated
#: (the arranger wrote the other pitched parts).
MODELLED_KEY = "partita.modelled"


def model_context(score: Any, part_id: str) -> Any:
    """``score`` with only the parts the model wrote (metadata ``partita.modelled``, which
    ``compose`` records) when ``part_id`` is one of them and the arranger wrote others; else
    ``score`` itself (a score from elsewhere, or an arranged part: every part is context)."""
    ids = {x for x in score.metadata.get(MODELLED_KEY, "").split(",") if x}
    if part_id not in ids or all(p.id in ids for p in score.parts):
        return score
    return dataclasses.replace(score, parts=tuple(p for p in score.parts if p.id in ids))


def _with_relaxations(score: Any, n: int, decoding: str) -> Any:
    """``score`` with ``partita.chord_relaxations`` and ``partita.decoding`` (the settings this
    run sampled with, :func:`~partita.symbolic.composer.decoding.record`) in its metadata."""
    return dataclasses.replace(score, metadata={**score.metadata, "partita.chord_relaxations": str(int(n)),
                                                "partita.decoding": decoding})  # fmt: skip


def read_guide(guide: Any) -> Any:
    """A guide Score as given, or read from a path (MIDI, MusicXML, anything partita reads)."""
    import os

    if isinstance(guide, (str, os.PathLike)):
        from partita.symbolic import io as sio

        return sio.read(guide)
    return guide


def _given_chords(chords: Any, chord_rule: str, *, shift: Fraction = Fraction(0)) -> list[tuple[Fraction, str]]:
    """The score's chord symbols as ``(onset_ql, figure)`` for the chord mask (none when off)."""
    from partita.symbolic.composer.chordmask import CHORD_RULES

    if chord_rule not in CHORD_RULES:
        raise ConfigError(f"unknown chord_rule {chord_rule!r}; known: {', '.join(CHORD_RULES)}")
    if chord_rule == "off":
        return []
    return [(c.onset + shift, c.figure) for c in chords]


def _merged(old: Any, new: Any, start: Fraction, end: Fraction) -> Any:
    """``old`` with its notes starting in ``[start, end)`` replaced by ``new``'s there."""
    new_notes = [n for n in new.notes if start <= n.onset < end]
    kept = [n for n in old.notes if not start <= n.onset < end]
    try:
        return old.with_notes(kept + [dataclasses.replace(n, velocity=None) for n in new_notes])
    except ScoreError:
        shift = max((n.voice for n in kept), default=1)
        return old.with_notes(kept + [dataclasses.replace(n, velocity=None, voice=n.voice + shift) for n in new_notes])


def _rewrite(
    score: Any, controls: Any, free: set[int], a: int, b: int, *, seed: int, model: Any, weights: str | None,
    profile: str, decoding: Any, pitch_range: str, chords: Any = (), prior: Any = None,
) -> tuple[Any, RewriteStats]:  # fmt: skip
    """Sample the notes of the ``free`` slots in token bars ``a..b`` with every other slot's
    tokens forced; returns the decoded Score of the whole spliced sequence and the
    :class:`RewriteStats`. Token bars count from 1 at onset 0 (a pickup is shifted into a whole
    first token bar). ``chords``: ``(onset_ql, figure)`` pairs in score time enforced by a
    :class:`~partita.symbolic.composer.chordmask.ChordMask` (chord tones on strong beats) for
    the sampled notes. When a kept bar follows the span, it is pushed through the mask: a kept
    note the mask now refuses (and did not refuse before the rewrite) is a parallel into it
    made by the new notes, and the span is sampled again (:data:`BOUNDARY_TRIES`). ``decoding``:
    a :class:`~partita.symbolic.composer.decoding.Decoding` (its role temperatures act on the
    pitches of the free parts by their role in ``controls``; without its ``key_mask`` the key
    is not masked). ``prior``: a :class:`~partita.symbolic.composer.priors.LinePrior` weighing
    the free parts' pitches and rhythm by their role group, as in ``compose``."""
    import time

    import torch

    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.decode import PROFILE_MASKS, Decoder, load_model, profile_mask, with_chords
    from partita.symbolic.tokens_format import PartLayout

    t0 = time.perf_counter()
    if model is None:
        model = load_model(weights)
    vocab = ComposerVocab.default()
    opts = PROFILE_MASKS.get(profile, "missing")
    if opts == "missing":
        raise ConfigError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_MASKS)}")
    seq, controls = vocab.encode(score, controls)
    header, bar_ids = _bars_of(list(seq.ids), vocab)
    last_ts = score.time_signatures[-1]
    ts_id = vocab.id(f"TimeSig_{last_ts.numerator}/{last_ts.denominator}")
    while len(bar_ids) < b:  # bars after the last note (continuing a score): empty, same meter
        bar_ids.append([vocab.bar, ts_id] + vocab.bar_control_ids(controls.bars[len(bar_ids)]))
    layout = PartLayout.from_score(score)
    meters = sorted({(ts.numerator, ts.denominator) for ts in score.time_signatures})
    # score time -> token time: a pickup becomes a whole first bar
    shift = score.time_signatures[0].bar_length - score.pickup if score.pickup else Fraction(0)
    keys = tuple(dataclasses.replace(k, onset=k.onset + shift) if k.onset else k for k in score.key_signatures)
    chords = [(Fraction(o) + shift, f) for o, f in chords]

    def new_mask() -> Any:
        return profile_mask(vocab.base, layout, profile, meters=meters, key_signatures=keys if decoding.key_mask else (),
                            pitch_range=pitch_range)  # fmt: skip

    remi_mask = ~vocab.is_control
    pitch_ids = set(int(i) for i in vocab.type_ids["Pitch"])
    bar_ql = score.time_signatures[0].bar_length
    if chords:
        with_chords(new_mask(), chords, bar_ql=bar_ql)  # refuses chords no part can sound, once

    def refused_after(inner: Any, bar: list[int]) -> set[int]:
        """Indices of ``bar``'s pitch tokens that ``inner`` (a DecodeMask after the bar before)
        refuses, pushing the bar through it."""
        out = set()
        for k, i in enumerate(bar):
            if not remi_mask[i]:
                continue
            if i in pitch_ids and not inner.allowed()[i]:
                out.add(k)
            inner.update(i, check=False)
        return out

    guard = b < len(bar_ids) and bool(opts and opts["parallels"])
    if guard:  # what the mask refuses in the kept bar after the span with the old notes
        m0 = new_mask()
        m0.update(vocab.bos)
        for bar in bar_ids[:b]:
            for i in bar:
                if remi_mask[i]:
                    m0.update(i, check=False)
        refused_before = refused_after(m0, bar_ids[b])
    block = model.config.block_size
    room = int(block * 0.6) - len(header)
    ctx: list[int] = []
    for bar in reversed(bar_ids[: a - 1]):
        if len(bar) > room - len(ctx):
            break
        ctx = bar + ctx
    pos_ids = set(int(i) for i in vocab.type_ids["Position"])
    is_pos = np.zeros(vocab.n_remi, dtype=bool)
    is_pos[list(pos_ids)] = True
    progs = {s: int(vocab.id(f"Program_{s}")) for s in free}
    roles = dict(decoding.role_temperature)
    if prior is not None:
        from partita.symbolic.composer.priors import role_group

        # the kept parts have no group: their notes are forced, and the rests before the next
        # onset are weighed for the free parts only
        groups = [role_group(r) if i in free else "" for i, r in enumerate(controls.roles)]

    for attempt in range(BOUNDARY_TRIES):
        mask = new_mask()
        if chords:
            mask = with_chords(mask, chords, bar_ql=bar_ql, check=False)
        mask.update(vocab.bos)
        for bar in bar_ids[: a - 1]:
            for i in bar:
                if remi_mask[i]:
                    mask.update(i, check=False)
        gen_seed = int(seed) if attempt == 0 else int(np.random.SeedSequence([int(seed) % 2**63, attempt]).generate_state(1)[0])
        gen = torch.Generator().manual_seed(gen_seed)
        decoder = Decoder(model, header)
        decoder.feed(header + ctx)
        for bar in bar_ids[a - 1 : b]:
            opening, notes = _events(bar, vocab)
            others = [(p, s, toks) for p, s, toks in notes if s not in free]
            forced_positions = sorted({p for p, _, _ in others})
            for i in opening:
                if remi_mask[i]:
                    mask.update(i, check=False)
            decoder.start_bar(opening)
            step_ticks = mask.step_ticks  # the bar's grid step
            written_here: set[int] = set()  # free slots with a note at the current position
            fi = 0
            while True:
                allowed = mask.allowed()
                temp = decoding.temperature
                cand = np.zeros(vocab.vocab_size, dtype=bool)
                q = forced_positions[fi] if fi < len(forced_positions) else None
                last_type = vocab.token_type(decoder.current[-1])
                if last_type in ("Duration", "Chord", "TimeSig", "Section", "Energy"):
                    # choose: a new position before q for a free part, position q (the kept notes),
                    # a free part at the current position, or the end of the bar
                    for k_id in np.flatnonzero(allowed & is_pos):
                        k = vocab.base.token_value(int(k_id))
                        onset = mask.bar_start + k * step_ticks
                        if (q is None or k < q) and any(mask.busy_until[s] <= onset for s in free):
                            cand[k_id] = True
                    if q is not None:
                        cand[vocab.id(f"Position_{q}")] = True  # the kept notes come whatever the mask says
                    if mask.position >= 0:
                        for s, pid in progs.items():
                            if s not in written_here and allowed[pid]:
                                cand[pid] = True
                    if q is None:
                        cand[vocab.bar] = True
                elif last_type == "Position":
                    for s, pid in progs.items():
                        if allowed[pid]:
                            cand[pid] = True
                else:  # inside a free part's note: Pitch, Velocity, Duration as the mask allows
                    cand[: vocab.n_remi] = allowed
                    if roles and mask.expects_pitch:
                        temp = roles.get(controls.roles[mask.slot], decoding.temperature)
                bias = prior.mask_bias(mask, groups, vocab.vocab_size) if prior is not None else None
                if not cand.any():
                    cand[vocab.bar] = True
                choice = decoder.sample(cand, temperature=temp, top_p=decoding.top_p, generator=gen, bias=bias)
                if choice == vocab.bar:
                    break
                if choice in pos_ids and q is not None and vocab.base.token_value(choice) == q:
                    group = [choice] + [t for p, _, toks in others if p == q for t in toks]
                    for i in group:
                        mask.update(i, check=False)
                    decoder.append(group)
                    fi += 1
                    written_here = set()
                    continue
                if choice in pos_ids:
                    written_here = set()
                for s, pid in progs.items():
                    if choice == pid:
                        written_here.add(s)
                mask.update(choice, check=False)
                decoder.append([choice])
            decoder.end_bar()
        inner = getattr(mask, "inner", mask)
        if not guard or not (refused_after(inner, bar_ids[b]) - refused_before):
            break
    else:
        bar_no = b + (0 if score.pickup else 1)  # the kept bar after the span, numbered as in the score
        raise ConfigError(f"every one of {BOUNDARY_TRIES} tries made parallels into bar {bar_no}; "
                          "try another seed or span")  # fmt: skip
    ids = header + [i for bar in bar_ids[: a - 1] for i in bar] + [i for bar in decoder.bars for i in bar]
    ids += [i for bar in bar_ids[b:] for i in bar] + [vocab.eos]
    decoded, _ = vocab.decode(dataclasses.replace(seq, ids=tuple(ids)))
    stats = RewriteStats(attempt + 1, int(getattr(mask, "relaxed", 0)), time.perf_counter() - t0)
    return decoded, stats


def harmonize(
    melody: Any,
    *,
    ensemble: Any = "string_quartet",
    part: str | None = None,
    seed: int = 0,
    model: Any = None,
    weights: str | None = None,
    profile: str = "chorale",
    temperature: float | None = None,
    top_p: float | None = None,
    chord_rule: str = "strong-beats",
    return_stats: bool = False,
    style: str | None = None,
) -> Any:
    """Write the other parts of ``ensemble`` under a given melody.

    ``melody`` is a Score or a path to a file partita reads (MIDI, MusicXML, ...);
    ``ensemble`` an ensemble preset name or ``(id, name, instrument, role)`` rows.

    The melody (``part`` of ``melody``, default its first part with notes) goes to the
    ensemble's melody part unchanged; every other part is sampled under the masks with the
    melody forced; chords are measured from the melody bar by bar. A pickup is kept.
    ``return_stats``: also return a :class:`RewriteStats`; the score's metadata
    ``partita.chord_relaxations`` holds the chord relaxations of this run.
    ``style``: the style whose decoding and calibrated prior the edit samples with (a score from
    elsewhere records none; None: the score's own, else ``[default]``).
    ``temperature``, ``top_p``: None (default): the defaults of the score's genre (``decoding.toml``,
    see :func:`~partita.symbolic.composer.decoding.resolve_for_score`), recorded in the metadata
    ``partita.decoding``.

    Raises
    ------
    ConfigError
        An unknown ensemble (the known ones listed), an ensemble without a melody part, or a
        melody outside its instrument's playable range (the bars named, and an octave shift
        that would fit when there is one).
    """
    from partita import instruments
    from partita.symbolic.composer.controls import controls_of
    from partita.symbolic.composer.vocab import ensembles
    from partita.symbolic.score import Part, Score

    source = melody
    melody = read_guide(melody)
    if isinstance(ensemble, str):
        table = ensembles()
        key = ensemble.strip().lower().replace(" ", "_").replace("-", "_")
        if key not in table:
            raise ConfigError(f"unknown ensemble {ensemble!r}; known: {', '.join(table)}")
        parts_spec = table[key]
    else:  # (id, name, instrument, role) rows, e.g. a plan's pitched parts
        parts_spec = tuple(tuple(row) for row in ensemble)
    roles = [r for _, _, _, r in parts_spec]
    if "melody" not in roles:
        raise ConfigError(f"ensemble {ensemble!r} has no melody part")
    m_index = roles.index("melody")
    src = melody.part(part) if part else next((p for p in melody.parts if p.notes), None)
    if src is None:
        raise ConfigError("the melody has no notes")
    inst = instruments.get(parts_spec[m_index][2])
    lo, hi = inst.sounding_range
    bad = sorted({melody.bar_of(n.onset).bar for n in src.notes if not lo <= n.pitch <= hi})
    if bad:
        p_lo, p_hi = min(n.pitch for n in src.notes), max(n.pitch for n in src.notes)
        fits = [k for k in (-1, 1, -2, 2, -3, 3) if lo <= p_lo + 12 * k and p_hi + 12 * k <= hi]
        hint = (f"; transpose it {abs(fits[0])} octave(s) {'up' if fits[0] > 0 else 'down'} or choose another ensemble"
                if fits else "; its compass is wider than the instrument's: choose another ensemble")
        raise ConfigError(f"the melody ({p_lo}-{p_hi}) leaves the {inst.name}'s range {lo}-{hi} in bars "
                          f"{', '.join(map(str, bad[:8]))}{hint}", part=src.name)  # fmt: skip
    # a pickup becomes a whole first bar (the masks write whole bars), and is restored after
    shift = melody.time_signatures[0].bar_length - melody.pickup if melody.pickup else Fraction(0)
    notes = tuple(dataclasses.replace(n, onset=n.onset + shift, velocity=None, tie=None, slur=None,
                                      articulations=frozenset(), lyric=None) for n in src.notes)  # fmt: skip
    from partita.symbolic.sounding import assign_voices

    merged = [[n.onset, n.end, n.pitch, 80] for n in notes]
    line = assign_voices(merged, lambda x: x)
    parts = []
    for i, (pid, name, instrument, _) in enumerate(parts_spec):
        parts.append(Part(pid, name, instrument, tuple(dataclasses.replace(n, velocity=None) for n in line) if i == m_index else ()))
    meters = tuple(dataclasses.replace(ts, onset=ts.onset + shift if ts.onset else ts.onset) for ts in melody.time_signatures)
    keys = tuple(dataclasses.replace(k, onset=k.onset + shift if k.onset else k.onset) for k in melody.key_signatures)
    base = Score(title=melody.title, parts=tuple(parts), tempo_map=melody.tempo_map, time_signatures=meters,
                 key_signatures=keys)  # fmt: skip
    n_bars = base.n_bars
    measured = controls_of(Score(parts=(parts[m_index],), time_signatures=meters, key_signatures=keys), n_bars=n_bars)
    controls = dataclasses.replace(measured, roles=tuple(roles))
    free = {i for i in range(len(parts_spec)) if i != m_index}
    dec, rec, prior = for_edit(melody, source, temperature, top_p, [roles[i] for i in sorted(free)], style)
    decoded, stats = _rewrite(base, controls, free, 1, n_bars, seed=seed, model=model, weights=weights,
                              profile=profile, decoding=dec, pitch_range="comfortable", prior=prior,
                              chords=_given_chords(melody.chords, chord_rule, shift=shift))  # fmt: skip
    out_parts = []
    for i, p in enumerate(parts):
        got = decoded.parts[i]
        ns = src.notes if i == m_index else tuple(
            dataclasses.replace(n, onset=n.onset - shift, velocity=None) for n in got.notes if n.onset >= shift
        )  # fmt: skip
        out_parts.append(Part(p.id, p.name, p.instrument, tuple(ns)))
    out = _with_relaxations(dataclasses.replace(melody, parts=tuple(out_parts), chords=melody.chords),
                            stats.chord_relaxations, rec)  # fmt: skip
    return (out, stats) if return_stats else out


def continue_(
    score: Any,
    *,
    bars: int,
    seed: int = 0,
    model: Any = None,
    weights: str | None = None,
    profile: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    chord_rule: str = "strong-beats",
    return_stats: bool = False,
    style: str | None = None,
) -> Any:
    """``score`` with ``bars`` more bars written by the model after its last bar, every part
    continuing under the masks; the new bars keep the last bar's meter, section and energy
    (chord: none). Everything already there is kept; a pickup stays bar 0.
    ``return_stats``: also return a :class:`RewriteStats`; the score's metadata
    ``partita.chord_relaxations`` holds the chord relaxations of this run.
    ``style``: the style whose decoding and calibrated prior the edit samples with (a score from
    elsewhere records none; None: the score's own, else ``[default]``).
    ``temperature``, ``top_p``: None (default): the defaults of the score's genre (``decoding.toml``,
    see :func:`~partita.symbolic.composer.decoding.resolve_for_score`), recorded in the metadata
    ``partita.decoding``.

    Raises
    ------
    ConfigError
        ``bars`` < 1, or an unknown profile.
    """
    from partita.symbolic.composer.controls import BarControl, ComposerVocab, controls_of

    source = score
    score = read_guide(score)
    if not (isinstance(bars, int) and bars >= 1):
        raise ConfigError(f"bars {bars!r} must be a whole number from 1")
    vocab = ComposerVocab.default()
    n_tok = sum(1 for i in vocab.base.encode(score).ids if i == vocab.bar)
    measured = controls_of(score, n_bars=n_tok)
    last = measured.bars[-1] if measured.bars else BarControl()
    controls = dataclasses.replace(measured, bars=measured.bars + tuple(
        BarControl(last.section, last.energy, None) for _ in range(bars)))  # fmt: skip
    if profile is None:
        profile = score.metadata.get("partita.profile", "classical")
    start = score.bar_start(n_tok + (0 if score.pickup else 1))  # the bar after the last (token bar n_tok + 1)
    given = [(o, f) for o, f in _given_chords(score.chords, chord_rule) if o < start]
    if given:
        given.append((start, None))  # the new bars have no chord: the last one ends here
    dec, rec, prior = for_edit(score, source, temperature, top_p, list(controls.roles), style)
    decoded, stats = _rewrite(score, controls, set(range(len(score.parts))), n_tok + 1, n_tok + bars, seed=seed,
                              model=model, weights=weights, profile=profile, decoding=dec, prior=prior,
                              pitch_range="comfortable", chords=given)  # fmt: skip
    end = start + bars * score.time_signatures[-1].bar_length
    out = score
    for old, new in zip(score.parts, decoded.parts):
        out = out.replace_part(old.id, _merged(old, new, start, end))
    out = _with_relaxations(out, stats.chord_relaxations, rec)
    return (out, stats) if return_stats else out
