# `sgxemu sign`: every signed field lands where EINIT reads it, defaults, determinism, an
# independent check of the signature with the openssl command line, and the refusals.
source "$(dirname "$0")/lib.sh"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -pkeyopt rsa_keygen_pubexp:3 \
	-out "$T/key.pem" 2>/dev/null
make_enclave "$T/e.sgxs"
mr=$(sha256sum "$T/e.sgxs" | cut -d' ' -f1)

# MRSIGNER = SHA-256 of the modulus, little-endian, computed here from the openssl CLI's modulus.
modulus_be=$(openssl rsa -in "$T/key.pem" -noout -modulus 2>/dev/null | sed 's/^Modulus=//')
modulus_le=$(echo "$modulus_be" | tr A-F a-f | fold -w2 | tac | tr -d '\n')
mrsigner=$(echo "$modulus_le" | xxd -r -p | sha256sum | cut -d' ' -f1)

# Defaults (Fortanix's, with DEBUG bound to 0 unless --debug).
run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/d.sig" --date 2024-02-29 "$T/e.sgxs"
expect_out "mrenclave $mr"
expect_out "mrsigner $mrsigner"
[ "$(stat -c %s "$T/d.sig")" = 1808 ] || fail "the .sig is not 1808 bytes"
[ "$(bytes "$T/d.sig" 0 16)" = 06000000e10000000000010000000000 ] || fail "HEADER"
[ "$(bytes "$T/d.sig" 24 16)" = 01010000600000006000000001000000 ] || fail "HEADER2"
[ "$(bytes "$T/d.sig" 16 4)" = 00000000 ] || fail "default VENDOR"
[ "$(bytes "$T/d.sig" 20 4)" = 29022420 ] || fail "DATE is not BCD 0x20240229"
[ "$(bytes "$T/d.sig" 128 384)" = "$modulus_le" ] || fail "MODULUS is not the key's, LE"
[ "$(bytes "$T/d.sig" 512 4)" = 03000000 ] || fail "EXPONENT"
[ "$(bytes "$T/d.sig" 900 8)" = 00000000ffffffff ] || fail "default MISCSELECT/MISCMASK"
[ "$(bytes "$T/d.sig" 928 16)" = 04000000000000000300000000000000 ] || fail "default ATTRIBUTES"
[ "$(bytes "$T/d.sig" 944 16)" = fffffffffffffffffcffffffffffffff ] || fail "default mask"
[ "$(bytes "$T/d.sig" 960 32)" = "$mr" ] || fail "ENCLAVEHASH"
[ "$(bytes "$T/d.sig" 1024 4)" = 00000000 ] || fail "default ISVPRODID/ISVSVN"

run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/debug.sig" --debug "$T/e.sgxs"
[ "$(bytes "$T/debug.sig" 928 16)" = 06000000000000000300000000000000 ] || fail "--debug ATTRIBUTES"
[ "$(bytes "$T/debug.sig" 944 16)" = fdfffffffffffffffcffffffffffffff ] || fail "--debug mask"

# Every signed field, each to its own offset (ref/sgxs.md §8).
run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/f.sig" --vendor 0x8086 --date 20161214 \
	--swdefined 0x11223344 --attributes 0x96 --attributes-mask 0xfffffffffffffffd \
	--xfrm 0x7 --xfrm-mask 0xfffffffffffffff8 --miscselect 1 --miscselect-mask 0xfffffffe \
	--isvprodid 0x1234 --isvsvn 513 --isvfamilyid 000102030405060708090a0b0c0d0e0f \
	--isvextprodid 0xf0f1f2f3f4f5f6f7f8f9fafbfcfdfeff "$T/e.sgxs"
[ "$(bytes "$T/f.sig" 16 4)" = 86800000 ] || fail "--vendor"
[ "$(bytes "$T/f.sig" 20 4)" = 14121620 ] || fail "--date"
[ "$(bytes "$T/f.sig" 40 4)" = 44332211 ] || fail "--swdefined"
[ "$(bytes "$T/f.sig" 900 4)" = 01000000 ] || fail "--miscselect"
[ "$(bytes "$T/f.sig" 904 4)" = feffffff ] || fail "--miscselect-mask"
[ "$(bytes "$T/f.sig" 912 16)" = 000102030405060708090a0b0c0d0e0f ] || fail "--isvfamilyid"
[ "$(bytes "$T/f.sig" 928 8)" = 9600000000000000 ] || fail "--attributes"
[ "$(bytes "$T/f.sig" 936 8)" = 0700000000000000 ] || fail "--xfrm"
[ "$(bytes "$T/f.sig" 944 8)" = fdffffffffffffff ] || fail "--attributes-mask"
[ "$(bytes "$T/f.sig" 952 8)" = f8ffffffffffffff ] || fail "--xfrm-mask"
[ "$(bytes "$T/f.sig" 1008 16)" = f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff ] || fail "--isvextprodid"
[ "$(bytes "$T/f.sig" 1024 2)" = 3412 ] || fail "--isvprodid"
[ "$(bytes "$T/f.sig" 1026 2)" = 0102 ] || fail "--isvsvn"
# --xfrm host: this machine's XCR0, which is also the XFRM the emulated CPU lets enclaves have.
run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/h.sig" --xfrm host "$T/e.sgxs"
host_xfrm=$(printf '%016x' "$(( $("$SGXEMU" info | awk '/settable XFRM/ { print $NF }') ))" |
	sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\8\7\6\5\4\3\2\1/')
[ "$(bytes "$T/h.sig" 936 8)" = "$host_xfrm" ] || fail "--xfrm host"
# Reserved bytes stay zero.
[ "$(bytes "$T/f.sig" 44 84 | tr -d 0)" = "" ] || fail "reserved 44..127"
[ "$(bytes "$T/f.sig" 992 16 | tr -d 0)" = "" ] || fail "reserved 992..1007"
[ "$(bytes "$T/f.sig" 1028 12 | tr -d 0)" = "" ] || fail "reserved 1028..1039"

# The signature is what the openssl command line makes over bytes 0..127 || 900..1027.
{ head -c 128 "$T/f.sig"; tail -c +901 "$T/f.sig" | head -c 128; } >"$T/signed.bin"
openssl dgst -sha256 -sign "$T/key.pem" -out "$T/ref.sig" "$T/signed.bin"
[ "$(bytes "$T/f.sig" 516 384)" = "$(od -An -v -tx1 "$T/ref.sig" | tr -d ' \n' | fold -w2 | tac | tr -d '\n')" ] ||
	fail "SIGNATURE is not the openssl CLI's PKCS#1 v1.5 signature, little-endian"

# Deterministic: same key, same fields, same bytes.
run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/d2.sig" --date 2024-02-29 "$T/e.sgxs"
cmp -s "$T/d.sig" "$T/d2.sig" || fail "signing twice gave different bytes"
run 0 "$SGXEMU" verify "$T/f.sig" "$T/e.sgxs"

# --generate-key: a new key (never overwriting), usable right away.
run 0 "$SGXEMU" sign --generate-key "$T/new.pem"
expect_out "mrsigner "
expect_err "wrote a new RSA-3072 e=3 key to $T/new.pem"
[ "$(stat -c %a "$T/new.pem")" = 600 ] || fail "a generated key must be private (0600)"
openssl rsa -in "$T/new.pem" -noout -text 2>/dev/null | grep -q "Exponent: 3 (0x3)" ||
	fail "generated key exponent"
run 1 "$SGXEMU" sign --generate-key "$T/new.pem"
expect_err "cannot create $T/new.pem: File exists"
run 0 "$SGXEMU" sign --generate-key "$T/new2.pem" --out "$T/n.sig" "$T/e.sgxs"
run 0 "$SGXEMU" verify "$T/n.sig" "$T/e.sgxs"

# Refusals, each with a reason that says what to do.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
	-out "$T/k2048.pem" 2>/dev/null
run 1 "$SGXEMU" sign --key "$T/k2048.pem" --out "$T/x.sig" "$T/e.sgxs"
expect_err "the key is RSA-2048; SIGSTRUCT needs RSA-3072 with public exponent 3"
expect_one_line_err
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$T/k65537.pem" 2>/dev/null
run 1 "$SGXEMU" sign --key "$T/k65537.pem" --out "$T/x.sig" "$T/e.sgxs"
expect_err "the key's public exponent is 65537; SIGSTRUCT needs exponent 3"
[ ! -e "$T/x.sig" ] || fail "a refused signing left a .sig behind"
run 1 "$SGXEMU" sign --key "$T/nokey.pem" --out "$T/x.sig" "$T/e.sgxs"
expect_err "cannot open key $T/nokey.pem"
printf 'ECREATE\0' >"$T/bad.sgxs"
run 1 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" "$T/bad.sgxs"
expect_err "truncated header (8 of 64 bytes)"
run 1 "$SGXEMU" sign --key "$T/key.pem" --out "$T/nodir/x.sig" "$T/e.sgxs"
expect_err "cannot create $T/nodir/x.sig"

# Wrong usage: exit 2.
run 2 "$SGXEMU" sign --out "$T/x.sig" "$T/e.sgxs"
expect_err "--key KEY.pem is required"
run 2 "$SGXEMU" sign --key "$T/key.pem" "$T/e.sgxs"
expect_err "--out FILE.sig is required"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig"
expect_err "which SGXS file?"
run 2 "$SGXEMU" sign --key "$T/key.pem" --generate-key "$T/k.pem" --out "$T/x.sig" "$T/e.sgxs"
expect_err "exclude each other"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --date 2024-13-01 "$T/e.sgxs"
expect_err "--date '2024-13-01' is not a date (YYYY-MM-DD or YYYYMMDD)"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --isvsvn 65536 "$T/e.sgxs"
expect_err "--isvsvn '65536' is not a number from 0 to 0xffff"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --isvprodid -1 "$T/e.sgxs"
expect_err "--isvprodid '-1' is not a number"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --vendor 1 "$T/e.sgxs"
expect_err "--vendor must be 0 or 0x8086"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --attributes 0x5 "$T/e.sgxs"
expect_err "--attributes 0x5 sets INIT or reserved bits (0x1)"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --xfrm 0x4 "$T/e.sgxs"
expect_err "--xfrm 0x4 lacks x87 and SSE"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --isvfamilyid 0011 "$T/e.sgxs"
expect_err "--isvfamilyid '0011' is not 32 hex digits"
run 2 "$SGXEMU" sign --key "$T/key.pem" --out "$T/x.sig" --isvsvn
expect_err "option '--isvsvn' needs a value"
[ ! -e "$T/x.sig" ] || fail "a usage error left a .sig behind"

# KSS fields without KSS: signed, with a warning about EINIT.
run 0 "$SGXEMU" sign --key "$T/key.pem" --out "$T/kss.sig" \
	--isvfamilyid 000102030405060708090a0b0c0d0e0f "$T/e.sgxs"
expect_err "warning: ISVFAMILYID/ISVEXTPRODID are set but ATTRIBUTES lack KSS"

finish
