# sgxemu.gdb: debugging programs that run enclaves on sgxemu (see docs/debugging.md).
#
#   gdb -x build/sgxemu.gdb --args PROGRAM ARGS...     (or `source build/sgxemu.gdb` in gdb)
#
# 1. Signals. sgxemu emulates SGX with signals: every ENCLU is a SIGILL (a SIGSEGV on CPUs with
#    SGX disabled), a first touch of an enclave page a SIGBUS (userfaultfd), a page-permission
#    fault in an enclave a SIGSEGV, a system call from enclave code a SIGSYS, the reclaimer's
#    "IPI" SIGRTMAX-1. gdb would stop at each. This script lets that traffic pass silently and
#    stops only for real ones: a catchpoint on SIGILL/SIGSEGV/SIGBUS/SIGSYS/SIGFPE whose condition,
#    $_sgxemu_real_signal(), is false when the signal is sgxemu's own:
#      - the faulting instruction is an ENCLU;
#      - the PC is inside an enclave (enclave mode: sgxemu turns it into an AEX; an exception it
#        cannot resolve stops at the breakpoint below instead);
#      - a SIGBUS for an address inside an enclave (a page not mapped yet);
#    and true for everything else, among it any fault in host code, and any of these signals sent
#    with kill/tgkill (sgxemu re-raises a fault the application does not handle that way).
# 2. Enclave exceptions. A breakpoint on sgxemu_debug_enclave_exception, which the runtime calls
#    for every exception in enclave mode that it reports instead of resolving. It runs before the
#    AEX, so `bt` shows the enclave's frames beyond the signal frame.
# 3. Enclave symbols. `sgxemu-load-symbols` (also run at every stop) reads the registry of loaded
#    enclaves (sgxemu_debug_enclaves, <sgxemu/debug.h>) and loads each ELF at its base with
#    `add-symbol-file ELF -o BASE`; `sgxemu-load-symbols ELF BASE` does it for one enclave.
#    `sgxemu-enclaves` lists the registry and the enclave mappings.
#
# Needs gdb with Python (Debian's has it).

set breakpoint pending on

# libthread_db finds a thread's pthread structure through its FS base, which inside an enclave is
# the enclave's (TCS.OFSBASE): gdb's thread_db layer then fails at every stop in enclave mode
# ("cannot get thread info") and gives up. Without it gdb follows threads as kernel LWPs, which
# is all that is needed here; thread-local variables of the host cannot be printed.
set libthread-db-search-path /nonexistent/sgxemu-no-thread-db

handle SIGILL nostop noprint pass
handle SIGSEGV nostop noprint pass
handle SIGBUS nostop noprint pass
handle SIGSYS nostop noprint pass
handle SIGFPE nostop noprint pass
# SGX_IPI_SIGNAL = SIGRTMAX - 1 = 63 with glibc.
handle SIG63 nostop noprint pass

python
import os
import gdb

SGXEMU_ENCLU = b"\x0f\x01\xd7"
SGXEMU_STORAGE = "/memfd:sgxemu-enclave"


def sgxemu_enclave_mappings():
    """[(start, end, base)] of every mapping of an enclave's storage in the inferior."""
    inf = gdb.selected_inferior()
    out = []
    try:
        with open("/proc/%d/maps" % inf.pid) as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) < 6 or not fields[5].startswith(SGXEMU_STORAGE):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                # The storage is mapped at file offset = linear address - enclave base.
                out.append((start, end, start - int(fields[2], 16)))
    except OSError:
        pass
    return out


def sgxemu_in_enclave(addr, mappings):
    return any(start <= addr < end for start, end, _ in mappings)


class SgxemuRealSignal(gdb.Function):
    """$_sgxemu_real_signal(): 1 if the signal the current thread just received is not
sgxemu's own emulation traffic (see the top of sgxemu.gdb), else 0."""

    def __init__(self):
        super().__init__("_sgxemu_real_signal")

    def invoke(self):
        try:
            si = gdb.parse_and_eval("$_siginfo")
            signo = int(si["si_signo"])
            code = int(si["si_code"])
        except gdb.error:
            return 1
        if code <= 0:
            return 1  # sent, not raised by an instruction
        pc = int(gdb.parse_and_eval("$pc"))
        try:
            if bytes(gdb.selected_inferior().read_memory(pc, 3)) == SGXEMU_ENCLU:
                return 0
        except gdb.MemoryError:
            pass
        mappings = sgxemu_enclave_mappings()
        if sgxemu_in_enclave(pc, mappings):
            return 0
        if signo == 7:  # SIGBUS
            addr = int(si["_sifields"]["_sigfault"]["si_addr"])
            if sgxemu_in_enclave(addr, mappings):
                return 0
        return 1


SgxemuRealSignal()

sgxemu_loaded_symbols = set()


def sgxemu_read_registry():
    """[(base, size, elf_path or None)] from sgxemu_debug_enclaves (layout: <sgxemu/debug.h>)."""
    try:
        head = int(gdb.parse_and_eval("(unsigned long)&sgxemu_debug_enclaves"))
    except gdb.error:
        return []
    inf = gdb.selected_inferior()
    out = []
    try:
        node = int.from_bytes(bytes(inf.read_memory(head, 8)), "little")
        for _ in range(4096):
            if not node:
                break
            raw = bytes(inf.read_memory(node, 32))
            nxt, base, size, path_ptr = (int.from_bytes(raw[i:i + 8], "little")
                                         for i in range(0, 32, 8))
            path = None
            if path_ptr:
                path = bytes(inf.read_memory(path_ptr, 4096)).split(b"\0", 1)[0].decode(
                    errors="replace")
            out.append((base, size, path))
            node = nxt
    except gdb.MemoryError:
        pass
    return out


def sgxemu_add_symbols(path, base, quiet):
    key = (path, base)
    if key in sgxemu_loaded_symbols:
        return
    if not os.path.exists(path):
        if not quiet:
            print("sgxemu: %s does not exist" % path)
        return
    gdb.execute("add-symbol-file %s -o %#x" % (path, base), to_string=quiet)
    sgxemu_loaded_symbols.add(key)
    print("sgxemu: symbols of %s at %#x" % (path, base))


class SgxemuLoadSymbols(gdb.Command):
    """Load enclave symbols at the enclaves' bases.
Usage: sgxemu-load-symbols               every enclave registered with an ELF
       sgxemu-load-symbols ELF [BASE]    this ELF at BASE (default: the only enclave mapped)"""

    def __init__(self):
        super().__init__("sgxemu-load-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not argv:
            for base, _, path in sgxemu_read_registry():
                if path:
                    sgxemu_add_symbols(path, base, quiet=True)
            return
        if len(argv) == 2:
            base = int(gdb.parse_and_eval(argv[1]))
        else:
            bases = sorted({b for _, _, b in sgxemu_enclave_mappings()})
            if len(bases) != 1:
                raise gdb.GdbError("%d enclaves are mapped: give the base" % len(bases))
            base = bases[0]
        sgxemu_add_symbols(argv[0], base, quiet=False)


class SgxemuEnclaves(gdb.Command):
    """List the enclaves: sgxemu's registry and the mappings of enclave storage."""

    def __init__(self):
        super().__init__("sgxemu-enclaves", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        for base, size, path in sgxemu_read_registry():
            print("enclave %#x-%#x %s" % (base, base + size, path or "(no ELF registered)"))
        for start, end, base in sgxemu_enclave_mappings():
            print("  mapped %#x-%#x (enclave base %#x)" % (start, end, base))


SgxemuLoadSymbols()
SgxemuEnclaves()


def sgxemu_on_stop(event):
    try:
        for base, _, path in sgxemu_read_registry():
            if path:
                sgxemu_add_symbols(path, base, quiet=True)
    except Exception:  # never break a stop over symbols
        pass


gdb.events.stop.connect(sgxemu_on_stop)


class SgxemuExceptionBreakpoint(gdb.Breakpoint):
    """Stops at sgxemu_debug_enclave_exception(vector, error_code, addr, rip)."""

    def stop(self):
        try:
            frame = gdb.selected_frame()
            regs = [int(frame.read_var(v)) for v in ("vector", "error_code", "addr", "rip")]
        except (gdb.error, ValueError):
            # No debug information: the SysV argument registers at the function's entry.
            regs = [int(gdb.parse_and_eval(r)) for r in ("$rdi", "$rsi", "$rdx", "$rcx")]
        sgxemu_on_stop(None)
        rip = regs[3]
        try:
            where = gdb.execute("info symbol %#x" % rip, to_string=True).strip()
        except gdb.error:
            where = "?"
        print("sgxemu: enclave exception: vector %d, error code %#x, address %#x, "
              "at RIP %#x (%s)" % (regs[0] & 0xff, regs[1] & 0xffffffff, regs[2], rip, where))
        print("sgxemu: `bt` continues past the signal frame into the enclave")
        return True


SgxemuExceptionBreakpoint("sgxemu_debug_enclave_exception")
end

catch signal SIGILL SIGSEGV SIGBUS SIGSYS SIGFPE
condition $bpnum $_sgxemu_real_signal()
