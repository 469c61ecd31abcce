# `sgxemu info`: the configuration (environment, then flags) and CPUID 7 / 0x12 as the emulated
# CPU reports them.
source "$(dirname "$0")/lib.sh"

# Start from the documented defaults, whatever the caller's environment holds.
for v in EPC SGX2 FLC LAUNCH_CACHE ROOT_SEED LPS LOG STATS; do
	unset "SGXEMU_$v"
done

bit() { # NAME VALUE: the decoded line for NAME says VALUE
	grep -qE -- "^ +$1 +$2\$" "$T/out" || fail "expected '$1 $2' in: $(grep -F -- "$1" "$T/out")"
}

run 0 "$SGXEMU" info
expect_out "epc           128 MiB in 1 section (128 MiB)"
expect_out "sgx2          on"
expect_out "flc           on"
expect_out "root key      random per run"
bit "ebx\[2\] SGX" 1
bit "ecx\[30\] SGX_LC \(launch control\)" 1
bit "edx\[1\] SGX_KEYS \(attestation\)" 0
bit "eax\[0\] SGX1" 1
bit "eax\[1\] SGX2" 1
bit "eax\[5\] ENCLV \(oversubscription\)" 0
bit "eax\[11\] EDECCSSA \(AEX-Notify\)" 0
expect_out "ebx MISCSELECT supported           0x1 (EXINFO)"
expect_out "EPC section 0: base 0x"
expect_out "size 0x8000000 (128 MiB), confidentiality and integrity protected"
expect_out "cpuid 0x12.3: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000"
grep -qE "settable ATTRIBUTES +0x[0-9a-f]+ \([A-Z0-9_|]*MODE64BIT" "$T/out" ||
	fail "settable ATTRIBUTES lack MODE64BIT"
grep -qE "settable XFRM +0x[0-9a-f]*[37bf]\$" "$T/out" || fail "settable XFRM lacks x87|SSE"
# No AEX-Notify advertised: the feature is not implemented.
grep -E "settable ATTRIBUTES" "$T/out" | grep -q AEXNOTIFY && fail "AEXNOTIFY advertised"

# Flags.
run 0 "$SGXEMU" info --epc 64M,32M --sgx2 0 --flc 0 --lps 3 --root-seed abc --log debug
expect_out "epc           96 MiB in 2 sections (64 MiB, 32 MiB)"
expect_out "lps           3"
expect_out "root key      fixed (from root-seed)"
expect_out "log           debug"
bit "eax\[1\] SGX2" 0
bit "ecx\[30\] SGX_LC \(launch control\)" 0
expect_out "EPC section 0: base 0x"
expect_out "size 0x4000000 (64 MiB)"
expect_out "EPC section 1: base 0x"
expect_out "size 0x2000000 (32 MiB)"
expect_out "cpuid 0x12.4: eax=0x00000000"

# Environment, and flags over environment.
SGXEMU_SGX2=0 SGXEMU_EPC=32M run 0 "$SGXEMU" info
bit "eax\[1\] SGX2" 0
expect_out "epc           32 MiB in 1 section"
SGXEMU_SGX2=0 run 0 "$SGXEMU" info --sgx2 1
bit "eax\[1\] SGX2" 1

# Refusals.
run 2 "$SGXEMU" info --epc lots
expect_err "sgxemu info: --epc: 'lots' is not a size (use e.g. 128M or 64M,64M)"
run 2 "$SGXEMU" info --sgx2 maybe
expect_err "--sgx2: 'maybe' is not 0 or 1"
run 2 "$SGXEMU" info --epc 4K
expect_err "epc: section 0 is 4096 bytes; the minimum is 65536"
run 2 "$SGXEMU" info --flc 0 --launch-cache 1
expect_err "launch-cache needs flc=1"
run 2 "$SGXEMU" info --lps
expect_err "option '--lps' needs a value"
run 2 "$SGXEMU" info extra
expect_err "unexpected argument 'extra'"
SGXEMU_LPS=0 run 1 "$SGXEMU" info
expect_err "SGXEMU_LPS: lps: '0' is not a number from 1 to 256 (fix or unset the variable)"

finish
