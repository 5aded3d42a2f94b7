"""Sub-word pieces to words: an aggregator, kept apart from the estimation.

Words are taken as independent, so the entropies (and retained bits) of a
word's pieces add up to the word's. Special tokens ([CLS], [SEP]) are words of
their own, flagged ``special``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class WordMap:
    tokens: list[str]          # every real (unpadded) token
    words: list[str]           # every word, special tokens included
    token_word: list[int]      # the word each token belongs to
    special: list[bool]        # per word

    def merge(self, values: np.ndarray) -> np.ndarray:
        """Sum token values ``[..., n_tokens]`` into word values ``[..., n_words]``."""
        membership = np.zeros((len(self.tokens), len(self.words)))
        membership[np.arange(len(self.tokens)), self.token_word] = 1.0
        return np.asarray(values, dtype=float) @ membership


def word_map(text: str, tokens: list[str], word_ids: list, offsets: list, special_mask: list) -> WordMap:
    """Build the map of one sentence from a fast tokenizer's word ids and character offsets."""
    words, token_word, special, seen = [], [], [], {}
    for tok, wid, (start, end), is_special in zip(tokens, word_ids, offsets, special_mask):
        if is_special or wid is None:
            token_word.append(len(words))
            words.append(tok)
            special.append(True)
            continue
        if wid not in seen:
            seen[wid] = len(words)
            words.append([start, end])
            special.append(False)
        else:
            span = words[seen[wid]]
            span[0], span[1] = min(span[0], start), max(span[1], end)
        token_word.append(seen[wid])
    words = [w if isinstance(w, str) else text[w[0]:w[1]] for w in words]
    return WordMap(tokens=list(tokens), words=words, token_word=token_word, special=special)
