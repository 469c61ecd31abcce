/* SPDX-License-Identifier: MIT */
/*
 * ENCLS fault injection for tests: make a leaf that the kernel layer calls "return" a chosen
 * value on chosen frames, without running it. This is how the failures that real hardware only
 * produces under bugs or rare timing are reached (EREMOVE failing at teardown, EPA faulting,
 * EEXTEND faulting mid-page). The configuration's inject-* keys land here too.
 */
#include <errno.h>
#include <stdio.h>

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

/* A FRAME of the configuration (an EPC address or a frame number) as an EPC address; 0 if none. */
static sgx_paddr_t sgx_inject_frame(struct sgx_platform *platform, uint64_t frame)
{
	if (frame >= SGXEMU_FRAME_ADDR_MIN)
		return sgx_epc_page_lookup(platform, frame) ? frame : 0;
	for (unsigned int i = 0; i < platform->nr_sections; i++) {
		if (frame < platform->sections[i].nr_pages)
			return platform->sections[i].phys_addr + (frame << SGX_PAGE_SHIFT);
		frame -= platform->sections[i].nr_pages;
	}
	return 0;
}

int sgx_platform_apply_injection(struct sgx_platform *platform, char *err, size_t errlen)
{
	const struct sgxemu_config *config = &platform->config;

	for (unsigned int i = 0; i < config->nr_inject_eremove + config->nr_inject_poison; i++) {
		bool eremove = i < config->nr_inject_eremove;
		uint64_t frame = eremove ? config->inject_eremove[i]
					 : config->inject_poison[i - config->nr_inject_eremove];
		sgx_paddr_t paddr = sgx_inject_frame(platform, frame);

		if (!paddr) {
			if (err && errlen)
				snprintf(err, errlen, "%s: 0x%llx is not an EPC page",
					 eremove ? "inject-eremove" : "inject-poison",
					 (unsigned long long)frame);
			return -EINVAL;
		}
		/*
		 * EREMOVE failing at free time is a use-after-free of EPC: a logical processor
		 * still runs in the enclave. Forever: the frame is leaked at its first failure.
		 */
		if (eremove &&
		    sgx_inject_encls(platform, EREMOVE, paddr, SGX_ENCLAVE_ACT, UINT32_MAX)) {
			if (err && errlen)
				snprintf(err, errlen, "inject-eremove: too many rules");
			return -EINVAL;
		}
		if (!eremove)
			sgx_memory_failure(platform, paddr, 0);
	}
	if (config->inject_einit_unmasked)
		sgx_cpu_inject_unmasked_event(platform->cpu, config->inject_einit_unmasked);
	return 0;
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
