"""One sentence, ready for every method (``Sentence``), and the factory that makes it from a text.

A sentence is the encoder's tokens, the input word vectors ``x`` (what wordinfo perturbs),
its reference (every word's tokens replaced by the deletion token: [MASK], else padding,
else unknown; special tokens kept) and wordinfo's own :class:`~wordinfo.words.WordMap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import WordinfoError
from ..words import WordMap, word_map


@dataclass
class Sentence:
    """One sentence, ready for every method."""
    text: str
    input_ids: torch.Tensor      # [1, n]
    x: torch.Tensor              # [1, n, K] the input word vectors
    mask: torch.Tensor           # [1, n] bool
    reference: torch.Tensor      # [1, n, K] x with every word's tokens replaced by the deletion token
    word_map: WordMap

    @property
    def n_tokens(self) -> int:
        return int(self.x.shape[1])

    @property
    def words(self) -> list[int]:
        """Indices (into ``word_map.words``) of the real words: special tokens left out."""
        return [w for w, s in enumerate(self.word_map.special) if not s]

    @property
    def token_word(self) -> torch.Tensor:
        return torch.tensor(self.word_map.token_word)

    def word_tokens(self, w: int) -> list[int]:
        return [t for t, tw in enumerate(self.word_map.token_word) if tw == w]

    def replace_words(self, keep: np.ndarray) -> torch.Tensor:
        """``[V, n, K]`` inputs: variant ``v`` keeps word ``j`` (``keep[v, j]``, over ``words``) and puts
        the reference (deletion token) in place of every other word; special tokens always stay."""
        keep = np.asarray(keep, dtype=bool).reshape(-1, len(self.words))
        token_keep = np.ones((keep.shape[0], self.n_tokens), dtype=bool)
        for j, w in enumerate(self.words):
            token_keep[:, self.word_tokens(w)] = keep[:, [j]]
        tk = torch.from_numpy(token_keep)[..., None]
        return torch.where(tk, self.x.expand(len(tk), -1, -1), self.reference.expand(len(tk), -1, -1))


class SentenceFactory:
    """``factory(text) -> Sentence`` for one encoder: tokenised, embedded, its reference and word map."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.delete_id = deletion_token(encoder.tokenizer)

    def __call__(self, text: str) -> Sentence:
        enc = self.encoder.tokenize([text], truncate=True)
        ids = enc["input_ids"]
        mask = enc["attention_mask"].bool()
        special = enc["special_tokens_mask"][0].bool()
        ref_ids = torch.where(special | ~mask[0], ids[0], torch.full_like(ids[0], self.delete_id))[None]
        with torch.no_grad():
            x = self.encoder.embed(ids).detach()
            reference = self.encoder.embed(ref_ids).detach()
        tokens = self.encoder.tokenizer.convert_ids_to_tokens(ids[0].tolist())
        wm = word_map(text, tokens, enc.word_ids(0), enc["offset_mapping"][0].tolist(),
                      enc["special_tokens_mask"][0].tolist())
        sent = Sentence(text, ids, x, mask, reference, wm)
        if not sent.words:
            raise WordinfoError(f"no word to explain in {text!r}")
        return sent


def deletion_token(tokenizer) -> int:
    """The token that stands in for a deleted word: [MASK], else padding, else unknown."""
    for name in ("mask_token_id", "pad_token_id", "unk_token_id"):
        tid = getattr(tokenizer, name, None)
        if tid is not None:
            return int(tid)
    raise WordinfoError("the tokenizer has no [MASK], padding or unknown token to delete words with")
