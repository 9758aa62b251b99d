"""The composer's one decoding loop: model, KV cache, re-priming, masks and sampling.

Every way the composer writes (:func:`~partita.symbolic.composer.sample.compose` from a plan,
and :func:`~partita.symbolic.composer.edit.regenerate`, ``harmonize`` and ``continue_`` over a
span of an existing score) drives one :class:`Decoder`:

- :meth:`Decoder.feed` runs ids through the model, keeping the KV cache; when the context would
  overflow it re-primes with the header, as many of the latest finished bars as fit in about
  60 % of the block, and the bar being written;
- :meth:`Decoder.start_bar`, :meth:`Decoder.append` and :meth:`Decoder.end_bar` keep the bar
  structure the re-priming needs;
- :meth:`Decoder.sample` draws the next id from the model's last logits under a boolean mask
  (temperature plus nucleus, from a seeded ``torch.Generator``).

The masks come from one place too: :func:`profile_mask` builds the
:class:`~partita.symbolic.composer.masks.DecodeMask` a rule profile asks for (:data:`PROFILE_MASKS`),
and :func:`with_chords` puts a :class:`~partita.symbolic.composer.chordmask.ChordMask` around it
when given chords are a hard constraint.

>>> import torch
>>> from partita.symbolic.composer.model import GPT, GPTConfig
>>> _ = torch.manual_seed(0)
>>> m = GPT(GPTConfig(vocab_size=50, n_layer=1, n_head=2, n_embd=16, block_size=16, dropout=0.0))
>>> d = Decoder(m, header=[1, 2, 3])
>>> d.start_bar([4, 5])
>>> allowed = np.zeros(50, dtype=bool); allowed[[7, 8]] = True
>>> i = d.sample(allowed, temperature=1.0, top_p=0.95, generator=torch.Generator().manual_seed(0))
>>> i in (7, 8)
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from partita.errors import ConfigError

__all__ = ["PROFILE_MASKS", "REPRIME_SHARE", "Decoder", "load_model", "nucleus", "profile_mask", "with_chords"]

#: What each theory_rules profile asks of the decode-time mask.
PROFILE_MASKS = {
    "chorale": {"parallels": True, "key": True},
    "classical": {"parallels": True, "key": True},
    "pop": {"parallels": False, "key": True},
    "orchestration": {"parallels": False, "key": False},
    "none": None,  # no rule at all (the grammar is still needed to decode)
}
#: Share of the context a re-prime fills (header, recent bars, the current bar), leaving the
#: rest for new tokens before the next re-prime.
REPRIME_SHARE = 0.6


def load_model(path: str | None = None, *, device: str = "cpu") -> Any:
    """The composer model: ``path`` (a checkpoint) or the shipped weights (sha256 checked), made
    over the composer's vocabulary (a checkpoint over another one is refused)."""
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import load_checkpoint

    vocab = ComposerVocab.default()
    if path is None:
        from partita.symbolic.composer.weights_info import shipped_path, shipped_sha256

        return load_checkpoint(shipped_path(), sha256=shipped_sha256(), device=device, vocab=vocab)[0]
    return load_checkpoint(path, device=device, vocab=vocab)[0]


def profile_mask(
    vocab: Any,
    layout: Any,
    profile: str,
    *,
    meters: Sequence[tuple[int, int]],
    key_signatures: Sequence[Any] = (),
    pitch_range: str = "comfortable",
) -> Any:
    """The :class:`~partita.symbolic.composer.masks.DecodeMask` that ``profile`` asks for.

    ``vocab``: the REMI tokenizer (the composer vocabulary's ``base``); ``layout``: the
    :class:`~partita.symbolic.tokens_format.PartLayout` of the written parts; ``meters``: the
    ``(numerator, denominator)`` pairs that may occur. Profile ``"none"`` keeps the grammar only
    (no key, the widest grid, no parallels, playable range). Under a profile with parallels
    every part writes one note at a time (the mask's default): its guarantee holds between
    single lines. Raises :class:`~partita.errors.ConfigError` for an unknown profile.
    """
    from partita.symbolic.composer.masks import DecodeMask

    if profile not in PROFILE_MASKS:
        raise ConfigError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_MASKS)}")
    opts = PROFILE_MASKS[profile]
    if opts is None:
        return DecodeMask(vocab, layout, meters=list(meters), parallels=False, grids=(Fraction(1, 12),))
    return DecodeMask(
        vocab, layout,
        key_signatures=tuple(key_signatures) if opts["key"] else (),
        pitch_range=pitch_range, meters=list(meters), parallels=opts["parallels"],
    )  # fmt: skip


def with_chords(mask: Any, chords: Sequence[tuple[Fraction, str]], *, bar_ql: Fraction, check: bool = True) -> Any:
    """``mask`` wrapped so that notes struck on strong beats are tones of the given chords.

    ``chords``: ``(onset in quarter notes, figure)`` pairs. With ``check`` the chords are first
    tested against the mask's key and range (:func:`~partita.symbolic.composer.chordmask.check_chords`
    raises a clear error for a chord no part can sound).
    """
    from partita.symbolic.composer.chordmask import ChordMask, check_chords

    if check:
        check_chords(mask, list(chords), bar_ql=bar_ql)
    return ChordMask(mask, list(chords))


def nucleus(logits: Any, allowed: np.ndarray, temperature: float, top_p: float, generator: Any,
            bias: np.ndarray | None = None) -> int:  # fmt: skip
    """One id drawn from ``logits`` (torch float [vocab]) where ``allowed`` (bool [vocab]) is
    True: temperature (0 = greedy), plus ``bias`` (float [vocab], a calibrated prior's, added to
    the tempered logits: it multiplies the tempered probabilities by ``exp(bias)``), then
    nucleus sampling with mass ``top_p``."""
    import torch

    logits = logits.double()
    if temperature > 0:
        logits = logits / temperature
    if bias is not None:
        logits = logits + torch.from_numpy(np.asarray(bias, dtype=np.float64))
    logits[~torch.from_numpy(allowed)] = float("-inf")
    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        sp, si = torch.sort(probs, descending=True)
        cum = torch.cumsum(sp, 0)
        keep = cum - sp < top_p
        keep[0] = True
        probs = torch.zeros_like(probs).scatter(0, si[keep], sp[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))


class Decoder:
    """The model's state while a sequence is written bar by bar.

    Parameters
    ----------
    model
        A :class:`~partita.symbolic.composer.model.GPT` (put in eval mode here).
    header
        The ids every (re-)primed context starts with (BOS and the piece's controls).

    Attributes
    ----------
    bars
        The finished bars fed through :meth:`end_bar`, oldest first: what a re-prime may keep.
    current
        The ids of the bar being written.
    logits
        The model's logits after the last id fed (torch float [vocab]).
    n_reprimes
        How many times the context was rebuilt.
    """

    def __init__(self, model: Any, header: Sequence[int]) -> None:
        model.eval()
        self.model = model
        self.header = list(header)
        self.block = int(model.config.block_size)
        self.bars: list[list[int]] = []
        self.current: list[int] = []
        self.logits: Any = None
        self.n_reprimes = 0
        self._cache: Any = None
        self._n = 0  # ids in the KV cache

    def feed(self, ids: Sequence[int]) -> None:
        """Run ``ids`` through the model, re-priming first when they would overflow the context.

        The ids are not added to :attr:`current`; :meth:`append` does both."""
        import torch

        ids = list(ids)
        if self._n + len(ids) > self.block:
            room = int(self.block * REPRIME_SHARE) - len(self.header) - len(self.current) - len(ids)
            keep: list[int] = []
            for bar in reversed(self.bars):
                if len(bar) > room - len(keep):
                    break
                keep = bar + keep
            self._cache, self._n = None, 0
            self.n_reprimes += 1
            ids = self.header + keep + self.current + ids
            if len(ids) > self.block:  # a bar longer than the context: its latest tokens
                ids = self.header + ids[len(ids) - (self.block - len(self.header)) :]
        with torch.inference_mode():
            logits, self._cache = self.model(torch.tensor([ids], dtype=torch.long), self._cache)
        self._n += len(ids)
        self.logits = logits[0, -1]

    def start_bar(self, opening: Sequence[int]) -> None:
        """Begin a bar with its forced ``opening`` (Bar, TimeSig, bar controls)."""
        self.current = []
        self.feed(opening)  # before current grows: a re-prime adds current, then these ids
        self.current = list(opening)

    def append(self, ids: Sequence[int]) -> None:
        """Feed ``ids`` and add them to the bar being written."""
        self.feed(ids)
        self.current.extend(ids)

    def end_bar(self) -> list[int]:
        """Close the bar being written; returns its ids."""
        bar = self.current
        self.bars.append(bar)
        self.current = []
        return bar

    def sample(self, allowed: np.ndarray, *, temperature: float, top_p: float, generator: Any,
               bias: np.ndarray | None = None) -> int:  # fmt: skip
        """The next id under ``allowed`` (bool [vocab]), with an optional prior ``bias`` (see
        :func:`nucleus`); raises ConfigError when nothing is allowed."""
        if not allowed.any():
            raise ConfigError("the masks allow no token here")
        return nucleus(self.logits, allowed, temperature, top_p, generator, bias)

    def log_prob(self, allowed: np.ndarray, token: int) -> float:
        """The model's own log-probability (temperature 1, renormalised over ``allowed``) of
        ``token`` as the next id: what best-of-N scores a candidate by."""
        import torch

        logits = self.logits.double().clone()
        logits[~torch.from_numpy(allowed)] = float("-inf")
        return float(torch.log_softmax(logits, dim=-1)[int(token)])

    def state(self) -> tuple:
        """Everything :meth:`restore` needs to come back here (the KV cache is shared: the model
        makes new tensors as it extends it)."""
        return (self._cache, self._n, self.logits, list(self.bars), list(self.current), self.n_reprimes)

    def restore(self, state: tuple) -> None:
        """Back to a :meth:`state`."""
        self._cache, self._n, self.logits, bars, current, self.n_reprimes = state
        self.bars, self.current = list(bars), list(current)
