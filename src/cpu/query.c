/* SPDX-License-Identifier: MIT */
/* Read-only questions the runtime asks the CPU about the EPCM (see cpu.h). */
#include "cpu/cpu_internal.h"

unsigned int sgx_cpu_epcm_access(struct sgx_cpu *cpu, uint64_t linaddr)
{
	const struct sgx_epcm_entry *e;
	unsigned int prot;
	sgx_paddr_t frame;
	int64_t index;

	linaddr &= ~0xFFFULL;
	if (!sgx_pgtable_walk(cpu, linaddr, &frame, &prot))
		return 0;
	index = sgx_frame_index(cpu, frame);
	if (index < 0)
		return 0;
	e = sgx_epcm(cpu, (uint64_t)index);
	if (!__atomic_load_n(&e->valid, __ATOMIC_ACQUIRE) || e->page_type != SGX_PAGE_TYPE_REG ||
	    e->linaddr != linaddr)
		return 0;
	if (e->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED | SGX_EPCM_BLOCKED))
		return 0;
	/* SECINFO's R/W/X bits are SGX_ACCESS_READ/WRITE/EXEC. */
	return e->rwx & (SGX_ACCESS_READ | SGX_ACCESS_WRITE | SGX_ACCESS_EXEC);
}
