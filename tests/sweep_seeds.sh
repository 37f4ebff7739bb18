#!/usr/bin/env bash
# Runs the rapidcheck properties under many fresh seeds, so that a property that holds only for
# the seeds it was tried with is found here rather than by a user (unset RC_PARAMS draws a fresh
# seed on every run; RC_PARAMS=seed=N reproduces one).
#
# Usage: tests/sweep_seeds.sh [--seeds N] [--suite [K]] [--base B] [--jobs J] [--module M]...
#                             [BUILD_DIR]
#   BUILD_DIR   a configured and built tree (default build/release); the suites are the
#               executables BUILD_DIR/tests/<module>/test_<module>.
#   (default)   every tolerance-based property (the Catch test cases tagged [tolerance]: gradient
#               checks against central differences, agreement within a bound, numerical
#               invariances) under N seeds (--seeds, default 200).
#   --suite K   instead every test case of the whole suite, K seeds each (default 10). A test case
#               that does not start rapidcheck reads no seed: its inputs are fixed, so it runs once
#               (under the first seed) and that run is its result. Seed-dependence is detected, not
#               listed: rapidcheck prints "Using configuration: seed=..." when a property starts.
#   --base B    seeds are B, B+1, ..., B+N-1 (default: B drawn from /dev/urandom, and printed).
#   --jobs J    test processes at once (default 1: the suites parallelise internally).
#   --module M  only test_M (repeatable).
# Each run is one process per (test case, seed) with RC_PARAMS="seed=S" (rapidcheck's own number
# of cases per property, exactly what a user runs). A failing run prints
#   FAIL seed=S <module>: <test case>   (its output kept under BUILD_DIR/sweep_seeds_logs)
# and the last line is "<passed> passed, <failed> failed" over all runs, after the elapsed time.
# A test case named against CONTRIBUTING's rule (a comma, semicolon or bracket) matches nothing
# and is reported as a failure ("No tests ran" in its log).
# Exit status: 0 when nothing failed. Reproduce a failure with
#   RC_PARAMS="seed=S" BUILD_DIR/tests/<module>/test_<module> "<test case>"
set -euo pipefail

seeds=200
suite_seeds=""
base=""
jobs=1
modules=()
build="build/release"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seeds) seeds="$2"; shift 2 ;;
        --suite)
            if [[ $# -gt 1 && "$2" =~ ^[0-9]+$ ]]; then suite_seeds="$2"; shift 2
            else suite_seeds=10; shift; fi ;;
        --base) base="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --module) modules+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "sweep_seeds.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) build="$1"; shift ;;
    esac
done

if [[ -z "$base" ]]; then
    # 63 bits keep B + N - 1 inside rapidcheck's uint64 seed and bash's signed arithmetic.
    base=$(( $(od -An -N8 -tu8 /dev/urandom | tr -d ' ') & 0x7fffffffffffffff ))
fi
[[ -d "$build/tests" ]] || { echo "sweep_seeds.sh: no $build/tests (build the tests first)" >&2; exit 2; }
if [[ ${#modules[@]} -eq 0 ]]; then
    for exe in "$build"/tests/*/test_*; do
        [[ -x "$exe" && -f "$exe" ]] && modules+=("$(basename "$(dirname "$exe")")")
    done
fi
logs="$build/sweep_seeds_logs"
mkdir -p "$logs"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# run_case <module> <test case> <seed> <result file>: one process; its verdict goes to the file.
run_case() {
    local module="$1" name="$2" seed="$3" out="$4" exe="$build/tests/$1/test_$1" log rc=0
    log=$(mktemp)
    RC_PARAMS="seed=$seed" timeout 900 "$exe" --warn NoTests "$name" >"$log" 2>&1 || rc=$?
    local verdict=pass seeded=""
    grep -q "Using configuration: " "$log" && seeded=-seeded
    if [[ $rc -ne 0 ]]; then
        local keep
        keep="$logs/${module}_seed${seed}_$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_' | cut -c1-80).log"
        mv "$log" "$keep"
        echo "FAIL seed=$seed $module: $name (exit $rc, log $keep)"
        verdict=fail
    else
        grep -q "JEPASNN-SKIP" "$log" && verdict=skip
        rm -f "$log"
    fi
    echo "$verdict$seeded" >"$out"
}

# list_cases <module> [filter]: the Catch test case names, one per line.
list_cases() {
    "$build/tests/$1/test_$1" --list-test-names-only ${2:+"$2"} 2>/dev/null | sed '/^$/d'
}

n=0
# Runs the given (module, name, seed) with at most $jobs at once; verdicts land in $results.
launch() {
    n=$((n + 1))
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
    run_case "$1" "$2" "$3" "$results/$n" &
}

start=$(date +%s)
if [[ -z "$suite_seeds" ]]; then
    echo "tolerance-based properties ([tolerance]) under $seeds seeds: seed=$base .. $((base + seeds - 1))"
    for module in "${modules[@]}"; do
        while IFS= read -r name; do
            [[ -z "$name" ]] && continue
            echo "  $module: $name"
            for ((i = 0; i < seeds; i++)); do launch "$module" "$name" $((base + i)); done
        done < <(list_cases "$module" "[tolerance]" | grep -v "^[0-9]* matching test case" || true)
    done
else
    echo "whole suite: seed-dependent test cases under $suite_seeds seeds: seed=$base .. $((base + suite_seeds - 1));"
    echo "test cases that start no rapidcheck property read no seed and run once"
    for module in "${modules[@]}"; do
        mapfile -t names < <(list_cases "$module" | grep -v "^[0-9]* matching test case")
        echo "  $module: ${#names[@]} test cases"
        first=$n
        for name in "${names[@]}"; do launch "$module" "$name" "$base"; done
        wait
        for ((k = 0; k < ${#names[@]}; k++)); do
            if [[ "$(cat "$results/$((first + k + 1))")" == *-seeded ]]; then
                for ((i = 1; i < suite_seeds; i++)); do
                    launch "$module" "${names[$k]}" $((base + i))
                done
            fi
        done
    done
fi
wait
passed=0 failed=0 skipped=0
for f in "$results"/*; do
    [[ -e "$f" ]] || continue
    case "$(cat "$f")" in
        pass*) passed=$((passed + 1)) ;;
        skip*) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)) ;;
    esac
done
echo "runs: $n (skipped: $skipped); seeds from $base; elapsed $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
