#!/usr/bin/env bash
# The README's second command: every test bphound has.
#   1. install missing packages            5. libFuzzer targets, briefly each
#   2. build with -Werror, unit tests,     6. integration tests in tests/integration
#      the layout rules (check_layout.py)     (real nginx/sshd in network namespaces;
#                                             the offline ones beside them)
#   3. clang-format check
#   4. ASan+UBSan build, unit tests again
# Prints one line per step and ends with "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fuzz_seconds=${BPH_FUZZ_SECONDS:-5}
jobs=$(nproc)
logdir=$(mktemp -d /tmp/bph-tests.XXXXXX)
passed=0
failed=0
failures=()

step() { # step NAME CMD...: runs CMD, logs to $logdir/NAME.log
	local name=$1
	shift
	local start=$SECONDS
	if "$@" >"$logdir/$name.log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS %-40s %4ds\n' "$name" $((SECONDS - start))
		# checks a step could not make here (tests/lib/schemas.sh)
		grep -h '^SKIP' "$logdir/$name.log" | sort -u | sed 's/^/    /'
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf 'FAIL %-40s %4ds (log: %s)\n' "$name" $((SECONDS - start)) "$logdir/$name.log"
		tail -n 40 "$logdir/$name.log" | sed 's/^/    /'
	fi
}

build() { # build DIR CMAKE-ARGS...
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j"$jobs"
}

unit() { # unit DIR: every cmocka test, verbose on failure
	ctest --test-dir "$1" -L unit --output-on-failure -j"$jobs"
}

format_check() {
	local files
	files=$(git ls-files '*.c' '*.h')
	[ -z "$files" ] || clang-format --dry-run --Werror $files
}

fuzz_one() { # fuzz_one FUZZER: runs it for $fuzz_seconds on its seed corpus
	local f=$1 name corpus
	name=$(basename "$f")
	corpus="$logdir/corpus-$name"
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	"$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
		-artifact_prefix="$logdir/$name-" "$corpus" >"$logdir/$name.log" 2>&1
	local rc=$?
	echo "== $name: exit $rc"
	tail -n 3 "$logdir/$name.log"
	return $rc
}

fuzz_all() { # every fuzzer, one per core at a time; fails if any fails
	export -f fuzz_one
	export fuzz_seconds logdir
	find build-fuzz -maxdepth 1 -type f -executable -name 'fuzz_*' | sort |
		xargs -P "$jobs" -n 1 bash -c 'fuzz_one "$0"'
}

step install-deps bash tests/install-deps.sh
step build build build -DBPH_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
step unit-tests unit build
layout() { /usr/bin/python3 tests/check_layout.py --selftest && /usr/bin/python3 tests/check_layout.py build; }
step layout layout
step clang-format format_check
step build-sanitizers build build-asan -DBPH_WERROR=ON -DBPH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
step unit-tests-sanitizers unit build-asan
step build-fuzzers build build-fuzz -DCMAKE_C_COMPILER=clang -DBPH_FUZZ=ON -DBPH_WERROR=ON
step fuzz fuzz_all
# The lab tests share one set of keys and certificates per run (generating
# them is most of a lab's bring-up): the first lab writes them, the others
# copy them (tests/lab/lab.sh, LAB_PKI_CACHE).
export LAB_PKI_CACHE="$logdir/lab-pki"
# The network tests mostly wait (daemons starting, probes timing out), so
# the offline ones (files in their own temp dirs, no namespace, no packet,
# nothing outside the build and /tmp) run beside them, one at a time, on
# the other core; their lines are printed after the network tests'.
offline=" abuse_reports check_exports cli_docs cli_errors cluster_quality communities data_cli deny_lists hostile_text sweep_units zeek_store "
integration() { # integration TEST.sh
	# BPH_LOGDIR: where a test keeps artefacts (exports_lab.sh's screenshot)
	step "integration-$(basename "$1" .sh)" env BPH_BUILD="$top/build" \
		BPH_LOGDIR="$logdir" bash "$1"
}
offline_lane() { # the offline tests; their counts into $logdir/offline.counts
	for t in tests/integration/*.sh; do
		[[ $offline == *" $(basename "$t" .sh) "* ]] && integration "$t"
	done
	echo "$passed $failed ${failures[*]}" >"$logdir/offline.counts"
}
(
	passed=0 failed=0 failures=()
	offline_lane
) >"$logdir/offline.out" 2>&1 &
offline_pid=$!
for t in tests/integration/*.sh; do
	[ -e "$t" ] || continue
	[[ $offline == *" $(basename "$t" .sh) "* ]] || integration "$t"
done
wait "$offline_pid"
cat "$logdir/offline.out"
if read -r p f rest <"$logdir/offline.counts"; then
	passed=$((passed + p))
	failed=$((failed + f))
	[ -z "$rest" ] || failures+=($rest)
else
	failed=$((failed + 1))
	failures+=("offline-lane")
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
