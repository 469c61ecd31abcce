/* SPDX-License-Identifier: MIT */
#include "kernel/launch.h"

#include "common/log.h"
#include "cpu/encls.h"

static void sgx_write_lepubkeyhash(struct sgx_platform *platform, struct sgx_lp *lp,
				   struct sgx_launch_cache *cache, const uint64_t hash[4],
				   bool enforce)
{
	for (unsigned int i = 0; i < 4; i++) {
		struct sgx_fault fault;

		if (!enforce && cache && cache->msrs[i] == hash[i])
			continue;
		if (sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, hash[i], &fault)) {
			/* Locked MSRs (no FLC): EINIT will tell the caller. Forget what we know. */
			if (cache)
				cache->valid = false;
			return;
		}
		if (cache)
			cache->msrs[i] = hash[i];
	}
}

void sgx_update_lepubkeyhash(struct sgx_platform *platform, struct sgx_lp *lp,
			     const uint64_t hash[4])
{
	struct sgx_launch_cache *cache;
	uint64_t cycle;
	bool enforce;

	if (!platform->config.launch_cache) {
		sgx_write_lepubkeyhash(platform, lp, NULL, hash, true);
		return;
	}
	/* The LP is ours: its cache entry is too. */
	cache = &platform->launch_cache[sgx_lp_id(lp)];
	cycle = sgx_cpu_power_cycles(platform->cpu);
	enforce = !cache->valid || cache->power_cycle != cycle;
	cache->valid = true;
	cache->power_cycle = cycle;
	sgx_write_lepubkeyhash(platform, lp, cache, hash, enforce);
}

void sgx_launch_cache_invalidate(struct sgx_platform *platform, struct sgx_lp *lp)
{
	platform->launch_cache[sgx_lp_id(lp)].valid = false;
}

int sgx_launch_einit(struct sgx_platform *platform, const void *sigstruct, const void *token,
		     sgx_paddr_t secs, const uint64_t mrsigner[4])
{
	struct sgx_lp *lp;
	int ret;

	/* The LP stays ours from the MSR write to the end of EINIT (preempt_disable()). */
	lp = sgx_get_lp(platform);
	if (platform->flc)
		sgx_update_lepubkeyhash(platform, lp, mrsigner);
	if (!sgx_inject_hit(platform, EINIT, secs, &ret))
		ret = __einit(lp, sigstruct, token, secs);
	sgx_put_lp(lp);
	return ret;
}
