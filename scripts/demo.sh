#!/usr/bin/env bash
# `make demo`: runs the example host and its two enclaves (examples/hello) from the build tree,
# then the restart example (examples/restart).
# The Makefile builds everything first (and installs what the build needs).
set -euo pipefail

BUILD=${1:-build}
DIR=$BUILD/examples/hello

for f in $DIR/{hello-host,hello_a.sgxs,hello_a.sig,hello_a.elf,hello_b.sgxs,hello_b.sig} \
	$BUILD/examples/restart/restart-host; do
	if [ ! -e "$f" ]; then
		echo "demo: $f is missing; build first (make build BUILD=$BUILD)" >&2
		exit 1
	fi
done
"$DIR/hello-host" "$DIR"

# The second act: the machine sleeps, the EPC is lost, and the program rebuilds its enclave
# (examples/restart, the SDK's "I should restart my enclave" path).
echo
echo "-------------------------------------------------------------------------------------"
echo
exec "$BUILD/examples/restart/restart-host" "$DIR"
