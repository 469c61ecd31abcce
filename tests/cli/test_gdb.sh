# tools/sgxemu.gdb (installed as build/sgxemu.gdb): sgxemu's own signals pass silently, a real
# crash in host code still stops, an unhandled enclave exception stops at the runtime's hook with
# the enclave's frames (and symbols) in the backtrace.
source "$(dirname "$0")/lib.sh"

if ! command -v gdb >/dev/null; then
	fail "gdb is not installed (scripts/setup.sh installs it)"
	finish
fi
TARGET=$BUILD/tests/enclave_debug_target
# LeakSanitizer cannot run under ptrace and turns every exit into status 1 (sanitizer builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
GDB=(gdb -nx -batch -x "$BUILD/sgxemu.gdb")

# Ordinary ecalls: dozens of SIGILLs (ENCLU) and SIGBUSes (first touches), not one stop.
run 0 "${GDB[@]}" -ex run --args "$TARGET"
expect_out "exiting normally"
expect_out "exited normally"
if grep -qE "received signal|^Catchpoint [0-9]+ \(signal SIG|sgxemu: enclave exception" "$T/out"; then
	fail "gdb stopped on sgxemu's own signals: $(cat "$T/out")"
fi

# An unhandled #UD in the enclave: the hook stops with the enclave's frame in the backtrace.
run 0 "${GDB[@]}" -ex run -ex bt -ex continue --args "$TARGET" ud2
expect_out "sgxemu: symbols of $(readlink -f "$BUILD/enclave/test_enclave.elf") at"
expect_out "sgxemu: enclave exception: vector 6, error code 0x0"
expect_out "te_fault_trigger"
grep -qE "^#[0-9]+ .*sgxemu_debug_enclave_exception" "$T/out" || fail "no hook frame: $(cat "$T/out")"
grep -q "<signal handler called>" "$T/out" || fail "bt does not cross the signal frame: $(cat "$T/out")"
# The frame after the signal frame is enclave code, named by the enclave's symbols.
after=$(sed -nE '/^#[0-9]+ +<signal handler called>/{n;p;q}' "$T/out")
grep -q "te_" <<<"$after" || fail "the frame past the signal frame is not the enclave's: '$after'"
expect_out "exception reported: function 3 vector 6"
expect_out "exiting normally"

# A NULL write in host code after the enclave ran: gdb stops there, in main.
run 0 "${GDB[@]}" -ex run -ex bt --args "$TARGET" host-segv
expect_out "Catchpoint"
expect_out "(signal SIGSEGV)"
grep -qE "^#0 .*main \(" "$T/out" || fail "the crash is not shown in main: $(cat "$T/out")"
if grep -q "exiting normally" "$T/out"; then
	fail "the program went on after its crash"
fi

# The commands exist and read the registry.
run 0 "${GDB[@]}" -ex "break sgxemu_debug_add_enclave" -ex run -ex finish -ex sgxemu-enclaves \
	--args "$TARGET"
expect_out "test_enclave.elf"
grep -qE "^enclave 0x[0-9a-f]+-0x[0-9a-f]+ /" "$T/out" || fail "sgxemu-enclaves: $(cat "$T/out")"

finish
