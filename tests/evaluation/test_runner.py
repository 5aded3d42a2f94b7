"""``wordinfo.evaluate`` (``wordinfo.evaluation.runner``) on toy encoders: the reverse task's truth found, parts and
resumption equal to one run."""

from __future__ import annotations

import pytest

from helpers.baseline_toys import LinearToy, ReverseToy, ToyEncoder
from wordinfo.baselines import Context
from wordinfo.errors import WordinfoError
from wordinfo.evaluation import evaluate

TEXTS = ["3 1 4 1 5 9 2 6", "9 2 6 5 3 5", "8 9 7 9 3", "2 7 1 8 2 8"]


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
