#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test vgw has (README command 2;
# .ci/run calls exactly this). Steps, in order:
#   setup        scripts/setup.sh (Debian packages), npm ci in web/ (browser test)
#   build        build/       Ninja, warnings as errors
#   unit         ctest in build/
#   format       clang-format --dry-run --Werror over src/ tests/ bench/
#   asan         build-asan/  ASan+UBSan build, ctest
#   fuzz         build-fuzz/  clang + libFuzzer, each target for $FUZZ_SECONDS (30)
#   integration  pytest tests/integration (namespaces; needs root)
# `scripts/test.sh unit format` runs only those steps (build is implied by unit and
# integration, as asan's build is by asan). Build dirs are reused, so a rerun is cheap.
# BUILD_DIR, ASAN_BUILD_DIR, FUZZ_BUILD_DIR (relative to the repo) override the dirs.
# Every step runs even if an earlier one failed (unless it needs that one's output);
# the summary at the end names each step's result; the exit code is non-zero on any
# failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${JOBS:-2}"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
PYTHON=/usr/bin/python3  # Debian's: it has scapy and pytest
BUILD="${BUILD_DIR:-build}"
ASAN_BUILD="${ASAN_BUILD_DIR:-build-asan}"
FUZZ_BUILD="${FUZZ_BUILD_DIR:-build-fuzz}"

ALL_STEPS=(setup build unit format asan fuzz integration)
if (($#)); then STEPS=("$@"); else STEPS=("${ALL_STEPS[@]}"); fi

declare -A RESULT TIME
ORDER=()
FAILED=0

wanted() {
  local s
  for s in "${STEPS[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

# step NAME FUNCTION: runs FUNCTION, records PASS/FAIL and the time it took.
step() {
  local name="$1" fn="$2" start rc
  ORDER+=("$name")
  printf '\n==== %s ====\n' "$name"
  start=$(date +%s)
  "$fn"
  rc=$?
  TIME[$name]=$(($(date +%s) - start))
  if ((rc == 0)); then
    RESULT[$name]=PASS
  else
    RESULT[$name]="FAIL (exit $rc)"
    FAILED=1
  fi
  return $rc
}

skip() {
  ORDER+=("$1")
  RESULT[$1]="NOT RUN ($2)"
  TIME[$1]=0
  FAILED=1
}

configure() {  # configure DIR ARGS...: (re)configures DIR; an existing DIR is reused
  local dir="$1"
  shift
  mkdir -p "$dir"
  cmake -G Ninja -S "$ROOT" -B "$dir" "$@" >"$dir/cmake.log" 2>&1 || {
    cat "$dir/cmake.log"
    return 1
  }
}

# npm ci: the web page's browser test drives Chromium with playwright-core (vgwd itself
# serves the committed web/dist and needs no npm).
do_setup() { bash scripts/setup.sh && (cd web && npm ci --no-audit --no-fund --loglevel=error); }

do_build() {
  configure "$BUILD" -DVGW_WERROR=ON && ninja -C "$BUILD" -j"$JOBS"
}

do_unit() { ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS"; }

do_format() {
  local files
  mapfile -t files < <(find src tests bench -type f \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort)
  ((${#files[@]})) || return 0
  clang-format --dry-run --Werror "${files[@]}"
}

do_asan() {
  # -O1: the usual optimisation for sanitizer builds; compiles much faster than -O2.
  configure "$ASAN_BUILD" -DVGW_WERROR=ON -DVGW_SANITIZE=ON -DVGW_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" &&
    ninja -C "$ASAN_BUILD" -j"$JOBS" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir "$ASAN_BUILD" --output-on-failure -j"$JOBS"
}

do_fuzz() {
  if [[ ! -f tests/fuzz/CMakeLists.txt ]]; then
    echo "tests/fuzz/CMakeLists.txt does not exist: no fuzz targets"
    return 1
  fi
  configure "$FUZZ_BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DVGW_WERROR=ON -DVGW_FUZZ=ON -DVGW_BENCH=OFF -DBUILD_TESTING=OFF || return 1
  ninja -C "$FUZZ_BUILD" -j"$JOBS" tests/fuzz/all || return 1
  local dir="$FUZZ_BUILD/tests/fuzz" targets=() t name corpus log rc=0
  mapfile -t targets < <(find "$dir" -maxdepth 1 -type f -executable -name '*_fuzz' | sort)
  if ((${#targets[@]} == 0)); then
    echo "no fuzz target was built"
    return 1
  fi
  # packet_seeds writes valid frames of every shape for the packet targets to start from.
  if [[ -x "$dir/packet_seeds" ]]; then
    mkdir -p "$FUZZ_BUILD/seeds/packet"
    "$dir/packet_seeds" "$FUZZ_BUILD/seeds/packet" || return 1
  fi
  for t in "${targets[@]}"; do
    name="$(basename "$t")"
    corpus="$FUZZ_BUILD/corpus/$name"
    log="$FUZZ_BUILD/$name.log"
    mkdir -p "$corpus"
    local extra=()
    [[ -f "tests/fuzz/$name.dict" ]] && extra+=("-dict=tests/fuzz/$name.dict")
    extra+=("$corpus")
    [[ "$name" == packet_* && -d "$FUZZ_BUILD/seeds/packet" ]] && extra+=("$FUZZ_BUILD/seeds/packet")
    [[ -d "tests/fuzz/corpus/$name" ]] && extra+=("tests/fuzz/corpus/$name")
    echo "-- $name for ${FUZZ_SECONDS}s"
    if ! "$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
      -artifact_prefix="$FUZZ_BUILD/$name-" "${extra[@]}" >"$log" 2>&1; then
      echo "FAIL: $name (log: $log; crashing input: $FUZZ_BUILD/$name-*)"
      tail -n 40 "$log"
      rc=1
    else
      grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" | tr '\n' ' '
      echo
    fi
  done
  return $rc
}

do_integration() {
  VGWD="$ROOT/$BUILD/src/daemon/vgwd" VGWCTL="$ROOT/$BUILD/src/cli/vgwctl" \
    "$PYTHON" -m pytest -v -p no:cacheprovider tests/integration
}

wanted setup && step setup do_setup
BUILD_OK=1
if wanted build || wanted unit || wanted integration; then
  step build do_build || BUILD_OK=0
fi
if wanted unit; then
  if ((BUILD_OK)); then step unit do_unit; else skip unit "build failed"; fi
fi
wanted format && step format do_format
wanted asan && step asan do_asan
wanted fuzz && step fuzz do_fuzz
if wanted integration; then
  if ((BUILD_OK)); then step integration do_integration; else skip integration "build failed"; fi
fi

printf '\n==== summary ====\n'
for s in "${ORDER[@]}"; do
  printf '  %-12s %-24s %4ss\n' "$s" "${RESULT[$s]}" "${TIME[$s]}"
done
if ((FAILED)); then
  echo "FAILED"
  exit 1
fi
echo "ALL PASSED"
