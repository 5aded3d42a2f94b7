"""``wordinfo bench``: the default and fast solvers against the authors' algorithm, side by side.

Everything runs in one process on the bundled MiniLM-L6, one case after another:

* case A: one SST-2 sentence, all six layers: paper solver vs default vs fast;
* case B: many SST-2 test sentences, all six layers, default and fast, in batches;
  the paper solver on a few of them, its time scaled up to the whole set, as the
  reference;
* scaling: time and memory against sentence length, number of layers and batch size.

Agreement is judged two ways: the Spearman correlation of sigma over the tokens of
each (sentence, layer), and the objective of each answer evaluated on one common
set of fresh Gaussian noise samples, so that no solver is judged on its own draws.
Memory is the peak resident set size above the level before the case, sampled.

One job a module:

* :mod:`.memory`: :class:`PeakMemory` and :func:`rss` (resident memory from /proc, the GPU's peak);
* :mod:`.timing`: :class:`SolverRun`, :func:`run_solver_on`, :func:`run_on_workers` (a solver timed on a stream);
* :mod:`.agreement`: :func:`agreement`, :func:`seed_agreement`, :func:`common_objective`, :func:`objective_gap`;
* :mod:`.cases`: :func:`sst2_sentences`, :func:`case_a_sentence` and the :func:`bench` driver (cases A and B);
* :mod:`.scaling`: the scaling sweep and its figure.
"""

from .agreement import COMMON_SAMPLES, agreement, agreement_row, common_objective, objective_gap, seed_agreement
from .cases import bench, case_a_sentence, sst2_sentences
from .memory import PeakMemory, rss
from .scaling import scaling, scaling_figure
from .timing import SolverRun, run_on_workers, run_solver_on

__all__ = ["COMMON_SAMPLES", "PeakMemory", "SolverRun", "agreement", "agreement_row", "bench", "case_a_sentence",
           "common_objective", "objective_gap", "rss", "run_on_workers", "run_solver_on", "scaling",
           "scaling_figure", "seed_agreement", "sst2_sentences"]
