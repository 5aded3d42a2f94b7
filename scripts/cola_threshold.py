"""Choose a decision threshold on validation MCC for the CoLA checkpoints; apply it on dev.

    python scripts/cola_threshold.py    (from the project root, once the cola-* models are trained)

Code path (mirrors src/wordinfo/training/train.py::_train_classifier, read-only use of the package):
  * data: wordinfo.training.data.read_tsv + split_validation(texts, labels, val_fraction) with
    SPLIT_SEED=0 (the default) on ../shared/data/cola/train.tsv; dev = read_tsv(dev.tsv)
  * tokens: the checkpoint's tokenizer, truncation=True, max_length=128 (train.MAX_TOKENS)
  * logits: length-sorted batches (training.loop.length_batches, batch 64 = 2*recipe batch),
    padded with train._pad; BERT: model(input_ids=, attention_mask=).logits; native: model(ids, mask)
  * metric: training.loop.matthews
Score s = logit1 - logit0 (monotone in softmax p(class 1) = sigmoid(s)); predict 1 iff s > t.
argmax == (s > 0) except exact ties (argmax picks class 0 on a tie, as does s > 0).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
import json  # noqa: E402 (after OMP_NUM_THREADS is set)
import math  # noqa: E402 (after OMP_NUM_THREADS is set)
import sys  # noqa: E402 (after OMP_NUM_THREADS is set)
from pathlib import Path  # noqa: E402 (after OMP_NUM_THREADS is set)

import torch  # noqa: E402 (after OMP_NUM_THREADS is set)

torch.set_num_threads(1)

import wordinfo  # noqa: E402 (after OMP_NUM_THREADS is set)
from wordinfo.corpus import read_labelled as read_tsv  # noqa: E402
from wordinfo.training.data import split_validation  # noqa: E402
from wordinfo.training.loop import length_batches, matthews  # noqa: E402 (after OMP_NUM_THREADS is set)
from wordinfo.training.train import MAX_TOKENS, _pad  # noqa: E402 (after OMP_NUM_THREADS is set)

DATA = Path("../shared/data/cola")           # from the project root
MODELS = Path("runs/models")
OUT = Path("runs/logs/cola_threshold")


def scores(model, tok, texts, hf, bs=64):
    ids = tok(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    pad = tok.pad_token_id
    out = [None] * len(ids)
    with torch.no_grad():
        for batch in length_batches([len(i) for i in ids], bs):
            x, m = _pad([ids[i] for i in batch], pad)
            lg = model(input_ids=x, attention_mask=m).logits if hf else model(x, m)
            for i, row in zip(batch, lg.tolist()):
                out[i] = row
    return out


def mcc_at(s, y, t):
    return matthews([int(v > t) for v in s], y)


def best_threshold(s, y):
    """Exhaustive search over all distinct cut points (midpoints between sorted validation scores)."""
    u = sorted(set(s))
    cands = [u[0] - 1.0] + [(a + b) / 2 for a, b in zip(u, u[1:])] + [u[-1] + 1.0] + [0.0]
    best = max(cands, key=lambda t: (round(mcc_at(s, y, t), 12), -abs(t)))  # ties: the one nearest 0
    return best


def main(names):
    tr_x, tr_y = read_tsv(DATA / "train.tsv")
    dev_x, dev_y = read_tsv(DATA / "dev.tsv")
    rows = []
    for name in names:
        d = MODELS / name
        met = json.loads((d / "metrics.json").read_text())
        frac = met["data"]["val_fraction"]
        (_, _), (va_x, va_y) = split_validation(tr_x, tr_y, frac)
        assert len(va_x) == met["data"]["n_validation"] and len(dev_x) == met["data"]["n_test"]
        model, tok = wordinfo.load_model(str(d))
        model.eval()
        hf = hasattr(model, "config") and not isinstance(model.config, dict)
        va = scores(model, tok, va_x, hf)
        dv = scores(model, tok, dev_x, hf)
        va_s = [b - a for a, b in va]
        dv_s = [b - a for a, b in dv]
        va_arg = matthews([max(range(2), key=lambda k: r[k]) for r in va], va_y)
        dv_arg = matthews([max(range(2), key=lambda k: r[k]) for r in dv], dev_y)
        t = best_threshold(va_s, va_y)
        r = {
            "model": name,
            "recorded_val": met["best_validation"], "repro_val_argmax": va_arg,
            "recorded_dev": met["test"], "repro_dev_argmax": dv_arg,
            "dev_share_pos_argmax": sum(v > 0 for v in dv_s) / len(dv_s),
            "threshold_logitdiff": t, "threshold_p1": 1 / (1 + math.exp(-t)),
            "val_mcc_at_t": mcc_at(va_s, va_y, t), "dev_mcc_at_t": mcc_at(dv_s, dev_y, t),
            "dev_share_pos_at_t": sum(v > t for v in dv_s) / len(dv_s),
            "val_share_pos_argmax": sum(v > 0 for v in va_s) / len(va_s),
            "val_share_pos_at_t": sum(v > t for v in va_s) / len(va_s),
            "dev_gold_share_pos": sum(dev_y) / len(dev_y), "val_gold_share_pos": sum(va_y) / len(va_y),
        }
        # how sensitive: dev MCC over a small neighbourhood of validation-near-optimal thresholds
        near = [c for c in sorted(set([round(x, 2) for x in va_s]))
                if mcc_at(va_s, va_y, c) >= r["val_mcc_at_t"] - 0.01]
        r["n_near_opt_thresholds"] = len(near)
        if near:
            dm = [mcc_at(dv_s, dev_y, c) for c in near]
            r["dev_mcc_over_near_opt_range"] = [min(dm), max(dm)]
            r["near_opt_t_range"] = [min(near), max(near)]
        rows.append(r)
        print(json.dumps(r), flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"scores_{name}.json").write_text(json.dumps({"val": va, "val_y": va_y, "dev": dv,
                                                                         "dev_y": dev_y}))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:] or ["cola-bert", "cola-cnn", "cola-lstm", "cola-transformer"])
