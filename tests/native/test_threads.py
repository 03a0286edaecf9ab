"""OpenMP thread control: bit-identical results for any thread count, the default, bad values, show_config."""

import ast
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import convkit
from convkit import _kernels
from convkit import functional as F

pytestmark = pytest.mark.usefixtures("restore_threads")

OPENMP = _kernels.openmp_enabled()


def _effective(n):
    """What get_num_threads reports after set_num_threads(n): n, or 1 in a build without OpenMP."""
    return n if OPENMP else 1


def _conv(x, rng):
    w = rng.standard_normal((5, x.shape[1], 3, 2)).astype(x.dtype)
    b = rng.standard_normal(5).astype(x.dtype)
    return F.conv2d_forward(x, w, b, stride=(2, 1), padding=(1, 2)), F.conv2d_backward


def _batchnorm(training):
    def run(x, rng):
        C = x.shape[1]
        params = (np.full(C, 1.5), np.full(C, 0.5), np.zeros(C, dtype=x.dtype), np.ones(C, dtype=x.dtype))
        return F.batchnorm_forward(x, *params, training), F.batchnorm_backward

    return run


KERNELS = {
    "conv2d": _conv,
    "maxpool2d": lambda x, rng: (F.maxpool2d_forward(x, 3, 2), F.maxpool2d_backward),
    "avgpool2d": lambda x, rng: (F.avgpool2d_forward(x, (3, 2), (1, 2)), F.avgpool2d_backward),
    "batchnorm-train": _batchnorm(True),
    "batchnorm-eval": _batchnorm(False),
    "batchnorm-2d": lambda x, rng: _batchnorm(True)(x.reshape(x.shape[0] * 4, -1), rng),
}


def _run(kernel, dtype, n_threads):
    """Forward and backward of one kernel with n_threads; every array it produces."""
    convkit.set_num_threads(n_threads)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6, 11, 10)).astype(dtype)
    (out, cache), backward = KERNELS[kernel](x, rng)
    grads = backward(rng.standard_normal(out.shape).astype(dtype), cache)
    return [out, *(grads if isinstance(grads, tuple) else (grads,))]


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_results_are_bit_identical_for_any_thread_count(kernel, dtype):
    one = _run(kernel, dtype, 1)
    for n_threads in (2, 3):
        many = _run(kernel, dtype, n_threads)
        assert len(many) == len(one)
        for a, b in zip(one, many):
            assert a.dtype == b.dtype == dtype
            assert np.array_equal(a, b), f"{kernel} differs between 1 and {n_threads} threads"


def test_set_then_get():
    convkit.set_num_threads(3)
    assert convkit.get_num_threads() == _effective(3)
    convkit.set_num_threads(np.int64(1))
    assert convkit.get_num_threads() == 1
    assert type(convkit.get_num_threads()) is int


def _default_in_a_fresh_process(omp_num_threads):
    """convkit.get_num_threads() in a new interpreter that never called set_num_threads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OMP_")}
    if omp_num_threads is not None:
        env["OMP_NUM_THREADS"] = omp_num_threads
    code = "import convkit; print(convkit.get_num_threads())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(result.stdout)


@pytest.mark.skipif(not OPENMP, reason="built without OpenMP")
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity to compare with")
def test_default_is_one_thread_per_available_cpu():
    assert _default_in_a_fresh_process(None) == len(os.sched_getaffinity(0))


@pytest.mark.skipif(not OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize("omp_num_threads", ["1", "3"])
def test_default_honours_omp_num_threads(omp_num_threads):
    assert _default_in_a_fresh_process(omp_num_threads) == int(omp_num_threads)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (0, ValueError, "n must be >= 1. Received: n=0"),
        (-2, ValueError, "n must be >= 1. Received: n=-2"),
        (1.5, TypeError, "n must be an int. Received: n=1.5"),
        ("2", TypeError, "n must be an int. Received: n='2'"),
        (None, TypeError, "n must be an int. Received: n=None"),
        (True, TypeError, "n must be an int. Received: n=True"),
    ],
)
def test_bad_values_raise_and_keep_the_setting(value, error, message):
    convkit.set_num_threads(2)
    with pytest.raises(error, match=re.escape(f"set_num_threads: {message}")):
        convkit.set_num_threads(value)
    assert convkit.get_num_threads() == _effective(2)


@pytest.mark.filterwarnings("ignore:convkit was built without OpenMP")
def test_show_config_prints_version_openmp_and_threads(capsys):
    convkit.set_num_threads(3)
    convkit.show_config()
    lines = capsys.readouterr().out.splitlines()
    assert f"convkit:  {convkit.__version__}" in lines
    assert f"OpenMP:   {'on' if OPENMP else 'off'}" in lines
    assert f"threads:  {_effective(3)}" in lines
    assert f"waiting:  {convkit._threads.wait_policy()}" in lines
    assert f"SIMD:     {_kernels.simd_level()}" in lines


def _wait_settings_in_a_fresh_process(env_update: dict) -> list:
    """[OMP_WAIT_POLICY, GOMP_SPINCOUNT, wait_policy()] in a fresh interpreter after ``import convkit``."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_update)
    code = (
        "import os, convkit, convkit._threads as t; "
        "print(repr([os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'), t.wait_policy()]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout)


def test_importing_convkit_leaves_the_wait_policy_to_openmp():
    assert _wait_settings_in_a_fresh_process({}) == [None, None, "OpenMP default"]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"OMP_WAIT_POLICY": "passive"}, ["passive", None, "OMP_WAIT_POLICY=passive"]),
        ({"GOMP_SPINCOUNT": "10000"}, [None, "10000", "GOMP_SPINCOUNT=10000"]),
    ],
)
def test_wait_settings_of_the_user_are_reported(env, expected):
    assert _wait_settings_in_a_fresh_process(env) == expected


def _show_config_twice_in_a_fresh_process():
    """The warnings and the output of two show_config() calls in a new interpreter."""
    code = (
        "import warnings, convkit\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    convkit.show_config(); convkit.show_config()\n"
        "print([str(w.message) for w in caught])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout


@pytest.mark.skipif(OPENMP, reason="a build without OpenMP (CONVKIT_OPENMP=OFF) says so and warns")
def test_a_build_without_openmp_says_off_runs_one_thread_and_warns_once():
    out = _show_config_twice_in_a_fresh_process()
    assert out.count("OpenMP:   off") == 2
    assert out.count("threads:  1") == 2
    warnings = out.splitlines()[-1]
    assert warnings.count("convkit was built without OpenMP") == 1
    assert _kernels.openmp_max_threads() == 1


@pytest.mark.skipif(not OPENMP, reason="built without OpenMP")
def test_a_build_with_openmp_does_not_warn():
    out = _show_config_twice_in_a_fresh_process()
    assert out.count("OpenMP:   on") == 2
    assert out.splitlines()[-1] == "[]"
