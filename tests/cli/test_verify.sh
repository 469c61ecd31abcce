# `sgxemu verify`: a good SIGSTRUCT is shown; each kind of damage is refused with its own
# one-line message naming the failed check, and exit status 1.
source "$(dirname "$0")/lib.sh"

"$SGXEMU" sign --generate-key "$T/key.pem" >/dev/null 2>&1
make_enclave "$T/e.sgxs"
make_enclave "$T/other.sgxs" 0xcc
mr=$(sha256sum "$T/e.sgxs" | cut -d' ' -f1)
other=$(sha256sum "$T/other.sgxs" | cut -d' ' -f1)
"$SGXEMU" sign --key "$T/key.pem" --out "$T/good.sig" --date 2023-07-04 --isvprodid 7 \
	--isvsvn 9 --swdefined 0xabc --vendor 0x8086 "$T/e.sgxs" >/dev/null
mrsigner=$(head -c 512 "$T/good.sig" | tail -c 384 | sha256sum | cut -d' ' -f1)

run 0 "$SGXEMU" verify "$T/good.sig" "$T/e.sgxs"
expect_out "mrsigner $mrsigner"
expect_out "enclavehash $mr (matches the stream)"
expect_out "attributes flags 0x4 (MODE64BIT) xfrm 0x3"
expect_out "attributes-mask flags 0xffffffffffffffff (all) xfrm 0xfffffffffffffffc"
expect_out "miscselect 0x0"
expect_out "miscselect-mask 0xffffffff"
expect_out "isvprodid 7"
expect_out "isvsvn 9"
expect_out "vendor 0x8086 (Intel)"
expect_out "date 2023-07-04"
expect_out "swdefined 0xabc"
[ ! -s "$T/err" ] || fail "verify of a good SIGSTRUCT printed to stderr"
run 0 "$SGXEMU" verify "$T/good.sig"
expect_out "enclavehash $mr (not checked: no stream given)"
"$SGXEMU" sign --key "$T/key.pem" --out "$T/debug.sig" --debug "$T/e.sgxs" >/dev/null
run 0 "$SGXEMU" verify "$T/debug.sig"
expect_out "attributes flags 0x6 (DEBUG|MODE64BIT) xfrm 0x3"
expect_out "attributes-mask flags 0xfffffffffffffffd (all but DEBUG) xfrm 0xfffffffffffffffc"

# damaged COPY_NAME OFFSET: a copy of good.sig with one byte's low bit flipped.
damaged() {
	cp "$T/good.sig" "$T/$1.sig"
	flip "$T/$1.sig" "$2"
}
refused() { # SIG MESSAGE [SGXS]
	run 1 "$SGXEMU" verify "$T/$1.sig" ${3:+"$3"}
	expect_err "sgxemu verify: $T/$1.sig: $2"
	expect_one_line_err
	[ ! -s "$T/out" ] || fail "a refused SIGSTRUCT printed fields"
}

# A signed byte changed after signing (ISVSVN, 1026).
damaged signed 1026
refused signed "signature check failed: signed bytes (0..127, 900..1027) changed after signing: their SHA-256 is"
# ... and one in the first signed range (SWDEFINED, 40).
damaged signed2 40
refused signed2 "signature check failed: signed bytes (0..127, 900..1027) changed after signing"

# A modulus byte changed: the signature no longer decrypts.
damaged modulus 200
refused modulus "signature check failed: SIGNATURE does not decrypt under MODULUS to a PKCS#1 v1.5 SHA-256 block"
# A signature byte changed: same verdict.
damaged sigbyte 600
refused sigbyte "signature check failed: SIGNATURE does not decrypt under MODULUS"

# EXPONENT 65537 instead of 3.
cp "$T/good.sig" "$T/exponent.sig"
patch "$T/exponent.sig" 512 01000100
refused exponent "exponent check failed: EXPONENT is 65537, not 3"

# Q1 and Q2.
damaged q1 1040
refused q1 "q1 check failed: Q1 is not floor(SIGNATURE^2 / MODULUS)"
damaged q2 1500
refused q2 "q2 check failed: Q2 is not floor((SIGNATURE^3 - Q1*SIGNATURE*MODULUS) / MODULUS)"

# HEADER, VENDOR, HEADER2, reserved fields.
damaged header 4
refused header "header check failed: bad HEADER (bytes 0..15)"
cp "$T/good.sig" "$T/vendor.sig"
patch "$T/vendor.sig" 16 34120000
refused vendor "vendor check failed: VENDOR is 0x1234, not 0 or 0x8086"
damaged header2 30
refused header2 "header2 check failed: bad HEADER2 (bytes 24..39)"
damaged reserved 1030
refused reserved "reserved check failed: a reserved field is not zero"

# ENCLAVEHASH against another stream.
refused good "enclavehash check failed: ENCLAVEHASH $mr is not the stream's MRENCLAVE $other" "$T/other.sgxs"

# Not a SIGSTRUCT, a bad stream, wrong usage.
head -c 1000 "$T/good.sig" >"$T/short.sig"
run 1 "$SGXEMU" verify "$T/short.sig"
expect_err "sgxemu verify: $T/short.sig is 1000 bytes, not 1808"
run 1 "$SGXEMU" verify "$T/none.sig"
expect_err "cannot open $T/none.sig"
head -c 70 "$T/e.sgxs" >"$T/cut.sgxs"
run 1 "$SGXEMU" verify "$T/good.sig" "$T/cut.sgxs"
expect_err "record 1 at offset 0x40: truncated header (6 of 64 bytes)"
run 2 "$SGXEMU" verify
expect_err "which .sig file?"
expect_err "Usage: sgxemu verify FILE.sig [FILE.sgxs]"
run 2 "$SGXEMU" verify "$T/good.sig" "$T/e.sgxs" "$T/e.sgxs"
expect_err "at most a .sig and an .sgxs file"
run 2 "$SGXEMU" verify --quick "$T/good.sig"
expect_err "unknown option '--quick'"

finish
