# `make demo` (scripts/demo.sh): the example host and its two enclaves. The output's claims are
# checked against independent sources: MRENCLAVE against `sgxemu measure` of the same image,
# MRSIGNER against `sgxemu verify` of the signature, the unsealed secret against the original.
source "$(dirname "$0")/lib.sh"

DIR=$BUILD/examples/hello
SRC=$(cd "$(dirname "$0")/../.." && pwd)

run 0 bash "$SRC/scripts/demo.sh" "$BUILD"
cp "$T/out" "$T/demo"
expect_out "demo: all checks passed"

# Identities: the CPU's (reported by the enclaves) equal the tools' (computed from the files).
for x in a b; do
	n=$([ $x = a ] && echo 1 || echo 2)
	got=$(awk '/^ *MRENCLAVE / { print $2 }' "$T/demo" | sed -n "${n}p")
	run 0 "$SGXEMU" measure "$DIR/hello_$x.sgxs"
	want=$(awk '{ print $2 }' "$T/out")
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "MRENCLAVE of $x: demo '$got', measure '$want'"
	got=$(awk '/^ *MRSIGNER / { print $2 }' "$T/demo" | sed -n "${n}p")
	run 0 "$SGXEMU" verify "$DIR/hello_$x.sig" "$DIR/hello_$x.sgxs"
	want=$(awk '/^mrsigner / { print $2 }' "$T/out")
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "MRSIGNER of $x: demo '$got', verify '$want'"
done
mr_a=$(awk '/^ *MRENCLAVE / { print $2 }' "$T/demo" | sed -n 1p)
mr_b=$(awk '/^ *MRENCLAVE / { print $2 }' "$T/demo" | sed -n 2p)
[ "$mr_a" != "$mr_b" ] || fail "A and B have the same MRENCLAVE"

# Ecalls ran inside the enclaves.
grep -qF 'A.greet("world") -> "Hello, world! This is enclave A, call 1"' "$T/demo" || fail "greet A"
grep -qF 'B.greet("world") -> "Hello, world! This is enclave B, call 1"' "$T/demo" || fail "greet B"

# Local attestation: verified, and a changed or misdirected report is rejected.
grep -qF "AES-128-CMAC inside the enclave: report verified" "$T/demo" || fail "report not verified"
grep -qF "one bit of REPORTDATA flipped: rejected (MAC mismatch)" "$T/demo" ||
	fail "tampered report not rejected"
grep -qF "a report A made for another target: rejected" "$T/demo" || fail "misdirected report"
grep -qF "REPORT (MRENCLAVE ${mr_a:0:16}..." "$T/demo" || fail "the report does not name A"

# Sealing: the unsealed secret is the original, a tampered blob and another enclave are refused.
secret=$(sed -n 's/^ *secret: *"\(.*\)"$/\1/p' "$T/demo")
unsealed=$(sed -n 's/^ *unsealed: *"\(.*\)" (.*$/\1/p' "$T/demo")
[ -n "$secret" ] && [ "$secret" = "$unsealed" ] || fail "unsealed '$unsealed' != secret '$secret'"
grep -qF "a tampered blob (one bit of ciphertext flipped): refused (GCM tag mismatch)" "$T/demo" ||
	fail "tampered blob not refused"
grep -qF "enclave B unseals A's blob: refused" "$T/demo" || fail "B unsealed A's blob"

# EPC statistics close the demo.
grep -qE '^\[epc\] +[0-9]+ MiB of EPC in [0-9]+ section' "$T/demo" || fail "no EPC statistics"
grep -qE '^ +2 enclaves with [0-9]+ pages' "$T/demo" || fail "EPC statistics: enclaves"

# The second act (examples/restart): the EPC is lost, the entry reports it, the enclave is rebuilt.
grep -qE 'A.greet -> the vDSO reports an exception: function EENTER, vector 14, error code 0x8' \
	"$T/demo" || fail "restart: the loss is not reported as #PF with the SGX bit on EENTER"
grep -qF "restart: all checks passed" "$T/demo" || fail "restart example"

# A missing build is reported, not crashed on.
run 1 bash "$SRC/scripts/demo.sh" "$T/no-build"
expect_err "is missing; build first"

finish
