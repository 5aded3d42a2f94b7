"""What "the same answer alone and in a batch" means, in one place for every test that checks it.

A sentence draws the same noise alone or in any batch (keyed by its content), and every choice
the default solver makes for it is its own. What still differs is the function's float
rounding: the batch's shapes, padding and memory alignment pick different BLAS / oneDNN kernels.
In float32 that moves sigma by about 1e-5 (measured: 1.8e-5 at most, tiny BERTs, padded batches);
under bfloat16 autocast a product rounded the other way moves it by up to 3e-3, a tenth of the
default error bar. Either can flip one of the solver's discrete choices (stop now or take a step;
one more round of samples): then the two answers are two honest estimates and agree within their
error bars.
"""

from __future__ import annotations

import numpy as np

FLOAT32 = 1e-4      # relative, in sigma: float32 rounding of phi, same work
BFLOAT16 = 0.25     # of the combined error bar, in log sigma: bfloat16 rounding of phi, same work


def assert_same_answer(sigma, se, work, ref_sigma, ref_se, ref_work, dtype: str = "float32"):
    """``sigma`` (with its error bar ``se`` and the solver's ``work``: evaluations or steps) against the same
    sentence's answer elsewhere, both computed in ``dtype``: within rounding where the solver did the same
    work, else within three combined error bars."""
    sigma, ref_sigma = np.asarray(sigma), np.asarray(ref_sigma)
    bar = np.sqrt(np.asarray(se) ** 2 + np.asarray(ref_se) ** 2)
    gap = np.abs(np.log(sigma / ref_sigma))
    if not np.array_equal(np.asarray(work), np.asarray(ref_work)):
        assert np.all(gap <= 3 * bar), (sigma, ref_sigma, 3 * bar)
    elif dtype == "float32":
        np.testing.assert_allclose(sigma, ref_sigma, rtol=FLOAT32)
    else:
        assert np.all(gap <= BFLOAT16 * bar), (sigma, ref_sigma, BFLOAT16 * bar)
