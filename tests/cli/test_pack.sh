# `sgxemu pack`: the packed test enclave's MRENCLAVE is what `sgxemu measure` computes, the
# build's signed image verifies, and bad input fails with a clear message and the right code.
source "$(dirname "$0")/lib.sh"

ELF=$BUILD/enclave/test_enclave.elf
OPTS=(--threads 2 --heap 64K --nssa 3 --reserve 1M)

run 0 "$SGXEMU" pack "${OPTS[@]}" "$ELF" "$T/e.sgxs"
packed=$(cat "$T/out")
[[ $packed =~ ^mrenclave\ [0-9a-f]{64}$ ]] || fail "pack printed '$packed'"
run 0 "$SGXEMU" measure "$T/e.sgxs"
expect_out "$packed"
# A plain stream: SHA-256 of the file.
expect_out "mrenclave $(sha256sum "$T/e.sgxs" | cut -d' ' -f1)"

# Deterministic; another layout measures differently.
run 0 "$SGXEMU" pack "${OPTS[@]}" "$ELF" "$T/f.sgxs"
cmp -s "$T/e.sgxs" "$T/f.sgxs" || fail "packing twice gives different streams"
run 0 "$SGXEMU" pack --threads 3 "$ELF" "$T/g.sgxs"
grep -qF "$packed" "$T/out" && fail "another layout has the same MRENCLAVE"

# --verbose: the layout.
run 0 "$SGXEMU" pack -v "${OPTS[@]}" "$ELF" "$T/h.sgxs"
expect_out "thread 1: stack 0x"
expect_out "ssaframesize 1"
expect_out "heap 0x"
run 0 "$SGXEMU" measure --verbose "$T/h.sgxs"
expect_out "(tcs 2)"

# The build's own image: packed, signed with a build-tree key, and it verifies.
[ -s "$BUILD/enclave/test_enclave.sgxs" ] || fail "the build did not pack the test enclave"
run 0 "$SGXEMU" verify "$BUILD/enclave/test_enclave.sig" "$BUILD/enclave/test_enclave.sgxs"
expect_out "(matches the stream)"
expect_out "miscselect 0x1"
run 0 "$SGXEMU" verify "$BUILD/enclave/test_enclave-noexinfo.sig" "$BUILD/enclave/test_enclave.sgxs"
expect_out "miscselect 0x0"

# Failures: exit 1, one line naming the file and the reason, no output file left behind.
run 1 "$SGXEMU" pack /nonexistent.elf "$T/x.sgxs"
expect_err "/nonexistent.elf"
expect_one_line_err
[ ! -e "$T/x.sgxs" ] || fail "an output file was left behind"
printf 'not an elf' >"$T/junk"
run 1 "$SGXEMU" pack "$T/junk" "$T/x.sgxs"
expect_err "not an ELF file"
run 1 "$SGXEMU" pack --entry no_such_symbol "$ELF" "$T/x.sgxs"
expect_err "'no_such_symbol' is not defined"
run 1 "$SGXEMU" pack --xfrm 0x1 "$ELF" "$T/x.sgxs"
expect_err "x87 and SSE"

# Usage errors: exit 2.
run 2 "$SGXEMU" pack --nssa 1 "$ELF" "$T/x.sgxs"
expect_err "--nssa"
run 2 "$SGXEMU" pack --heap 1000 "$ELF" "$T/x.sgxs"
expect_err "whole pages"
run 2 "$SGXEMU" pack --threads 0 "$ELF" "$T/x.sgxs"
run 2 "$SGXEMU" pack --xfrm zzz "$ELF" "$T/x.sgxs"
run 2 "$SGXEMU" pack --bogus "$ELF" "$T/x.sgxs"
run 2 "$SGXEMU" pack "$ELF"

run 0 "$SGXEMU" pack --help
expect_out "--reserve SIZE"
expect_out "sgxemu pack [OPTIONS] ENCLAVE.elf OUT.sgxs"
run 0 "$SGXEMU" --help
expect_out "pack"

finish
