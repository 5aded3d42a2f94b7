"""What the SST-2 and CoLA models take from the bundled MiniLM-L6: its WordPiece tokenizer, its word embeddings
(the frozen input of the Transformer, LSTM and CNN classifiers) and the encoder that ``--arch bert`` fine-tunes."""

from __future__ import annotations

from pathlib import Path

import torch


def minilm_tokenizer():
    from transformers import AutoTokenizer

    from ..models.hub import bundled_model_path
    return AutoTokenizer.from_pretrained(bundled_model_path())


def minilm_word_embeddings() -> torch.Tensor:
    """MiniLM-L6's WordPiece embedding matrix ``[30522, 384]``, read from its safetensors file."""
    from safetensors import safe_open

    from ..models.hub import bundled_model_path
    with safe_open(str(Path(bundled_model_path()) / "model.safetensors"), "pt") as f:
        return f.get_tensor("embeddings.word_embeddings.weight")


def minilm_classifier(labels):
    """The bundled MiniLM-L6 with a new classification head over ``labels``."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    from ..models.hub import bundled_model_path
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return AutoModelForSequenceClassification.from_pretrained(
        bundled_model_path(), num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)})
