/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD and EDBGWR (ref §3): a debugger's 8-byte window into a debug enclave's pages. 64-bit mode
 * only, so the access is always 8 bytes at an 8-aligned address.
 */
#include <string.h>

#include "cpu/cpu_internal.h"

/* Bytes of a TCS that EDBGRD may read: the architectural fields, up to the reserved area. */
#define TCS_ARCH_SIZE offsetof(struct sgx_tcs, reserved)

/*
 * The checks the two leaves share, with the page held shared ("no EPCM-modifying leaf at the
 * same time"). Returns 0 with the page locked, or the leaf's answer with it unlocked.
 */
static int debug_access(struct sgx_lp *lp, sgx_paddr_t addr, bool write, uint64_t *index_out)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_epcm_entry *e;
	uint64_t index, offset = addr & (SGX_PAGE_SIZE - 1) & ~7ULL;
	int ret;

	if (addr & 7)
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, addr, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_shared(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (!e->valid) {
		ret = sgx_encls_epcm_pf(lp, addr, write);
		goto fail;
	}
	switch (e->page_type) {
	case SGX_PAGE_TYPE_REG:
	case SGX_PAGE_TYPE_TCS:
		break;
	case SGX_PAGE_TYPE_VA:
		if (!write)
			break;
		/* fall through */
	default:
		ret = sgx_encls_epcm_pf(lp, addr, write);
		goto fail;
	}
	if (e->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED)) {
		ret = sgx_encls_status(lp, SGX_PAGE_NOT_DEBUGGABLE, false);
		goto fail;
	}
	if (e->page_type == SGX_PAGE_TYPE_TCS) {
		/* A debugger reads the architectural fields and writes only FLAGS (DBGOPTIN). */
		if (write ? offset != offsetof(struct sgx_tcs, flags) : offset >= TCS_ARCH_SIZE) {
			ret = sgx_encls_gp(lp);
			goto fail;
		}
	}
	if (e->page_type != SGX_PAGE_TYPE_VA &&
	    !(sgx_secs_page(cpu, sgx_child_secs_index(cpu, e))->attributes.flags &
	      SGX_ATTR_DEBUG)) {
		ret = sgx_encls_gp(lp);
		goto fail;
	}
	*index_out = index;
	return 0;
fail:
	sgx_page_unlock_shared(cpu, index);
	return ret;
}

int sgx_edbgrd(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *data)
{
	struct sgx_cpu *cpu = lp->cpu;
	uint64_t index, value;
	int ret;

	ret = debug_access(lp, addr, false, &index);
	if (ret)
		return ret;
	memcpy(&value, sgx_frame_kva(cpu, index) + (addr & (SGX_PAGE_SIZE - 1)), sizeof(value));
	/* A VA slot's version is never revealed: all-ones if the slot is in use, else 0. */
	if (sgx_epcm(cpu, index)->page_type == SGX_PAGE_TYPE_VA)
		value = value ? ~0ULL : 0;
	*data = value;
	sgx_page_unlock_shared(cpu, index);
	return 0;
}

int sgx_edbgwr(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t data)
{
	struct sgx_cpu *cpu = lp->cpu;
	uint64_t index;
	int ret;

	ret = debug_access(lp, addr, true, &index);
	if (ret)
		return ret;
	memcpy(sgx_frame_kva(cpu, index) + (addr & (SGX_PAGE_SIZE - 1)), &data, sizeof(data));
	sgx_frame_touch(cpu, index);
	sgx_page_unlock_shared(cpu, index);
	return 0;
}
