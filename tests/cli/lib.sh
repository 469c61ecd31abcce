# Shared by the tests/cli/test_*.sh scripts: run as `bash test_X.sh BUILD_DIR`.
# Provides $SGXEMU, a scratch directory $T, assertions, and an SGXS stream builder that writes
# records byte by byte (independent of sgxemu's own writer).
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
SGXEMU=$BUILD/sgxemu
T=$(mktemp -d /tmp/sgxemu-cli-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILED=0

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}

# run EXPECTED_EXIT CMD...: runs CMD, keeps its stdout in $T/out and stderr in $T/err.
run() {
	local want=$1 got=0
	shift
	"$@" >"$T/out" 2>"$T/err" || got=$?
	if [ "$got" != "$want" ]; then
		fail "'$*' exited $got, expected $want; stderr: $(cat "$T/err")"
		return 1
	fi
}

# expect_out TEXT / expect_err TEXT: the last run's stdout / stderr contains TEXT.
expect_out() {
	grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1': $(cat "$T/out")"
}
expect_err() {
	grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(cat "$T/err")"
}
# The last run's stderr is exactly one line.
expect_one_line_err() {
	[ "$(wc -l <"$T/err")" = 1 ] || fail "stderr is not one line: $(cat "$T/err")"
}

finish() {
	if [ "$FAILED" != 0 ]; then
		echo "$(basename "$0"): FAILED" >&2
		exit 1
	fi
	echo "$(basename "$0"): ok"
}

# --- SGXS records ---------------------------------------------------------------------------

# le BYTES VALUE: VALUE as BYTES little-endian bytes.
le() {
	local n=$1 v=$2 i
	for ((i = 0; i < n; i++)); do
		printf "\\x$(printf %02x $(((v >> (8 * i)) & 255)))"
	done
}
zeros() {
	head -c "$1" /dev/zero
}
sgxs_ecreate() { # SSAFRAMESIZE SIZE
	printf 'ECREATE\0'
	le 4 "$1"
	le 8 "$2"
	zeros 44
}
sgxs_eadd() { # OFFSET FLAGS
	printf 'EADD\0\0\0\0'
	le 8 "$1"
	le 8 "$2"
	zeros 40
}
sgxs_eextend() { # OFFSET FILL_BYTE
	printf 'EEXTEND\0'
	le 8 "$1"
	zeros 48
	zeros 256 | tr '\0' "\\$(printf %03o "$2")"
}
sgxs_page() { # OFFSET FLAGS FILL_BYTE: EADD and 16 EEXTENDs
	local c
	sgxs_eadd "$1" "$2"
	for ((c = 0; c < 4096; c += 256)); do
		sgxs_eextend $(($1 + c)) "$3"
	done
}

# A small enclave: code page, data page, TCS, and an unmeasured page.
make_enclave() { # PATH [FILL]
	local fill=${2:-0x90}
	{
		sgxs_ecreate 1 0x8000
		sgxs_page 0x0000 0x205 "$fill"
		sgxs_page 0x1000 0x203 0
		sgxs_page 0x2000 0x100 0
		sgxs_eadd 0x3000 0x203
	} >"$1"
}

# bytes FILE OFFSET COUNT: hex of COUNT bytes at OFFSET.
bytes() {
	od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}
# patch FILE OFFSET HEXBYTES: overwrite bytes in place.
patch() {
	local hex=$3 out="" i
	for ((i = 0; i < ${#hex}; i += 2)); do
		out+="\\x${hex:i:2}"
	done
	printf "$out" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# flip FILE OFFSET: invert the lowest bit of one byte.
flip() {
	local b
	b=$(bytes "$1" "$2" 1)
	patch "$1" "$2" "$(printf %02x $((0x$b ^ 1)))"
}
