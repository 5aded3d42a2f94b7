"""``wordinfo.estimate``, ``wordinfo.feature_std`` and ``wordinfo.Estimate`` (``wordinfo.estimator``): the inputs it
takes and refuses, the Estimate's values, files and bound (CPU, small tensors). How well the solvers find the optimum
is tests/solvers/."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import wordinfo
from helpers.functions import LAM, SCALE, estimate_problem, lengths_mask, phi_ignoring_word_2, raw_log_sigma
from helpers.interpreter import fresh_python
from wordinfo import Estimate, WordinfoError


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny tensors: one intra-op thread. With two threads on a busy 2-core machine the
    OpenMP workers spin against each other and this file ran 8x slower (55 s vs 6 s)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ----------------------------------------------------------------------------- 1. the function's signature

def test_one_argument_phi_with_defaults_gets_no_mask():
    """Only required positional parameters count: ``lambda x, W=W: ...`` is a one-argument phi."""
    w = torch.randn(4, 3)
    est = wordinfo.estimate(lambda x, w=w: x.sum(1) @ w, torch.randn(2, 3, 4))
    assert est.sigma.shape == (2, 3)
    with_mask = wordinfo.estimate(lambda x, m: (x * m[..., None]).sum(1) @ w, torch.randn(2, 3, 4))
    assert with_mask.sigma.shape == (2, 3)

    def phi(x, temperature=1.0):
        assert isinstance(temperature, float), "the mask went into a defaulted parameter"
        return x.sum(1) @ w / temperature

    assert wordinfo.estimate(phi, torch.randn(2, 3, 4), torch.ones(2, 3, dtype=torch.bool)).sigma.shape == (2, 3)


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_are_solved_in_float32(half):
    """float16 or bfloat16 ``x``: phi gets its own dtype, the solver's arithmetic stays float32, and the answer is
    that of the float32 problem within the half-precision rounding."""
    torch.manual_seed(0)
    w, x = torch.randn(8, 8), torch.randn(2, 5, 8)
    seen = []

    def phi(v):
        seen.append(v.dtype)
        return v @ w.to(v.dtype)

    low = wordinfo.estimate(phi, x.to(half))
    full = wordinfo.estimate(lambda v: v @ w, x.to(half).float())
    assert set(seen) == {half} and low.sigma.dtype == np.float32
    off = np.abs(low.sigma / full.sigma - 1)
    assert np.median(off) < 0.03 and off.max() < 0.1, off


@pytest.mark.parametrize("solver", ["default", "fast", "paper"])
def test_nan_under_noise_is_one_line_with_the_share_of_samples(solver):
    """phi is finite at x and NaN once the noise moves a word far enough: one line naming phi's output and the share
    of noisy samples affected, not a NaN or a plausible sigma with an infinite loss."""
    torch.manual_seed(0)
    w, x = torch.randn(8, 8), torch.randn(1, 5, 8)

    def phi(v):
        far = (v - x).abs().amax(-1, keepdim=True) > 0.5
        return torch.where(far, torch.full_like(v @ w, float("nan")), v @ w)

    options = {"steps": 50} if solver == "paper" else {}
    with pytest.raises(WordinfoError, match=r"^phi's output: the model's output is NaN or Inf for \d+ of \d+ "
                                            r"noisy samples \(\d+\.\d%"):
        wordinfo.estimate(phi, x, solver=solver, **options)


# ----------------------------------------------------------------------------- 2. errors

def _lin(k=4, d=3):
    w = torch.randn(k, d)
    return lambda x: x.sum(1) @ w


X = torch.randn(2, 3, 4)


def _err_cases():
    w = torch.randn(4, 3)
    return {
        "lam-zero": (dict(phi=_lin(), x=X, lam=0.0), r"lam must be"),
        "lam-negative": (dict(phi=_lin(), x=X, lam=-1.0), r"lam must be"),
        "lam-nan": (dict(phi=_lin(), x=X, lam=float("nan")), r"lam must be a finite number"),
        "scale-zero": (dict(phi=_lin(), x=X, scale=0.0), r"scale must be"),
        "scale-negative": (dict(phi=_lin(), x=X, scale=-0.5), r"scale must be"),
        "x-int": (dict(phi=_lin(), x=torch.ones(2, 3, 4, dtype=torch.long)), r"x must be a float tensor"),
        "x-numpy": (dict(phi=_lin(), x=np.ones((2, 3, 4))), r"x must be a float tensor"),
        "x-1d": (dict(phi=_lin(), x=torch.randn(4)), r"x must have shape"),
        "x-4d": (dict(phi=_lin(), x=torch.randn(1, 2, 3, 4)), r"x must have shape"),
        "mask-shape": (dict(phi=_lin(), x=X, mask=torch.ones(2, 4, dtype=torch.bool)), r"mask has shape"),
        "mask-all-false-row": (dict(phi=_lin(), x=X, mask=torch.tensor([[1, 1, 0], [0, 0, 0]]).bool()),
                               r"no unmasked word"),
        "fs-not-broadcastable": (dict(phi=_lin(), x=X, feature_std=torch.ones(5)), r"does not broadcast"),
        "fs-zero": (dict(phi=_lin(), x=X, feature_std=torch.tensor([1.0, 0.0, 1.0])), r"> 0 everywhere"),
        "phi-nan": (dict(phi=lambda x: x.sum(1) * float("nan"), x=X), r"phi's output contains NaN"),
        "phi-constant": (dict(phi=lambda x: torch.ones(x.shape[0], 3, requires_grad=True) * 1, x=X),
                         r"does not depend on x"),
        "phi-detached": (dict(phi=lambda x: x.detach().sum(1) @ w, x=X), r"does not depend on x"),
        "phi-not-tensor": (dict(phi=lambda x: x.sum().item(), x=X), r"must return a tensor"),
        "phi-no-batch-axis": (dict(phi=lambda x: x.sum(), x=X), r"batch"),
        "unknown-solver": (dict(phi=_lin(), x=X, solver="newton"), r"unknown solver 'newton'"),
        "unknown-option": (dict(phi=_lin(), x=X, stepz=10), r"unknown option.*stepz"),
        "paper-rejects-default-option": (dict(phi=_lin(), x=X, solver="paper", precision=0.01),
                                         r"unknown option.*precision"),
    }


ERR_CASES = _err_cases()


@pytest.mark.parametrize("case", list(ERR_CASES))
def test_bad_input_raises_wordinfo_error(case):
    kwargs, match = ERR_CASES[case]
    kwargs = dict(kwargs)
    phi, x = kwargs.pop("phi"), kwargs.pop("x")
    with pytest.raises(WordinfoError, match=match) as info:
        wordinfo.estimate(phi, x, **kwargs)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) > 20                                  # a sentence, not a code


# ----------------------------------------------------------------------------- 3. Estimate

@pytest.fixture(scope="module")
def padded_estimate():
    """Token outputs, padding, and one word (2) the function ignores, so it sits at the bound."""
    torch.manual_seed(9)
    k, h, n = 8, 5, 5
    a = torch.randn(k, h)
    keep = torch.ones(n)
    keep[2] = 0.0
    phi = lambda x: torch.tanh((x * keep[None, :, None]) @ a / 3)
    mask = lengths_mask([5, 3, 4], n)
    x = torch.randn(3, n, k)
    return wordinfo.estimate(phi, x, mask), mask.numpy()


def test_estimate_to_dict_is_json(padded_estimate):
    est, m = padded_estimate
    d = est.to_dict()
    text = json.dumps(d, allow_nan=False)                              # strict JSON: no NaN tokens
    back = json.loads(text)
    for key in ("sigma", "entropy_nats", "entropy_bits", "retained_bits", "total_nats", "total_bits",
                "steps", "evaluations", "converged", "loss", "width", "settings"):
        assert key in back, key
    sig = back["sigma"]
    assert len(sig) == 3 and all(len(row) == 5 for row in sig)
    for b in range(3):
        for i in range(5):
            if m[b, i]:
                assert sig[b][i] == pytest.approx(float(est.sigma[b, i]), rel=1e-6)
                assert back["entropy_bits"][b][i] is not None
            else:
                assert sig[b][i] is None and back["retained_bits"][b][i] is None
    assert back["width"] == 8
    assert back["settings"]["lam"] == LAM and back["settings"]["scale"] == SCALE
    assert back["converged"] == [bool(c) for c in est.converged]


def test_single_sentence_to_dict_is_json():
    torch.manual_seed(1)
    a = torch.randn(6, 3)
    est = wordinfo.estimate(lambda x: torch.tanh(x @ a), torch.randn(4, 6))
    back = json.loads(json.dumps(est.to_dict(), allow_nan=False))
    assert len(back["sigma"]) == 4
    assert isinstance(back["total_bits"], float)
    assert isinstance(back["steps"], int) and isinstance(back["converged"], bool)


def _assert_same_estimate(a: Estimate, b: Estimate):
    for name in ("sigma", "steps", "evaluations", "converged", "loss"):
        va, vb = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert va.shape == vb.shape and va.dtype == vb.dtype, name
        np.testing.assert_array_equal(va, vb, err_msg=name)
    assert a.width == b.width
    assert a.settings == b.settings
    np.testing.assert_array_equal(a.total_bits, b.total_bits)


def test_estimate_save_load_round_trip(padded_estimate, tmp_path):
    est, _ = padded_estimate
    path = est.save(tmp_path / "est.npz")
    assert path.exists()
    back = Estimate.load(path)
    _assert_same_estimate(est, back)
    assert back.settings["feature_std"] == "mean-square fallback"


def test_single_sentence_estimate_save_load_round_trip(tmp_path):
    """``estimate`` on a 2-D ``[n, K]`` input returns scalars for steps/converged/loss; they must save too."""
    torch.manual_seed(1)
    a = torch.randn(6, 3)
    est = wordinfo.estimate(lambda x: torch.tanh(x @ a), torch.randn(4, 6))
    back = Estimate.load(est.save(tmp_path / "one.npz"))
    _assert_same_estimate(est, back)


def test_estimate_entropies_and_bits(padded_estimate):
    est, m = padded_estimate
    k, s = est.width, est.sigma
    nats = k * np.log(s.astype(np.float64)) + k / 2 * math.log(2 * math.pi * math.e)
    np.testing.assert_allclose(est.entropy_nats, nats, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(est.entropy_bits, est.entropy_nats / math.log(2), rtol=1e-6)
    assert np.all(np.isnan(est.entropy_nats[~m])) and np.all(np.isnan(est.retained_bits[~m]))
    rb = est.retained_bits
    np.testing.assert_allclose(rb[m], k * np.log2(SCALE / s[m].astype(np.float64)), rtol=1e-5, atol=1e-4)
    assert np.all(rb[m] >= 0)
    at_bound = np.isclose(s, SCALE, rtol=1e-6)
    assert at_bound[:, 2].all()                                           # the ignored word
    np.testing.assert_allclose(rb[at_bound], 0.0, atol=1e-5)
    assert np.all(rb[m & ~at_bound] > 0)
    totals = np.array([est.entropy_bits[b][m[b]].sum() for b in range(len(m))])
    np.testing.assert_allclose(est.total_bits, totals, rtol=1e-6)
    np.testing.assert_allclose(est.total_nats, totals * math.log(2), rtol=1e-5)


@pytest.mark.parametrize("scale", [0.5, 0.45, 1.1])
def test_sigma_never_exceeds_scale_and_retained_bits_nonnegative(scale):
    """docs/method.md: retained bits are non-negative, 0 for a wholly forgotten word (sigma at the bound)."""
    torch.manual_seed(0)
    n, k, d = 4, 8, 6
    phi = phi_ignoring_word_2(n, k, d)
    x = torch.randn(2, n, k)
    est = wordinfo.estimate(phi, x, scale=scale)
    assert np.all(est.sigma <= scale), (est.sigma[:, 2], scale)
    assert np.all(est.retained_bits >= 0), est.retained_bits[:, 2]
    # the clamps above (SolverResult.sigma, retained_bits) make those two hold whatever the solver gives;
    # the solver's own answer must hold them too: log sigma <= log(scale), K (log scale - log sigma) / ln 2 >= 0
    result, log_sigma = raw_log_sigma(estimate_problem(phi, x, scale=scale))
    np.testing.assert_array_equal(result.sigma(scale)[0].numpy(), est.sigma)            # the problem estimate solved
    assert bool((log_sigma <= math.log(scale) + 1e-6).all()), (log_sigma.max(), math.log(scale))
    assert bool((k * (math.log(scale) - log_sigma) / math.log(2) >= -1e-3).all())


# ----------------------------------------------------------------------------- 4. feature_std

def test_feature_std_pools_valid_tokens():
    torch.manual_seed(10)
    k, h = 6, 5
    a = torch.randn(k, h)
    phi = lambda x: torch.tanh(x @ a) + x[..., :h] ** 2
    lengths = [5, 2, 4]
    mask = lengths_mask(lengths, 5)
    x = torch.randn(3, 5, k)
    x[~mask] = 1e3                                                     # junk must not enter the std
    fs = wordinfo.feature_std(phi, x, mask)
    assert fs.shape == (h,)
    with torch.no_grad():
        rows = torch.cat([phi(x[b:b + 1, :ln])[0] for b, ln in enumerate(lengths)])
    assert rows.shape == (sum(lengths), h)
    torch.testing.assert_close(fs, rows.std(dim=0), rtol=1e-5, atol=1e-7)
    # a list of sentences of different lengths pools the same tokens
    fs_list = wordinfo.feature_std(phi, [x[b, :ln] for b, ln in enumerate(lengths)])
    torch.testing.assert_close(fs_list, fs, rtol=1e-5, atol=1e-7)
    # and it is accepted by estimate as is
    est = wordinfo.estimate(phi, x, mask, feature_std=fs)
    assert est.settings["feature_std"] == "given"
    assert not np.any(np.isnan(est.sigma[mask.numpy()]))


def test_feature_std_dense_output_is_std_over_sentences():
    torch.manual_seed(12)
    w = torch.randn(4, 6, 7)
    phi = lambda x: torch.einsum("bnk,nkd->bd", x, w)
    x = torch.randn(10, 4, 6)
    fs = wordinfo.feature_std(phi, x)
    assert fs.shape == (7,)
    torch.testing.assert_close(fs, phi(x).std(dim=0), rtol=1e-5, atol=1e-7)


def test_feature_std_needs_two_samples():
    with pytest.raises(WordinfoError, match="at least two"):
        wordinfo.feature_std(lambda x: x.sum(1), torch.randn(1, 3, 4))


# ----------------------------------------------------------------------------- 5. no transformers needed

def test_estimate_does_not_need_transformers():
    code = ("import sys, torch, wordinfo; "
            "wordinfo.estimate(lambda x: torch.tanh(x).sum(1), torch.randn(2, 3, 4)); "
            "print('transformers' in sys.modules)")
    assert fresh_python(code)[-1] == "False"
