"""The largest model this machine explains: a random Llama of about 1.1B parameters (TinyLlama's shape).

    python benchmarks/large_model.py [--layers 22] [--solver fast] [--dtype bfloat16] [--hidden 2048 ...]

No weights can be downloaded here, so the model is built from its config with random weights
(float32, about 4.4 GB; with ``--dtype bfloat16`` built in bfloat16, about 2.2 GB, as
``wordinfo explain --dtype bfloat16`` loads a checkpoint); what is measured is the cost, not the
answer. The noisy passes are sized to the memory left (``wordinfo.memory.tokens_per_pass``); peak
resident memory above the start is sampled from /proc (``wordinfo.bench.PeakMemory``), and the
whole process's peak from ``getrusage``. Prints seconds a sentence.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch
import transformers

import wordinfo
from wordinfo.bench import PeakMemory, sst2_sentences
from wordinfo.files import write_json
from wordinfo.memory import tokens_per_pass
from wordinfo.models.generic import TransformersEncoder
from wordinfo.models.hub import bundled_model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--intermediate", type=int, default=5632)
    parser.add_argument("--num-layers", type=int, default=22)
    parser.add_argument("--heads", type=int, default=32)
    parser.add_argument("--kv-heads", type=int, default=4)
    parser.add_argument("--layers", default="22", help="layers to explain ('all' or numbers)")
    parser.add_argument("--solver", default="fast")
    parser.add_argument("--sentences", type=int, default=1)
    parser.add_argument("--dtype", default="auto", help="auto (float32 weights) or bfloat16 (bfloat16 weights)")
    parser.add_argument("--out", default="benchmarks/results/large_model.json", help="where the JSON goes")
    args = parser.parse_args()
    tok = transformers.AutoTokenizer.from_pretrained(bundled_model_path())
    config = transformers.LlamaConfig(vocab_size=tok.vocab_size, hidden_size=args.hidden,
                                      intermediate_size=args.intermediate, num_hidden_layers=args.num_layers,
                                      num_attention_heads=args.heads, num_key_value_heads=args.kv_heads)
    torch.manual_seed(0)
    started = time.perf_counter()
    weights = torch.bfloat16 if args.dtype in ("bfloat16", "bf16") else torch.float32
    model = transformers.LlamaForCausalLM._from_config(config, dtype=weights).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"random Llama: {params / 1e9:.2f}B parameters, built in {time.perf_counter() - started:.0f} s", flush=True)
    encoder = TransformersEncoder(model, tok, f"random Llama {params / 1e9:.2f}B")
    per_token = encoder.activation_bytes_per_token()
    print(f"estimated {per_token / 1e6:.1f} MB a token position; {tokens_per_pass(per_token)} positions a pass",
          flush=True)
    texts = sst2_sentences(n=args.sentences)
    with PeakMemory() as mem:
        start = time.perf_counter()
        exp = wordinfo.explain(texts, encoder, layers=args.layers, solver=args.solver, calibration="none",
                               dtype=args.dtype)
        seconds = time.perf_counter() - start
    result = {"parameters": params, "config": config.to_dict(), "layers": exp.layers, "solver": args.solver,
              "weights": str(weights).replace("torch.", ""), "dtype": args.dtype,
              "sentences": len(texts), "tokens": [len(w.tokens) for w in exp.word_maps],
              "seconds_per_sentence": seconds / len(texts), "peak_extra_mb": mem.extra_mb,
              "threads": torch.get_num_threads(), "tokens_per_pass": tokens_per_pass(per_token),
              # the whole process at its peak (weights, build and explanation): what the machine must hold
              "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}
    print(f"{seconds / len(texts):.1f} s a sentence ({args.solver} solver, layers {args.layers}, "
          f"{result['weights']} weights), "
          f"peak memory +{mem.extra_mb / 1e3:.1f} GB above the weights, {result['peak_rss_gb']:.1f} GB in all",
          flush=True)
    write_json(args.out, result, indent=1, sort_keys=False)


if __name__ == "__main__":
    main()
