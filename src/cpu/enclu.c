/* SPDX-License-Identifier: MIT */
/*
 * ENCLU: the common prologue of ref §0 and the dispatch to the leaves, plus the operand walk every
 * leaf shares (page table first, EPCM second, as the hardware's page walk is followed by the EPCM
 * check).
 *
 * Leaves work on a copy of the register file and the caller's copy is written only on success, so
 * that a fault leaves the registers exactly as they were (the runtime then raises it, with an AEX
 * first in enclave mode).
 */
#include <string.h>
#include <sys/mman.h>

#include "cpu/enclu_internal.h"

void sgx_tlp_init(struct sgx_tlp *tlp, struct sgx_cpu *cpu)
{
	memset(tlp, 0, sizeof(*tlp));
	tlp->cpu = cpu;
	sgx_keys_init();
}

int enclu_walk(struct sgx_cpu *cpu, uint64_t la, unsigned int access, bool check_perm,
	       uint64_t *index, struct sgx_fault *fault)
{
	uint32_t ec = ((access & SGX_ACCESS_WRITE) ? X86_PF_WRITE : 0) |
		      ((access & SGX_ACCESS_EXEC) ? X86_PF_INSTR : 0);
	sgx_paddr_t frame;
	unsigned int prot;
	int64_t i;

	if (!sgx_pt_lookup(cpu, la, &frame, &prot) ||
	    !(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return enclu_pf(fault, la, ec);
	if (check_perm && (((access & SGX_ACCESS_WRITE) && !(prot & PROT_WRITE)) ||
			   ((access & SGX_ACCESS_EXEC) && !(prot & PROT_EXEC))))
		return enclu_pf(fault, la, ec | X86_PF_PROT);
	i = sgx_frame_index(cpu, frame);
	if (i < 0) /* the table only ever maps EPC; anything else is an EPCM miss */
		return enclu_pf(fault, la, ec | X86_PF_PROT | X86_PF_SGX);
	*index = (uint64_t)i;
	return 0;
}

int enclu_epcm_check(struct sgx_tlp *tlp, uint64_t la, uint64_t index, unsigned int access,
		     struct sgx_fault *fault)
{
	struct epcm_view v;

	epcm_read(tlp->cpu, index, &v);
	if (!epcm_allows(&v, tlp->secs, la & ~(SGX_PAGE_SIZE - 1), enclu_access_rwx(access)))
		return enclu_pf(fault, la, enclu_epcm_pf_code(access));
	return 0;
}

static bool leaf_is_sgx2(unsigned int leaf)
{
	return leaf == EACCEPT || leaf == EMODPE || leaf == EACCEPTCOPY;
}

static bool leaf_needs_enclave_mode(unsigned int leaf)
{
	return leaf != EENTER && leaf != ERESUME;
}

int sgx_enclu(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_xstate *xs,
	      struct sgx_fault *fault)
{
	unsigned int leaf = (uint32_t)regs->rax; /* upper half of RAX ignored in 64-bit mode */
	struct sgx_regs r = *regs;
	int ret;

	/*
	 * The prologue in the SDM's order: an instruction the CPU does not have is #UD before
	 * anything else; an undefined leaf (EVERIFYREPORT2 and EDECCSSA included: not implemented,
	 * not advertised) is #GP; then the enclave-mode rules.
	 */
	if (leaf_is_sgx2(leaf) && !tlp->cpu->config.sgx2)
		return enclu_ud(fault);
	if (leaf >= SGX_ENCLU_NR_LEAVES)
		return enclu_gp(fault);
	if (tlp->enclave_mode != leaf_needs_enclave_mode(leaf))
		return enclu_gp(fault);

	sgx_stat_inc(&tlp->cpu->stats.enclu[leaf]);
	switch (leaf) {
	case EENTER:
		ret = sgx_eenter(tlp, &r, xs, fault);
		break;
	case ERESUME:
		ret = sgx_eresume(tlp, &r, xs, fault);
		break;
	case EEXIT:
		ret = sgx_eexit(tlp, &r, xs, fault);
		break;
	case EREPORT:
		ret = sgx_ereport(tlp, &r, fault);
		break;
	case EGETKEY:
		ret = sgx_egetkey(tlp, &r, fault);
		break;
	case EACCEPT:
		ret = sgx_eaccept(tlp, &r, fault);
		break;
	case EMODPE:
		ret = sgx_emodpe(tlp, &r, fault);
		break;
	case EACCEPTCOPY:
		ret = sgx_eacceptcopy(tlp, &r, fault);
		break;
	default:
		return enclu_gp(fault);
	}
	if (ret)
		return ret;
	/* Leaves that do not transfer control continue after the ENCLU. */
	if (leaf != EENTER && leaf != ERESUME && leaf != EEXIT)
		r.rip += ENCLU_INSN_LEN;
	*regs = r;
	return 0;
}
