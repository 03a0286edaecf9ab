"""The package surface: top-level factories, and a clear message when torch is missing."""

import subprocess
import sys

import torch_models


def test_factories_are_importable_from_the_top_level():
    names = (
        "resnet18 resnet34 resnet50 resnet101 wide_resnet18 lenet mlp simple_cnn residual_cnn "
        "regularized_residual_cnn receptive_field count_parameters"
    )
    for name in names.split():
        assert callable(getattr(torch_models, name)), name
    assert set(torch_models.__all__) <= set(dir(torch_models))


def test_import_without_torch_says_how_to_install_it(subprocess_env):
    code = "import sys; sys.modules['torch'] = None; import torch_models"
    done = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: torch_models needs PyTorch" in done.stderr
    assert "pip install convkit[torch]" in done.stderr
