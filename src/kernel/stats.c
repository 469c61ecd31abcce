// SPDX-License-Identifier: MIT
/* sgxemu_stats(): the public view of sgx_platform_get_stats() for the process's platform. */
#include <errno.h>
#include <string.h>

#include <sgxemu/sgxemu.h>

#include "kernel/sgx.h"

_Static_assert(sizeof(((struct sgxemu_stats *)0)->encls) / sizeof(uint64_t) == SGX_ENCLS_NR_LEAVES,
	       "ENCLS leaves");
_Static_assert(sizeof(((struct sgxemu_stats *)0)->enclu) / sizeof(uint64_t) == SGX_ENCLU_NR_LEAVES,
	       "ENCLU leaves");

__attribute__((visibility("default"))) int sgxemu_stats(struct sgxemu_stats *out)
{
	struct sgx_platform *platform = sgx_default_platform();
	struct sgx_platform_stats s;

	if (!platform) {
		errno = ENODEV;
		return -1;
	}
	sgx_platform_get_stats(platform, &s);
	memset(out, 0, sizeof(*out));
	out->nr_sections = s.nr_sections;
	out->nr_enclaves = s.nr_enclaves;
	out->epc_pages = s.total_pages;
	out->epc_free_pages = s.free_pages;
	out->epc_leaked_pages = s.leaked_pages;
	out->enclave_pages = s.encl_pages;
	out->va_pages = s.va_pages;
	out->evicted_pages = s.evicted_pages;
	out->pages_evicted = s.reclaim.evicted;
	out->pages_loaded = s.reclaim.loaded;
	out->secs_evicted = s.reclaim.secs_evicted;
	out->secs_loaded = s.reclaim.secs_loaded;
	out->forced_aex = s.reclaim.kicks;
	out->aex = s.cpu.aex;
	memcpy(out->encls, s.cpu.encls, sizeof(out->encls));
	memcpy(out->enclu, s.cpu.enclu, sizeof(out->enclu));
	out->epc_poisoned_pages = s.poisoned_pages;
	out->power_cycles = s.cpu.power_cycles;
	out->nr_vepcs = s.nr_vepcs;
	out->vepc_pages = s.vepc_pages;
	return 0;
}
