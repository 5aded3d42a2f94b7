"""Where the time goes: torch.profiler over one solve, by operator, in float32 and bfloat16.

    python benchmarks/profile_solver.py [--solver fast|default] [--sentence N]

Prints the operators with the most self CPU time for each arithmetic, for one SST-2
test sentence and all six MiniLM layers. This is the profile behind the two speed-ups
of issue 3: PyTorch's fused CPU attention kernel dominated the backward pass (hence
plain matrix-product attention on CPUs, ``models/huggingface.py``), and the matrix
products then dominated (hence bfloat16 autocast, ``Problem.compute_dtype``).
"""

import argparse
import contextlib
import dataclasses

import torch
from torch.profiler import ProfilerActivity, profile

from wordinfo.bench import sst2_sentences
from wordinfo.job import prepare
from wordinfo.models import huggingface

parser = argparse.ArgumentParser()
parser.add_argument("--solver", default="fast")
parser.add_argument("--sentence", type=int, default=1, help="index in SST-2 test")
args = parser.parse_args()

job = prepare(None)
text = sst2_sentences(None, args.sentence + 1)[args.sentence]
with job.encoder.frozen():
    problem, _ = job.problem([text])
    print(f"{text!r}: {int(problem.mask.sum())} tokens, solver {args.solver}")
    plain_attention = huggingface._attention_kernel
    for fused, dtype in ((True, None), (False, None), (False, torch.bfloat16)):
        # fused: PyTorch's own choice of attention kernel, as before the adapter forced plain products
        huggingface._attention_kernel = (lambda device: contextlib.nullcontext()) if fused else plain_attention
        p = dataclasses.replace(problem, compute_dtype=dtype)
        job.solve(p, solver=args.solver)                      # warm-up: kernels, caches
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            job.solve(p, solver=args.solver)
        print(f"\n== noisy passes in {dtype or torch.float32}, {'fused' if fused else 'plain'} attention")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    huggingface._attention_kernel = plain_attention
