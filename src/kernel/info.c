/* SPDX-License-Identifier: MIT */
/*
 * Observability: EPC accounting per section (the kernel's sgx_total_bytes), enclaves and their
 * resident and evicted pages, the reclaimer's counters, leaf and MSR counts from the CPU.
 * `sgxemu info` prints sgx_platform_print_info() for a booted platform, `sgxemu stat` (and the
 * exit hook of config.stats_at_exit) sgx_platform_print_stats().
 */
#include <inttypes.h>
#include <string.h>

#include "kernel/encl.h"
#include "kernel/virt.h"

void sgx_platform_get_stats(struct sgx_platform *platform, struct sgx_platform_stats *stats)
{
	struct sgx_encl *encl;
	struct sgx_vepc *vepc;

	memset(stats, 0, sizeof(*stats));
	stats->nr_sections = platform->nr_sections;
	for (unsigned int i = 0; i < platform->nr_sections; i++) {
		struct sgx_epc_section *section = &platform->sections[i];
		struct sgx_section_stats *s = &stats->sections[i];

		sgx_mutex_lock(&section->lock, SGX_LOCK_LISTS);
		s->base = section->phys_addr;
		s->total_bytes = section->size;
		s->free_bytes = section->nr_free << SGX_PAGE_SHIFT;
		s->leaked_pages = section->nr_leaked;
		s->dirty_pages = section->nr_dirty;
		s->poisoned_pages = section->nr_poisoned;
		sgx_mutex_unlock(&section->lock, SGX_LOCK_LISTS);

		stats->total_pages += section->nr_pages;
		stats->free_pages += s->free_bytes >> SGX_PAGE_SHIFT;
		stats->leaked_pages += s->leaked_pages;
		stats->poisoned_pages += s->poisoned_pages;
	}

	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(encl, &platform->encl_list, link)
	{
		struct sgx_encl_va_page *va_page;

		stats->nr_enclaves++;
		sgx_encl_lock(encl);
		stats->encl_pages += encl->secs_child_cnt;
		stats->evicted_pages += encl->nr_evicted;
		if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED) && !encl->secs.epc_page)
			stats->evicted_secs++;
		TAILQ_FOREACH(va_page, &encl->va_pages, list)
		stats->va_pages++;
		sgx_encl_unlock(encl);
	}
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);

	stats->lru_pages = __atomic_load_n(&platform->reclaimer.nr_active, __ATOMIC_RELAXED);
	stats->deferred_pages = __atomic_load_n(&platform->reclaimer.nr_deferred, __ATOMIC_RELAXED);
	{
		const uint64_t *src = (const uint64_t *)&platform->reclaimer.stats;
		uint64_t *dst = (uint64_t *)&stats->reclaim;

		for (size_t i = 0; i < sizeof(stats->reclaim) / sizeof(uint64_t); i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
	sgx_mutex_lock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(vepc, &platform->vepc_list, link)
	{
		stats->nr_vepcs++;
		sgx_mutex_lock(&vepc->lock, SGX_LOCK_ENCL);
		stats->vepc_pages += sgx_pagemap_count(&vepc->page_array);
		sgx_mutex_unlock(&vepc->lock, SGX_LOCK_ENCL);
	}
	sgx_mutex_unlock(&platform->vepc_list_lock, SGX_LOCK_ENCL_LIST);
	stats->zombie_pages = sgx_vepc_nr_zombies(platform);

	pthread_mutex_lock(&platform->pm.lock);
	stats->suspends = platform->pm.suspends;
	pthread_mutex_unlock(&platform->pm.lock);

	sgx_cpu_get_stats(platform->cpu, &stats->cpu);
}

static const char *const sgx_encls_names[SGX_ENCLS_NR_LEAVES] = {
	[ECREATE] = "ECREATE", [EADD] = "EADD",	    [EINIT] = "EINIT",	   [EREMOVE] = "EREMOVE",
	[EDBGRD] = "EDBGRD",   [EDBGWR] = "EDBGWR", [EEXTEND] = "EEXTEND", [ELDB] = "ELDB",
	[ELDU] = "ELDU",       [EBLOCK] = "EBLOCK", [EPA] = "EPA",	   [EWB] = "EWB",
	[ETRACK] = "ETRACK",   [EAUG] = "EAUG",	    [EMODPR] = "EMODPR",   [EMODT] = "EMODT",
};

static const char *const sgx_enclu_names[SGX_ENCLU_NR_LEAVES] = {
	[EREPORT] = "EREPORT", [EGETKEY] = "EGETKEY",
	[EENTER] = "EENTER",   [ERESUME] = "ERESUME",
	[EEXIT] = "EEXIT",     [EACCEPT] = "EACCEPT",
	[EMODPE] = "EMODPE",   [EACCEPTCOPY] = "EACCEPTCOPY",
};

static void sgx_print_encl(struct sgx_encl *encl, FILE *out)
{
	struct sgx_encl_va_page *va_page;
	unsigned int nr_va = 0;
	char state[64] = "";

	if (sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		strcat(state, "initialized");
	else if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED))
		strcat(state, "created");
	else
		strcat(state, "open");
	if (sgx_encl_test_flag(encl, SGX_ENCL_DEBUG))
		strcat(state, ",debug");

	sgx_encl_lock(encl);
	TAILQ_FOREACH(va_page, &encl->va_pages, list)
	nr_va++;
	fprintf(out,
		"  enclave %" PRIu64 ": base 0x%" PRIx64 " size 0x%" PRIx64
		" %s, %u resident pages + SECS %s, %u evicted, %u VA pages, %zu pages known\n",
		encl->id, encl->base, encl->size, state, encl->secs_child_cnt,
		encl->secs.epc_page				 ? "resident"
		: sgx_encl_test_flag(encl, SGX_ENCL_CREATED) ? "evicted"
								 : "absent",
		encl->nr_evicted, nr_va, sgx_pagemap_count(&encl->page_array));
	sgx_encl_unlock(encl);
}

static void sgx_print_stats(const struct sgx_platform_stats *stats, FILE *out)
{
	const struct sgx_reclaim_stats *r = &stats->reclaim;

	fprintf(out,
		"pages: %" PRIu64 " resident in %u enclaves, %" PRIu64 " evicted, %" PRIu64
		" SECS evicted, %" PRIu64 " VA pages, %" PRIu64 " on the LRU, %" PRIu64
		" deferred\n",
		stats->encl_pages, stats->nr_enclaves, stats->evicted_pages, stats->evicted_secs,
		stats->va_pages, stats->lru_pages, stats->deferred_pages);
	fprintf(out,
		"reclaim: %" PRIu64 " batches (%" PRIu64 " direct), %" PRIu64 " pages scanned, %" PRIu64
		" second chances, %" PRIu64 " backing failures\n",
		r->batches, r->direct_batches, r->scanned, r->second_chance, r->backing_failures);
	fprintf(out,
		"paging: %" PRIu64 " evicted, %" PRIu64 " loaded, %" PRIu64 " SECS evicted, %" PRIu64
		" SECS loaded, %" PRIu64 " lost at EWB, %" PRIu64 " refused at ELDU\n",
		r->evicted, r->loaded, r->secs_evicted, r->secs_loaded, r->ewb_lost,
		r->eldu_failures);
	fprintf(out,
		"EWB retries: %" PRIu64 " not tracked (ETRACK), %" PRIu64 " not tracked after ETRACK "
		"(kick), %" PRIu64 " conflicts, %" PRIu64 " deferred; ETRACK incomplete %" PRIu64
		"\n",
		r->ewb_not_tracked, r->ewb_kicked, r->ewb_conflicts, r->deferred,
		r->etrack_incomplete);
	fprintf(out,
		"forced AEX: %" PRIu64 " kicks, %" PRIu64 " timed out; faults that waited: %" PRIu64
		"\n",
		r->kicks, r->kick_timeouts, r->fault_waits);
	fprintf(out,
		"virtual EPC: %u instances, %" PRIu64 " guest pages, %" PRIu64
		" zombie SECS pages; suspends: %" PRIu64 "\n",
		stats->nr_vepcs, stats->vepc_pages, stats->zombie_pages, stats->suspends);
	fprintf(out, "ENCLS:");
	for (unsigned int i = 0; i < SGX_ENCLS_NR_LEAVES; i++)
		fprintf(out, " %s %" PRIu64, sgx_encls_names[i], stats->cpu.encls[i]);
	fprintf(out, "\nENCLU:");
	for (unsigned int i = 0; i < SGX_ENCLU_NR_LEAVES; i++)
		fprintf(out, " %s %" PRIu64, sgx_enclu_names[i], stats->cpu.enclu[i]);
	fprintf(out, "\nAEX: %" PRIu64 "\nMSR writes: %" PRIu64 "\npower cycles: %" PRIu64 "\n",
		stats->cpu.aex, stats->cpu.msr_writes, stats->cpu.power_cycles);
}

void sgx_platform_print_info(struct sgx_platform *platform, FILE *out)
{
	struct sgx_platform_stats stats;
	struct sgx_encl *encl;

	sgx_platform_get_stats(platform, &stats);

	fprintf(out,
		"EPC: %" PRIu64 " pages (%" PRIu64 " bytes), %" PRIu64 " free, %" PRIu64
		" leaked, %" PRIu64 " poisoned\n",
		stats.total_pages, stats.total_pages << SGX_PAGE_SHIFT, stats.free_pages,
		stats.leaked_pages, stats.poisoned_pages);
	for (unsigned int i = 0; i < stats.nr_sections; i++) {
		const struct sgx_section_stats *s = &stats.sections[i];

		fprintf(out,
			"  section %u: 0x%" PRIx64 "-0x%" PRIx64 " sgx_total_bytes %" PRIu64
			" free_bytes %" PRIu64 " leaked %" PRIu64 " dirty %" PRIu64
			" poisoned %" PRIu64 "\n",
			i, s->base, s->base + s->total_bytes - 1, s->total_bytes, s->free_bytes,
			s->leaked_pages, s->dirty_pages, s->poisoned_pages);
	}
	fprintf(out, "devices:%s%s%s\n", platform->have_enclave_dev ? " /dev/sgx_enclave" : "",
		platform->have_provision_dev ? " /dev/sgx_provision" : "",
		platform->have_vepc_dev ? " /dev/sgx_vepc" : "");
	fprintf(out, "SGX2: %s\n", platform->have_sgx2 ? "yes" : "no");
	fprintf(out, "launch control: %s\n",
		!platform->flc ? "none (the launch-key MSRs are locked)"
		: platform->config.launch_cache
			? "flexible, cached per LP (write only on change or after a power cycle)"
			: "flexible (write the signer's hash before every EINIT)");
	fprintf(out, "logical processors: %u\n", platform->nr_lps);

	fprintf(out, "enclaves: %u\n", stats.nr_enclaves);
	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	LIST_FOREACH(encl, &platform->encl_list, link)
	sgx_print_encl(encl, out);
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	sgx_print_stats(&stats, out);
}

void sgx_platform_print_stats(struct sgx_platform *platform, FILE *out)
{
	struct sgx_platform_stats stats;

	sgx_platform_get_stats(platform, &stats);
	fprintf(out,
		"EPC: %" PRIu64 " pages, %" PRIu64 " free, %" PRIu64 " leaked, %" PRIu64
		" poisoned\n",
		stats.total_pages, stats.free_pages, stats.leaked_pages, stats.poisoned_pages);
	sgx_print_stats(&stats, out);
}
