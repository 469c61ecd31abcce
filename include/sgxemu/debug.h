/* SPDX-License-Identifier: MIT */
/*
 * Debugging and profiling enclaves (see docs/debugging.md).
 *
 * A registry of the enclaves loaded in this process, for debuggers: `tools/sgxemu.gdb`'s
 * `sgxemu-load-symbols` walks sgxemu_debug_enclaves and loads each enclave's ELF symbols at its
 * base (`add-symbol-file ELF -o BASE`; the image is linked at 0). The loader of <sgxemu/loader.h>
 * registers every enclave it loads (with sgxemu_load_params.elf_path when given) and removes it at
 * unload; other loaders may call the functions below themselves.
 *
 * Profiling: with SGXEMU_PERF_MAP=1 in the environment, registering an enclave with an ELF appends
 * its function symbols at their loaded addresses to /tmp/perf-PID.map ("START SIZE NAME", hex),
 * the map format perf and other profilers read for code that has no file of its own.
 *
 * Unhandled enclave exceptions: sgxemu calls sgxemu_debug_enclave_exception() (a no-op) each time
 * it reports an exception that happened in enclave mode; a debugger breaks there.
 */
#ifndef SGXEMU_DEBUG_H
#define SGXEMU_DEBUG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One registered enclave. Debuggers read these from outside the process, so the layout is part
 * of the interface: next @0, base @8, size @16, elf_path @24 (checked at build time).
 */
struct sgxemu_debug_enclave {
	struct sgxemu_debug_enclave *next;
	uint64_t base;
	uint64_t size;
	const char *elf_path; /* absolute path of the ELF the image was packed from, or NULL */
};

/* The registered enclaves, newest first (NULL: none). Written under a lock; read by debuggers. */
extern struct sgxemu_debug_enclave *sgxemu_debug_enclaves;

/*
 * Registers the enclave at [base, base + size). elf_path (may be NULL) is made absolute. Writes
 * the perf map if SGXEMU_PERF_MAP=1. Returns 0, or -1 with errno (ENOMEM; EEXIST if base is
 * already registered).
 */
int sgxemu_debug_add_enclave(uint64_t base, uint64_t size, const char *elf_path);

/* Forgets the enclave at base (nothing happens if there is none). */
void sgxemu_debug_remove_enclave(uint64_t base);

/*
 * Called by sgxemu when it reports an exception that happened in enclave mode (to the vDSO
 * caller or as a signal at the AEP): vector, error code and address as reported, and the enclave's
 * RIP at the fault. It does nothing; it exists to be a breakpoint.
 */
void sgxemu_debug_enclave_exception(unsigned int vector, unsigned int error_code, uint64_t addr,
				    uint64_t rip);

#ifdef __cplusplus
}
#endif

#endif /* SGXEMU_DEBUG_H */
