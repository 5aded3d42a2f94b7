"""What the paper's study costs: seconds a sentence for each of the four families on SST-2 and CoLA, and the
core-hours and wall time of the whole study on N machines (docs/scaling.md).

    python benchmarks/study_cost.py [--sentences 3] [--machines 1,4,16] [--cores 16] [--efficiency E]

Per family (BERT = the bundled MiniLM fine-tuned by ``wordinfo train``, Transformer, LSTM, CNN) and
data set, the first ``--sentences`` test sentences are explained as the study explains them: every
layer and the prediction, the default solver, one thread. A family's model is the trained one of
``runs/models/sst2-ARCH`` where there is one, else a model of ``wordinfo train``'s shape with MiniLM's
word embeddings and random other weights (the cost of a pass is the same; the solver's step count
may differ: the JSON says which). The study: SST-2's 1,821 test sentences and CoLA's 1,043 dev ones
(in and out of domain) per family. Wall time on N machines of C cores is core-seconds / (N C E),
E the parallel efficiency (``--efficiency``; ``benchmarks/ray_vs_pool.py`` measures it here).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

import wordinfo
from wordinfo.corpus import default_data_dir, read_texts
from wordinfo.files import write_json

ARCHS = ("bert", "transformer", "lstm", "cnn")
STUDY = {"sst2": 1821, "cola": 1043}


def model_for(arch: str, tmp: Path) -> tuple[str, bool]:
    """``(model directory, trained?)``: runs/models/sst2-ARCH, else a random one of the same shape."""
    trained = Path("runs/models") / f"sst2-{arch}"
    if (trained / "config.json").is_file():
        return str(trained), True
    if arch == "bert":
        return "minilm", False
    from wordinfo.models.checkpoint import build, save
    from wordinfo.training.train import MAX_TOKENS, MODEL_DEFAULTS, minilm_tokenizer, minilm_word_embeddings
    embeddings = minilm_word_embeddings()
    torch.manual_seed(0)
    config = {**MODEL_DEFAULTS[("classifier", arch)], "vocab_size": embeddings.shape[0],
              "embedding_dim": embeddings.shape[1], "num_labels": 2, "pad_id": 0, "max_length": MAX_TOKENS,
              "labels": ["negative", "positive"]}
    net = build("classifier", arch, config).eval()
    with torch.no_grad():
        net.embedding.weight.copy_(embeddings)
    return str(save(tmp / arch, net, minilm_tokenizer(), "sst2")), False


def seconds_per_sentence(model: str, texts: list[str]) -> float:
    start = time.perf_counter()
    wordinfo.explain(texts, model, layers="all")
    try:
        wordinfo.explain(texts, model, target="logits")
    except wordinfo.WordinfoError:          # no head (the bundled MiniLM stand-in): layers only
        pass
    return (time.perf_counter() - start) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--machines", default="1,4,16")
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--efficiency", type=float, default=0.9)
    parser.add_argument("--out", default="benchmarks/results/study_cost.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = default_data_dir()
    texts = {"sst2": read_texts(data / "sst2" / "test.tsv", args.sentences),
             "cola": read_texts(data / "cola" / "dev_in_domain.tsv", args.sentences)}
    rows, core_seconds = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ARCHS:
            model, trained = model_for(arch, Path(tmp))
            for task, sentences in texts.items():
                s = seconds_per_sentence(model, sentences)
                core_seconds += s * STUDY[task]
                rows.append({"family": arch, "data": task, "model": model, "trained": trained,
                             "seconds_per_sentence": round(s, 2), "study_sentences": STUDY[task],
                             "core_hours": round(s * STUDY[task] / 3600, 2)})
                print(rows[-1], flush=True)
    machines = [int(m) for m in args.machines.split(",")]
    wall = {m: round(core_seconds / (m * args.cores * args.efficiency) / 3600, 2) for m in machines}
    print(f"the study: {core_seconds / 3600:.1f} core-hours; wall hours on N machines of {args.cores} cores "
          f"at efficiency {args.efficiency}: {wall}", flush=True)
    write_json(args.out, {"machine": platform.node(), "threads": 1, "sentences_timed": args.sentences,
                          "rows": rows, "core_hours": round(core_seconds / 3600, 2), "cores": args.cores,
                          "efficiency": args.efficiency, "wall_hours_by_machines": wall}, indent=1)


if __name__ == "__main__":
    main()
