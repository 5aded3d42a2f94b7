"""The synthetic reverse-sequence task, where the truth is known.

A sequence is ``n`` words (``5 <= n <= 15`` by default) drawn uniformly from a
vocabulary of ``vocab_size`` words written ``0 1 2 ...``; its target is the same
words reversed. Output step ``j`` (1-based) must therefore depend on input word
``n - j + 1`` and on no other: the ground truth an explanation of the decoder's
state at step ``j`` should find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import WordinfoError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


@dataclass(frozen=True)
class ReverseTask:
    """A generator of sequences: ``sample(count)`` gives texts such as ``'7 0 13 2 9'``, reproducibly."""
    vocab_size: int = 20
    min_length: int = 5
    max_length: int = 15
    seed: int = 0

    def __post_init__(self):
        if self.vocab_size < 2:
            raise WordinfoError(f"the reverse task needs a vocabulary of at least 2 words, got {self.vocab_size}")
        if not 1 <= self.min_length <= self.max_length:
            raise WordinfoError(f"lengths must satisfy 1 <= min <= max, got {self.min_length}..{self.max_length}")

    def sample(self, count: int, stream: int = 0) -> list[str]:
        """``count`` sequences; ``stream`` picks an independent set (0 train, 1 validation, 2 test...)."""
        rng = random.Random(f"{self.seed}:{stream}")
        out = []
        for _ in range(count):
            n = rng.randint(self.min_length, self.max_length)
            out.append(" ".join(str(rng.randrange(self.vocab_size)) for _ in range(n)))
        return out


def reverse_text(text: str) -> str:
    """The target of a sequence: its words in reverse order."""
    return " ".join(reversed(text.split()))


def ground_truth(n_words: int, step: int) -> int:
    """The input word (1-based) that output step ``step`` (1-based) of an ``n_words`` sequence copies."""
    if not 1 <= step <= n_words:
        raise WordinfoError(f"output step {step} is outside 1..{n_words}")
    return n_words - step + 1


def build_tokenizer(vocab_size: int, max_length: int = 64):
    """A word-level fast tokenizer for the words ``0 .. vocab_size-1``, adding ``[CLS]``/``[SEP]`` like BERT.

    A real ``transformers`` fast tokenizer, so explanations get word ids and offsets
    exactly as for Hugging Face models, and ``save_pretrained`` stores it in a checkpoint.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    vocab.update({str(w): len(SPECIAL_TOKENS) + w for w in range(vocab_size)})
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", model_max_length=max_length)
