/* SPDX-License-Identifier: MIT */
/*
 * One typed wrapper per ENCLS leaf: the only way the kernel layer reaches the CPU's privileged
 * instructions (the model is the kernel's arch/x86/kernel/cpu/sgx/encls.h).
 *
 * Every wrapper runs on an LP the caller holds (sgx_cpu_get_lp) and returns 0, an SGX_* status
 * code, or SGX_ENCLS_FAULT_FLAG | vector with the details in sgx_lp_last_fault(lp). Leaves that
 * the SDM defines as "no status" (ECREATE, EADD, EEXTEND, EPA, EAUG, EDBGRD/WR success paths)
 * return 0 or a fault. Informational codes that set CF instead of ZF (SGX_VA_SLOT_OCCUPIED from a
 * completed EWB, SGX_BLKSTATE, SGX_NOTBLOCKABLE, SGX_PG_IS_SECS) are returned as their code and
 * sgx_lp_last_rflags(lp) tells CF from ZF.
 */
#ifndef SGXEMU_CPU_ENCLS_H
#define SGXEMU_CPU_ENCLS_H

#include "cpu/cpu.h"

#define X86_EFLAGS_CF (1ULL << 0)
#define X86_EFLAGS_PF (1ULL << 2)
#define X86_EFLAGS_AF (1ULL << 4)
#define X86_EFLAGS_ZF (1ULL << 6)
#define X86_EFLAGS_SF (1ULL << 7)
#define X86_EFLAGS_TF (1ULL << 8)
#define X86_EFLAGS_IF (1ULL << 9)
#define X86_EFLAGS_DF (1ULL << 10)
#define X86_EFLAGS_OF (1ULL << 11)

/*
 * The generic ENCLS: leaf in EAX, operands in RBX/RCX/RDX as the SDM defines them for that leaf
 * (EPC operands as sgx_paddr_t). *rbx_out receives RBX after the leaf (EDBGRD's data). Fuzzers
 * and the vEPC guest path use this; everything else uses the wrappers below.
 */
int sgx_encls(struct sgx_lp *lp, unsigned int leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx,
	      uint64_t *rbx_out);

/* RFLAGS after the last ENCLS on this LP (ZF/CF distinguish errors from informational codes). */
uint64_t sgx_lp_last_rflags(const struct sgx_lp *lp);

static inline int __ecreate(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t secs)
{
	return sgx_encls(lp, ECREATE, (uint64_t)(uintptr_t)pginfo, secs, 0, NULL);
}

static inline int __eadd(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t page)
{
	return sgx_encls(lp, EADD, (uint64_t)(uintptr_t)pginfo, page, 0, NULL);
}

/* chunk: the sgx_paddr_t of a 256-byte chunk inside an EPC page */
static inline int __eextend(struct sgx_lp *lp, sgx_paddr_t secs, sgx_paddr_t chunk)
{
	return sgx_encls(lp, EEXTEND, secs, chunk, 0, NULL);
}

static inline int __einit(struct sgx_lp *lp, const void *sigstruct, const void *token,
			  sgx_paddr_t secs)
{
	return sgx_encls(lp, EINIT, (uint64_t)(uintptr_t)sigstruct, secs,
			 (uint64_t)(uintptr_t)token, NULL);
}

static inline int __eremove(struct sgx_lp *lp, sgx_paddr_t page)
{
	return sgx_encls(lp, EREMOVE, 0, page, 0, NULL);
}

static inline int __edbgrd(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *data)
{
	return sgx_encls(lp, EDBGRD, 0, addr, 0, data);
}

static inline int __edbgwr(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t data)
{
	return sgx_encls(lp, EDBGWR, data, addr, 0, NULL);
}

static inline int __eldb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t page,
			 sgx_paddr_t va_slot)
{
	return sgx_encls(lp, ELDB, (uint64_t)(uintptr_t)pginfo, page, va_slot, NULL);
}

static inline int __eldu(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t page,
			 sgx_paddr_t va_slot)
{
	return sgx_encls(lp, ELDU, (uint64_t)(uintptr_t)pginfo, page, va_slot, NULL);
}

static inline int __eblock(struct sgx_lp *lp, sgx_paddr_t page)
{
	return sgx_encls(lp, EBLOCK, 0, page, 0, NULL);
}

static inline int __epa(struct sgx_lp *lp, sgx_paddr_t page)
{
	return sgx_encls(lp, EPA, SGX_PAGE_TYPE_VA, page, 0, NULL);
}

static inline int __ewb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t page,
			sgx_paddr_t va_slot)
{
	return sgx_encls(lp, EWB, (uint64_t)(uintptr_t)pginfo, page, va_slot, NULL);
}

static inline int __etrack(struct sgx_lp *lp, sgx_paddr_t secs)
{
	return sgx_encls(lp, ETRACK, 0, secs, 0, NULL);
}

static inline int __eaug(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, sgx_paddr_t page)
{
	return sgx_encls(lp, EAUG, (uint64_t)(uintptr_t)pginfo, page, 0, NULL);
}

static inline int __emodpr(struct sgx_lp *lp, struct sgx_secinfo *secinfo, sgx_paddr_t page)
{
	return sgx_encls(lp, EMODPR, (uint64_t)(uintptr_t)secinfo, page, 0, NULL);
}

static inline int __emodt(struct sgx_lp *lp, struct sgx_secinfo *secinfo, sgx_paddr_t page)
{
	return sgx_encls(lp, EMODT, (uint64_t)(uintptr_t)secinfo, page, 0, NULL);
}

#endif /* SGXEMU_CPU_ENCLS_H */
