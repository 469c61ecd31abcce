# `sgxemu run --syscall-dispatch`: static executables (which no LD_PRELOAD reaches) loaded by
# sgxemu itself, their system calls caught with syscall user dispatch: the same SGX application as
# test_run.sh, linked statically, the raw-ENCLU program, and a probe of what a static libc needs.
source "$(dirname "$0")/lib.sh"

for v in EPC SGX2 FLC LAUNCH_CACHE ROOT_SEED LPS LOG STATS CPUID_FAULTING PATCH_CPUID; do
	unset "SGXEMU_$v"
done
export SGXEMU_LOG=err
unset LD_PRELOAD
# The dynamic programs the static ones execute get the shim; a sanitizer build of the shim needs its
# runtime first in LD_PRELOAD (sgxemu run keeps it first), as in test_run.sh.
if asan=$(ldd "$BUILD/libsgxemu-preload.so" | awk '/libasan|libubsan/ { print $3 }' | head -1) &&
	[ -n "$asan" ]; then
	export LD_PRELOAD=$asan
	export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0
	export UBSAN_OPTIONS=halt_on_error=1
fi
C=$BUILD/tests/compat

# Without sgxemu: a machine without SGX.
run 3 "$C/sgx_app_static" basic
expect_out "no SGX: the vDSO has no __vdso_sgx_enter_enclave (open: No such file or directory)"

# The program's own CPUID instruction sees the real CPU unless --patch-cpuid names the program.
run 0 "$SGXEMU" run --syscall-dispatch -- "$C/sgx_app_static" basic
expect_out "ok: vdso: __vdso_sgx_enter_enclave@LINUX_2.6"
expect_out "ok: ecalls (echo, info)"
expect_out "ok: exception report #PF 0x7 at the read-only page, handled in the enclave"
run 0 "$SGXEMU" run --syscall-dispatch --epc 64M --patch-cpuid sgx_app_static -- "$C/sgx_app_static" basic
expect_out "ok: cpuid: SGX1 SGX2 FLC, EPC section 0 of 64 MiB"
expect_out "ok: ereport"

for check in stat fds two fork threads vepc; do
	run 0 "$SGXEMU" run --syscall-dispatch -- "$C/sgx_app_static" "$check"
	expect_out "ok:"
done
run 0 "$SGXEMU" run --syscall-dispatch -- "$C/sgx_app_static" fork
expect_out "ok: child: inherited fd ENODEV, inherited mapping SIGBUS, own enclave runs"

run 0 "$SGXEMU" run --syscall-dispatch --patch-cpuid sgx_app_static -- "$C/sgx_app_static" sgx2
expect_out "ok: sgx2: EAUG by a touch"
expect_out "ok: sgx2: MODIFY_TYPES(TRIM) + EACCEPT + REMOVE_PAGES"
run 0 "$SGXEMU" run --syscall-dispatch --epc 1M --patch-cpuid sgx_app_static -- "$C/sgx_app_static" oversub
expect_out "ok: oversubscribed"

run 0 "$SGXEMU" run --syscall-dispatch -- "$C/sgx_raw_static"
expect_out "ok: ud2 (#UD): signal 4 at the AEP"
expect_out "ok: read of a page-less ELRANGE address"

run 0 "$SGXEMU" run --syscall-dispatch -- "$C/dispatch_probe" arg1
expect_out "ok: clock_gettime through the vDSO, argv[1]=arg1"
expect_out "ok: /proc/self/exe, malloc, brk"
expect_out "ok: signal handlers, EINTR and SA_RESTART on a blocking read"
expect_out "ok: 4 threads (own TLS, nanosleep, getpid), joined"
expect_out "ok: fork, execve, waitpid"
expect_out "ok: system, posix_spawn"
# What the program executes runs on the emulated machine too: a dynamic program with the shim (the
# environment's LD_PRELOAD), a static one under sgxemu again (with the configuration and
# --patch-cpuid from the environment, and no shim in sgxemu itself).
run 0 "$SGXEMU" run --syscall-dispatch -- "$C/dispatch_probe" exec "$C/sgx_app" two
expect_out "ok: two enclaves at once"
run 0 "$SGXEMU" run --syscall-dispatch --epc 64M --patch-cpuid sgx_app_static -- \
	"$C/dispatch_probe" exec "$C/sgx_app_static" basic
expect_out "ok: cpuid: SGX1 SGX2 FLC, EPC section 0 of 64 MiB"
expect_out "ok: ereport"
run 0 "$SGXEMU" run --syscall-dispatch -- "$C/dispatch_probe" exec "$C/dispatch_probe" exec \
	/bin/sh -c 'test -c /dev/sgx_enclave && echo "$LD_PRELOAD"'
[ "$(grep -o libsgxemu-preload.so "$T/out" | wc -l)" = 1 ] || fail "LD_PRELOAD: $(cat "$T/out")"

# The main thread exits alone first; the last thread's exit ends the process with its status.
run 7 "$SGXEMU" run --syscall-dispatch -- "$C/dispatch_probe" last-thread

# The mode is for static executables only.
run 2 "$SGXEMU" run --syscall-dispatch -- "$C/sgx_app" basic
expect_one_line_err
expect_err "--syscall-dispatch is for static executables"

finish
