#!/usr/bin/env bash
# `make demo`: runs the example host and its two enclaves (examples/hello) from the build tree.
# The Makefile builds everything first (and installs what the build needs).
set -euo pipefail

BUILD=${1:-build}
DIR=$BUILD/examples/hello

for f in hello-host hello_a.sgxs hello_a.sig hello_b.sgxs hello_b.sig; do
	if [ ! -e "$DIR/$f" ]; then
		echo "demo: $DIR/$f is missing; build first (make build BUILD=$BUILD)" >&2
		exit 1
	fi
done
exec "$DIR/hello-host" "$DIR"
