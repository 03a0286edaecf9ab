"""``python -m convkit``: the build's configuration, then how to run the demo."""

import subprocess
import sys

import convkit
from convkit import _kernels


def test_python_m_convkit_prints_the_configuration_and_the_demo_hint():
    result = subprocess.run([sys.executable, "-m", "convkit"], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == f"convkit:  {convkit.__version__}"
    assert f"OpenMP:   {'on' if _kernels.openmp_enabled() else 'off'}" in lines
    assert lines[-1].startswith("Try it: python -m convkit.demo")
