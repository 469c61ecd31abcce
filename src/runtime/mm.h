/* SPDX-License-Identifier: MIT */
/*
 * The runtime's MMU: the application's mappings of enclave files (VMAs), the host page tables of
 * ELRANGE (userfaultfd, MISSING|MINOR, SIGBUS mode) and the fault path that asks the kernel layer
 * "what goes at this address" (see docs/internals.md "Page tables: the CPU's and the host's").
 */
#ifndef SGXEMU_RUNTIME_MM_H
#define SGXEMU_RUNTIME_MM_H

#include <stdbool.h>
#include <stdint.h>

struct sgx_cpu;
struct sgx_platform;

enum sgx_mm_fault_result {
	SGX_MM_FAULT_MAPPED, /* the page is there now: retry the access */
	SGX_MM_FAULT_SIGBUS, /* the kernel's fault handler answered VM_FAULT_SIGBUS */
	/* Mapped in the CPU's page table, but the EPCM allows no access (TCS, PENDING): no host PTE */
	SGX_MM_FAULT_NO_ACCESS,
	SGX_MM_FAULT_NOT_OURS, /* not an enclave mapping: an ordinary fault */
	/* The frame has a memory error: the access consumed it (the machine check's SIGBUS) */
	SGX_MM_FAULT_HWPOISON,
};

/*
 * The kernel's fault path for a non-present access to addr (SGX_ACCESS_* bits), run outside
 * enclave mode: maps the page in the CPU's page table and the host's, or answers SIGBUS.
 */
enum sgx_mm_fault_result sgx_mm_fault(uint64_t addr, unsigned int access);

/* The processor whose enclave is mapped at addr, or NULL if addr is not in an enclave mapping. */
struct sgx_cpu *sgx_mm_cpu_at(uint64_t addr);
/* The same, as the platform (the kernel layer) that mapping belongs to. */
struct sgx_platform *sgx_mm_platform_at(uint64_t addr);

/* The protection the application gave the mapping at addr (PROT_*), or -1. */
int sgx_mm_prot_at(uint64_t addr);

/*
 * Does [start, end) overlap an enclave mapping? Lock-free and async-signal-safe (the compat
 * layer asks it on every munmap/mprotect/madvise/mremap of the process); may answer true for a
 * range that does not (then the caller takes the slow path, which knows).
 */
bool sgx_mm_touches_enclave(uint64_t start, uint64_t end);

/* Registers the runtime's fork handlers (once). */
void sgx_mm_init(void);

#endif /* SGXEMU_RUNTIME_MM_H */
