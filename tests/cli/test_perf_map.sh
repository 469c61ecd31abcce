# The perf map (SGXEMU_PERF_MAP=1): /tmp/perf-PID.map lists the enclave's functions at their
# loaded addresses, base + the symbol's value in the ELF (linked at 0).
source "$(dirname "$0")/lib.sh"

TARGET=$BUILD/tests/enclave_debug_target
ELF=$BUILD/enclave/test_enclave.elf

run 0 env SGXEMU_PERF_MAP=1 "$TARGET"
pid=$(awk '/^pid / { print $2 }' "$T/out")
base=$(awk '/^base / { print $2 }' "$T/out")
map=/tmp/perf-$pid.map
[ -f "$map" ] || fail "no $map"
if [ -f "$map" ]; then
	# Every line: START SIZE NAME, hex without 0x.
	grep -qvE '^[0-9a-f]+ [0-9a-f]+ [A-Za-z_.][A-Za-z0-9_.$@]*$' "$map" &&
		fail "malformed lines: $(grep -vE '^[0-9a-f]+ [0-9a-f]+ [A-Za-z_.][A-Za-z0-9_.$@]*$' "$map" | head -3)"
	for sym in enclave_entry te_fault_trigger te_enclave_entry; do
		read -r value size < <(readelf -sW "$ELF" | awk -v s="$sym" '$8 == s { print $2, $3 }')
		want=$(printf '%x' $((base + 0x$value)))
		grep -qE "^$want [0-9a-f]+ $sym\$" "$map" ||
			fail "$sym: want $want (base $base + 0x$value) in $map: $(grep " $sym\$" "$map")"
	done
	rm -f "$map"
fi

# Off by default.
run 0 "$TARGET"
pid=$(awk '/^pid / { print $2 }' "$T/out")
[ ! -e "/tmp/perf-$pid.map" ] || fail "a perf map without SGXEMU_PERF_MAP"

finish
