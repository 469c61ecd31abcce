/* SPDX-License-Identifier: MIT */
/*
 * The emulated SGX processor as the layers above see it (DESIGN.md "The CPU boundary").
 *
 * The CPU knows EPC frames, the EPCM, SECS state, its own linear -> frame page table, logical
 * processors and their MSRs. It knows nothing of files, processes or enclave objects. Leaves are
 * in encls.h (ENCLS, for the kernel layer) and enclu.h (ENCLU and AEX, for the runtime).
 *
 * EPC addresses. A frame's "physical address" (sgx_paddr_t) is its section's base plus its index
 * times 4096; the EPCM is indexed by it. ENCLS operands that the SDM calls "an EPC page" (RCX of
 * most leaves, PAGEINFO.SECS, the VA slot in RDX, EEXTEND's chunk) are sgx_paddr_t values. All
 * other memory operands (PAGEINFO, SECINFO, PCMD, source pages, SIGSTRUCT, EINITTOKEN) are
 * ordinary addresses in this process, read and written with sgx_copy_{from,to}_user so that a bad
 * pointer is a #PF value, never a crash.
 *
 * Storage. A frame's 4 KiB live in a memfd. Child pages of an enclave (REG, TCS, TRIM) live in
 * that enclave's slice at offset (linear address - BASEADDR), so that the runtime can map ELRANGE
 * with one VMA per permission run; SECS and VA pages live in a pool at frame offsets. Loading a
 * page (EADD, EAUG, ELDU) writes its slice offset; removing or evicting it punches a hole.
 */
#ifndef SGXEMU_CPU_CPU_H
#define SGXEMU_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include <sgxemu/arch.h>
#include <sgxemu/config.h>

typedef uint64_t sgx_paddr_t;

struct sgx_cpu;
struct sgx_lp;
struct sgx_slice;

/*
 * A fault is a value at this boundary. vector is X86_TRAP_GP or X86_TRAP_PF (#UD for a leaf the
 * configuration does not have, e.g. EAUG without SGX2). For #PF, error_code holds X86_PF_* bits
 * (X86_PF_SGX for EPCM-induced faults) and addr the faulting address (an sgx_paddr_t for EPC
 * operands of ENCLS, a linear address otherwise).
 */
struct sgx_fault {
	uint8_t vector;
	uint32_t error_code;
	uint64_t addr;
};

/* ENCLS wrappers return 0, an SGX_* status code, or this flag ORed with the vector, as Linux. */
#define SGX_ENCLS_FAULT_FLAG 0x40000000
#define SGX_ENCLS_FAULT_VECTOR(ret) ((ret) & ~SGX_ENCLS_FAULT_FLAG)
static inline bool encls_faulted(int ret)
{
	return ret & SGX_ENCLS_FAULT_FLAG;
}

/* --- the processor ---------------------------------------------------------------------- */

/*
 * Powers the processor on with the configuration's EPC sections, SGX2, FLC and root key. Every
 * EPCM entry is invalid and every frame is dirty (the kernel sanitises at boot). Returns NULL with
 * errno set if memory for the EPC bookkeeping cannot be had.
 */
struct sgx_cpu *sgx_cpu_create(const struct sgxemu_config *config);
void sgx_cpu_destroy(struct sgx_cpu *cpu);

const struct sgxemu_config *sgx_cpu_config(const struct sgx_cpu *cpu);

/* EPC sections, exactly as CPUID(0x12, 2 + i) reports them. */
unsigned int sgx_cpu_nr_sections(const struct sgx_cpu *cpu);
void sgx_cpu_section(const struct sgx_cpu *cpu, unsigned int i, sgx_paddr_t *base, uint64_t *size);
/* arch_is_platform_page(): is this address inside an EPC section? */
bool sgx_cpu_is_epc(const struct sgx_cpu *cpu, sgx_paddr_t addr);

/*
 * CPUID as this processor answers it. Leaves 7 and 0x12 are emulated (honest bits only: nothing
 * that is not implemented is advertised); every other leaf is the host's. Returns true if the leaf
 * was one of the emulated ones.
 */
bool sgx_cpu_cpuid(const struct sgx_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/*
 * A power cycle (S3/S4): the caller guarantees that no leaf is in flight and no thread is in
 * enclave mode. Every EPCM entry becomes invalid, the paging key and the report KEYID change, the
 * launch-key MSRs return to their reset values, and the power-cycle counter advances.
 */
void sgx_cpu_power_cycle(struct sgx_cpu *cpu);
uint64_t sgx_cpu_power_cycles(const struct sgx_cpu *cpu);

/* --- logical processors (ENCLS) --------------------------------------------------------- */

/*
 * ENCLS runs on one of K logical processors. get/put lock one, standing in for the kernel's
 * get_cpu()/preempt_disable(): between them the LP is this thread's. sgx_cpu_get_lp picks a free
 * LP (blocking if all are taken); sgx_cpu_get_lp_id takes a specific one (tests, the launch cache).
 */
struct sgx_lp *sgx_cpu_get_lp(struct sgx_cpu *cpu);
struct sgx_lp *sgx_cpu_get_lp_id(struct sgx_cpu *cpu, unsigned int id);
void sgx_cpu_put_lp(struct sgx_lp *lp);
unsigned int sgx_lp_id(const struct sgx_lp *lp);
unsigned int sgx_cpu_nr_lps(const struct sgx_cpu *cpu);
struct sgx_cpu *sgx_lp_cpu(const struct sgx_lp *lp);

/*
 * The kernel's promise for the ENCLS it runs on this LP until sgx_cpu_put_lp: every operand that
 * is not EPC (PAGEINFO, SECINFO, PCMD, source and backing pages, SIGSTRUCT, EINITTOKEN) points
 * into its own memory, never at an address a user supplied — as the real kernel hands ENCLS only
 * kernel addresses (it copies or pins user pages first). The CPU then reads and writes those
 * operands directly instead of through process_vm_readv/writev. Without the promise (the
 * default, and what tests, fuzzers and a hypervisor's trapped guest ENCLS use) a bad pointer is
 * a #PF value, never a crash.
 */
void sgx_lp_set_kernel_operands(struct sgx_lp *lp, bool kernel_operands);

/* The details of the last ENCLS fault on this LP (valid when a wrapper returned the flag). */
const struct sgx_fault *sgx_lp_last_fault(const struct sgx_lp *lp);

/*
 * WRMSR/RDMSR on this LP. Only IA32_FEAT_CTL (read) and IA32_SGXLEPUBKEYHASH0..3 exist. Writing
 * the hash MSRs without flexible launch control is #GP, as the MSRs are locked. Returns 0 or
 * -1 with *fault set.
 */
int sgx_wrmsr(struct sgx_lp *lp, uint32_t msr, uint64_t value, struct sgx_fault *fault);
int sgx_rdmsr(struct sgx_lp *lp, uint32_t msr, uint64_t *value, struct sgx_fault *fault);

/* --- the page table --------------------------------------------------------------------- */

/*
 * The CPU's linear -> EPC translation for this process: the PTEs of ELRANGE. The kernel layer sets
 * an entry when it maps a page (fault path) and clears it when it zaps one; prot is the mapping's
 * PROT_READ/PROT_WRITE/PROT_EXEC. ENCLU operands and sgx_cpu_access() walk this table first and
 * the EPCM second, like the hardware's page walk followed by the EPCM check.
 */
void sgx_pt_set(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t frame, unsigned int prot);
void sgx_pt_clear(struct sgx_cpu *cpu, uint64_t linaddr);
/* Returns true and fills *frame and *prot if linaddr's page is mapped. */
bool sgx_pt_lookup(struct sgx_cpu *cpu, uint64_t linaddr, sgx_paddr_t *frame, unsigned int *prot);

/*
 * What the EPCM lets an enclave do at linaddr (SGX_ACCESS_* bits of enclu.h), after the page walk:
 * 0 unless the page is mapped in the CPU's page table to a valid PT_REG page at that address that
 * is not PENDING, MODIFIED or BLOCKED. The runtime gives the host PTE of the page no more than
 * this, so that native enclave code faults where the EPCM would make hardware fault.
 */
unsigned int sgx_cpu_epcm_access(struct sgx_cpu *cpu, uint64_t linaddr);

/* --- storage ---------------------------------------------------------------------------- */

/*
 * The slice holding an enclave's child pages at linear offset. The kernel takes a reference after
 * ECREATE and maps slice_fd at ELRANGE; the slice outlives SECS eviction because it is keyed by
 * the enclave's EID, which travels inside the SECS page. Returns NULL if secs is not a valid SECS.
 */
struct sgx_slice *sgx_cpu_secs_slice(struct sgx_cpu *cpu, sgx_paddr_t secs);
int sgx_slice_fd(const struct sgx_slice *slice);
uint64_t sgx_slice_size(const struct sgx_slice *slice);
void sgx_slice_put(struct sgx_slice *slice);

/*
 * Binds a frame's storage to (fd, offset) instead of the defaults above; used for virtual EPC,
 * where a guest's frames are mapped by their vEPC file offset. Unbinding (fd = -1) restores the
 * default. The frame must be invalid in the EPCM.
 */
int sgx_cpu_bind_frame_storage(struct sgx_cpu *cpu, sgx_paddr_t frame, int fd, uint64_t offset);

/* --- statistics ------------------------------------------------------------------------- */

struct sgx_cpu_stats {
	uint64_t encls[SGX_ENCLS_NR_LEAVES];
	uint64_t enclu[SGX_ENCLU_NR_LEAVES];
	uint64_t aex;
	/* EEXITs and AEXes with live XSAVE state outside XFRM, which userspace cannot hide */
	uint64_t xstate_outside_xfrm;
	uint64_t msr_writes;
	uint64_t power_cycles;
};

void sgx_cpu_get_stats(const struct sgx_cpu *cpu, struct sgx_cpu_stats *stats);

/* --- introspection (debug: the kernel layer's invariant checker, `sgxemu info`) ---------- */

/*
 * A snapshot of one EPCM entry, read without taking the page's lock (so it may be torn if a leaf
 * is changing the entry right now: call it at quiescent points). Software on real hardware
 * cannot read the EPCM; this exists so that tests can check that the kernel's bookkeeping and
 * the processor's agree.
 */
struct sgx_epcm_info {
	bool valid;
	uint8_t page_type; /* enum sgx_page_type */
	uint8_t rwx;       /* SGX_SECINFO_R | W | X */
	uint8_t state;     /* PENDING | MODIFIED | PR as in SECINFO.FLAGS, 0x40 = BLOCKED */
	sgx_paddr_t secs;  /* the owning SECS frame (0 for SECS and VA pages) */
	uint64_t linaddr;  /* ENCLAVEADDRESS (0 for SECS and VA pages) */
};

/* Returns false if addr is not in an EPC section. */
bool sgx_cpu_epcm_read(struct sgx_cpu *cpu, sgx_paddr_t addr, struct sgx_epcm_info *info);

/* --- test and fault-injection hooks ----------------------------------------------------- */

/* The next n EINITs on any LP return SGX_UNMASKED_EVENT (an interrupt in EINIT's window). */
void sgx_cpu_inject_unmasked_event(struct sgx_cpu *cpu, unsigned int n);

/*
 * Pause points inside leaves, so a test can hold a leaf while another thread races it on the same
 * page (DESIGN.md "Concurrency tests are deterministic"). A hook is called with the leaf and the
 * target frame after the leaf has taken its page locks and before it commits.
 */
typedef void (*sgx_cpu_pause_hook_t)(void *arg, unsigned int leaf_class, unsigned int leaf,
				     sgx_paddr_t frame);
#define SGX_LEAF_CLASS_ENCLS 0
#define SGX_LEAF_CLASS_ENCLU 1
void sgx_cpu_set_pause_hook(struct sgx_cpu *cpu, sgx_cpu_pause_hook_t hook, void *arg);

#endif /* SGXEMU_CPU_CPU_H */
