"""Every registered study runs end to end in tiny mode (its README has the headline and PNG plots); the
registry finds the studies in the lab's order and imports only what it is asked for."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from studies import StudyContext, all_studies, get_study, registry, study
from studies.data import fashion_mnist_roots

STUDIES = all_studies()  # without torch installed, the torch studies are not in it


@pytest.mark.parametrize("name", list(STUDIES))
def test_study_writes_a_readme_with_plots(name, tmp_path, check_report):
    if name == "convkit_vs_torch":
        pytest.importorskip("torch")
    module = get_study(name)
    report = module.run(StudyContext(mode="tiny", seed=0, out_dir=tmp_path))
    readme = check_report(module, report)
    assert "- data: " in readme  # the report names the data it used
    if name == "custom_layers":  # random tensors; the hand-written backwards agree with autograd
        assert "passes for every layer" in readme
    else:  # the default data: Fashion-MNIST where it is installed, else the embedded digits
        assert "\n## Data\n\n" in readme
        assert ("Fashion-MNIST" if fashion_mnist_roots(None) else "UCI digits") in readme


def test_studies_come_in_the_lab_order():
    numbers = [registry._STUDIES[name][0] for name in STUDIES]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert list(STUDIES)[:2] == ["two_layer_net", "sgd_momentum"]
    for name, module in STUDIES.items():
        assert module.__name__ == f"studies.{name}" and isinstance(module.TITLE, str) and callable(module.run)


def test_unknown_names_and_helper_modules_are_not_studies():
    with pytest.raises(ValueError, match=r"Unknown study 'nope'\. Known: two_layer_net, sgd_momentum"):
        get_study("nope")
    with pytest.raises(ValueError, match=r"Unknown study 'plots'"):
        get_study("plots")  # a module of the package that registers nothing


def test_study_decorator_checks_its_arguments(monkeypatch):
    monkeypatch.setattr(registry, "_STUDIES", dict(registry._STUDIES))  # undone after the test
    module = types.ModuleType("studies.fake")
    monkeypatch.setitem(sys.modules, module.__name__, module)

    def run(ctx):
        return None

    run.__module__ = module.__name__
    with pytest.raises(TypeError, match=r"study: module studies\.fake must define TITLE"):
        study(99)(run)
    module.TITLE = "A fake study"
    with pytest.raises(TypeError, match=r"study: module studies\.fake must define LAB_ITEM"):
        study(99)(run)
    module.LAB_ITEM = "Lab Z, item 1: a fake"
    with pytest.raises(
        ValueError, match=r"study: number 1 is already study 'two_layer_net'\. Received: 'fake'"
    ):
        study(1)(run)
    with pytest.raises(TypeError, match=r"study: number must be a positive int\. Received: number='1'"):
        study("1")
    with pytest.raises(ValueError, match=r"study: number must be a positive int\. Received: number=0$"):
        study(0)
    assert study(99)(run) is run
    assert list(all_studies())[-1] == "fake"


def test_convkit_studies_run_without_torch(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"  # `import torch` now fails as if it were not installed
        "from studies import all_studies, get_study, StudyContext\n"
        "names = list(all_studies())\n"
        "assert 'two_layer_net' in names and 'resnet50_optimizers' not in names, names\n"
        f"get_study('dropout').run(StudyContext(mode='tiny', out_dir={str(tmp_path)!r}))\n"
    )
    import convkit
    import studies

    roots = {os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))) for m in (studies, convkit)}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sorted(roots)), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
