/* SPDX-License-Identifier: MIT */
/*
 * Read-only views of the processor's state for checkers (cpu.h "introspection"). Nothing here
 * changes state or takes a leaf's locks.
 */
#include "cpu/cpu_internal.h"

bool sgx_cpu_epcm_read(struct sgx_cpu *cpu, sgx_paddr_t addr, struct sgx_epcm_info *info)
{
	const struct sgx_epcm_entry *entry;
	int64_t index = sgx_frame_index(cpu, addr);

	if (index < 0)
		return false;
	entry = sgx_epcm(cpu, (uint64_t)index);
	info->valid = __atomic_load_n(&entry->valid, __ATOMIC_ACQUIRE);
	info->page_type = __atomic_load_n(&entry->page_type, __ATOMIC_RELAXED);
	info->rwx = __atomic_load_n(&entry->rwx, __ATOMIC_RELAXED);
	info->state = __atomic_load_n(&entry->state, __ATOMIC_RELAXED);
	info->secs = __atomic_load_n(&entry->secs, __ATOMIC_RELAXED);
	info->linaddr = __atomic_load_n(&entry->linaddr, __ATOMIC_RELAXED);
	return true;
}
