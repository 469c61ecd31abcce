#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each (make fuzz). The corpus of a
# target lives in BUILD_DIR/corpus/NAME and is seeded from tests/fuzz/corpus/NAME if that exists;
# a crash leaves its input in BUILD_DIR/crashes/ and fails the run.
set -euo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
status=0

shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no targets in $build/fuzz" >&2
	exit 1
fi
mkdir -p "$build/crashes"
for target in "${targets[@]}"; do
	name=$(basename "$target")
	corpus="$build/corpus/$name"
	mkdir -p "$corpus"
	seeds=()
	if [ -d "$src/tests/fuzz/corpus/$name" ]; then
		seeds=("$src/tests/fuzz/corpus/$name")
	fi
	echo "fuzz: $name for ${seconds}s"
	if ! "$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
		2>"$build/$name.log"; then
		tail -n 60 "$build/$name.log" >&2
		echo "fuzz: $name FAILED (log: $build/$name.log)" >&2
		status=1
	else
		grep -E '^stat::(number_of_executed_units|new_units_added)' "$build/$name.log" || true
	fi
done
exit $status
