/* SPDX-License-Identifier: MIT */
/*
 * The platform: EPC sections from CPUID, boot-time sanitising (including what a previous
 * "kernel" left in the EPC), the allocator, the EREMOVE leak path, VA slots, the page array, and
 * the invariant checker catching corrupted bookkeeping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "kernel/encl.h"
#include "kernel/lockdep.h"
#include "kernel/pagemap.h"
#include "leaf_hold.h"
#include "kernel_fixture.h"

#define EREMOVE_LEAK                                                     \
	"and an EPC page was leaked. SGX may become unusable. Refer to " \
	"Documentation/arch/x86/sgx.rst for more information."

static void sections_from_cpuid(void **state)
{
	struct kfix_config config = { .epc = "1M,2M,512K" };
	uint64_t seq = sgx_log_seq();
	struct sgx_platform_stats stats;
	struct sgx_platform *p;

	(void)state;
	p = kfix_boot(&config);
	assert_int_equal(p->nr_sections, 3);
	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.sections[0].total_bytes, 1 << 20);
	assert_int_equal(stats.sections[1].total_bytes, 2 << 20);
	assert_int_equal(stats.sections[2].total_bytes, 512 << 10);
	for (unsigned int i = 0; i < 3; i++) {
		sgx_paddr_t base;
		uint64_t size;

		sgx_cpu_section(p->cpu, i, &base, &size);
		assert_int_equal(stats.sections[i].base, base);
		assert_int_equal(stats.sections[i].free_bytes, size);
		assert_int_equal(stats.sections[i].leaked_pages, 0);
	}
	assert_int_equal(kfix_log_count(seq, "sgx: EPC section 0x"), 3);
	/* Every frame was sanitised once. */
	assert_int_equal(stats.cpu.encls[EREMOVE], 256 + 512 + 128);
	assert_int_equal(kfix_free_pages(p), stats.total_pages);
	kfix_shutdown(p);
}

static void allocator(void **state)
{
	struct kfix_config config = { .epc = "64K,64K" };
	struct sgx_platform *p = kfix_boot(&config);
	struct sgx_epc_page *pages[32], *page;

	(void)state;
	assert_int_equal(kfix_free_pages(p), 32);
	/* The first section fills first; every frame exactly once. */
	for (int i = 0; i < 32; i++) {
		pages[i] = sgx_alloc_epc_page(p, pages, SGX_EPC_OWNER_TEST, true);
		assert_false(IS_ERR(pages[i]));
		assert_int_equal(pages[i]->section, i < 16 ? 0 : 1);
		assert_int_equal(pages[i]->flags, 0);
		for (int j = 0; j < i; j++)
			assert_true(pages[i] != pages[j]);
	}
	kfix_check(p);
	/* Empty EPC and an empty LRU: ENOMEM, with or without reclaim. */
	assert_int_equal(PTR_ERR(sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, true)), -ENOMEM);
	assert_int_equal(PTR_ERR(sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, false)), -ENOMEM);
	/* Freed pages go to the tail of their own section's list. */
	sgx_free_epc_page(p, pages[20]);
	assert_true(pages[20]->flags & SGX_EPC_PAGE_IS_FREE);
	page = sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, true);
	assert_ptr_equal(page, pages[20]);
	for (int i = 0; i < 32; i++)
		sgx_free_epc_page(p, pages[i]);
	assert_int_equal(kfix_free_pages(p), 32);
	kfix_shutdown(p);
}

static void allocator_with_lru(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_platform_stats stats;
	struct kfix_hog hog, more;
	struct sgx_epc_page *page;
	struct kfix_enclave e;

	(void)state;
	/* An enclave's pages are on the reclaimer's LRU. */
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	kfix_hog_epc(p, 0, &hog);
	/* The fault path (no reclaim) is told to retry ... */
	assert_int_equal(PTR_ERR(sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, false)), -EBUSY);
	/* ... and ioctl paths reclaim: a batch evicts the enclave's pages and one is handed out. */
	page = sgx_alloc_epc_page(p, &hog, SGX_EPC_OWNER_TEST, true);
	assert_false(IS_ERR(page));
	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.reclaim.direct_batches, 1);
	assert_int_equal(stats.reclaim.evicted, 5); /* TCS, 2 SSA, code, data: none accessed */
	assert_int_equal(stats.reclaim.secs_evicted, 1); /* initialised: it follows its children */
	assert_int_equal(stats.evicted_pages, 5);
	assert_int_equal(kfix_free_pages(p), 5);
	kfix_check(p);
	/* Everything reclaimable is out: the LRU is empty, so ENOMEM, with or without reclaim. */
	kfix_hog_epc(p, 0, &more);
	assert_int_equal(PTR_ERR(sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, true)), -ENOMEM);
	assert_int_equal(PTR_ERR(sgx_alloc_epc_page(p, NULL, SGX_EPC_OWNER_TEST, false)), -ENOMEM);
	kfix_release_epc(p, &more);
	sgx_free_epc_page(p, page);
	kfix_release_epc(p, &hog);
	kfix_close(&e);
	kfix_shutdown(p);
}

static sgx_paddr_t data_frame(struct kfix_enclave *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);
	sgx_paddr_t frame = sgx_encl_page_frame(encl, KFIX_BASE + KFIX_DATA_OFFSET);

	sgx_encl_put(encl);
	assert_true(frame != 0);
	return frame;
}

/*
 * The acceptance test: EREMOVE fails for one frame at teardown. The warning appears once,
 * the frame (and the SECS above it, which then answers SGX_CHILD_PRESENT) never comes back from
 * the allocator, and everything else keeps working.
 */
static void eremove_failure_leaks_on_purpose(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free0 = kfix_free_pages(p), seq;
	struct kfix_enclave e, again;
	struct sgx_epc_page *leaked, *secs;
	struct sgx_platform_stats stats;
	struct kfix_hog hog;
	sgx_paddr_t frame;

	(void)state;
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	frame = data_frame(&e);
	leaked = sgx_epc_page_lookup(p, frame);
	{
		struct sgx_encl *encl = sgx_encl_from_fd(e.fd);

		secs = encl->secs.epc_page;
		sgx_encl_put(encl);
	}
	/* A conflicting leaf holds the page: #GP, forever. */
	assert_int_equal(
		sgx_inject_encls(p, EREMOVE, frame, SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, UINT32_MAX),
		0);
	seq = sgx_log_seq();
	kfix_close(&e);
	assert_int_equal(
		kfix_log_count(seq, "EREMOVE returned 1073741837 (0x4000000d) " EREMOVE_LEAK), 1);
	assert_int_equal(kfix_log_count(seq, EREMOVE_LEAK), 1);
	assert_true(leaked->flags & SGX_EPC_PAGE_LEAKED);
	assert_true(secs->flags & SGX_EPC_PAGE_LEAKED);
	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.leaked_pages, 2);
	assert_int_equal(kfix_free_pages(p), free0 - 2);
	kfix_check(p);

	/* Everything else works, again and again; the warning does not repeat. */
	for (int i = 0; i < 20; i++) {
		kfix_enclave_create(&again, p, SGX_ATTR_MODE64BIT);
		kfix_close(&again);
	}
	assert_int_equal(kfix_log_count(seq, EREMOVE_LEAK), 1);
	assert_int_equal(kfix_free_pages(p), free0 - 2);

	/* Take every page the allocator has: the leaked ones are never among them. */
	kfix_hog_epc(p, 0, &hog);
	assert_int_equal(hog.nr, free0 - 2);
	for (uint64_t i = 0; i < hog.nr; i++) {
		assert_true(hog.pages[i] != leaked);
		assert_true(hog.pages[i] != secs);
	}
	kfix_release_epc(p, &hog);
	kfix_shutdown(p);
}

/*
 * kexec: the previous kernel's enclaves are still in the EPC. The first pass EREMOVEs the
 * children but a SECS met before its children answers SGX_CHILD_PRESENT; the second pass gets it.
 */
static void sanitising_after_kexec(void **state)
{
	struct sgx_platform *old = kfix_boot(NULL), *new;
	uint64_t total = old->nr_total_pages, seq;
	struct sgx_cpu_stats before, after;
	struct kfix_enclave e1, e2;
	struct sgx_cpu *cpu;
	char err[128];

	(void)state;
	kfix_enclave_create(&e1, old, SGX_ATTR_MODE64BIT);
	kfix_enclave_create(&e2, old, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	cpu = sgx_platform_abandon(old);
	assert_int_equal(sgxemu_close(e1.fd), 0);
	assert_int_equal(sgxemu_close(e2.fd), 0);

	sgx_cpu_get_stats(cpu, &before);
	seq = sgx_log_seq();
	new = sgx_platform_create_on(cpu, err, sizeof(err));
	assert_non_null(new);
	sgx_cpu_get_stats(cpu, &after);
	/* Every frame once, and the two SECS pages (allocated before their children) twice. */
	assert_int_equal(after.encls[EREMOVE] - before.encls[EREMOVE], total + 2);
	assert_int_equal(kfix_free_pages(new), total);
	assert_int_equal(kfix_log_count(seq, "still dirty"), 0);
	kfix_shutdown(new);
	sgx_cpu_destroy(cpu);
}

static int eblock_held(void *arg)
{
	struct sgx_cpu *cpu = ((void **)arg)[0];
	sgx_paddr_t frame = *(sgx_paddr_t *)((void **)arg)[1];
	struct sgx_lp *lp = sgx_cpu_get_lp(cpu);
	int ret = __eblock(lp, frame);

	sgx_cpu_put_lp(lp);
	return ret;
}

/*
 * A frame whose EREMOVE fails in both passes (a leaf still holds it when the new kernel boots):
 * the kernel's WARN, and the frame is never used.
 */
static void frames_left_dirty_are_never_used(void **state)
{
	struct sgx_platform *old = kfix_boot(NULL), *new;
	uint64_t total = old->nr_total_pages, seq;
	struct kfix_enclave e;
	struct leaf_hold *hold;
	struct sgx_cpu *cpu;
	sgx_paddr_t frame;
	void *arg[2];
	char err[128];

	(void)state;
	kfix_enclave_create(&e, old, SGX_ATTR_MODE64BIT);
	frame = data_frame(&e);
	cpu = sgx_platform_abandon(old);
	assert_int_equal(sgxemu_close(e.fd), 0);

	arg[0] = cpu;
	arg[1] = &frame;
	hold = leaf_hold_start(cpu, SGX_LEAF_CLASS_ENCLS, EBLOCK, eblock_held, arg);
	assert_non_null(hold);
	seq = sgx_log_seq();
	new = sgx_platform_create_on(cpu, err, sizeof(err));
	assert_non_null(new);
	assert_int_equal(leaf_hold_release(hold), 0);

	/* The held page and its SECS (which still has that child) stay dirty. */
	assert_int_equal(kfix_log_count(seq, "2 EPC pages still dirty"), 1);
	assert_int_equal(new->sections[0].nr_dirty, 2);
	assert_true(sgx_epc_page_lookup(new, frame)->flags & SGX_EPC_PAGE_DIRTY);
	assert_int_equal(kfix_free_pages(new), total - 2);
	kfix_check(new);
	{
		struct kfix_hog hog;

		kfix_hog_epc(new, 0, &hog);
		for (uint64_t i = 0; i < hog.nr; i++)
			assert_true(hog.pages[i]->paddr != frame);
		kfix_release_epc(new, &hog);
	}
	kfix_shutdown(new);
	sgx_cpu_destroy(cpu);
}

static void va_slots(void **state)
{
	struct sgx_encl_va_page va;
	unsigned int seen = 0;

	(void)state;
	memset(&va, 0, sizeof(va));
	for (unsigned int i = 0; i < SGX_VA_SLOT_COUNT; i++) {
		unsigned int offset = sgx_alloc_va_slot(&va);

		/* The lowest free slot, as an 8-byte offset into the page (desc bits 11:3). */
		assert_int_equal(offset, i << 3);
		assert_int_equal(offset & ~SGX_ENCL_PAGE_VA_OFFSET_MASK, 0);
		assert_false(i < SGX_VA_SLOT_COUNT - 1 && sgx_va_page_full(&va));
		seen++;
	}
	assert_int_equal(seen, 512);
	assert_true(sgx_va_page_full(&va));
	sgx_free_va_slot(&va, 100 << 3);
	assert_false(sgx_va_page_full(&va));
	assert_int_equal(sgx_alloc_va_slot(&va), 100 << 3);
}

static void page_array(void **state)
{
	struct sgx_pagemap map;
	uint64_t key, sum = 0;
	size_t pos = 0;
	void *v;

	(void)state;
	sgx_pagemap_init(&map);
	assert_null(sgx_pagemap_load(&map, 5));
	/* Sparse keys over a huge range, with erase and reinsert. */
	for (uint64_t i = 1; i <= 3000; i++)
		assert_int_equal(sgx_pagemap_insert(&map, i * 0x100001, (void *)(uintptr_t)i), 0);
	assert_int_equal(sgx_pagemap_insert(&map, 7 * 0x100001, (void *)1), -EBUSY);
	for (uint64_t i = 1; i <= 3000; i += 2)
		assert_ptr_equal(sgx_pagemap_erase(&map, i * 0x100001), (void *)(uintptr_t)i);
	assert_null(sgx_pagemap_erase(&map, 1 * 0x100001));
	assert_int_equal(sgx_pagemap_count(&map), 1500);
	for (uint64_t i = 1; i <= 3000; i++)
		assert_int_equal(sgx_pagemap_load(&map, i * 0x100001) != NULL, i % 2 == 0);
	while ((v = sgx_pagemap_next(&map, &pos, &key))) {
		assert_int_equal(key, (uintptr_t)v * 0x100001);
		sum += (uintptr_t)v;
	}
	assert_int_equal(sum, 1500 * 1501); /* 2 + 4 + ... + 3000 */
	/* Erase everything while iterating. */
	pos = 0;
	while ((v = sgx_pagemap_next(&map, &pos, &key)))
		assert_ptr_equal(sgx_pagemap_erase(&map, key), v);
	assert_int_equal(sgx_pagemap_count(&map), 0);
	assert_int_equal(sgx_pagemap_insert(&map, 42, (void *)42), 0);
	sgx_pagemap_destroy(&map);
}

/* The checker notices when bookkeeping and reality disagree. */
static void checker_catches_corruption(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_epc_page *page;
	struct kfix_enclave e;
	struct sgx_encl *encl;
	char err[256];

	(void)state;
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	kfix_check(p);
	encl = sgx_encl_from_fd(e.fd);

	/* A page the allocator thinks is free while an enclave still uses it. */
	page = sgx_epc_page_lookup(p, data_frame(&e));
	page->flags |= SGX_EPC_PAGE_IS_FREE;
	assert_int_equal(sgx_platform_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not allocated"));
	page->flags &= ~SGX_EPC_PAGE_IS_FREE;

	/* An EPC page invalidated behind the kernel's back. */
	{
		struct sgx_lp *lp = sgx_cpu_get_lp(p->cpu);

		assert_int_equal(__eremove(lp, page->paddr), 0);
		sgx_cpu_put_lp(lp);
	}
	assert_int_equal(sgx_platform_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid in the EPCM"));

	/* A CPU PTE left pointing at a free frame. */
	kfix_close(&e);
	sgx_encl_put(encl);
	{
		struct sgx_epc_page *free_page = TAILQ_FIRST(&p->sections[0].free_page_list);

		sgx_pt_set(p->cpu, KFIX_BASE, free_page->paddr, 3);
		kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
		assert_int_equal(sgx_platform_check(p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "PTE at 0x100000000"));
		sgx_pt_clear(p->cpu, KFIX_BASE);
	}
	kfix_check(p);
	kfix_close(&e);
	kfix_shutdown(p);
}

static void info_output(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct kfix_enclave e;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	out = open_memstream(&buf, &len);
	sgx_platform_print_info(p, out);
	fclose(out);
	assert_non_null(strstr(buf, "sgx_total_bytes 1048576"));
	assert_non_null(strstr(buf, "enclaves: 1\n"));
	assert_non_null(strstr(buf, "5 resident pages + SECS resident, 0 evicted, 1 VA pages"));
	assert_non_null(strstr(buf, "initialized,debug"));
	assert_non_null(strstr(buf, "EINIT 1 "));
	assert_non_null(strstr(buf, "MSR writes: 4"));
	free(buf);
	kfix_close(&e);
	kfix_shutdown(p);
}

#ifndef NDEBUG
/* Debug builds check the lock order: the enclave lock may not be taken under a free-list lock. */
static void lock_order_is_checked(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDERR_FILENO);
		sgx_lockdep_acquire(SGX_LOCK_LISTS);
		sgx_lockdep_acquire(SGX_LOCK_ENCL); /* aborts */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);

	/* The right order is fine. */
	sgx_lockdep_acquire(SGX_LOCK_MM);
	sgx_lockdep_acquire(SGX_LOCK_ENCL);
	sgx_lockdep_acquire(SGX_LOCK_LISTS);
	sgx_lockdep_release(SGX_LOCK_LISTS);
	sgx_lockdep_acquire(SGX_LOCK_LP);
	sgx_lockdep_release(SGX_LOCK_LP);
	sgx_lockdep_release(SGX_LOCK_ENCL);
	sgx_lockdep_release(SGX_LOCK_MM);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_from_cpuid),
		cmocka_unit_test(allocator),
		cmocka_unit_test(allocator_with_lru),
		cmocka_unit_test(eremove_failure_leaks_on_purpose),
		cmocka_unit_test(sanitising_after_kexec),
		cmocka_unit_test(frames_left_dirty_are_never_used),
		cmocka_unit_test(va_slots),
		cmocka_unit_test(page_array),
		cmocka_unit_test(checker_catches_corruption),
		cmocka_unit_test(info_output),
#ifndef NDEBUG
		cmocka_unit_test(lock_order_is_checked),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
