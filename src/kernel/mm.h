/* SPDX-License-Identifier: MIT */
/*
 * The boundary between the kernel layer and the runtime (the MMU side): what the runtime asks
 * the kernel ("may I map this", "what goes at this address"), and the two things the kernel asks
 * the runtime (drop host PTEs, force threads out of an enclave). Nothing else crosses it, so that
 * the kernel layer can later move into a daemon with the EPC and answer these as messages
 * (DESIGN.md "Later: one EPC for the whole machine").
 *
 * Storage: an enclave's child pages live in the CPU's slice memfd at offset (addr - base). The
 * runtime maps that memfd over ELRANGE once per permission run and registers it with
 * userfaultfd; a missing host PTE faults, the runtime calls sgx_vma_fault(), and on
 * SGX_FAULT_MAPPED installs the host PTE (UFFDIO_CONTINUE): the contents are already there.
 *
 * Lifetime: a mapping holds an enclave reference (sgx_encl_get/put), as every VMA holds the
 * file in the kernel; the enclave is torn down when the last reference goes.
 *
 * Locking: the runtime's address-space lock is above the enclave lock (lockdep.h). The runtime
 * may call everything here with its lock held; the kernel calls zap and kick without holding any
 * enclave lock. Implementations of zap should call sgx_lockdep_acquire(SGX_LOCK_MM) /
 * sgx_lockdep_release(SGX_LOCK_MM) around taking their lock so debug builds check the order.
 */
#ifndef SGXEMU_KERNEL_MM_H
#define SGXEMU_KERNEL_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

struct sgx_encl;
struct sgx_platform;
struct sgx_vepc;

/* VMA access bits, the kernel's VM_READ/VM_WRITE/VM_EXEC (equal to PROT_READ/WRITE/EXEC). */
#define SGX_VM_READ 0x1UL
#define SGX_VM_WRITE 0x2UL
#define SGX_VM_EXEC 0x4UL
#define SGX_VM_ACCESS_FLAGS (SGX_VM_READ | SGX_VM_WRITE | SGX_VM_EXEC)

/* What the runtime implements and registers with the platform. */
struct sgx_mm_ops {
	/*
	 * Drop the host PTEs of [start, end) in every mapping of encl (the CPU's page-table entries
	 * are already cleared), so that the next access faults into sgx_vma_fault() again.
	 */
	void (*zap)(void *priv, struct sgx_encl *encl, uint64_t start, uint64_t end);
	/*
	 * Force every thread executing inside encl out (an AEX; the kernel's IPI to the enclave's
	 * CPU mask) and wait for them to leave, bounded. Returns 0, or -ETIMEDOUT if some thread
	 * could not be made to leave (stopped, for example). Used by the reclaimer and SGX2 flows.
	 */
	int (*kick)(void *priv, struct sgx_encl *encl);
	/*
	 * Drop the host and CPU PTEs of file pages [pgoff, pgoff + nr) in every mapping of vepc
	 * (a frame got a memory error: its next access must fault). Optional.
	 */
	void (*zap_vepc)(void *priv, struct sgx_vepc *vepc, uint64_t pgoff, uint64_t nr);
	/*
	 * fixup_user_fault(): resolve a non-present access at addr as a write from user mode
	 * would, without delivering anything; 0 if a page is mapped there now, else -EFAULT.
	 * The hypervisor helpers use it to find the frame behind a vEPC address. Optional.
	 */
	int (*fault_in)(void *priv, uint64_t addr);
};

void sgx_platform_register_mm(struct sgx_platform *platform, const struct sgx_mm_ops *ops,
			      void *priv);

/* The enclave behind an fd of /dev/sgx_enclave, with a new reference; ERR_PTR(-EBADF) etc. */
struct sgx_encl *sgx_encl_from_fd(int fd);
void sgx_encl_get(struct sgx_encl *encl);
/* Drops a reference; the last one releases the enclave (ref §4.9). */
void sgx_encl_put(struct sgx_encl *encl);

/*
 * Where the enclave's child pages are stored: *fd (the slice memfd, owned by the enclave: dup it
 * to keep it), *base and *size (ELRANGE; offset in the memfd = addr - base). -EINVAL before
 * SGX_IOC_ENCLAVE_CREATE.
 */
int sgx_encl_storage(struct sgx_encl *encl, int *fd, uint64_t *base, uint64_t *size);

/*
 * mmap() and mprotect() of an enclave: may [start, end) be mapped with these SGX_VM_* bits?
 * 0 or -EACCES (ref §1.1): after INIT only inside ELRANGE; never for a READ_IMPLIES_EXEC task;
 * never beyond a present page's vm_max_prot_bits (holes are not checked).
 */
int sgx_encl_may_map(struct sgx_encl *encl, uint64_t start, uint64_t end, unsigned long vm_flags);

enum sgx_vm_fault {
	SGX_FAULT_MAPPED, /* the CPU PTE is set: install the host PTE */
	SGX_FAULT_RETRY,  /* VM_FAULT_NOPAGE without a PTE: sgx_fault_wait(), then run the access again */
	SGX_FAULT_SIGBUS, /* deliver SIGBUS (or the vDSO's fixup: vector 14) */
	/*
	 * The frame has a memory error (sgx_memory_failure): the access consumes it, and the
	 * machine check forces SIGBUS on the thread (after an AEX if it was in an enclave).
	 */
	SGX_FAULT_HWPOISON,
};

struct sgx_fault_answer {
	sgx_paddr_t frame; /* SGX_FAULT_MAPPED: the EPC frame now at addr */
	unsigned int prot; /* SGX_FAULT_MAPPED: the protection of the CPU PTE (= the VMA's) */
	/*
	 * SGX_FAULT_RETRY: what the retry waits for (the page's write-back to end, or a free EPC
	 * page), a futex word that outlives any enclave; NULL to retry at once.
	 */
	uint32_t *wait_word;
	uint32_t wait_val;
};

/*
 * The fault handler (ref §4.7) for a non-present access at addr in a mapping of encl with the
 * VMA's SGX_VM_* bits. encl may be NULL (a mapping whose enclave could not be attached: SIGBUS).
 * On SGX_FAULT_MAPPED the CPU's page-table entry is set and *answer says what it points at.
 */
enum sgx_vm_fault sgx_vma_fault(struct sgx_encl *encl, uint64_t addr, unsigned long vm_flags,
				struct sgx_fault_answer *answer);

/*
 * After SGX_FAULT_RETRY, with no lock held (the runtime drops its address-space lock first: the
 * reclaimer needs it to zap): sleeps on a futex until the reclaimer made progress (bounded, as a
 * safety net), not in a loop of faults. Signal-safe.
 */
void sgx_fault_wait(const struct sgx_fault_answer *answer);

/*
 * A range of a mapping goes away or changes protection (munmap, mprotect, MADV_DONTNEED by the
 * runtime itself): clear the CPU PTEs of this enclave's pages there.
 */
void sgx_encl_unmap(struct sgx_encl *encl, uint64_t start, uint64_t end);

#endif /* SGXEMU_KERNEL_MM_H */
