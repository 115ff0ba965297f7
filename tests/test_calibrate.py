"""The calibration search (studies/calibrate.py) gives the same data on every processor.

The shipped survey tables once differed from one machine to the next: a swap between two rows
with the same covariates leaves the loss unchanged in exact arithmetic, and OpenBLAS's kernels
(chosen by processor) rounded it up on one machine and down on another, so the search kept the
swap on some and not on others, and every later random draw moved.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
import statsmodels.api as sm

from pedcomm.studies import calibrate

# A design where many swaps tie: every covariate pattern appears three times.
PROBE = """
import hashlib, numpy as np
from pedcomm.studies.calibrate import swap_search
rng = np.random.default_rng(SEED)
base = np.column_stack([np.ones(80), rng.integers(0, 2, (80, 3)), rng.normal(size=(80, 4))])
X = np.repeat(base, 3, axis=0)
y = (rng.random(240) < 0.3).astype(float)
strata = rng.integers(0, 2, 240)
target = np.array([-1.0, 0.5, -0.5, 0.3, 0.2, -0.2, 0.1, 0.0])
out = swap_search(np.random.default_rng(1), X, y, np.arange(240), strata, target, np.ones(8), proposals=1500)
print(int((out != y).sum()), hashlib.sha256(out.tobytes()).hexdigest())
"""

# OpenBLAS kernels that every x86-64 processor with AVX2 can run (the CI machines and ours).
KERNELS = ("Katmai", "Sandybridge", "Haswell")


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the kernels named are x86-64 ones")
@pytest.mark.parametrize("seed", [1, 3])
def test_the_search_gives_the_same_outcomes_whatever_openblas_kernel_runs_it(seed):
    results = {}
    for kernel in KERNELS:
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "OPENBLAS_VERBOSE": "2"}
        done = subprocess.run([sys.executable, "-c", PROBE.replace("SEED", str(seed))], env=env,
                              capture_output=True, text=True, check=True)
        # OpenBLAS names the kernel it runs: the variable must have been honoured
        assert kernel.lower() in done.stdout.lower() + done.stderr.lower(), (kernel, done.stdout, done.stderr)
        moved, digest = done.stdout.strip().splitlines()[-1].split()
        results[kernel] = digest
        assert int(moved) > 0  # the search changed outcomes: the comparison is not of untouched input
    assert len(set(results.values())) == 1, results


def _design(seed=5, n=240):
    rng = np.random.default_rng(seed)
    base = np.column_stack([np.ones(n // 3), rng.integers(0, 2, (n // 3, 2)), rng.normal(size=(n // 3, 2))])
    X = np.repeat(base, 3, axis=0)
    y = (rng.random(n) < 0.35).astype(float)
    return X, y


def test_a_swap_that_only_rounding_changes_is_never_kept():
    X, y = _design()
    target = np.array([-0.5, 0.8, -0.8, 0.4, -0.4])
    calls = []
    noise = np.random.default_rng(9)

    def noisy_fit(yd, beta):
        # the exact fit, moved by a few parts in 1e15 up or down: what another kernel's rounding
        # does to a fit that a tie leaves unchanged
        calls.append(1)
        exact = np.asarray(sm.Logit(yd, X).fit(disp=0).params)
        return exact * (1 + noise.uniform(-5e-15, 5e-15, exact.shape))

    # rows 0-2 share a pattern; swap only within pattern strata, so every proposal is a tie
    strata = np.repeat(np.arange(len(X) // 3), 3)
    out = calibrate.swap_search(np.random.default_rng(2), X, y, np.arange(len(y)), strata, target,
                                np.ones(5), proposals=200, fit=noisy_fit)
    assert len(calls) > 100  # proposals were made (strata with both outcomes exist)
    assert np.array_equal(out, y)


def test_the_search_moves_the_estimates_toward_the_target():
    X, y = _design()
    target = np.array([-0.5, 0.8, -0.8, 0.4, -0.4])
    strata = np.zeros(len(y), dtype=int)
    out = calibrate.swap_search(np.random.default_rng(2), X, y, np.arange(len(y)), strata, target,
                                np.ones(5), proposals=800)
    assert out.sum() == y.sum()  # swaps keep the count of events

    def distance(outcome):  # estimated independently of the search's own Newton-Raphson
        return float(np.sum((np.asarray(sm.Logit(outcome, X).fit(disp=0).params) - target) ** 2))

    assert distance(out) < 0.2 * distance(y)
    assert hashlib.sha256(out.tobytes()).digest() != hashlib.sha256(y.tobytes()).digest()
