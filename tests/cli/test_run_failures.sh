# `sgxemu run` with the platform's failure paths (issue 9): the suspend trigger and the injected
# failures, set with the command's options and seen from an unmodified program
# (tests/compat/sgx_app) through the statistics printed at exit.
source "$(dirname "$0")/lib.sh"

for v in EPC SGX2 FLC LAUNCH_CACHE ROOT_SEED LPS LOG STATS CPUID_FAULTING PATCH_CPUID \
	INJECT_EREMOVE INJECT_POISON INJECT_EINIT_UNMASKED SUSPEND_SIGNAL BACKING_DIR; do
	unset "SGXEMU_$v"
done
APP=$BUILD/tests/compat/sgx_app
export APP_ENCLAVE_DIR=$BUILD/enclave
export SGXEMU_LOG=err

if asan=$(ldd "$BUILD/libsgxemu-preload.so" | awk '/libasan|libubsan/ { print $3 }' | head -1) &&
	[ -n "$asan" ]; then
	export LD_PRELOAD=$asan
	export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0
	export UBSAN_OPTIONS=halt_on_error=1
fi

# stat NAME: the count after "NAME " in the last run's statistics (stderr).
stat() {
	grep -oE "(^|[ :])$1 [0-9]+" "$T/err" | head -1 | awk '{ print $NF }'
}

# --- the options are checked before the program starts ---------------------------------------
run 2 "$SGXEMU" run --suspend-signal SEGV -- true
expect_err "suspend-signal: SEGV cannot be used"
run 2 "$SGXEMU" run --suspend-signal NOPE -- true
expect_err "suspend-signal: 'NOPE' is not a signal"
run 2 "$SGXEMU" run --inject-poison 0x1234 -- true
expect_err "inject-poison: '0x1234' is neither an EPC page address"
run 2 "$SGXEMU" run --epc 1M --inject-eremove 256 -- true
expect_err "inject-eremove: frame 256 is beyond the EPC's 256 frames"
run 2 "$SGXEMU" run --inject-einit-unmasked -1 -- true
expect_err "inject-einit-unmasked: '-1' is not a count"

# `sgxemu info` shows what was injected.
run 0 "$SGXEMU" info --inject-poison 0x1000000000,3 --inject-einit-unmasked 2 --suspend-signal USR2
expect_out "inject-poison 0x1000000000,3"
expect_out "inject-einit-unmasked 2"
expect_out "suspend-signal User defined signal 2 (12)"

# --- the suspend trigger ----------------------------------------------------------------------
# Without it, SIGUSR2 kills the shell (its default action); with it, sgxemu takes the signal,
# and a process that never used SGX has nothing to lose.
run 0 sh -c "\"$SGXEMU\" run -- sh -c 'kill -USR2 \$\$; echo alive'; echo status \$?"
expect_out "status 140"
run 0 "$SGXEMU" run --suspend-signal USR2 -- sh -c 'kill -USR2 $$; echo alive'
expect_out "alive"

# --- injected failures, seen in the statistics at exit -----------------------------------------
run 0 "$SGXEMU" run --stats 1 -- "$APP" two
expect_out "ok: two enclaves at once"
einit=$(stat EINIT)
[ -n "$einit" ] && [ "$einit" -gt 0 ] || fail "no EINIT count in the statistics: $(cat "$T/err")"

# SGX_UNMASKED_EVENT: the kernel's retry loop runs EINIT again; the program does not notice.
run 0 "$SGXEMU" run --stats 1 --inject-einit-unmasked 3 -- "$APP" two
expect_out "ok: two enclaves at once"
[ "$(stat EINIT)" = $((einit + 3)) ] || fail "3 injected UNMASKED_EVENTs: EINIT $(stat EINIT), expected $((einit + 3))"

# Poisoned frames: quarantined from boot on, never handed out; the program does not notice.
run 0 "$SGXEMU" run --stats 1 --inject-poison 0,1,0x1000002000 -- "$APP" two
expect_out "ok: two enclaves at once"
expect_err "EPC: 32768 pages, 32765 free, 0 leaked, 3 poisoned"

# EREMOVE failing for the first frames the allocator hands out: the kernel's leak warning, the
# frames are lost for good, and SGX keeps working (the second enclave is built on other frames).
frames=$(seq -s, 0 15)
run 0 "$SGXEMU" run --stats 1 --log warn --inject-eremove "$frames" -- "$APP" two
expect_out "ok: two enclaves at once"
expect_err "EREMOVE returned 14 (0xe) and an EPC page was leaked. SGX may become unusable."
leaked=$(grep -oE "EPC: 32768 pages, [0-9]+ free, [0-9]+ leaked" "$T/err" | awk '{ print $6 }')
[ -n "$leaked" ] && [ "$leaked" -gt 0 ] || fail "no leaked frames counted: $(cat "$T/err")"

finish
