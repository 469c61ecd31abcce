/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the ENCLU files (enclu*.c, access.c) and nothing else: faults as values,
 * the operand walk (page table first, EPCM second), a consistent read of an EPCM entry, and the
 * XSAVE image <-> SSA transfers.
 *
 * Everything here runs inside the runtime's signal handlers: no allocation, no blocking lock, no
 * TLS, small stack frames.
 */
#ifndef SGXEMU_CPU_ENCLU_INTERNAL_H
#define SGXEMU_CPU_ENCLU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu_internal.h"

#define ENCLU_INSN_LEN 3 /* 0f 01 d7 */

/* --- faults -------------------------------------------------------------------------------- */

static inline int enclu_gp(struct sgx_fault *fault)
{
	fault->vector = X86_TRAP_GP;
	fault->error_code = 0;
	fault->addr = 0;
	return -1;
}

static inline int enclu_ud(struct sgx_fault *fault)
{
	fault->vector = X86_TRAP_UD;
	fault->error_code = 0;
	fault->addr = 0;
	return -1;
}

/* #PF at addr. ENCLU runs at CPL3, so U/S is always set. */
static inline int enclu_pf(struct sgx_fault *fault, uint64_t addr, uint32_t error_code)
{
	fault->vector = X86_TRAP_PF;
	fault->error_code = error_code | X86_PF_USER;
	fault->addr = addr;
	return -1;
}

static inline bool enclu_canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

static inline bool enclu_in_elrange(const struct sgx_tlp *tlp, uint64_t la)
{
	return la >= tlp->base && la - tlp->base < tlp->size;
}

/* --- EPCM ---------------------------------------------------------------------------------- */

/*
 * One EPCM entry read field by field with atomic loads: ENCLS leaves on other threads may be
 * changing it (EBLOCK, EMODPR...), and a leaf decides on one snapshot, as hardware reads the
 * entry once per check.
 */
struct epcm_view {
	bool valid;
	uint8_t page_type;
	uint8_t rwx;
	uint8_t state;
	sgx_paddr_t secs;
	uint64_t linaddr;
	uint64_t bepoch;
};

static inline void epcm_read(struct sgx_cpu *cpu, uint64_t index, struct epcm_view *v)
{
	struct sgx_epcm_entry *e = sgx_epcm(cpu, index);

	v->valid = __atomic_load_n(&e->valid, __ATOMIC_ACQUIRE);
	v->page_type = __atomic_load_n(&e->page_type, __ATOMIC_RELAXED);
	v->rwx = __atomic_load_n(&e->rwx, __ATOMIC_RELAXED);
	v->state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
	v->secs = __atomic_load_n(&e->secs, __ATOMIC_RELAXED);
	v->linaddr = __atomic_load_n(&e->linaddr, __ATOMIC_RELAXED);
	v->bepoch = __atomic_load_n(&e->bepoch, __ATOMIC_RELAXED);
}

/*
 * The enclave-mode access rule of ref §2 for a page that software reads or writes: VALID, PT_REG,
 * owned by the current enclave at this linear address, not BLOCKED/PENDING/MODIFIED, and the
 * EPCM permissions allow the access (SGX_SECINFO_R|W|X bits in need).
 */
static inline bool epcm_allows(const struct epcm_view *v, sgx_paddr_t secs, uint64_t page,
			       unsigned int need)
{
	return v->valid && v->page_type == SGX_PAGE_TYPE_REG && v->secs == secs &&
	       v->linaddr == page &&
	       !(v->state & (SGX_EPCM_BLOCKED | SGX_EPCM_PENDING | SGX_EPCM_MODIFIED)) &&
	       (v->rwx & need) == need;
}

/* --- operands ------------------------------------------------------------------------------ */

/*
 * The page walk for a linear address: not present (or PROT_NONE, which x86 Linux maps
 * non-present) is #PF without P; present without the permission for `access` (SGX_ACCESS_*) is
 * #PF with P. On success *index is the frame's EPCM index. `check_perm` false asks only whether
 * the address resolves to EPC, as the leaves do for operands they do not read or write as data
 * (TCS, EACCEPT's target).
 */
int enclu_walk(struct sgx_cpu *cpu, uint64_t la, unsigned int access, bool check_perm,
	       uint64_t *index, struct sgx_fault *fault);

/* The #PF error code of an EPCM-induced fault for this kind of access. */
static inline uint32_t enclu_epcm_pf_code(unsigned int access)
{
	return X86_PF_PROT | X86_PF_SGX | ((access & SGX_ACCESS_WRITE) ? X86_PF_WRITE : 0) |
	       ((access & SGX_ACCESS_EXEC) ? X86_PF_INSTR : 0);
}

/* SGX_ACCESS_* to the EPCM permission bits it needs. */
static inline unsigned int enclu_access_rwx(unsigned int access)
{
	return ((access & SGX_ACCESS_READ) ? SGX_SECINFO_R : 0) |
	       ((access & SGX_ACCESS_WRITE) ? SGX_SECINFO_W : 0) |
	       ((access & SGX_ACCESS_EXEC) ? SGX_SECINFO_X : 0);
}

/* EPCM check of an already-walked data operand (#PF with SGX at the operand's address). */
int enclu_epcm_check(struct sgx_tlp *tlp, uint64_t la, uint64_t index, unsigned int access,
		     struct sgx_fault *fault);

/* The bytes at la inside a valid frame, in the CPU's view of its storage. */
static inline uint8_t *enclu_kva(struct sgx_cpu *cpu, uint64_t index, uint64_t la)
{
	return cpu->frames[index].kva + (la & (SGX_PAGE_SIZE - 1));
}

/* The current enclave's SECS frame index (valid while this LP is inside). */
static inline uint64_t enclu_secs_index(const struct sgx_tlp *tlp)
{
	return (uint64_t)sgx_frame_index(tlp->cpu, tlp->secs);
}

/* Status-returning leaves: RAX = code, ZF = (code != 0); CF PF AF OF SF cleared. */
static inline void enclu_status(struct sgx_regs *regs, int code)
{
	regs->rflags &= ~(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF |
			  X86_EFLAGS_SF | X86_EFLAGS_OF);
	if (code)
		regs->rflags |= X86_EFLAGS_ZF;
	regs->rax = (uint64_t)code;
}

/* --- leaves -------------------------------------------------------------------------------- */

int sgx_eenter(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	       struct sgx_fault *fault);
int sgx_eresume(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
		struct sgx_fault *fault);
int sgx_eexit(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	      struct sgx_fault *fault);
int sgx_ereport(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault);
int sgx_egetkey(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault);
int sgx_eaccept(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault);
int sgx_eacceptcopy(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault);
int sgx_emodpe(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault);

/* --- XSAVE (enclu_xsave.c) ----------------------------------------------------------------- */

/* The SSA frame's pages in the CPU's view: what hardware caches as CR_XSAVE_PAGE_n/CR_GPR_PA. */
struct enclu_ssa {
	uint8_t *xsave[SGX_SSA_XSAVE_MAX_PAGES];
	struct sgx_gprsgx *gpr;
	uint32_t xsave_size;
};

/* AEX: the XFRM components of the image into the SSA's XSAVE area (ref §8.3 step 2). */
void enclu_xsave_to_ssa(struct sgx_cpu *cpu, const struct sgx_xstate *xs, uint64_t xfrm,
			const struct enclu_ssa *ssa);
/* AEX: the image's XFRM components to their synthetic state (INIT, or the #MF/#XM variants). */
void enclu_xstate_synthetic(struct sgx_cpu *cpu, struct sgx_xstate *xs, uint64_t xfrm,
			    uint8_t vector);
/* ERESUME: would XRSTOR accept the SSA's XSAVE area? */
bool enclu_ssa_xsave_valid(const struct enclu_ssa *ssa, uint64_t xfrm);
/* ERESUME: the SSA's XFRM components into the image (after enclu_ssa_xsave_valid). */
void enclu_ssa_to_xstate(struct sgx_cpu *cpu, const struct enclu_ssa *ssa, uint64_t xfrm,
			 struct sgx_xstate *xs);
/* Components outside XFRM that are not in their init state in the image (XSTATE_BV bits). */
uint64_t enclu_xstate_outside_xfrm(const struct sgx_xstate *xs, uint64_t xfrm);
/* Counts and reports (once) non-init state outside XFRM at an exit; see enclu_xsave.c. */
void enclu_note_outside_xfrm(struct sgx_cpu *cpu, const struct sgx_xstate *xs, uint64_t xfrm);

#endif /* SGXEMU_CPU_ENCLU_INTERNAL_H */
