"""Shipping a trained composer: weights-only export, the manifest with the pinned sha256, and
the model card (data and licence, the exact command, metrics, sha256, parameters, time).

    .venv/bin/python -m partita.symbolic.composer.card RUN/last.safetensors \
        --command "partita train-composer ..." [--bench benchmarks/results/composer.json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from partita._fileio import atomic_write_text

__all__ = ["model_card", "ship"]

WEIGHTS_FILE = "composer-small.safetensors"


def _fmt(x: Any, nd: int = 3) -> str:
    return "-" if x is None else f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def _stage_lines(extra: Mapping[str, Any]) -> list[str]:
    """A line per training stage when the model was fine-tuned from an earlier one, and the total."""
    from partita.symbolic.composer.train import stages

    chain = stages(extra)
    if len(chain) < 2:
        return []
    out = ["- Trained in stages (each fine-tunes the weights of the stage before it):"]
    for i, st in enumerate(chain, 1):
        c = st.get("corpus", {})
        out.append(
            f"  {i}. {st.get('step', '?')} steps, {st.get('elapsed_s', 0.0) / 60:.1f} minutes, corpus "
            f"`{c.get('spec', '?')}` ({c.get('train_pieces', '?')} training pieces, {c.get('train_tokens', '?')} tokens)"
            + (f", its weights sha256 `{st['sha256'][:12]}...`" if st.get("sha256") else "")
        )
    total = sum(float(st.get("elapsed_s", 0.0)) for st in chain)
    out.append(f"- Total training time over all stages: {total / 60:.1f} minutes (the issue allows 180)")
    return out


def _genre_commands(genres: Mapping[str, Any]) -> list[str]:
    """Lines naming the command that refits each genre alone (where ``priors.json`` records one),
    and the genres an earlier run of the script fitted."""
    own = {n: g["command"] for n, g in sorted(genres.items()) if g.get("command")}
    older = sorted(n for n in genres if n not in own)
    lines = ["Each genre alone (a genre refitted in stages names them in turn, joined by `&&`): "
             + "; ".join(f"{n}: `{c}`" for n, c in own.items()) + "." if own else ""]
    if older:
        lines.append(f"The tables of {', '.join(older)} come from an earlier run of the same script (their "
                     "rounds are recorded; it then kept the last round's tables, where it now keeps the closest "
                     "round's), which `--genres " + ",".join(older) + "` refits.")  # fmt: skip
    return [x for x in lines if x] + [""]


def decoding_section(priors: Mapping[str, Any] | None = None, *, sha256: str | None = None) -> list[str]:
    """The card's "Decoding recipe" section: what the weights are sampled with by default, and
    the calibrated pitch priors fitted to them (``priors.json``, or the mapping ``priors``): the
    command, the weights they were fitted to, and per genre the reference, the seeds and the
    fitting time."""
    if priors is None:
        priors, sha256 = _shipped_priors()
    genres = priors.get("genres", {})
    if not genres:
        return []
    total = sum(float(g.get("fit_seconds", 0.0)) + float(g.get("earlier_fit_seconds") or 0.0) for g in genres.values())
    lines = ["## Decoding recipe", "",
             "Sampling settings per genre are in `symbolic/composer/decoding.toml` (temperature, nucleus, "
             "best-of-N, whether the key is masked). The genres that set `pitch_prior = true` weigh, with the tables "
             "their entry fits (`fitted`), every pitch "
             "choice with a calibrated step/leap, scale-degree and register prior, every note length and "
             "next onset with a calibrated rhythm prior where the model writes one line, and, where it writes several, "
             "whether a part free at the others' onset strikes there (`partita.symbolic.composer.priors`; interval tables per mode where "
             "fitted so; where the genre's entry holds energy shares, the plan's section energies are read as quantiles of "
             "the training pieces' own `Energy` levels in the plan's meter), "
             "fitted to these weights: `symbolic/composer/priors.json`"
             + (f" (sha256 `{sha256[:16]}...`)" if sha256 else "")
             + f", fitted to the weights sha256 `{priors.get('weights_sha256', '?')[:16]}...` in {total / 60:.1f} minutes "
             "of CPU over all genres (no gradient step: the weights are unchanged). "
             "Each genre's tables move, round by round, by the log ratio of the reference's interval, degree, "
             "register, note-length, rest and strike shares to those of pieces composed with the tables so far (calibration seeds 1000 and up; "
             "the benchmarks use 0-23); the references are the training split only. The file was last written by "
             f"`{priors.get('command', '?')}`" + (f" at commit {str(priors['commit'])[:10]}" if priors.get("commit") else "")
             + ".", "",
             *_genre_commands(genres),
             "Distances are total variation between the composed and the reference histograms, where first measured "
             "(the first round of a genre's first stage) and in the round kept.", "",
             "| genre | reference | pieces | rounds | top-line interval distance, first round -> kept | "
             "top-line rest distance, first -> kept | strike distance (bass), first -> kept | minutes |",
             "| --- | --- | ---: | ---: | --- | --- | --- | ---: |"]  # fmt: skip
    for name, g in sorted(genres.items()):
        rounds = g.get("rounds", [])
        kept = next((r for r in rounds if str(r.get("tables", "")).endswith("(kept)")), rounds[-1] if rounds else None)
        last = kept["tv"] if rounds else {}
        # each distance where it was first measured: the first stage's first round, or for a table
        # a later stage added (strike), that stage's
        every = [r.get("tv", {}) for stage in (*g.get("earlier_rounds", []), rounds) for r in stage]
        first = {k: next((tv[k] for tv in every if k in tv), None) for k in ("interval melody", "rest melody", "strike bass")}
        ref = g.get("reference", {})
        lines.append(f"| {name} | {', '.join(ref.get('collections', []))} | {ref.get('pieces', '?')} | "
                     f"{max(0, len(rounds) - 1)} | {_fmt(first.get('interval melody'))} -> {_fmt(last.get('interval melody'))} | "
                     f"{_fmt(first.get('rest melody'))} -> {_fmt(last.get('rest melody'))} | "
                     f"{_fmt(first.get('strike bass'))} -> {_fmt(last.get('strike bass'))} | "
                     f"{_minutes(g)} |")  # fmt: skip
    lines += ["", "What each step buys against held-out pieces: `benchmarks/results/composer_quality_priors.md`, "
              "`benchmarks/results/composer_quality_rhythm.md`, `benchmarks/results/composer_quality_s9_chorale_quartet.md`, "
              "`benchmarks/results/composer_quality_s9_fiddle.md` and docs/composer.md. Refit the priors (`scripts/calibrate_priors.py`) whenever the weights change; "
              "a test refuses priors fitted to other weights.", ""]  # fmt: skip
    return lines


def _minutes(g: Mapping[str, Any]) -> str:
    """A genre's fitting minutes: every stage's where the entry knows them (a ``--resume`` fit
    carries its earlier stages' seconds), else its last stage's, said so."""
    last = float(g.get("fit_seconds", 0)) / 60
    if not g.get("earlier_rounds"):
        return f"{last:.1f}"
    earlier = g.get("earlier_fit_seconds")
    if earlier is None:
        return f"{last:.1f} (last of {len(g['earlier_rounds']) + 1} stages; earlier not recorded)"
    return f"{last + float(earlier) / 60:.1f} ({len(g['earlier_rounds']) + 1} stages)"


def model_card(header: Mapping[str, Any], *, sha256: str, n_params: int, command: str,
               bench: Mapping[str, Any] | None = None, data_card: str = "") -> str:  # fmt: skip
    """The model card (Markdown) of a shipped checkpoint."""
    ex = header["training"]
    corpus = ex.get("corpus", {})
    hist = ex.get("history", [])
    lines = [
        "# Model card: partita composer (small)",
        "",
        f"- File: `{WEIGHTS_FILE}` (safetensors, weights only; checkpoint format "
        f"`{header['format']}` version {header['format_version']}, kind `{header['kind']}`, package {header['package_version']})",
        f"- sha256: `{sha256}` (pinned in `manifest.json`; the loader refuses other bytes)",
        f"- Parameters: {n_params:,} (GPT decoder: {header['config']['n_layer']} layers, "
        f"{header['config']['n_head']} heads, width {header['config']['n_embd']}, context "
        f"{header['config']['block_size']}, vocabulary {header['config']['vocab_size']}: REMI + control tokens)",
        f"- Training: {ex['step']} steps of {ex['train_config']['batch_size']} windows x "
        f"{header['config']['block_size']} tokens, {ex['elapsed_s'] / 60:.1f} minutes of training on "
        f"{ex.get('device', 'cpu')} with {ex.get('threads', 1)} torch thread(s) (nice 15, a shared 2-core machine)",
        f"- Settings: `{json.dumps(ex['train_config'])}`",
        *_stage_lines(ex),
        "",
        "## Data and licence",
        "",
        f"Corpus `{corpus.get('spec', '?')}`: {corpus.get('train_pieces', '?')} training pieces "
        f"({corpus.get('train_tokens', '?')} tokens), {corpus.get('heldout_pieces', '?')} held-out pieces "
        f"({corpus.get('heldout_tokens', '?')} tokens), split by piece. Public-domain compositions of the "
        "music21 corpus (collections, counts and licence status per collection in "
        "`docs/data_card_composer.md`). The Essen folk songs (non-commercial licence) are excluded and "
        "refused by the corpus builder. Transposition augmentation -5..+6 semitones on the fly.",
        "",
        "## Exact command",
        "",
        "```",
        command,
        "```",
        "",
        "## Metrics",
        "",
        "Held-out loss is next-token cross-entropy in nats per REMI token (control tokens are "
        "forced, not predicted), on fixed held-out windows.",
        "",
        "| step | train loss | held-out loss | minutes |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for h in hist:
        lines.append(f"| {h['step']} | {_fmt(h['train_loss'])} | {_fmt(h['heldout_loss'])} | {h['elapsed_s'] / 60:.1f} |")
    if bench:
        lines += ["", "Evaluation (`benchmarks/bench_composer.py`, chorale profile; see "
                  "`benchmarks/results/composer.json`):", "",
                  "| set | pitch-class entropy | scale consistency | groove consistency | rule violations / 100 notes | hard-constraint violations / 100 notes | tokens/s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for name in ("heldout_bach", "masked", "unmasked"):
            r = bench.get(name)
            if r:
                lines.append(
                    f"| {name} ({int(r.get('n_pieces', 0))}) | {_fmt(r.get('pitch_class_entropy'))} | "
                    f"{_fmt(r.get('scale_consistency'))} | {_fmt(r.get('groove_consistency'))} | "
                    f"{_fmt(r.get('violations_per_100_notes'), 1)} | {_fmt(r.get('hard_violations_per_100_notes'), 2)} | "
                    f"{_fmt(r.get('tokens_per_second'), 0)} |"
                )
        oa_ref = bench.get("heldout_bach", {}).get("overlapped_area_bach_vs_bach", {}).get("mean")
        oa_m = bench.get("masked", {}).get("overlapped_area_vs_heldout_bach", {}).get("mean")
        oa_u = bench.get("unmasked", {}).get("overlapped_area_vs_heldout_bach", {}).get("mean")
        if oa_ref is not None:
            n_feat = len([k for k in bench["heldout_bach"]["overlapped_area_bach_vs_bach"] if k != "mean"])
            lines += ["", f"MGEval-style overlapped area against the held-out chorales (mean of {n_feat} features): "
                      f"masked {_fmt(oa_m)}, unmasked {_fmt(oa_u)}; held-out Bach half against half {_fmt(oa_ref)}.", "",
                      "| feature | masked | unmasked | Bach half vs half |", "| --- | ---: | ---: | ---: |"]
            ref = bench["heldout_bach"]["overlapped_area_bach_vs_bach"]
            for k in ref:
                lines.append(f"| {k} | {_fmt(bench.get('masked', {}).get('overlapped_area_vs_heldout_bach', {}).get(k))} | "
                             f"{_fmt(bench.get('unmasked', {}).get('overlapped_area_vs_heldout_bach', {}).get(k))} | {_fmt(ref[k])} |")
        lp = bench.get("long_piece")
        if lp:
            lines += ["", f"A 3.5-minute string quartet ({lp['bars']} bars, {lp['parts']} parts, {lp['notes']} notes, "
                      f"{lp['tokens']} tokens) composed in {lp['seconds']:.1f} s ({lp['tokens_per_second']:.0f} tokens/s, "
                      "one thread, shared 2-core CPU)."]  # fmt: skip
    lines += ["", *decoding_section()]
    lines += ["## Limits", "",
              "A small model trained for under an hour and a half on a CPU: it writes plausible "
              "chorale-like textures under the masks but no long-range themes of its own (repeated "
              "sections are replayed by the sampler). Sections other than `none` never occur in the "
              "corpus, so `Section_*` controls are seen only at composing time; energy and chord "
              "controls are learned from measured density and harmony. Under profiles that forbid "
              "parallels (chorale, classical) the sampler writes one note at a time per part, so no "
              "double stops or piano chords there. Compare the overlapped areas above with Bach "
              "against Bach at the same set sizes (`benchmarks/results/composer_reference.md`), not "
              "with the 0.98 of large sets. Timings were taken on a shared 2-core machine while other "
              "jobs ran (see `benchmarks/results/composer.json` for the load).", ""]  # fmt: skip
    if data_card:
        lines += ["", data_card]
    return "\n".join(lines)


def _shipped_priors() -> tuple[dict[str, Any], str | None]:
    """``priors.json`` beside this module and its sha256 (empty and None when it is missing)."""
    import hashlib

    path = Path(__file__).with_name("priors.json")
    if not path.exists():
        return {}, None
    data = path.read_bytes()
    return json.loads(data.decode("utf-8")), hashlib.sha256(data).hexdigest()


def _rewrite_section(path: Path, heading: str, lines: list[str]) -> bool:
    """Replace the ``heading`` section of the Markdown file at ``path`` (up to the next ``## ``
    heading) with ``lines``, or append them where it has none. True when the file changed."""
    text = path.read_text(encoding="utf-8")
    body = "\n".join(lines).rstrip("\n") + "\n"
    i = text.find(heading)
    if i < 0:
        new = text.rstrip("\n") + "\n\n" + body
    else:
        j = text.find("\n## ", i + 1)
        new = text[:i] + body + (text[j:] if j >= 0 else "")
    if new == text:
        return False
    atomic_write_text(path, new)
    return True


def refresh_decoding_recipe(card_path: str | Path | None = None) -> bool:
    """Rewrite the "Decoding recipe" section of the shipped card (or the card at ``card_path``)
    from ``priors.json`` after a refit (the weights, and so the rest of the card, are unchanged).
    True when the file changed."""
    path = Path(card_path) if card_path else Path(__file__).resolve().parent / "weights" / "composer-small.md"
    return _rewrite_section(path, "## Decoding recipe", decoding_section())


#: The data card's section on what the decoding priors read (rewritten by :func:`refresh_data_card`).
DATA_CARD_SECTION = "## Read at decoding: the calibrated priors' references"


def data_card_section(priors: Mapping[str, Any] | None = None) -> list[str]:
    """The data card's section naming, per genre, the collections and training pieces the
    decoding priors of ``priors.json`` (or the mapping ``priors``) were fitted against."""
    if priors is None:
        priors = _shipped_priors()[0]
    genres = priors.get("genres", {})
    lines = [DATA_CARD_SECTION, "",
             "The decoding priors (`symbolic/composer/priors.json`, fitted by `scripts/calibrate_priors.py`; the model "
             "card's \"Decoding recipe\" has the commands) are fitted against the training split of these "
             "collections (the same split as above); held-out pieces are never read, since the benchmarks compare "
             "with them. Each genre's energy shares and key shares come from the same pieces. The weights are not "
             "changed by the fit.", "",
             "| genre | collections | training pieces read | tables fitted | fitting CPU minutes |",
             "| --- | --- | ---: | --- | ---: |"]  # fmt: skip
    for name, g in sorted(genres.items()):
        ref = g.get("reference", {})
        lines.append(f"| {name} | {', '.join(ref.get('collections', [])) or '-'} | {ref.get('pieces', '?')} | "
                     f"{', '.join(g.get('fitted') or []) or '(an earlier fit: not recorded)'} | {_minutes(g)} |")  # fmt: skip
    return lines + [""]


def refresh_data_card(card_path: str | Path | None = None) -> bool:
    """Rewrite (or add, at the end) the data card's :data:`DATA_CARD_SECTION` from
    ``priors.json`` after a refit (``docs/data_card_composer.md``, or ``card_path``). True when
    the file changed."""
    path = Path(card_path) if card_path else Path(__file__).resolve().parents[2] / "docs" / "data_card_composer.md"
    return _rewrite_section(path, DATA_CARD_SECTION, data_card_section())


def ship(ckpt: str, *, command: str, bench_path: str | None = None, dest: str | None = None) -> dict[str, Any]:
    """Export ``ckpt`` as the shipped weights: weights-only safetensors, ``manifest.json`` and
    ``composer-small.md`` in the package's ``weights`` folder (or ``dest``)."""
    from partita.symbolic.composer.model import load_checkpoint
    from partita.symbolic.composer.train import export_weights

    out = Path(dest) if dest else Path(__file__).resolve().parent / "weights"
    out.mkdir(parents=True, exist_ok=True)
    target = out / WEIGHTS_FILE
    sha = export_weights(ckpt, target, extra={"command": command}, card="composer-small.md")
    model, header, _ = load_checkpoint(target, sha256=sha)
    bench = json.loads(Path(bench_path).read_text()) if bench_path and Path(bench_path).exists() else None
    manifest = {"file": WEIGHTS_FILE, "sha256": sha, "n_params": model.n_params(),
                "format_version": header["format_version"], "card": "composer-small.md"}  # fmt: skip
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    atomic_write_text(out / "composer-small.md", model_card(header, sha256=sha, n_params=model.n_params(), command=command, bench=bench))
    return manifest


if __name__ == "__main__":  # pragma: no cover
    import argparse
    import sys

    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt", nargs="?", help="the checkpoint to ship (not with --refresh-decoding-recipe)")
    ap.add_argument("--command", help="the training command the card names (required to ship)")
    ap.add_argument("--refresh-decoding-recipe", action="store_true",
                    help="after scripts/calibrate_priors.py: rewrite the card's recipe and the data card's priors section")
    ap.add_argument("--bench", default=None)
    a = ap.parse_args()
    if a.refresh_decoding_recipe:
        print("rewrote" if refresh_decoding_recipe() else "unchanged", "the card's decoding recipe")
        print("rewrote" if refresh_data_card() else "unchanged", "the data card's section on the priors' references")
        sys.exit(0)
    if not a.ckpt or not a.command:
        ap.error("shipping needs a checkpoint and --command")
    print(json.dumps(ship(a.ckpt, command=a.command, bench_path=a.bench)))
