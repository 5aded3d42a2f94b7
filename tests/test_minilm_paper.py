"""The default solver against the authors' algorithm on the bundled MiniLM (slow: run with -m slow)."""

import pytest
from scipy.stats import spearmanr

import wordinfo

SENTENCE = "rare bird has more than enough charm to make it memorable."


@pytest.mark.slow
def test_default_agrees_with_paper_on_minilm_layers_3_and_6(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDINFO_CACHE", str(tmp_path))
    default = wordinfo.explain(SENTENCE, layers=[3, 6])
    paper = wordinfo.explain(SENTENCE, layers=[3, 6], solver="paper", dtype="float32")   # 5,000 steps, as the authors
    assert default.tokens() == paper.tokens() and len(default.tokens()) == 14
    for li in range(2):
        rho = spearmanr(default.sigma[0][li], paper.sigma[0][li])[0]
        assert rho >= 0.85, (default.layers[li], rho)
    # every word carries its error bar; the shallow layer reaches the precision within max_samples
    # (a deep one may not: the bench reports the share)
    assert default.converged[0].any()
    assert (default.sigma_se[0] > 0).all()
    for li in range(2):
        if default.converged[0][li]:
            assert (default.sigma_se[0][li] <= default.settings["precision"] + 1e-12).all()
