"""Sentence pairs (paraphrase, entailment, QQP, MNLI): what a text to explain is, the one place for that rule.

A text is a string or a pair ``(first, second)``. Pairs reach the model the way it was
trained on them: through its tokenizer's two-text call (``tokenizer(firsts, seconds)``:
``[CLS] a [SEP] b [SEP]`` for BERT, ``<s> a </s></s> b </s>`` for RoBERTa) with its segment
ids where it has them. Every word of both texts is explained, and each word says which
text it belongs to (its *segment*: 0 for the first text, 1 for the second; a special token
belongs to the text before it, the leading one to the first).

A batch is all single texts or all pairs: a tokenizer pads a batch of one kind only.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import WordinfoError


def is_pair(text) -> bool:
    return isinstance(text, tuple)


def as_texts(texts, pair=None) -> list:
    """The list of texts to explain from ``explain``'s arguments: ``texts`` (a string or a list, whose
    items may already be pairs) and ``pair`` (the second text of each, a string or a list, or None)."""
    texts = [texts] if isinstance(texts, (str, tuple)) else list(texts)
    if pair is not None:
        seconds = [pair] if isinstance(pair, str) else list(pair)
        if len(seconds) != len(texts):
            raise WordinfoError(f"{len(texts)} text(s) but {len(seconds)} pair text(s): give one second text "
                                "for each first text")
        if any(is_pair(t) for t in texts):
            raise WordinfoError("the texts are already pairs: drop pair=")
        texts = [(t, s) for t, s in zip(texts, seconds)]
    kind(texts)
    return texts


def kind(texts: Sequence) -> str:
    """'single' or 'pair' for a batch of texts; a one-line error for a malformed or mixed one."""
    pairs = 0
    for t in texts:
        if is_pair(t):
            if len(t) != 2 or not all(isinstance(s, str) for s in t):
                raise WordinfoError(f"a sentence pair is two strings (first, second), got {t!r}")
            if not all(s.strip() for s in t):
                raise WordinfoError("empty text in a sentence pair: give at least one word in each text")
            pairs += 1
        elif not isinstance(t, str):
            raise WordinfoError(f"a text is a string or a pair of strings, got {type(t).__name__}")
        for s in t if is_pair(t) else (t,):
            _check_unicode(s)
    if 0 < pairs < len(texts):
        raise WordinfoError("a batch mixes single texts and sentence pairs: explain them separately")
    return "pair" if pairs else "single"


def _check_unicode(text: str) -> None:
    """A text the tokenizer can read: no lone surrogates (what Python makes of bytes that are not UTF-8 in a
    command-line argument or a file read with ``surrogateescape``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raw = text[e.start].encode("utf-8", "surrogateescape") if "\udc80" <= text[e.start] <= "\udcff" else None
        byte = f"byte 0x{raw[0]:02x}" if raw else f"character U+{ord(text[e.start]):04X}"
        raise WordinfoError(f"the text is not valid UTF-8 ({byte} at character {e.start}): give UTF-8 text "
                            "(iconv -f LATIN1 -t UTF-8 converts a Latin-1 file)") from None


def split(texts: Sequence) -> tuple[list[str], list[str] | None]:
    """``(firsts, seconds)`` of a batch; ``seconds`` is None for single texts."""
    if kind(texts) == "single":
        return list(texts), None
    return [t[0] for t in texts], [t[1] for t in texts]


def length(text) -> int:
    """Characters in a text or a pair (for sorting a corpus so that similar lengths share a batch)."""
    return len(text[0]) + len(text[1]) if is_pair(text) else len(text)


def segments(sequence_ids: Sequence) -> list[int]:
    """Per token, the text it belongs to (0 or 1), from a tokenizer's ``sequence_ids`` (None on special
    tokens, which take the text before them; a leading one, the first text)."""
    out, current = [], 0
    for s in sequence_ids:
        current = current if s is None else int(s)
        out.append(current)
    return out
