"""Sub-word pieces to words: an aggregator, kept apart from the estimation.

Words are taken as independent, so the entropies (and retained bits) of a
word's pieces add up to the word's. Special tokens ([CLS], [SEP]) are words of
their own, flagged ``special``. For a sentence pair each word also says which
text it belongs to (``segment``, 0 or 1: :mod:`wordinfo.pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .pairs import is_pair, segments


@dataclass
class WordMap:
    tokens: list[str]          # every real (unpadded) token
    words: list[str]           # every word, special tokens included
    token_word: list[int]      # the word each token belongs to
    special: list[bool]        # per word
    segment: list[int] = field(default_factory=list)   # per word, 0 or 1 for a sentence pair; empty otherwise

    def merge(self, values: np.ndarray) -> np.ndarray:
        """Sum token values ``[..., n_tokens]`` into word values ``[..., n_words]``."""
        membership = np.zeros((len(self.tokens), len(self.words)))
        membership[np.arange(len(self.tokens)), self.token_word] = 1.0
        return np.asarray(values, dtype=float) @ membership


def word_map(text, tokens: list[str], word_ids: list, offsets: list, special_mask: list,
             sequence_ids: list | None = None) -> WordMap:
    """Build the map of one sentence (or pair) from a fast tokenizer's word ids and character offsets.

    For a pair ``(first, second)``, ``sequence_ids`` (the tokenizer's, per token) say which text a
    token's offsets point into; word ids restart in the second text, so words are keyed by both."""
    pair = is_pair(text)
    seg = segments(sequence_ids) if pair else [0] * len(tokens)
    words, token_word, special, word_segment, seen = [], [], [], [], {}
    for tok, wid, (start, end), is_special, s in zip(tokens, word_ids, offsets, special_mask, seg):
        if is_special or wid is None:
            token_word.append(len(words))
            words.append(tok)
            special.append(True)
            word_segment.append(s)
            continue
        key = (s, wid)
        if key not in seen:
            seen[key] = len(words)
            words.append([s, start, end])
            special.append(False)
            word_segment.append(s)
        else:
            span = words[seen[key]]
            span[1], span[2] = min(span[1], start), max(span[2], end)
        token_word.append(seen[key])
    source = text if pair else (text,)
    words = [w if isinstance(w, str) else source[w[0]][w[1]:w[2]] for w in words]
    return WordMap(tokens=list(tokens), words=words, token_word=token_word, special=special,
                   segment=word_segment if pair else [])
