/* SPDX-License-Identifier: MIT */
/*
 * ENCLS fault injection for tests: make a leaf that the kernel layer calls "return" a chosen
 * value on chosen frames, without running it. This is how the failures that real hardware only
 * produces under bugs or rare timing are reached (EREMOVE failing at teardown, EPA faulting,
 * EEXTEND faulting mid-page).
 */
#include <errno.h>

#include "kernel/sgx.h"

int sgx_inject_encls(struct sgx_platform *platform, unsigned int leaf, sgx_paddr_t frame, int ret,
		     unsigned int count)
{
	struct sgx_inject_state *inject = &platform->inject;
	int err = 0;

	pthread_mutex_lock(&inject->lock);
	if (inject->nr_rules == SGX_INJECT_MAX) {
		err = -ENOSPC;
	} else {
		inject->rules[inject->nr_rules] = (struct sgx_inject_rule){
			.leaf = leaf,
			.frame = frame == SGX_INJECT_ANY_FRAME ? frame : frame & ~0xFFFULL,
			.ret = ret,
			.count = count,
		};
		__atomic_store_n(&inject->nr_rules, inject->nr_rules + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&inject->lock);
	return err;
}

void sgx_inject_clear(struct sgx_platform *platform)
{
	pthread_mutex_lock(&platform->inject.lock);
	__atomic_store_n(&platform->inject.nr_rules, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&platform->inject.lock);
}

bool __sgx_inject_hit(struct sgx_platform *platform, unsigned int leaf, sgx_paddr_t frame, int *ret)
{
	struct sgx_inject_state *inject = &platform->inject;
	bool hit = false;

	frame &= ~0xFFFULL;
	pthread_mutex_lock(&inject->lock);
	for (unsigned int i = 0; i < inject->nr_rules; i++) {
		struct sgx_inject_rule *rule = &inject->rules[i];

		if (rule->leaf != leaf || !rule->count ||
		    (rule->frame != SGX_INJECT_ANY_FRAME && rule->frame != frame))
			continue;
		if (rule->count != UINT32_MAX)
			rule->count--;
		*ret = rule->ret;
		hit = true;
		break;
	}
	pthread_mutex_unlock(&inject->lock);
	return hit;
}
