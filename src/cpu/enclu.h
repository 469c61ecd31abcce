/* SPDX-License-Identifier: MIT */
/*
 * ENCLU and the enclave-mode state machine as functions over an explicit register file and
 * XSAVE image. The runtime drives them natively: it turns a trapped `enclu` (SIGILL/SIGSEGV) or
 * an exception in enclave mode into one of these calls and writes the registers back into the
 * interrupted context.
 *
 * Every host thread that enters an enclave is one logical processor for ENCLU: a struct sgx_tlp,
 * which the runtime embeds in its per-thread record (allocated up front, so that the signal path
 * never allocates). None of these functions takes a blocking lock or touches TLS, and their stack
 * frames are small: they run inside signal handlers on sgxemu's alternate stack. The only
 * allocation is OpenSSL's CMAC context in EREPORT and EGETKEY, synchronous traps of enclave code,
 * which holds no malloc or OpenSSL lock.
 *
 * Not implemented, hence not advertised in CPUID: AEX-Notify (TCS.FLAGS bit 1 is reserved, so
 * EENTER/ERESUME #GP on it), EDECCSSA and EVERIFYREPORT2 (undefined leaves: #GP), CET. A 64-bit
 * process only runs 64-bit enclaves: EENTER of a MODE64BIT = 0 enclave is #GP.
 */
#ifndef SGXEMU_CPU_ENCLU_H
#define SGXEMU_CPU_ENCLU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* The first 18 fields are in GPRSGX order, so the SSA's GPR area maps onto them. */
struct sgx_regs {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t rip;
	uint64_t fsbase;
	uint64_t gsbase;
};

/*
 * The interrupted thread's extended state: a standard-format (non-compacted) XSAVE image, as the
 * kernel puts it in a signal frame (uc_mcontext.fpregs), with `size` valid bytes and the host's
 * XCR0. An image of only the 512-byte legacy area is allowed (no XSAVE header then).
 */
struct sgx_xstate {
	uint8_t *area;
	uint32_t size;
	uint64_t xcr0;
};

/* What happened in enclave mode that causes an AEX. */
struct sgx_exception {
	bool reported;	/* false for interrupts/signals: EXITINFO.VALID = 0 */
	uint8_t vector; /* X86_TRAP_* */
	uint8_t type;	/* SGX_EXITINFO_TYPE_HW or _SW (INT3/INTO) */
	uint32_t error_code;
	uint64_t addr; /* #PF: the faulting linear address (CR2) */
};

/* The largest XSAVE area an SSA frame can hold here (AMX's standard format ends at 11008). */
#define SGX_SSA_XSAVE_MAX_PAGES 4

/* One logical processor for ENCLU: the enclave-mode state of one host thread. */
struct sgx_tlp {
	struct sgx_cpu *cpu;
	bool enclave_mode;
	sgx_paddr_t secs; /* CR_ACTIVE_SECS */
	uint64_t base;	  /* CR_ELRANGE */
	uint64_t size;
	uint64_t tcs_la; /* CR_TCS_LA */
	sgx_paddr_t tcs_pa;
	uint64_t aep;	       /* RCX at EENTER/ERESUME, as written to TCS.AEP */
	uint64_t entry_epoch;  /* epoch of the SECS at EENTER/ERESUME (ref §7.4) */
	uint64_t saved_tf;     /* CR_SAVE_TF for opt-out entries */
	uint64_t saved_fsbase; /* CR_SAVE_FS: the host's FS/GS bases at EENTER/ERESUME */
	uint64_t saved_gsbase;
	uint64_t host_xcr0; /* CR_SAVE_XCR0 */
	/* Emulator-only: the SSA frame in use, cached at entry (CR_GPR_PA and friends). */
	uint64_t ssa_frame_la;
	/*
	 * Its pages in the CPU's view of EPC storage, cached when EENTER/ERESUME validated them, as
	 * hardware caches CR_XSAVE_PAGE_n and CR_GPR_PA: the AEX path neither walks the page table
	 * (the kernel may have zapped the PTEs since) nor can fault.
	 */
	uint8_t *ssa_xsave_kva[SGX_SSA_XSAVE_MAX_PAGES];
	struct sgx_gprsgx *ssa_gpr;
	uint32_t ssa_xsave_size;
	/* The current enclave's SECS fields the exits need (immutable after EINIT). */
	uint64_t xfrm;
	uint32_t miscselect;
	bool dbgoptin; /* CR_DBGOPTIN: TCS.FLAGS.DBGOPTIN at entry */
};

void sgx_tlp_init(struct sgx_tlp *tlp, struct sgx_cpu *cpu);

/*
 * Executes the ENCLU at regs->rip with leaf EAX on this thread. xs is the thread's extended
 * state: EENTER and ERESUME need it (XCR0, and ERESUME's XRSTOR into the image); EEXIT only looks
 * for live state outside XFRM and the other leaves ignore it, so those accept NULL. On success
 * returns 0 and the registers hold the architectural result: EENTER/ERESUME leave RIP inside the
 * enclave (and the FS/GS bases the enclave gets), EEXIT leaves RIP = RBX outside with the FS/GS
 * bases saved at entry restored, other leaves advance RIP by 3 (the length of ENCLU). On a fault
 * returns -1 with *fault filled and the registers (and xs) unchanged; the runtime then raises it
 * (in enclave mode: AEX first).
 */
int sgx_enclu(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	      struct sgx_fault *fault);

/*
 * Asynchronous exit: `ex` happened at regs while in enclave mode. Saves GPRs, RIP, RFLAGS, FS/GS
 * base and the XFRM components into the current SSA frame, writes EXITINFO (and EXINFO if
 * MISCSELECT asks), loads the synthetic state (RAX = ERESUME, RBX = TCS, RCX = RIP = AEP, URSP/URBP,
 * zeros, XFRM state to INIT), CSSA++, and leaves enclave mode. For #PF the address the OS sees has
 * its page offset cleared, as the CPU does (sgx_aex_fault_addr). xs must not be NULL. Cannot fail:
 * it writes through the SSA pages cached when EENTER/ERESUME validated them. Outside enclave mode
 * it does nothing.
 *
 * ex->type may be left 0: #BP (INT3) is then reported as a software exception, everything else
 * as a hardware one. After an AEX for #MF/#XM the synthetic x87/SSE state keeps the exception
 * pending (FCW 0x037E, FSW 0x8081 / MXCSR 0x1F01), as the SDM's synthetic-state table says.
 */
void sgx_aex(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	     const struct sgx_exception *ex);

/*
 * The address the OS sees for an exception that caused an AEX (CR2 for #PF): the page offset is
 * cleared so that the enclave's access pattern inside a page does not leak; EXINFO.MADDR in the
 * SSA keeps the full address for the enclave itself. The runtime reports this one (si_addr).
 */
static inline uint64_t sgx_aex_fault_addr(const struct sgx_exception *ex)
{
	return ex->vector == X86_TRAP_PF ? ex->addr & ~0xFFFULL : ex->addr;
}

/* Access types for sgx_cpu_access. */
#define SGX_ACCESS_READ 0x1
#define SGX_ACCESS_WRITE 0x2
#define SGX_ACCESS_EXEC 0x4

/*
 * What this thread's access to linaddr would do: the page walk in the CPU's page table, then, in
 * enclave mode inside ELRANGE, the EPCM check. Returns 0 if the access is allowed, or -1 with
 * *fault set to the #PF the hardware would raise: not present (error code without P), a paging
 * permission fault (P set), or an EPCM fault (X86_PF_SGX set). In enclave mode an instruction
 * fetch outside ELRANGE is #GP instead, and an EPC page reached through an address outside ELRANGE
 * is an EPCM fault. Addresses this table does not map (ordinary host memory) are "not present":
 * only ELRANGE faults should be asked about. The runtime uses it to classify a host fault.
 */
int sgx_cpu_access(struct sgx_tlp *tlp, uint64_t linaddr, unsigned int access,
		   struct sgx_fault *fault);

#endif /* SGXEMU_CPU_ENCLU_H */
