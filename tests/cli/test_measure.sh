# `sgxemu measure`: the MRENCLAVE of SGXS streams, and its refusals.
source "$(dirname "$0")/lib.sh"

# The three synthetic examples of ref/sgx-isa.md §4.
sgxs_ecreate 1 0x2000 >"$T/a.sgxs"
run 0 "$SGXEMU" measure "$T/a.sgxs"
expect_out "mrenclave 9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8"
[ "$(wc -l <"$T/out")" = 1 ] || fail "measure prints more than one line"
sgxs_page 0 0x203 0 >>"$T/a.sgxs"
run 0 "$SGXEMU" measure "$T/a.sgxs"
expect_out "mrenclave 1f2cf80bd03ffd8bfac33f7cba128aff511c3af666b93bb66e7ef718418bdade"
sgxs_eadd 0x1000 0x100 >>"$T/a.sgxs"
run 0 "$SGXEMU" measure "$T/a.sgxs"
expect_out "mrenclave 2280eda7599b4f23813224621835d69de20107e0d8b13881e19481578669e02c"

# A plain stream's MRENCLAVE is the SHA-256 of the file; standard input works too.
make_enclave "$T/e.sgxs"
want=$(sha256sum "$T/e.sgxs" | cut -d' ' -f1)
run 0 "$SGXEMU" measure "$T/e.sgxs"
expect_out "mrenclave $want"
"$SGXEMU" measure - <"$T/e.sgxs" >"$T/stdin.out"
grep -qF "mrenclave $want" "$T/stdin.out" || fail "measure - (stdin) differs"

run 0 "$SGXEMU" measure --verbose "$T/e.sgxs"
expect_out "size 0x8000"
expect_out "ssaframesize 1"
expect_out "pages 4 (tcs 1)"
expect_out "chunks measured 48, unmeasured 0"

# A bad stream: exit 1, one line naming the file, record index and offset.
{
	sgxs_ecreate 1 0x8000
	sgxs_eadd 0x1000 0x203
	sgxs_eadd 0x1000 0x203
} >"$T/bad.sgxs"
run 1 "$SGXEMU" measure "$T/bad.sgxs"
expect_err "sgxemu measure: $T/bad.sgxs: record 2 at offset 0x80: EADD offset 0x1000 is not above"
expect_one_line_err
head -c 100 "$T/e.sgxs" >"$T/cut.sgxs"
run 1 "$SGXEMU" measure "$T/cut.sgxs"
expect_err "record 1 at offset 0x40: truncated header (36 of 64 bytes)"
: >"$T/empty.sgxs"
run 1 "$SGXEMU" measure "$T/empty.sgxs"
expect_err "empty stream (no ECREATE record)"
run 1 "$SGXEMU" measure "$T/missing.sgxs"
expect_err "cannot open $T/missing.sgxs: No such file or directory"

# Wrong usage: exit 2 and the synopsis.
run 2 "$SGXEMU" measure
expect_err "which SGXS file?"
expect_err "Usage: sgxemu measure"
run 2 "$SGXEMU" measure "$T/a.sgxs" "$T/e.sgxs"
expect_err "one SGXS file at a time"
run 2 "$SGXEMU" measure --frobnicate "$T/a.sgxs"
expect_err "unknown option '--frobnicate'"
run 2 "$SGXEMU" measure -x "$T/a.sgxs"
expect_err "unknown option '-x'"

finish
