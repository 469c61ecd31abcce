/* SPDX-License-Identifier: MIT */
/*
 * sgx_cpu_access: what an ordinary load, store or instruction fetch by this thread would do, for
 * the runtime to classify a host fault (docs/internals.md "Page tables"). The page walk comes
 * first, as in hardware; in enclave mode the EPCM check follows (ref §2).
 */
#include "cpu/enclu_internal.h"

int sgx_cpu_access(struct sgx_tlp *tlp, uint64_t linaddr, unsigned int access,
		   struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = tlp->cpu;
	struct epcm_view v;
	uint64_t index;

	/* In enclave mode, code outside ELRANGE is never fetched: #GP, not a page fault. */
	if (tlp->enclave_mode && (access & SGX_ACCESS_EXEC) && !enclu_in_elrange(tlp, linaddr))
		return enclu_gp(fault);
	if (enclu_walk(cpu, linaddr, access, true, &index, fault))
		return -1;
	/*
	 * Outside enclave mode the EPCM is not consulted: hardware would read the abort page, we
	 * show the contents (docs/internals.md, accepted divergence).
	 */
	if (!tlp->enclave_mode)
		return 0;
	/*
	 * In enclave mode, ELRANGE must map this enclave's page at this address, and an EPC page
	 * reached through an address outside ELRANGE (another enclave's) always faults.
	 */
	epcm_read(cpu, index, &v);
	if (!enclu_in_elrange(tlp, linaddr) ||
	    !epcm_allows(&v, tlp->secs, linaddr & ~(SGX_PAGE_SIZE - 1), enclu_access_rwx(access)))
		return enclu_pf(fault, linaddr, enclu_epcm_pf_code(access));
	return 0;
}
