"""``partita plan "PROMPT" [--json]``: the Plan a prompt makes, before any note is written;
``partita compose "PROMPT" -o OUTDIR``: the score for it (``score.musicxml``, ``score.mid``,
``plan.json``)."""

from __future__ import annotations

import argparse
import json


def _add_plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("prompt", nargs="?", default="", help="free text: mood, genre, ensemble, tempo words")
    p.add_argument("--tags", nargs="*", default=[], help="extra words or phrases read like the prompt")
    p.add_argument("--seconds", type=float, default=None, help="length in seconds (default 60)")
    p.add_argument("--ensemble", default=None, help="an ensemble preset, e.g. 'string quartet'")
    p.add_argument("--key", default=None, help="e.g. 'D minor', 'Bb major'")
    p.add_argument("--tempo", type=float, default=None, help="quarter notes per minute")
    p.add_argument("--meter", default=None, help="e.g. 3/4, 6/8")
    p.add_argument("--seed", type=int, default=0, help="picks among equal options (default 0)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="show the plan (key, tempo, sections, chords, parts) a prompt makes",
        description="Read a prompt into a Plan and print it; words the planner does not know are listed.",
    )
    _add_plan_options(p)
    p.add_argument("--json", action="store_true", help="print the plan as JSON (what compose reads)")
    p.set_defaults(run=run)

    c = sub.add_parser(
        "compose",
        help="the main job: a prompt (or an edited plan.json) to score, stems, mastered mix, REAPER project and signed provenance",
        description="Plan, then write the score with the constrained composer (OUTDIR/score.musicxml, "
        "OUTDIR/score.mid, OUTDIR/plan.json), render a stem per part (OUTDIR/stems/), mix and master "
        "(OUTDIR/mix.wav, mix.json), export a REAPER project (OUTDIR/project.rpp) and sign what made it all "
        "(OUTDIR/provenance.json; check with partita verify). --score-only stops after the score.",
    )
    _add_plan_options(c)
    c.add_argument("-o", "--out", required=True, help="output folder")
    c.add_argument("--plan", default=None, help="compose this plan.json (from partita plan --json) instead")
    c.add_argument("--weights", default=None, help="a composer checkpoint (default: the shipped weights)")
    c.add_argument("--profile", default=None, help="theory_rules profile the masks enforce (chorale, classical, pop, orchestration, none)")
    c.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature (default: the style's, decoding.toml: chorales 0.8 with the melody at 0.6, else 1.0)")
    c.add_argument("--top-p", type=float, default=None, help="nucleus mass (default: the style's: chorales 0.9, else 0.95)")
    c.add_argument("--best-of", type=int, default=None, metavar="N",
                   help="best-of-N over phrases (the style's 2 or 4 bars), scored by the model's likelihood and the style critic "
                        "(default: the style's, decoding.toml; about N times the sampling time)")
    c.add_argument("--key-mask", choices=("on", "off"), default=None,
                   help="on: no pitch outside the key; off: the key is left to the model and the style's pitch prior "
                        "(default: the style's, decoding.toml: off for chorales and fiddle tunes, whose teachers wrote "
                        "chromatic notes, on elsewhere)")
    c.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: fastest for one small model)")
    # the main job: render, mix, export and sign (partita.pipeline); --score-only stops after the score
    c.add_argument("--score-only", action="store_true", help="write only score.musicxml, score.mid and plan.json")
    c.add_argument("--chords", default=None, help="chord symbols, one per bar, e.g. 'Dm G7 C C' (repeated to fill the plan); enforced on strong beats")
    c.add_argument("--guide", default=None, help="a MIDI or MusicXML file whose melody is kept; the plan's other parts are written under it (its length, meter, key, tempo and chords; drums by rule), then rendered and mixed as usual")
    c.add_argument("--lyrics", default=None, metavar="FILE", help="a UTF-8 text to sing: a voice part carries every word (one line of text per phrase) and the ensemble is written under it")
    c.add_argument("--neutral-vowel", choices=("ah", "oo"), default="ah", help="what voice parts sing without lyrics (default ah)")
    c.add_argument("--sample-rate", type=int, default=48000, metavar="HZ", help="stems and mix sample rate (default 48000)")
    c.add_argument("--target-lufs", type=float, default=-14.0, metavar="X", help="master loudness in LUFS (default -14)")
    c.add_argument("--jobs", type=int, default=2, metavar="N", help="jobs rendering the parts: processes on Linux, else threads (default 2)")
    c.add_argument("--key-dir", default=None, help="signing key folder (default: $PARTITA_KEY_DIR or ~/.config/partita/keys)")
    c.set_defaults(run=run_compose)

    r = sub.add_parser(
        "regenerate",
        help="rewrite one part over a span of bars, keeping everything else",
        description="Write bars A-B of one part again under the masks; every other note stays as it was.",
    )
    r.add_argument("score", help="a score partita reads (.musicxml, .mid, ...)")
    r.add_argument("--part", required=True, help="part id or name")
    r.add_argument("--bars", required=True, help="A-B, counted from 1 (inclusive)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--weights", default=None)
    r.add_argument("--profile", default=None)
    r.add_argument("--threads", type=int, default=1)
    add_decoding_options(r)
    r.add_argument("-o", "--out", required=True, help="output score file (format from the extension)")
    r.set_defaults(run=run_regenerate)

    h = sub.add_parser(
        "harmonize",
        help="write the other parts of an ensemble under a given melody",
        description="Keep the melody as it is and write the ensemble's other parts under the masks.",
    )
    h.add_argument("melody", help="a score whose first part with notes (or --part) is the melody")
    h.add_argument("--ensemble", default="string_quartet")
    h.add_argument("--part", default=None, help="the melody's part id or name")
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--weights", default=None)
    h.add_argument("--profile", default="chorale")
    h.add_argument("--threads", type=int, default=1)
    add_decoding_options(h)
    h.add_argument("-o", "--out", required=True, help="output score file (format from the extension)")
    h.set_defaults(run=run_harmonize)


def add_decoding_options(p: argparse.ArgumentParser) -> None:
    """--temperature, --top-p and --style of the edit commands (regenerate, harmonize, continue)."""
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature (default: the score's style's, decoding.toml; else 1.0)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus mass (default: the score's style's; else 0.95)")
    p.add_argument("--style", default=None,
                   help="sample with this style's decoding and calibrated prior (e.g. chorale; default: the style "
                        "the score records, for a score partita composed; else none)")


def decoding_said(score) -> str:
    """What an edit sampled with, for its one-line summary (from ``partita.decoding``)."""
    from partita.symbolic.composer.decoding import Decoding, describe

    d = json.loads(score.metadata["partita.decoding"])
    origin = "as given" if len(d["given"]) == 2 else f"{d['genre']} defaults" + (" where not given" if d["given"] else "")
    return f"{describe(Decoding(d['temperature'], d['top_p'], d['role_temperature']))} ({origin})"


def make_plan(args: argparse.Namespace):
    """The Plan the parsed arguments ask for."""
    from partita.symbolic.composer.planner import plan

    return plan(
        args.prompt, tags=tuple(args.tags), duration_s=args.seconds, key=args.key,
        tempo=args.tempo, meter=args.meter, ensemble=args.ensemble, seed=args.seed,
    )  # fmt: skip


def with_chords(p, chords: str):
    """``p`` with its bars' chords replaced by ``chords`` (space-separated symbols, one per bar,
    repeated to fill the plan)."""
    import dataclasses

    from partita.errors import ConfigError

    figures = chords.replace(",", " ").split()
    if not figures:
        raise ConfigError("--chords names no chord")
    secs, k = [], 0
    for s in p.sections:
        secs.append(dataclasses.replace(s, chords=tuple(figures[(k + i) % len(figures)] for i in range(s.bars))))
        k += s.bars
    return dataclasses.replace(p, sections=tuple(secs))


def run(args: argparse.Namespace) -> int:
    p = make_plan(args)
    if args.json:
        print(json.dumps(p.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(p.describe())
    return 0


def run_compose(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from partita._fileio import atomic_write_text
    from partita.errors import ConfigError
    from partita.symbolic import io as sio
    from partita.symbolic.composer.planner import Plan
    from partita.symbolic.composer.sample import compose

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.plan:
        try:
            data = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the plan: {exc}", file=args.plan) from None
        try:
            p = Plan.from_dict(data)
        except ConfigError as exc:
            raise exc.located(file=args.plan) from None
    else:
        p = make_plan(args)
    if args.chords:
        p = with_chords(p, args.chords)
    if p.unknown_words:
        print(f"partita: unknown words (not used): {', '.join(p.unknown_words)}", file=sys.stderr)
    if not args.guide:
        from partita.symbolic.composer.chordmask import key_clashes

        keyed = _keeps_key(args, p)
        for figure, outside in key_clashes(p.bar_chords(), p.key_signature()):
            if keyed:
                print(f"partita: chord {figure} has {', '.join(outside)} outside {p.key} {p.mode}: only its tones in the "
                      "key are written", file=sys.stderr)  # fmt: skip
            else:
                print(f"partita: chord {figure} has {', '.join(outside)} outside {p.key} {p.mode}: written as given "
                      f"(the key is left to the model here; --key-mask on keeps it)", file=sys.stderr)  # fmt: skip

    def progress(name: str, i: int, n: int) -> None:
        print(f"composing section {i + 1}/{n}: {name}", file=sys.stderr)

    lyrics = None
    if getattr(args, "lyrics", None):
        from partita.symbolic.lyrics import read_lyrics_text

        lyrics = read_lyrics_text(args.lyrics)  # not UTF-8: one line naming the file
        if args.guide:
            raise ConfigError("--lyrics and --guide cannot be given together")
    guide = None
    if args.guide:
        from partita.symbolic.composer.edit import read_guide

        guide = read_guide(args.guide)  # a missing or unreadable file stops here, named
    if not args.score_only:
        return _compose_to_master(args, p, guide=args.guide if guide is not None else None, lyrics=lyrics)

    if lyrics is not None:
        from partita.symbolic.composer.lyrics import compose_for_lyrics

        t0 = time.perf_counter()
        p, score, info = compose_for_lyrics(p, lyrics, seed=args.seed, weights=args.weights,
                                            temperature=args.temperature, top_p=args.top_p, profile=args.profile)  # fmt: skip
        made = f"{time.perf_counter() - t0:.1f} s under a vocal melody of {info['syllables']} syllables"
    elif guide is not None:
        t0 = time.perf_counter()
        score = compose(p, seed=args.seed, weights=args.weights, temperature=args.temperature, top_p=args.top_p,
                        profile=args.profile, guide=guide)  # fmt: skip
        made = f"{time.perf_counter() - t0:.1f} s under the guide's melody"
    else:
        score, stats = compose(
            p, seed=args.seed, weights=args.weights, temperature=args.temperature, top_p=args.top_p,
            profile=args.profile, progress=progress, return_stats=True, best_of=args.best_of,
            key_mask=_key_mask(args),
        )  # fmt: skip
        made = f"{stats.sampled + stats.forced} tokens in {stats.seconds:.1f} s"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "plan.json", json.dumps(p.to_dict(), indent=2, ensure_ascii=False) + "\n")
    sio.write(score, out / "score.musicxml")
    sio.write(score, out / "score.mid")
    n_notes = sum(len(x.notes) for x in score.parts)
    relaxed = int(score.metadata.get("partita.chord_relaxations", 0))
    print(f"wrote {out / 'score.musicxml'}, {out / 'score.mid'}, {out / 'plan.json'}: "
          f"{len(score.parts)} parts, {score.n_bars} bars, {n_notes} notes, {score.duration_seconds:.0f} s; "
          f"{made}; {relaxed} chord relaxations", file=sys.stderr)  # fmt: skip
    return 0


def _key_mask(args: argparse.Namespace) -> bool | None:
    km = getattr(args, "key_mask", None)
    return None if km is None else km == "on"


def _keeps_key(args: argparse.Namespace, p) -> bool:
    """Whether the masks will keep every pitch of ``p`` in its key: ``--key-mask`` or the genre's
    decoding, under a profile (``--profile`` or the style's) whose masks have a key rule."""
    from partita.symbolic.composer.decode import PROFILE_MASKS
    from partita.symbolic.composer.decoding import decoding_for
    from partita.symbolic.composer.sample import default_profile

    km = _key_mask(args)
    opts = PROFILE_MASKS.get(args.profile or default_profile(p))
    return bool(opts and opts["key"]) and (decoding_for(p.genre).key_mask if km is None else km)


def _compose_to_master(args: argparse.Namespace, p, *, guide=None, lyrics=None) -> int:
    """The main job (partita.pipeline): plan -> score -> stems -> mix -> REAPER -> provenance."""
    import sys
    import time

    from partita.mixing import MixSettings
    from partita.pipeline import compose_to_master
    from partita.render.settings import RenderSettings

    t0 = time.perf_counter()

    def progress(stage: str, message: str) -> None:
        if stage == "compose" and message.startswith("section "):
            print(f"composing {message}", file=sys.stderr)
        else:
            print(f"[{time.perf_counter() - t0:5.1f} s] {stage}: {message}", file=sys.stderr)

    result = compose_to_master(
        p, args.out, seed=args.seed, weights=args.weights, temperature=args.temperature, top_p=args.top_p,
        profile=args.profile, best_of=args.best_of, key_mask=_key_mask(args), render_settings=RenderSettings(sample_rate=args.sample_rate, neutral_vowel=args.neutral_vowel),
        mix_settings=MixSettings(target_lufs=args.target_lufs), key_dir=args.key_dir, workers=args.jobs,
        progress=progress, guide=guide, lyrics=lyrics,
    )  # fmt: skip
    print(result.summary(), file=sys.stderr)
    return 0


def run_regenerate(args: argparse.Namespace) -> int:
    import re
    import sys

    from partita.errors import ConfigError
    from partita.symbolic import io as sio
    from partita.symbolic.composer.edit import regenerate

    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", args.bars)
    if not m:
        raise ConfigError(f"--bars {args.bars!r} is not like 5-8")
    a, b = int(m.group(1)), int(m.group(2) or m.group(1))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    new, st = regenerate(args.score, part=args.part, bars=(a, b), seed=args.seed, weights=args.weights,
                         profile=args.profile, temperature=args.temperature, top_p=args.top_p, return_stats=True,
                         style=args.style)  # fmt: skip
    sio.write(new, args.out)
    print(f"wrote {args.out}: part {args.part!r}, bars {a}-{b} rewritten in {st.seconds:.1f} s "
          f"({st.tries} {'try' if st.tries == 1 else 'tries'}); {st.chord_relaxations} chord relaxations; "
          f"{decoding_said(new)}", file=sys.stderr)  # fmt: skip
    return 0


def run_harmonize(args: argparse.Namespace) -> int:
    import sys

    from partita.symbolic import io as sio
    from partita.symbolic.composer.edit import harmonize

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out, st = harmonize(args.melody, ensemble=args.ensemble, part=args.part, seed=args.seed, weights=args.weights,
                        profile=args.profile, temperature=args.temperature, top_p=args.top_p, return_stats=True,
                        style=args.style)  # fmt: skip
    sio.write(out, args.out)
    print(f"wrote {args.out}: {len(out.parts)} parts under the melody in {st.seconds:.1f} s; "
          f"{st.chord_relaxations} chord relaxations; {decoding_said(out)}", file=sys.stderr)  # fmt: skip
    return 0
