"""The classroom report: one self-contained HTML file with the engraved notation, the rule
violations marked on it, before and after side by side, the audio of every version and part,
and the rates of each rule next to Bach's.

Everything is inside the one file, so it opens offline and can be mailed: the notation is
inline SVG from verovio (:mod:`partita.engraving`), the audio is MP3 (22.05 kHz is plenty for
listening) in ``data:`` URIs. A teacher can toggle the versions, solo a part, hover a red
notehead to read the rule, and print it (print styles stack the versions, hide the players and
keep bar numbers).

>>> from partita.theory_rules import sketch
>>> s = sketch({"Soprano": "C5 D5 E5 F5", "Bass": "F3 G3 A3 B3"})
>>> html = report_html([Version("Original", s)], title="Sketch")
>>> html.count('class="note v-error') >= 2   # the parallel fifths, coloured
True
"""

from __future__ import annotations

import base64
import functools
import html as _html
import io
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from partita._fileio import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from partita.engraving import Engraving
    from partita.symbolic.score import Score
    from partita.theory_rules import Report

__all__ = ["Version", "marked_pages", "notebook_svg", "report_html", "write_report", "bach_reference", "audio_data_uri"]

SEVERITY_COLOURS = {"error": "#c8102e", "warning": "#d97706"}
MOVED_COLOUR = "#1d4ed8"


@dataclass(frozen=True, slots=True)
class Version:
    """One version of the piece shown in the report.

    Parameters
    ----------
    label
        ``"Original"``, ``"Wind quintet"``...
    score
        The score.
    check
        Its rule report (default: :func:`partita.theory_rules.check` with ``profile``).
    audio
        ``"mix"`` and part ids -> audio files (WAV) to embed; empty for no players.
    moved
        (part id, note index) of the notes moved in this version (marked in blue).
    profile
        The rule profile used when ``check`` is not given.
    """

    label: str
    score: Score
    check: Report | None = None
    audio: Mapping[str, Path] = field(default_factory=dict)
    moved: frozenset[tuple[str, int]] = frozenset()
    profile: str = "chorale"


@functools.cache
def bach_reference() -> dict[str, Any]:
    """The Bach reference rates (``theory_rules/bach_reference.toml``): rule id ->
    ``{"per_100_notes", "chorales_with_any"}``, plus ``"chorales"`` and ``"notes"``."""
    text = resources.files("partita.theory_rules").joinpath("bach_reference.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def audio_data_uri(path: str | Path, *, max_seconds: float | None = None) -> str:
    """A WAV file as an MP3 ``data:`` URI (libsndfile's MP3 encoder, through soundfile)."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if max_seconds is not None:
        data = data[: int(max_seconds * rate)]
    buf = io.BytesIO()
    sf.write(buf, data, rate, format="MP3")
    return "data:audio/mpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


def _note_index(score: Score) -> dict[str, dict[Any, int]]:
    return {p.id: {n: i for i, n in enumerate(p.notes)} for p in score.parts}


def _marks(version: Version, report: Report) -> dict[tuple[str, int], list[Any]]:
    """(part id, note index) -> the violations that involve the note."""
    index = _note_index(version.score)
    out: dict[tuple[str, int], list[Any]] = {}
    for v in report.violations:
        for n in v.notes:
            for pid in v.parts:
                i = index.get(pid, {}).get(n)
                if i is not None:
                    out.setdefault((pid, i), []).append(v)
                    break
    return out


def _marked_svg(page: str, engraving: Engraving, marks: Mapping[tuple[str, int], list[Any]],
                moved: frozenset[tuple[str, int]]) -> str:
    """The page with each marked note's class, data attributes and hover title set."""

    def one(m: re.Match[str]) -> str:
        eid, rest = m.group(1), m.group(2)
        key = engraving.note_ids.get(eid)
        classes = ["note" + rest]
        attrs = [f'data-part="{_esc(key[0])}" data-index="{key[1]}"'] if key else []
        title = []
        vs = marks.get(key, []) if key else []
        if vs:
            sev = "error" if any(v.severity == "error" for v in vs) else "warning"
            classes.append(f"v-{sev}")
            attrs.append(f'data-rules="{_esc(" ".join(sorted({v.rule for v in vs})))}"')
            title += [f"{v.severity}: {v.rule}: {v.message}" for v in vs]
        if key in moved:
            classes.append("moved")
            title.append("moved into range by an octave")
        out = f'<g id="{eid}" class="{" ".join(classes)}"' + (" " + " ".join(attrs) if attrs else "")
        if title:
            out += f"><title>{_esc(chr(10).join(title))}</title"
        return out

    page = re.sub(r'<g id="([^"]+)" class="note([^"]*)"(?=>)', one, page)
    return re.sub(r"^<\?xml[^>]*>\s*", "", page)


def marked_pages(version: Version, *, prefix: str = "v0", seed: int = 1, max_pages: int | None = None,
                 report: Report | None = None) -> tuple[list[str], Engraving, Report]:
    """The engraved pages of one version with its violations coloured and moved notes marked.

    Returns (SVG pages, the engraving, the rule report). The pages carry their own colours
    (a ``<style>`` inside each SVG), so a notebook can show them alone.

    >>> from partita.theory_rules import sketch
    >>> pages, eng, rep = marked_pages(Version("x", sketch({"Soprano": "C5 D5", "Bass": "F3 G3"})))
    >>> rep.n_errors, pages[0].count("v-error") >= 2
    (1, True)
    """
    from partita.engraving import DEFAULT_MAX_PAGES, engrave
    from partita.theory_rules import check

    rep = report or version.check or check(version.score, profile=version.profile)
    eng = engrave(version.score, prefix=prefix, seed=seed, max_pages=max_pages or DEFAULT_MAX_PAGES)
    marks = _marks(version, rep)
    pages = [_marked_svg(p, eng, marks, version.moved) for p in eng.pages]
    return pages, eng, rep


def notebook_svg(version: Version, *, page: int = 1, **kwargs: Any) -> str:
    """One marked page as a standalone SVG that colours its own notes: for
    ``IPython.display.SVG`` in a notebook."""
    pages, _, _ = marked_pages(version, **kwargs)
    return _svg_with_style(pages[page - 1])


def _svg_with_style(page: str) -> str:
    """A page that colours its own marked notes (for use outside the report)."""
    rules = "".join(line for line in _CSS.splitlines() if line.startswith("g.note"))
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + f"<style>{rules}</style>", page, count=1)


_FONT_FACE = re.compile(r'<style type="text/css">@font-face.*?</style>', re.S)


def _one_font_face(pages: list[str]) -> list[str]:
    """Every page embeds verovio's text font (about 60 kB); in one HTML document the first
    copy serves all pages, so the others are dropped."""
    seen = False
    out = []
    for page in pages:
        if seen:
            page = _FONT_FACE.sub("", page)
        seen = seen or bool(_FONT_FACE.search(page))
        out.append(page)
    return out


def _summary_rows(versions: Sequence[tuple[Version, Report]]) -> str:
    ref = bach_reference()
    rule_ids = list(dict.fromkeys(r.id for _, rep in versions for r in rep.rules))
    rows = []
    for rid in rule_ids:
        cells = []
        sev = ""
        for _, rep in versions:
            rule = next((r for r in rep.rules if r.id == rid), None)
            if rule is None:
                cells.append("<td>-</td><td>-</td>")
                continue
            sev = rule.severity
            skipped = any(n.rule == rid for n in rep.notices)
            k = rep.counts.get(rid, 0)
            rate = rep.rates_per_100_notes().get(rid, 0.0)
            cells.append("<td>skipped</td><td>-</td>" if skipped else f"<td>{k}</td><td>{rate:.2f}</td>")
        bach = ref.get(rid, {}).get("per_100_notes")
        last = versions[-1][1]
        mine = last.rates_per_100_notes().get(rid)
        if bach is None:
            verdict = "no reference"
        elif mine is None:
            verdict = "-"
        elif mine <= bach:
            verdict = "at or below Bach"
        else:
            verdict = f"{mine / bach:.1f}x Bach" if bach > 0 else "Bach: never"
        bach_cell = "-" if bach is None else f"{bach:.2f}"
        rows.append(f'<tr class="sev-{sev}"><th scope="row">{_esc(rid)}</th><td>{sev}</td>{"".join(cells)}'
                    f"<td>{bach_cell}</td><td>{verdict}</td></tr>")  # fmt: skip
    heads = "".join(f'<th colspan="2">{_esc(v.label)}</th>' for v, _ in versions)
    sub = "<th>count</th><th>per 100 notes</th>" * len(versions)
    ref_note = f"Bach: {ref['chorales']} chorales of the music21 corpus, {ref['notes']} notes"
    return (f'<table class="summary"><thead><tr><th rowspan="2">rule</th><th rowspan="2">severity</th>{heads}'
            f'<th rowspan="2">Bach per 100 notes</th><th rowspan="2">{_esc(versions[-1][0].label)} vs Bach</th></tr>'
            f"<tr>{sub}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p class="small">{_esc(ref_note)} (docs/results/bach_rule_rates.md).</p>')  # fmt: skip


def _violation_list(report: Report, ids: Mapping[tuple[str, int], list[str]], version: Version) -> str:
    if not report.violations:
        return "<p>No rule is broken.</p>"
    index = _note_index(version.score)
    items = []
    for v in report.violations:
        target = ""
        for n in v.notes:
            for pid in v.parts:
                i = index.get(pid, {}).get(n)
                if i is not None and ids.get((pid, i)):
                    target = ids[(pid, i)][0]
                    break
            if target:
                break
        link = f'<a href="#{target}">{_esc(v.where)}</a>' if target else _esc(v.where)
        items.append(f'<li class="sev-{v.severity}" data-rule="{_esc(v.rule)}"><span class="badge">{v.severity}</span> '
                     f"<b>{_esc(v.rule)}</b>, {link}: {_esc(v.message)}</li>")  # fmt: skip
    return f'<ol class="violations">{"".join(items)}</ol>'


def _players(version: Version, slot: str, embed: bool, out_dir: Path | None) -> str:
    if not version.audio:
        return ""
    names = {p.id: p.name for p in version.score.parts}
    rows = []
    for key, path in version.audio.items():
        label = "Full mix" if key == "mix" else f"Solo: {names.get(key, key)}"
        if embed:
            src = audio_data_uri(path)
        else:
            assert out_dir is not None
            src = str(Path(path).resolve().relative_to(out_dir.resolve())) if Path(path).is_absolute() else str(path)
        rows.append(f'<div class="player"><span>{_esc(label)}</span><audio controls preload="metadata" '
                    f'data-version="{slot}" data-track="{_esc(key)}" src="{src}"></audio></div>')  # fmt: skip
    return f'<div class="players">{"".join(rows)}</div>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 1.5rem 2rem;color:#111;font-size:17px;line-height:1.4}
h1{font-size:1.6rem;margin:1rem 0 .3rem} h2{font-size:1.3rem;margin:.6rem 0} h3{font-size:1.05rem;margin:.8rem 0 .3rem}
.small{font-size:.85rem;color:#444} .controls{margin:.6rem 0 1rem;display:flex;gap:1rem;flex-wrap:wrap}
.controls label{cursor:pointer;padding:.3rem .7rem;border:1px solid #888;border-radius:4px}
.versions{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:1.2rem}
body[data-view="0"] .version:not([data-slot="0"]),body[data-view="1"] .version:not([data-slot="1"]){display:none}
body[data-view="0"] .versions,body[data-view="1"] .versions{grid-template-columns:1fr}
.version{border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;min-width:0}
.music{display:grid;grid-template-columns:minmax(0,3fr) minmax(14rem,1fr);gap:1rem}
body[data-view="both"] .music{grid-template-columns:1fr}
.page svg{width:100%;height:auto;display:block;margin-bottom:.5rem}
g.note.v-error,g.note.v-error *{fill:#c8102e;color:#c8102e}
g.note.v-warning,g.note.v-warning *{fill:#d97706;color:#d97706}
g.note.moved .notehead use{stroke:#1d4ed8;stroke-width:60}
g.note.moved:not(.v-error):not(.v-warning),g.note.moved:not(.v-error):not(.v-warning) *{fill:#1d4ed8;color:#1d4ed8}
g.note:target,g.note:target *{fill:#7c3aed;color:#7c3aed}
g.mNum{font-weight:bold}
.violations{padding-left:2.4rem;max-height:70vh;overflow:auto;font-size:.92rem}
.violations li{margin:.15rem 0} .badge{font-size:.75rem;padding:0 .3rem;border-radius:3px;color:#fff}
.sev-error .badge{background:#c8102e} .sev-warning .badge{background:#d97706}
.legend span{display:inline-block;margin-right:1rem} .legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;vertical-align:middle}
.players{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.4rem 0 .8rem} .player{display:flex;flex-direction:column;font-size:.85rem}
.player audio{width:15rem;height:2rem}
table{border-collapse:collapse;font-size:.92rem} th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:right} th[scope=row]{text-align:left}
.changes{font-size:.9rem;max-height:20rem;overflow:auto}
#test-status{display:none}
@media print{
 body{font-size:11pt;margin:0} .controls,.players,#test-status{display:none!important}
 .versions,body[data-view] .versions{display:block} .version,body[data-view] .version{display:block!important;border:none;page-break-before:always}
 .music,body[data-view] .music{display:block} .violations{max-height:none;overflow:visible}
 .changes{max-height:none;overflow:visible} a{color:inherit;text-decoration:none}
 .page{page-break-inside:avoid}
}
"""

_SCRIPT = """
(function(){
  var status=document.getElementById('test-status');
  var audios=[].slice.call(document.querySelectorAll('audio'));
  function record(){
    var loaded=audios.filter(function(a){return a.dataset.duration}).length;
    var failed=audios.filter(function(a){return a.dataset.error}).length;
    status.textContent=JSON.stringify({audio:audios.length,loaded:loaded,failed:failed,
      durations:audios.map(function(a){return a.dataset.track+':'+(a.dataset.duration||'')})});
  }
  audios.forEach(function(a){
    a.addEventListener('loadedmetadata',function(){a.dataset.duration=a.duration.toFixed(2);record();});
    a.addEventListener('error',function(){a.dataset.error='1';record();});
    a.addEventListener('play',function(){audios.forEach(function(b){if(b!==a)b.pause();});});
    if(a.readyState>=1){a.dataset.duration=a.duration.toFixed(2);}
  });
  document.querySelectorAll('input[name=view]').forEach(function(r){
    r.addEventListener('change',function(){document.body.dataset.view=r.value;});
  });
  record();
})();
"""


def report_html(
    versions: Sequence[Version],
    *,
    title: str,
    changes: Sequence[Mapping[str, Any]] = (),
    notes_html: str = "",
    embed_audio: bool = True,
    out_dir: str | Path | None = None,
    max_pages: int | None = None,
) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    versions
        One (a check) or two (before and after) versions, shown side by side or toggled.
    title
        The page's heading.
    changes
        Rows of ``changes.json`` (shown under the last version).
    notes_html
        Extra HTML under the title (what was done, the command).
    embed_audio
        Audio inside the file as ``data:`` URIs (default); else ``src`` names the files,
        relative to ``out_dir``, which must then sit next to the report.
    max_pages
        Engrave at most this many pages per version (default: :data:`partita.engraving.DEFAULT_MAX_PAGES`).

    Returns
    -------
    str
    """
    outp = Path(out_dir) if out_dir is not None else None
    checked = []
    blocks, warnings, cut = [], [], []
    fonts_seen = False
    for slot, v in enumerate(versions):
        svgs, eng, rep = marked_pages(v, prefix=f"v{slot}", seed=slot + 1, max_pages=max_pages)
        svgs = [_FONT_FACE.sub("", p) for p in svgs] if fonts_seen else _one_font_face(svgs)
        fonts_seen = True
        checked.append((v, rep))
        warnings += [f"{v.label}: {w}" for w in eng.warnings]
        if eng.truncated:
            cut.append(f"{v.label}: {eng.message()}")
        marks = _marks(v, rep)
        pages = "".join(f'<div class="page">{p}</div>' for p in svgs)
        ids = eng.ids_by_note()
        n_marked = sum(1 for key in marks if key in ids)
        head = (f"<h2>{_esc(v.label)}</h2><p class=\"small\">{len(v.score.parts)} parts: "
                f"{_esc(', '.join(p.name for p in v.score.parts))}; {rep.n_notes} notes; "
                f"<b>{rep.n_errors} errors, {rep.n_warnings} warnings</b> ({_esc(rep.profile)} profile); "
                f"{n_marked} notes marked</p>")  # fmt: skip
        listing = f"<h3>What breaks the rules</h3>{_violation_list(rep, ids, v)}"
        if slot == len(checked) - 1 and changes:
            rows = "".join(f"<tr><td>{_esc(c['part_name'])}</td><td>{c['bar']}</td><td>{c['beat']}</td><td>{_esc(c['from'])}</td>"
                           f"<td>{_esc(c['to'])}</td><td>{_esc(c['reason'])}</td></tr>" for c in changes)  # fmt: skip
            listing += (f'<h3>Moved notes ({len(changes)})</h3><div class="changes"><table><thead><tr><th>part</th><th>bar</th>'
                        f"<th>beat</th><th>from</th><th>to</th><th>why</th></tr></thead><tbody>{rows}</tbody></table></div>")  # fmt: skip
        blocks.append(f'<section class="version" data-slot="{slot}">{head}{_players(v, str(slot), embed_audio, outp)}'
                      f'<div class="music"><div class="pages">{pages}</div><aside>{listing}</aside></div></section>')  # fmt: skip
    radios = "".join(f'<label><input type="radio" name="view" value="{i}"> {_esc(v.label)} only</label>' for i, (v, _) in enumerate(checked))
    controls = (f'<div class="controls"><label><input type="radio" name="view" value="both" checked> side by side</label>{radios}</div>'
                if len(checked) > 1 else "")  # fmt: skip
    legend = ('<p class="legend"><span><i style="background:#c8102e"></i>error</span><span><i style="background:#d97706"></i>warning'
              '</span><span><i style="background:#1d4ed8"></i>moved by an octave</span> Hover a coloured note to read the rule.</p>')  # fmt: skip
    warn_html = ""
    if warnings or cut:
        items = "".join(f"<li>{_esc(w)}</li>" for w in cut + warnings)
        warn_html = f'<section class="engraver"><h3>Engraver messages</h3><ul class="small">{items}</ul></section>'
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head>"
            f'<body data-view="both" style="--n:{len(checked)}"><h1>{_esc(title)}</h1>{notes_html}{legend}{controls}'
            f'<div class="versions">{"".join(blocks)}</div><section><h2>Rules: this piece and Bach</h2>'
            f"{_summary_rows(checked)}</section>{warn_html}"
            f'<pre id="test-status"></pre><script>{_SCRIPT}</script></body></html>')  # fmt: skip


def write_report(path: str | Path, versions: Sequence[Version], *, title: str, **kwargs: Any) -> Path:
    """:func:`report_html` written atomically to ``path``; returns the path."""
    path = Path(path)
    kwargs.setdefault("out_dir", path.parent)
    atomic_write_text(path, report_html(versions, title=title, **kwargs))
    return path
