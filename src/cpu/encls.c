/* SPDX-License-Identifier: MIT */
/*
 * ENCLS: the common prologue of ref §0 and the dispatch on EAX, plus the helpers every leaf uses
 * to answer with a status code or a fault.
 *
 * The prologue's #UD and #GP conditions that concern CPU modes (CR0.PE, RFLAGS.VM, SMM, CPL,
 * CR0.PG) cannot arise here: ENCLS is only reachable as a function call from the kernel layer,
 * which is CPL0 in 64-bit paging mode by construction. IA32_FEAT_CTL is always locked with SGX
 * enabled (lp.c), so its #GP cannot arise either. What remains is the leaf number and the SGX2
 * feature bit.
 */
#include <errno.h>
#include <string.h>

#include "common/uaccess.h"
#include "cpu/cpu_internal.h"

uint64_t sgx_lp_last_rflags(const struct sgx_lp *lp)
{
	return lp->rflags;
}

static int encls_fault(struct sgx_lp *lp, uint8_t vector, uint32_t error_code, uint64_t addr)
{
	lp->fault.vector = vector;
	lp->fault.error_code = error_code;
	lp->fault.addr = addr;
	return SGX_ENCLS_FAULT_FLAG | vector;
}

int sgx_encls_gp(struct sgx_lp *lp)
{
	return encls_fault(lp, X86_TRAP_GP, 0, 0);
}

static int sgx_encls_ud(struct sgx_lp *lp)
{
	return encls_fault(lp, X86_TRAP_UD, 0, 0);
}

int sgx_encls_pf(struct sgx_lp *lp, uint64_t addr, uint32_t error_code)
{
	return encls_fault(lp, X86_TRAP_PF, error_code, addr);
}

int sgx_encls_epcm_pf(struct sgx_lp *lp, sgx_paddr_t addr, bool write)
{
	return sgx_encls_pf(lp, addr, X86_PF_PROT | X86_PF_SGX | (write ? X86_PF_WRITE : 0));
}

/*
 * The first byte of [addr, addr + n) that cannot be accessed: where the hardware would have taken
 * the #PF (CR2). Only called after a copy failed, so one byte in the range does fault.
 */
static uint64_t first_bad_byte(uint64_t addr, size_t n, bool write)
{
	uint64_t page = addr & ~(SGX_PAGE_SIZE - 1);
	uint8_t byte;

	for (; page < addr + n; page += SGX_PAGE_SIZE) {
		uint64_t probe = page < addr ? addr : page;

		if (sgx_copy_from_user(&byte, probe, 1))
			return probe;
		if (write && sgx_copy_to_user(probe, &byte, 1))
			return probe;
	}
	return addr;
}

int sgx_encls_read(struct sgx_lp *lp, void *dst, uint64_t src, size_t n)
{
	if (lp->kernel_operands) {
		memcpy(dst, (const void *)(uintptr_t)src, n);
		return 0;
	}
	if (!sgx_copy_from_user(dst, src, n))
		return 0;
	return sgx_encls_pf(lp, first_bad_byte(src, n, false), 0);
}

int sgx_encls_write(struct sgx_lp *lp, uint64_t dst, const void *src, size_t n)
{
	uint32_t error_code = X86_PF_WRITE;
	uint64_t bad;
	uint8_t byte;

	if (lp->kernel_operands) {
		memcpy((void *)(uintptr_t)dst, src, n);
		return 0;
	}
	if (!sgx_copy_to_user(dst, src, n))
		return 0;
	bad = first_bad_byte(dst, n, true);
	/* P is set if the page is there (readable) but not writable. */
	if (!sgx_copy_from_user(&byte, bad, 1))
		error_code |= X86_PF_PROT;
	return sgx_encls_pf(lp, bad, error_code);
}

int sgx_encls_read_vec(struct sgx_lp *lp, const struct sgx_uiov *iov, unsigned int nr)
{
	if (!lp->kernel_operands)
		return sgx_copy_from_user_vec(iov, nr) ? -1 : 0;
	for (unsigned int i = 0; i < nr; i++)
		memcpy(iov[i].kaddr, (const void *)(uintptr_t)iov[i].uaddr, iov[i].n);
	return 0;
}

int sgx_encls_write_vec(struct sgx_lp *lp, const struct sgx_uiov *iov, unsigned int nr)
{
	if (!lp->kernel_operands)
		return sgx_copy_to_user_vec(iov, nr) ? -1 : 0;
	for (unsigned int i = 0; i < nr; i++)
		memcpy((void *)(uintptr_t)iov[i].uaddr, iov[i].kaddr, iov[i].n);
	return 0;
}

int sgx_encls_status(struct sgx_lp *lp, int code, bool carry)
{
	if (code)
		lp->rflags |= carry ? X86_EFLAGS_CF : X86_EFLAGS_ZF;
	return code;
}

int sgx_encls_epc(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *index)
{
	int64_t i = sgx_frame_index(lp->cpu, addr);

	if (i < 0)
		return sgx_encls_epcm_pf(lp, addr, false);
	*index = (uint64_t)i;
	return 0;
}

bool sgx_secinfo_reserved_set(const struct sgx_secinfo *secinfo)
{
	static const uint8_t zero[sizeof(secinfo->reserved)];

	if (secinfo->flags & (SGX_SECINFO_RESERVED_MASK | SGX_SECINFO_PENDING |
			      SGX_SECINFO_MODIFIED | SGX_SECINFO_PR))
		return true;
	return memcmp(secinfo->reserved, zero, sizeof(zero)) != 0;
}

static bool is_sgx2_leaf(unsigned int leaf)
{
	return leaf == EAUG || leaf == EMODPR || leaf == EMODT;
}

int sgx_encls(struct sgx_lp *lp, unsigned int leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx,
	      uint64_t *rbx_out)
{
	struct sgx_cpu *cpu = lp->cpu;
	uint64_t data = 0;
	int ret;

	/* Status-returning leaves clear CF, PF, AF, OF, SF and ZF before setting their answer. */
	lp->rflags = 0;
	memset(&lp->fault, 0, sizeof(lp->fault));

	/* ERDINFO, ETRACKC, ELDBC/ELDUC (0x10-0x13) are not implemented (CPUID.12H.0:EAX[6] = 0). */
	if (leaf >= SGX_ENCLS_NR_LEAVES)
		return sgx_encls_gp(lp);
	sgx_stat_inc(&cpu->stats.encls[leaf]);
	if (is_sgx2_leaf(leaf) && !cpu->config.sgx2)
		return sgx_encls_ud(lp);

	switch (leaf) {
	case ECREATE:
		return sgx_ecreate(lp, rbx, rcx);
	case EADD:
		return sgx_eadd(lp, rbx, rcx);
	case EINIT:
		return sgx_einit(lp, rbx, rcx, rdx);
	case EREMOVE:
		return sgx_eremove(lp, rcx);
	case EDBGRD:
		ret = sgx_edbgrd(lp, rcx, &data);
		if (!ret && rbx_out)
			*rbx_out = data;
		return ret;
	case EDBGWR:
		return sgx_edbgwr(lp, rcx, rbx);
	case EEXTEND:
		return sgx_eextend(lp, rbx, rcx);
	case ELDB:
		return sgx_eldx(lp, rbx, rcx, rdx, true);
	case ELDU:
		return sgx_eldx(lp, rbx, rcx, rdx, false);
	case EBLOCK:
		return sgx_eblock(lp, rcx);
	case EPA:
		return sgx_epa(lp, rbx, rcx);
	case EWB:
		return sgx_ewb(lp, rbx, rcx, rdx);
	case ETRACK:
		return sgx_etrack(lp, rcx);
	case EAUG:
		return sgx_eaug(lp, rbx, rcx);
	case EMODPR:
		return sgx_emodpr(lp, rbx, rcx);
	case EMODT:
		return sgx_emodt(lp, rbx, rcx);
	}
	return sgx_encls_gp(lp);
}
