# `sgxemu stat`: a booted platform's statistics, and a program's platform's statistics at its exit
# (an unmodified SGX application paging through a 1 MiB EPC under the shim).
source "$(dirname "$0")/lib.sh"

for v in EPC SGX2 FLC LAUNCH_CACHE ROOT_SEED LPS LOG STATS BACKING_DIR CPUID_FAULTING PATCH_CPUID; do
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

# A fresh platform: the EPC as configured, nothing paged yet.
run 0 "$SGXEMU" stat --epc 1M
expect_out "EPC: 256 pages, 256 free, 0 leaked"
expect_out "paging: 0 evicted, 0 loaded, 0 SECS evicted, 0 SECS loaded"
expect_out "forced AEX: 0 kicks"
expect_out "ENCLS: ECREATE 0"
SGXEMU_EPC=2M run 0 "$SGXEMU" stat
expect_out "EPC: 512 pages"
run 0 "$SGXEMU" info --epc 1M
expect_out "paging: 0 evicted"

# A program: its heap is four times this EPC, so pages go out and come back.
run 0 "$SGXEMU" stat --epc 1M -- "$APP" oversub
expect_out "ok: oversubscribed"
expect_err "sgxemu: statistics at exit (pid"
expect_err "EPC: 256 pages"
evicted=$(sed -n 's/^paging: \([0-9]*\) evicted, \([0-9]*\) loaded.*/\1 \2/p' "$T/err")
[ -n "$evicted" ] || fail "no paging line: $(cat "$T/err")"
set -- $evicted
[ "$1" -gt 0 ] && [ "$2" -gt 0 ] || fail "nothing paged: $(grep paging "$T/err")"

# Evicted pages in a file on disk instead of memory: the same program, the same answer.
mkdir "$T/backing"
run 0 "$SGXEMU" stat --epc 1M --backing-dir "$T/backing" -- "$APP" oversub
expect_out "ok: oversubscribed"
[ -z "$(ls -A "$T/backing")" ] || fail "the backing file is left behind: $(ls "$T/backing")"

# Refusals.
run 2 "$SGXEMU" stat --epc lots
expect_err "sgxemu stat: --epc: 'lots' is not a size"
run 2 "$SGXEMU" stat --backing-dir /nonexistent
expect_err "backing-dir: '/nonexistent' is not a directory"
run 127 "$SGXEMU" stat -- /nonexistent/program

finish
