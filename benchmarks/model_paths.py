"""The two paths of models/generic.py side by side, and the BERT adapter: seconds a sentence, all layers.

    python benchmarks/model_paths.py [--sentences 4] [--solver default] [--out benchmarks/results/model_paths.json]

Cases, each on the same first SST-2 test sentences, one process:
- the bundled MiniLM-L6 through the BERT adapter (models/huggingface.py, x = the embedding block's output);
- the bundled MiniLM-L6 through models/generic.py, layer-stack path and generic path (x = token embeddings);
- a tiny random GPT-2 (6 layers, 64 wide, built from its config) through both paths of models/generic.py.
The ratios are what to read (a shared machine): each pair runs back to back in one process.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch
import transformers

import wordinfo
from wordinfo.bench import sst2_sentences
from wordinfo.files import write_json
from wordinfo.models.generic import TransformersEncoder
from wordinfo.models.hub import bundled_model_path
from wordinfo.models.resolve import resolve


def timed(texts, encoder, solver):
    wordinfo.explain(texts[:1], encoder, layers="all", solver=solver)            # warm-up (and sigma_S)
    start = time.perf_counter()
    exp = wordinfo.explain(texts, encoder, layers="all", solver=solver)
    seconds = time.perf_counter() - start
    return {"seconds_per_sentence": seconds / len(texts), "layers": len(exp.layers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=4)
    parser.add_argument("--solver", default="default")
    parser.add_argument("--out", default="benchmarks/results/model_paths.json")
    args = parser.parse_args()
    texts = sst2_sentences(n=args.sentences)
    tok = transformers.AutoTokenizer.from_pretrained(bundled_model_path())
    minilm = transformers.AutoModel.from_pretrained(bundled_model_path()).eval()
    torch.manual_seed(0)
    gpt2 = transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=tok.vocab_size, n_embd=64, n_layer=6,
                                                                n_head=4, n_positions=512)).eval()
    cases = {
        "minilm, BERT adapter": resolve(minilm, tok),
        "minilm, generic.py stack path": TransformersEncoder(minilm, tok, "minilm", path="stack"),
        "minilm, generic.py generic path": TransformersEncoder(minilm, tok, "minilm", path="generic"),
        "tiny gpt2, stack path": TransformersEncoder(gpt2, tok, "gpt2", path="stack"),
        "tiny gpt2, generic path": TransformersEncoder(gpt2, tok, "gpt2", path="generic"),
    }
    machine = {"threads": torch.get_num_threads(), "platform": platform.platform(), "torch": torch.__version__}
    results = {"machine": machine,
               "solver": args.solver, "sentences": len(texts), "cases": {}}
    for name, encoder in cases.items():
        results["cases"][name] = timed(texts, encoder, args.solver)
        print(f"{name:34s} {results['cases'][name]['seconds_per_sentence']:7.2f} s/sentence", flush=True)
    c = results["cases"]
    results["ratios"] = {
        "minilm generic / stack": c["minilm, generic.py generic path"]["seconds_per_sentence"]
        / c["minilm, generic.py stack path"]["seconds_per_sentence"],
        "minilm generic.py stack / BERT adapter": c["minilm, generic.py stack path"]["seconds_per_sentence"]
        / c["minilm, BERT adapter"]["seconds_per_sentence"],
        "gpt2 generic / stack": c["tiny gpt2, generic path"]["seconds_per_sentence"]
        / c["tiny gpt2, stack path"]["seconds_per_sentence"],
    }
    print(json.dumps(results["ratios"], indent=1))
    write_json(args.out, results, indent=1, sort_keys=False)


if __name__ == "__main__":
    main()
