# `sgxemu run`: an unmodified SGX application (tests/compat/sgx_app: libc, <asm/sgx.h> and the
# test enclave's ABI only) on the emulated machine, and the same program without it, where it fails
# as on a machine without SGX. Also: the command's refusals, the environment it passes, the shim's
# interplay with a shell and with an existing LD_PRELOAD.
source "$(dirname "$0")/lib.sh"

for v in EPC SGX2 FLC LAUNCH_CACHE ROOT_SEED LPS LOG STATS CPUID_FAULTING PATCH_CPUID; do
	unset "SGXEMU_$v"
done
APP=$BUILD/tests/compat/sgx_app
export APP_ENCLAVE_DIR=$BUILD/enclave
export SGXEMU_LOG=err

# A sanitizer build of the shim needs its runtime first in LD_PRELOAD (sgxemu run keeps it first).
if asan=$(ldd "$BUILD/libsgxemu-preload.so" | awk '/libasan|libubsan/ { print $3 }' | head -1) &&
	[ -n "$asan" ]; then
	export LD_PRELOAD=$asan
	export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0
	export UBSAN_OPTIONS=halt_on_error=1
fi

# --- without sgxemu: a machine without SGX ------------------------------------------------
run 3 env -u LD_PRELOAD "$APP" basic
expect_out "no SGX: CPUID.(EAX=7):EBX.SGX is 0"
expect_out "open: No such file or directory"
run 3 env -u LD_PRELOAD "$APP" fds
expect_out "open /dev/sgx_enclave: No such file or directory"

# --- under sgxemu run -----------------------------------------------------------------------
run 0 "$SGXEMU" run -- "$APP" basic
expect_out "ok: cpuid: SGX1 SGX2 FLC, EPC section 0 of 128 MiB"
expect_out "ok: vdso: __vdso_sgx_enter_enclave@LINUX_2.6"
expect_out "ok: ecalls (echo, info)"
expect_out "ok: exception report #PF 0x7 at the read-only page, handled in the enclave"
expect_out "ok: ereport"

# The configuration reaches the program: CPUID shows the EPC and SGX2 asked for.
run 0 "$SGXEMU" run --epc 64M --sgx2 0 -- "$APP" basic
expect_out "ok: cpuid: SGX1 FLC, EPC section 0 of 64 MiB"
# Without FLC there is no /dev/sgx_enclave (the kernel's driver needs launch control).
run 3 "$SGXEMU" run --flc 0 -- "$APP" basic
expect_out "ok: cpuid: SGX1 SGX2, EPC"
expect_out "no SGX: open /dev/sgx_enclave: No such file or directory"

for check in stat two threads vepc; do
	run 0 "$SGXEMU" run -- "$APP" "$check"
	expect_out "ok:"
done
run 0 "$SGXEMU" run -- "$APP" fds
expect_out "ok: dup, close, reuse, dup2, F_DUPFD_CLOEXEC, FD_CLOEXEC, FIONCLEX, close_range"
expect_out "ok: O_CLOEXEC: the descriptor does not survive execve"
run 0 "$SGXEMU" run -- "$APP" fork
expect_out "ok: child: inherited fd ENODEV, inherited mapping SIGBUS, own enclave runs"
expect_out "ok: parent: enclave intact after the child"

# SGX2: EAUG (EACCEPT first, and a touch answered by the program's handler), RESTRICT_PERMISSIONS,
# MODIFY_TYPES and REMOVE_PAGES. Without SGX2 in CPUID the program does not try.
run 0 "$SGXEMU" run -- "$APP" sgx2
expect_out "ok: sgx2: EAUG on fault + EACCEPT first"
expect_out "ok: sgx2: EAUG by a touch: #PF 0x8007 (SGX) on the PENDING page, EACCEPT, ERESUME"
expect_out "ok: sgx2: RESTRICT_PERMISSIONS(R) + EACCEPT(PR): write #PF 0x8007 (SGX), data kept"
expect_out "ok: sgx2: MODIFY_TYPES(TRIM) + EACCEPT + REMOVE_PAGES"
run 4 "$SGXEMU" run --sgx2 0 -- "$APP" sgx2
expect_out "skip: no SGX2"
# Oversubscription: a 1 MiB EPC under an enclave whose heap alone is larger (the reclaimer pages).
run 0 "$SGXEMU" run --epc 1M -- "$APP" oversub
expect_out "ok: oversubscribed: 2048 KiB of heap in a 1024 KiB EPC, written and verified twice"

# The Intel urts pattern: raw ENCLU, exceptions in the program's own signal handlers.
run 0 "$SGXEMU" run -- "$BUILD/tests/compat/sgx_raw"
expect_out "ok: raw EENTER/EEXIT (info, echo)"
expect_out "ok: ud2 (#UD): signal 4 at the AEP"
expect_out "ok: divide by zero (#DE): signal 8 at the AEP"
expect_out "ok: write to a read-only page (#PF): signal 11 at the AEP"
expect_out "ok: read of a page-less ELRANGE address"
run 3 env -u LD_PRELOAD "$BUILD/tests/compat/sgx_raw"
expect_out "no SGX: open /dev/sgx_enclave: No such file or directory"

# CPUID from a library that executes the instruction itself.
PROBE=$BUILD/tests/compat/cpuid_probe
run 0 env -u LD_PRELOAD "$PROBE"
expect_out "sgx=0 sgx1=0 lc=0 epc_mib=0 immediate=0xa20f00 ud2=4"
# --patch-cpuid: its cpuid instructions see the emulated CPU; the 0f a2 inside an immediate and a
# real ud2 are left alone.
run 0 "$SGXEMU" run --patch-cpuid libcpuidprobe.so -- "$PROBE"
expect_out "sgx=1 sgx1=1 lc=1 epc_mib=128 immediate=0xa20f00 ud2=4"
run 0 "$SGXEMU" run --epc 32M --flc 0 --patch-cpuid libcpuidprobe.so -- "$PROBE"
expect_out "sgx=1 sgx1=1 lc=0 epc_mib=32 immediate=0xa20f00 ud2=4"
# CPUID faulting, where the host has it (this VM does not: ARCH_SET_CPUID answers ENODEV).
run 0 "$SGXEMU" run -- "$PROBE"
if grep -q "faulting=1" "$T/out"; then
	expect_out "sgx=1 sgx1=1 lc=1 epc_mib=128 immediate=0xa20f00 ud2=4 faulting=1"
	run 0 "$SGXEMU" run --no-cpuid-faulting -- "$PROBE"
	expect_out "sgx=0"
else
	expect_out "sgx=0 sgx1=0 lc=0"
	echo "$(basename "$0"): CPUID faulting skipped: not available on this host"
fi

# Statistics at exit, from the program's own platform.
run 0 "$SGXEMU" run --stats 1 -- "$APP" two
expect_err "sgxemu: statistics at exit (pid"
expect_err "EPC: 32768 pages"

# A shell under sgxemu run: its children get the shim, and none boots a platform it does not use.
run 0 "$SGXEMU" run -- sh -c "test -c /dev/sgx_enclave && grep -qw sgx_lc /proc/cpuinfo && \"$APP\" two"
expect_out "ok: two enclaves at once"
run 0 "$SGXEMU" run --stats 1 -- sh -c "true; true"
[ ! -s "$T/err" ] || fail "a shell that never used SGX printed statistics: $(cat "$T/err")"

# An existing LD_PRELOAD is kept, ahead of the shim.
printf 'void sgxemu_test_marker(void) {}\n' >"$T/marker.c"
cc -shared -fPIC -o "$T/libmarker.so" "$T/marker.c"
run 0 env LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$T/libmarker.so" "$SGXEMU" run -- sh -c 'echo "$LD_PRELOAD"'
expect_out "$T/libmarker.so:"
expect_out "libsgxemu-preload.so"

# gdb with sgxemu.gdb, the program started through the exec wrapper (gdb itself gets no shim, and
# no sanitizer runtime either: gdb hangs with libasan preloaded; the wrapper gives it back).
if command -v gdb >/dev/null && [ -f "$BUILD/sgxemu.gdb" ]; then
	wrapper="$SGXEMU run --"
	[ -z "${LD_PRELOAD:-}" ] || wrapper="env LD_PRELOAD=$LD_PRELOAD $wrapper"
	run 0 env -u LD_PRELOAD timeout 60 gdb -batch -nx -x "$BUILD/sgxemu.gdb" \
		-ex "set exec-wrapper $wrapper" -ex run --args "$APP" two
	expect_out "ok: two enclaves at once"
fi

# --- refusals: one clear line, a non-zero exit ------------------------------------------------
run 127 "$SGXEMU" run -- /nonexistent/program
expect_one_line_err
expect_err "sgxemu run: /nonexistent/program: command not found"
run 1 "$SGXEMU" run -- "$BUILD/enclave/test_enclave.elf"
expect_one_line_err
expect_err "is a static executable: LD_PRELOAD cannot reach it; run it with --syscall-dispatch"
run 2 "$SGXEMU" run --no-such-option -- true
expect_err "unknown option '--no-such-option'"
run 2 "$SGXEMU" run --epc 1K -- true
expect_err "impossible configuration: epc: section 0 size 1024 is not a multiple of 4096"
run 2 "$SGXEMU" run --launch-cache 1 --flc 0 -- true
expect_err "impossible configuration: launch-cache needs flc=1"
run 2 "$SGXEMU" run
expect_err "no program to run"

finish
