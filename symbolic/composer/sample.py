"""Constrained sampling: a :class:`~partita.symbolic.composer.planner.Plan` becomes a Score.

The composer writes one token sequence (see :mod:`partita.symbolic.composer.controls`)::

    BOS Key Tempo Role...                         forced from the plan
    Bar TimeSig Section Energy Chord              forced at every bar, from the plan
    (Position Program Pitch Velocity Duration)*   sampled, every step masked

Every sampled step applies a :class:`partita.symbolic.composer.masks.DecodeMask` built for the
chosen rule profile (grammar, grid, bar fill, range, key, monophony; parallel fifths, octaves
and unisons in the ``chorale`` and ``classical`` profiles), so what is written breaks none of
those hard rules and always decodes. Sampling is temperature plus nucleus (top-p) with a
seeded ``torch.Generator``: the same plan, weights and seed give the same score.

Whole pieces: sections are written in order; a section whose name came before (a second
chorus) replays the first one's bars, token by token through the mask (where the mask refuses
a token, sampling takes over from there), and writes its last bar fresh, so it comes back
recognisably with a new cadence (a bar replayed whole ends where its model ended). When the
context fills, the model is re-primed with the header and the most recent bars. Parts the corpus does not teach (drum kit) are written by
documented rules (:data:`GROOVES`). Dynamics follow the sections' energy, with hairpins where
the energy changes; the score carries sections, chord symbols, tempo and key.

>>> from partita.symbolic.composer.planner import plan
>>> from partita.symbolic.composer.model import GPT, GPTConfig
>>> from partita.symbolic.composer.controls import ComposerVocab
>>> import torch
>>> _ = torch.manual_seed(0)
>>> model = GPT(GPTConfig(vocab_size=ComposerVocab.default().vocab_size, n_layer=1, n_head=2, n_embd=16, block_size=128, dropout=0.0))
>>> p = plan("chorale", duration_s=8, ensemble="satb choir")
>>> score = compose(p, model=model, seed=1, max_tokens_per_bar=24)
>>> [part.instrument for part in score.parts]
['soprano', 'alto', 'tenor', 'bass']
>>> score == compose(p, model=model, seed=1, max_tokens_per_bar=24)
True
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

import numpy as np

from partita.errors import ConfigError
from partita.symbolic.composer.decode import PROFILE_MASKS, load_model
from partita.symbolic.composer.decoding import Decoding, decoding_for, load_decoding, resolve_decoding  # noqa: F401 - re-exported
from partita.symbolic.composer.grooves import GROOVES, _drum_part, load_grooves  # noqa: F401 - re-exported

__all__ = ["GROOVES", "load_grooves", "PROFILE_MASKS", "SampleStats", "compose", "default_profile", "load_model", "sample_tokens"]

#: Energy (0-1) -> dynamic mark, lower edges.
_DYNAMICS = ((0.0, "pp"), (0.2, "p"), (0.4, "mp"), (0.55, "mf"), (0.7, "f"), (0.85, "ff"))


@dataclass(frozen=True, slots=True)
class SampleStats:
    """What a sampling run did: tokens sampled (masked steps) and forced, bars replayed from an
    earlier section, context re-primings, the seconds spent, and ``chord_relaxations``: notes
    on strong beats where the given chord gave way because no chord tone was legal there
    (:class:`~partita.symbolic.composer.chordmask.ChordMask`; a stated relaxation, 0 for an
    ordinary request); ``discarded``: tokens sampled for best-of-N candidates that were not
    kept (the cost of ``best_of``: throughput is ``sampled + forced`` over ``seconds``, which
    include them)."""

    sampled: int
    forced: int
    replayed_bars: int
    reprimes: int
    seconds: float
    chord_relaxations: int = 0
    discarded: int = 0


def sample_tokens(
    plan: Any,
    *,
    model: Any,
    seed: int = 0,
    temperature: float = 1.0,
    top_p: float = 0.95,
    profile: str = "classical",
    pitch_range: str = "comfortable",
    max_tokens_per_bar: int | None = None,
    reuse_sections: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    chord_rule: str = "strong-beats",
    role_temperature: Mapping[str, float] | None = None,
    best_of: int = 1,
    critic_weight: float = 1.0,
    phrase_bars: int = 4,
    key_mask: bool = True,
    prior: Any = None,
) -> tuple[list[int], Any, SampleStats]:
    """The composer ids of a piece for ``plan`` (pitched parts only) and the layout they use.

    Parameters
    ----------
    plan
        What to write.
    model
        A :class:`~partita.symbolic.composer.model.GPT` over the composer vocabulary.
    seed
        Seeds the sampler; same seed, same tokens.
    temperature, top_p
        Softmax temperature (0: greedy) and nucleus mass.
    profile
        Which theory_rules profile's hard rules the mask enforces (:data:`PROFILE_MASKS`).
    pitch_range
        ``"comfortable"`` or ``"playable"`` instrument ranges.
    max_tokens_per_bar
        After this many tokens in a bar only ``Bar`` may follow (default: half the context).
    reuse_sections
        Replay a repeated section's first occurrence.
    progress
        Called as ``progress(section name, index, n_sections)`` when each section starts.
    chord_rule
        ``"strong-beats"`` (default): the plan's chords are a hard constraint, every note
        struck on a strong beat is a chord tone (:mod:`~partita.symbolic.composer.chordmask`);
        ``"off"``: the chords only steer the model.
    role_temperature
        Temperature of the ``Pitch`` choice per part role (``{"melody": 0.6}``); roles not
        named, and every other token, use ``temperature``.
    best_of, critic_weight, phrase_bars
        Best-of-N over phrases (``best_of`` > 1): every phrase of ``phrase_bars`` bars (2 or 4,
        the lengths the critic has reference statistics for) of a fresh section is written
        ``best_of`` times from the same state (candidate ``k`` from its own generator, seeded
        from ``seed``, the bar and ``k``: deterministic), and the candidate with the highest
        mean log-likelihood of its sampled ids under the model (temperature 1, renormalised
        over the mask) minus ``critic_weight`` times its style critic distance
        (:func:`~partita.symbolic.composer.critic.distance` to the reference statistics of the
        plan's genre; none for a genre without them) is kept. Replayed (repeated) sections
        replay the chosen bars. 1 (default): each bar as it is sampled.
    key_mask
        True (default): under a profile whose masks keep the key (``chorale``, ``classical``,
        ``pop``) no pitch outside the plan's key is written; False: the key is left to the
        model (and the prior), the profile's other masks still hold.
    prior
        A :class:`~partita.symbolic.composer.priors.LinePrior` whose step/leap, scale-degree
        and register biases are added to every ``Pitch`` choice, and its rhythm biases to every
        ``Duration`` and next-onset choice (None: none).

    Returns
    -------
    ids, layout, stats
        ``ids``: composer token ids (header, bars, EOS); ``layout``: the
        :class:`~partita.symbolic.tokens_format.PartLayout` of the pitched parts.
    """
    import torch

    from partita.symbolic.composer.chordmask import CHORD_RULES
    from partita.symbolic.composer.controls import ComposerVocab, controls_of_plan
    from partita.symbolic.composer.decode import Decoder, profile_mask, with_chords
    from partita.symbolic.tokens_format import PartLayout, PartSlot

    if not 0.0 < top_p <= 1.0:
        raise ConfigError(f"top_p {top_p} is outside (0, 1]")
    if isinstance(best_of, bool) or not isinstance(best_of, int) or not 1 <= best_of <= 64:
        raise ConfigError(f"best_of {best_of!r} must be a whole number from 1 to 64")
    role_temperature = dict(role_temperature or {})
    for t in (temperature, *role_temperature.values()):
        if t < 0:
            raise ConfigError(f"temperature {t} is negative")
    vocab = ComposerVocab.default()
    if model.config.vocab_size != vocab.vocab_size:
        raise ConfigError(f"the model's vocabulary ({model.config.vocab_size}) is not the composer's ({vocab.vocab_size})")
    pitched = [p for p in plan.instrumentation if p.role != "percussion"]
    if not pitched:
        raise ConfigError("the plan has no pitched part for the model to write")
    layout = PartLayout(tuple(PartSlot(p.id, p.name, p.instrument) for p in pitched))
    # the calibrated prior carries the genre's energy levels per meter (the plan's section
    # energies read against the reference's own densities); without it, the plain scale
    full = controls_of_plan(plan, prior.energy_shares(plan.meter) if prior is not None else None)
    controls = dataclasses.replace(full, roles=tuple(p.role for p in pitched))
    mask = profile_mask(vocab.base, layout, profile, meters=[plan.meter],
                        key_signatures=(plan.key_signature(),) if key_mask else (), pitch_range=pitch_range)  # fmt: skip
    if chord_rule not in CHORD_RULES:
        raise ConfigError(f"unknown chord_rule {chord_rule!r}; known: {', '.join(CHORD_RULES)}")
    if chord_rule != "off":
        mask = with_chords(mask, [(b * plan.bar_ql, f) for b, f in enumerate(plan.bar_chords())], bar_ql=plan.bar_ql)
    n_remi = vocab.n_remi
    cap = max_tokens_per_bar or model.config.block_size // 2
    gen = torch.Generator().manual_seed(int(seed))
    t0 = time.perf_counter()

    if prior is not None:
        from partita.symbolic.composer.priors import role_group

        groups = [role_group(r) for r in controls.roles]
    header = vocab.header_ids(controls)
    decoder = Decoder(model, header)
    n_forced = 0
    ts_id = vocab.id(f"TimeSig_{plan.meter[0]}/{plan.meter[1]}")

    # header
    mask.update(vocab.bos)
    decoder.feed(header)
    n_forced += len(header)

    def write_bar(mask: Any, bar_index: int, replay: list[int] | None, gen: Any, c: list, ll: list | None) -> list[int]:
        """Write token bar ``bar_index`` (replaying ``replay`` where the mask allows); ``c``:
        [sampled, forced, replayed bars] to add to; ``ll``: [sum, count] of the model's own
        log-probabilities of the sampled ids, when best-of-N scores them."""
        opening = [vocab.bar, ts_id] + vocab.bar_control_ids(controls.bars[bar_index])
        mask.update(vocab.bar)
        mask.update(ts_id)
        decoder.start_bar(opening)
        c[1] += len(opening)
        taken: list[int] = []
        if replay:  # replay the first occurrence's bar where it still obeys the mask
            for i in replay:
                if not mask.allowed()[i]:
                    break
                mask.update(i, check=False)
                taken.append(i)
            if taken:
                decoder.append(taken)
                c[1] += len(taken)
                c[2] += len(taken) == len(replay)
        # sample the rest of the bar (a bar replayed whole ends as its model did)
        n_in_bar = 0
        whole = bool(replay) and len(taken) == len(replay) and mask.allowed()[vocab.bar]
        while not whole:
            allowed = mask.allowed()
            if n_in_bar >= cap and allowed[vocab.bar]:
                break
            full_mask = np.zeros(vocab.vocab_size, dtype=bool)
            full_mask[:n_remi] = allowed
            full_mask[vocab.eos] = False  # the plan says how many bars; the sampler ends
            if not full_mask.any():  # cannot happen with a DecodeMask; never sample blind
                raise ConfigError(f"the masks allow no token in bar {bar_index + 1}")
            temp, bias = temperature, None
            if mask.expects_pitch and role_temperature:
                temp = role_temperature.get(controls.roles[mask.slot], temperature)
            if prior is not None:
                bias = prior.mask_bias(mask, groups, vocab.vocab_size)
            i = decoder.sample(full_mask, temperature=temp, top_p=top_p, generator=gen, bias=bias)
            if ll is not None:
                ll[0] += decoder.log_prob(full_mask, i)
                ll[1] += 1
            c[0] += 1
            if i == vocab.bar:
                break
            mask.update(i, check=False)
            decoder.append([i])
            n_in_bar += 1
        return decoder.end_bar()

    from partita.symbolic.composer.critic import distance, phrase_stats, style_stats

    critic = style_stats(plan.genre, phrase_bars) if best_of > 1 else None
    melody_slot = controls.roles.index("melody") if "melody" in controls.roles else 0
    counts = [0, 0, 0]
    n_discarded = 0
    first_bars: dict[str, list[list[int]]] = {}
    bar_index = 0
    n_sections = len(plan.sections)
    for si, section in enumerate(plan.sections):
        if progress:
            progress(section.name, si, n_sections)
        model_of = first_bars.get(section.name) if reuse_sections else None
        this_section: list[list[int]] = []
        j = 0
        while j < section.bars:
            if best_of == 1 or model_of is not None:  # one bar as it comes (a repeat replays its model)
                replay = model_of[j][len(vocab.bar_control_ids(controls.bars[bar_index])) + 2 :] \
                    if model_of is not None and j < len(model_of) and j < section.bars - 1 else None  # fmt: skip
                this_section.append(write_bar(mask, bar_index, replay, gen, counts, None))
                j += 1
                bar_index += 1
                continue
            # best-of-N: N candidates of the phrase from the same state, each from its own seed;
            # the best by mean log-likelihood minus the critic's weighted distance is kept
            span = min(phrase_bars, section.bars - j)
            start, best = decoder.state(), None
            for k in range(best_of):
                decoder.restore(start)
                m = mask.copy()
                g = torch.Generator().manual_seed(int(np.random.SeedSequence([int(seed) % 2**63, bar_index, k]).generate_state(1)[0]))
                c, ll = [0, 0, 0], [0.0, 0]
                bars = [write_bar(m, bar_index + q, None, g, c, ll) for q in range(span)]
                value = ll[0] / max(1, ll[1])
                if critic is not None:
                    value -= critic_weight * distance(phrase_stats(bars, melody_slot, vocab), critic)
                n_discarded += c[0]
                if best is None or value > best[0]:
                    best = (value, decoder.state(), m, bars, c)
            _, end, mask, bars, c = best
            decoder.restore(end)
            counts = [x + y for x, y in zip(counts, c)]
            n_discarded -= c[0]
            this_section.extend(bars)
            j += span
            bar_index += span
        first_bars.setdefault(section.name, this_section)
    ids = header + [i for b in decoder.bars for i in b] + [vocab.eos]
    stats = SampleStats(counts[0], n_forced + counts[1], counts[2], decoder.n_reprimes, time.perf_counter() - t0,
                        int(getattr(mask, "relaxed", 0)), n_discarded)  # fmt: skip
    return ids, layout, stats


def _dynamic_for(energy: float) -> str:
    mark = "pp"
    for edge, m in _DYNAMICS:
        if energy >= edge:
            mark = m
    return mark


def default_profile(plan: Any) -> str:
    """The theory_rules profile a plan is written under when none is asked for: its style's
    (``partita.symbolic.arranger`` styles.toml), ``classical`` for a style it does not know."""
    style = _style_of(plan)
    return style.profile if style is not None else "classical"


def _style_of(plan: Any) -> Any:
    from partita.symbolic.arranger.library import styles

    return styles().get(plan.genre)


def _with_drums(plan: Any, score: Any) -> Any:
    """``score`` (the plan's pitched parts, e.g. written under a guide) with the plan's
    percussion parts added by rule over its bars (from bar 1: a pickup has none), in the plan's
    part order."""
    bars = [(b.start, b.end - b.start, (b.time_signature.numerator, b.time_signature.denominator))
            for b in score.bars() if b.number >= 1]  # fmt: skip
    by_id = {p.id: p for p in score.parts}
    parts = [_drum_part(plan, pp, bars) if pp.role == "percussion" else by_id[pp.id] for pp in plan.instrumentation]
    return dataclasses.replace(score, parts=tuple(parts))


def compose(
    plan: Any,
    *,
    seed: int = 0,
    model: Any = None,
    weights: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    profile: str | None = None,
    pitch_range: str = "comfortable",
    max_tokens_per_bar: int | None = None,
    reuse_sections: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    return_stats: bool = False,
    chord_rule: str = "strong-beats",
    guide: Any = None,
    arranger: bool = True,
    role_temperature: Mapping[str, float] | None = None,
    best_of: int | None = None,
    critic_weight: float | None = None,
    phrase_bars: int | None = None,
    key_mask: bool | None = None,
    pitch_prior: bool | Mapping[str, Any] | None = None,
) -> Any:
    """Write a Score for ``plan``.

    Parameters
    ----------
    plan
        A :class:`~partita.symbolic.composer.planner.Plan`.
    seed
        Same plan, weights and seed -> the same score.
    model, weights
        A loaded model, or a checkpoint path; neither: the shipped weights.
    temperature, top_p
        Sampling temperature and nucleus mass. None (default): the plan's genre's settings in
        ``decoding.toml`` (:func:`decoding_for`; chorales 0.8 and 0.9 with the melody's pitches
        at 0.6, every other genre 1.0 and 0.95).
    profile
        theory_rules profile whose hard rules the masks enforce: ``chorale``, ``classical``,
        ``pop``, ``orchestration`` or ``none`` (grammar only). Default: ``chorale`` for a
        chorale plan, ``pop`` for pop and folk, else ``classical``.
    pitch_range
        ``"comfortable"`` (default) or ``"playable"``.
    progress
        ``progress(section, index, n_sections)`` as each section starts.
    return_stats
        Also return the :class:`SampleStats`.
    chord_rule
        ``"strong-beats"`` (default): the plan's chords are a hard constraint (chord tones on
        strong beats, see :mod:`~partita.symbolic.composer.chordmask`); ``"off"``: not enforced.
    arranger
        True (default): in a style that arranges (``styles.toml``), under a profile without
        parallel rules (``pop``, ``orchestration``, ``none``), the model writes the melody and
        :func:`partita.symbolic.arranger.arrange.arrange` the bass, accompaniment, inner and
        percussion parts (under ``chorale`` or ``classical`` the model writes every pitched
        part and the arranger only the drums); False: the model writes every pitched part and
        the drums follow :data:`GROOVES` (the composer as it was before the arranger).
    guide
        A Score or a path (MIDI, MusicXML, ...) whose melody (its first part with notes)
        becomes the plan's melody part (or its first pitched part) unchanged; the plan's other
        pitched parts are written under it by :func:`~partita.symbolic.composer.edit.harmonize`,
        with the guide's own chord symbols as the hard constraint, its meter, key, tempo and
        length; the plan's percussion parts are written by rule over the guide's bars (the
        plan's sections laid over them in order). ``return_stats`` is not available then; the
        chord relaxations are in the metadata as always.
    role_temperature
        Temperature of each note's pitch by part role (``{"melody": 0.6, "inner": 0.8}``);
        other roles and tokens use ``temperature`` (see :func:`sample_tokens`; with a guide: a
        ConfigError). None (default): the genre's, when ``temperature`` is not given either.
    best_of
        Best-of-N over phrases: candidates per phrase, each scored by the model's mean
        log-likelihood and the style critic (see :func:`sample_tokens`); costs about N times the
        sampling. None (default): the genre's (``decoding.toml``), 1 where it names none.
    critic_weight
        Weight of the style critic against the likelihood in best-of-N (0: likelihood alone).
        None (default): the genre's (``decoding.toml``).
    phrase_bars
        Bars per best-of-N phrase, 2 or 4. None (default): the genre's (``decoding.toml``).
    key_mask
        Whether the masks keep every pitch in the plan's key (under a profile that has a key
        rule). None (default): the genre's (``decoding.toml``; chorales and fiddle tunes leave
        the key to the model and the prior, as their teachers did not keep to it).
    pitch_prior
        Whether the genre's calibrated step/leap and scale-degree prior
        (:mod:`~partita.symbolic.composer.priors`, ``priors.json``) weighs every pitch choice.
        None (default): the genre's (``decoding.toml``); a genre without a fitted prior has none.
        A mapping: a genre's tables as ``priors.json`` holds them (``interval``, ``degree`` and ``register``),
        used instead of the shipped ones (what ``scripts/calibrate_priors.py`` fits with).

    Returns
    -------
    Score
        Parts in the plan's order (drum kit by rule), sections as rehearsal marks, chord
        symbols, dynamics and hairpins from the energy, tempo, key and meter of the plan. Its
        metadata holds the plan (``partita.plan``; not with a guide, whose bars are its own),
        the seed, the profile and ``partita.chord_relaxations`` (see :class:`SampleStats`).
    """
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.dynamics import Dynamic, Hairpin
    from partita.symbolic.score import ChordSymbol, Score, Section
    from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature  # fmt: skip
    from partita.symbolic.tokens_format import TokenSequence

    d = resolve_decoding(plan, temperature, top_p, role_temperature, guide=guide, best_of=best_of)
    temperature, top_p, role_temperature = d.temperature, d.top_p, (dict(d.role_temperature) or None)
    if model is None:
        model = load_model(weights)
    if guide is not None:
        from partita.symbolic.composer.edit import harmonize

        if return_stats:
            raise ConfigError("return_stats is not available with a guide")
        if role_temperature:
            raise ConfigError("role_temperature is not available with a guide")
        if d.best_of > 1:
            raise ConfigError("best_of is not available with a guide")
        pitched = [p for p in plan.instrumentation if p.role != "percussion"]
        roles = [p.role for p in pitched]
        lead = roles.index("melody") if "melody" in roles else 0
        rows = [(p.id, p.name, p.instrument, "melody" if i == lead else (p.role if p.role != "melody" else "inner"))
                for i, p in enumerate(pitched)]  # fmt: skip
        if profile is None:
            profile = default_profile(plan)
        out = harmonize(guide, ensemble=rows, seed=seed, model=model, profile=profile, temperature=temperature,
                        top_p=top_p, chord_rule=chord_rule)  # fmt: skip
        out = _with_drums(plan, out)
        return dataclasses.replace(out, metadata={**out.metadata, "partita.seed": str(seed), "partita.profile": profile})
    if profile is None:
        profile = default_profile(plan)
    # --- the arranger (issue 11): in a style that arranges, the model writes the melody and the
    # arranger the bass, accompaniment, inner and percussion parts from the chords
    from partita.symbolic.arranger.arrange import ARRANGED_ROLES, arrange, quote_material, vary_last_return

    style = _style_of(plan) if arranger else None
    # a profile that forbids parallels (chorale, classical) leaves every pitched part to the
    # masked composer: the arranger's patterns are not checked against the melody's motion
    arranging = style is not None and style.arrange and not (PROFILE_MASKS.get(profile) or {}).get("parallels")
    arranged = arrange(plan, seed=seed, roles=ARRANGED_ROLES if arranging else ("percussion",)) if style else {}
    modelled = [p for p in plan.instrumentation if p.role != "percussion" and p.id not in arranged]
    model_plan = dataclasses.replace(plan, instrumentation=tuple(modelled)) if modelled else None
    # --- end of the arranger's block
    prior = None
    if isinstance(pitch_prior, Mapping):  # a genre's tables, as priors.json holds them (calibration)
        from partita.symbolic.composer.priors import placed

        prior = placed(pitch_prior, plan.key_signature())
    elif d.pitch_prior if pitch_prior is None else pitch_prior:
        from partita.symbolic.composer.priors import prior_for

        prior = prior_for(plan.genre, plan.key_signature())
    if model_plan is not None:
        ids, layout, stats = sample_tokens(
            model_plan, model=model, seed=seed, temperature=temperature, top_p=top_p, profile=profile,
            pitch_range=pitch_range, max_tokens_per_bar=max_tokens_per_bar,
            reuse_sections=reuse_sections, progress=progress, chord_rule=chord_rule,
            role_temperature=role_temperature, best_of=d.best_of,
            critic_weight=d.critic_weight if critic_weight is None else float(critic_weight),
            phrase_bars=d.phrase_bars if phrase_bars is None else int(phrase_bars),
            key_mask=d.key_mask if key_mask is None else bool(key_mask), prior=prior,
        )  # fmt: skip
    else:
        ids, layout, stats = [], None, SampleStats(0, 0, 0, 0, 0.0)
    vocab = ComposerVocab.default()
    bar_ql = plan.bar_ql
    starts = []
    t = Fraction(0)
    for s in plan.sections:
        starts.append(t)
        t += s.bars * bar_ql
    from partita.symbolic.composer.edit import MODELLED_KEY

    ks = plan.key_signature()
    title = plan.prompt.strip()[:80] or "Untitled"
    sections = tuple(Section(a, s.name) for a, s in zip(starts, plan.sections))
    by_id = {}
    if model_plan is not None:
        seq = TokenSequence(
            ids=tuple(ids), layout=layout, title=title, tempo_marks=(TempoMark(Fraction(0), plan.tempo_bpm),),
            key_signatures=(ks,), sections=sections,
        )  # fmt: skip
        by_id = {p.id: p for p in vocab.decode(seq)[0].parts}
    parts = []
    for pp in plan.instrumentation:
        if pp.id in arranged:
            part = arranged[pp.id]
        elif pp.role == "percussion":
            part = _drum_part(plan, pp)
        else:
            got = by_id[pp.id]
            part = got.with_notes(dataclasses.replace(n, velocity=None) for n in got.notes)
            if arranging and pp.role == "melody":
                part = vary_last_return(plan, quote_material(plan, part))
        dyns, pins = [], []
        prev = None
        for i, (a, s) in enumerate(zip(starts, plan.sections)):
            mark = _dynamic_for(s.energy)
            if mark != prev:
                dyns.append(Dynamic(a, mark))
            prev = mark
            if i + 1 < len(plan.sections):
                nxt = plan.sections[i + 1].energy
                if abs(nxt - s.energy) >= 0.1 and _dynamic_for(nxt) != mark:
                    end = a + s.bars * bar_ql
                    pins.append(Hairpin(end - bar_ql, end, "crescendo" if nxt > s.energy else "diminuendo"))
        parts.append(dataclasses.replace(part, dynamics=tuple(dyns), hairpins=tuple(pins)))
    chords = []
    last = None
    for b, figure in enumerate(plan.bar_chords()):
        if figure != last:
            chords.append(ChordSymbol(b * bar_ql, figure))
        last = figure
    score = Score(
        title=title,
        parts=tuple(parts),
        tempo_map=TempoMap((TempoMark(Fraction(0), plan.tempo_bpm, "Swing" if getattr(plan, "swing", False) else None),)),
        time_signatures=(TimeSignature(0, plan.meter[0], plan.meter[1]),),
        key_signatures=(ks,),
        sections=sections,
        chords=tuple(chords),
        metadata={"partita.plan": json.dumps(plan.to_dict(), ensure_ascii=False), "partita.seed": str(seed),
                  "partita.profile": profile, "partita.chord_relaxations": str(stats.chord_relaxations),
                  # the parts the model wrote (the arranger wrote the other pitched ones): what regenerate
                  # gives the model as context when it writes one of them again
                  MODELLED_KEY: ",".join(p.id for p in modelled)},  # fmt: skip
    )
    return (score, stats) if return_stats else score
