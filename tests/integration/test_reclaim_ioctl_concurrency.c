/* SPDX-License-Identifier: MIT */
/*
 * The errno rows of ref §1.5 that need the reclaimer, staged with pause points: CREATE and
 * ADD_PAGES reclaim when the EPC is full, answer ERESTARTSYS (EINTR, or a restart) when a signal
 * is pending as they are about to reclaim, and ENOMEM when nothing is reclaimable — including the
 * partial ENOMEM when a reclaimer in another thread holds every LRU page. The fault path's side:
 * -EBUSY is a wait and a retry, -ENOMEM a SIGBUS. And the lock order: an allocator may not
 * reclaim with an enclave lock held (debug builds abort).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/encl.h"
#include "kernel_fixture.h"

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave a; /* initialised, its five pages on the LRU */
	struct kfix_enclave b; /* the one under construction */
	struct sgx_encl *encl_a;
	struct sigaction old_usr1;
	uint8_t *src;
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages add;
};

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void install_usr1(struct ctx *c, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &c->old_usr1), 0);
	handled = 0;
}

static int setup_epc(void **state, const char *epc)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct kfix_config config = { .epc = epc };

	c->p = kfix_boot(&config);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_create(&c->a, c->p, SGX_ATTR_MODE64BIT);
	c->encl_a = sgx_encl_from_fd(c->a.fd);
	sgx_encl_put(c->encl_a); /* the fd keeps it */
	kfix_enclave_init(&c->b, c->p, SGX_ATTR_MODE64BIT);
	c->b.secs.base = KFIX_BASE + 0x100000000ULL;
	c->src = aligned_alloc(4096, 4 * 4096);
	memset(c->src, 0x42, 4 * 4096);
	c->secinfo.flags = KFIX_SECINFO_RW;
	c->add.src = (uint64_t)(uintptr_t)c->src;
	c->add.offset = 0;
	c->add.length = 4 * 4096;
	c->add.secinfo = (uint64_t)(uintptr_t)&c->secinfo;
	c->old_usr1.sa_handler = SIG_DFL;
	*state = c;
	return 0;
}

static int setup(void **state)
{
	return setup_epc(state, NULL);
}

static int setup_big(void **state)
{
	return setup_epc(state, "4M");
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	sigaction(SIGUSR1, &c->old_usr1, NULL);
	kfix_check(c->p);
	kfix_close(&c->a);
	kfix_close(&c->b);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_shutdown(c->p);
	free(c->src);
	free(c);
	return 0;
}

static struct sgx_platform_stats stats(struct ctx *c)
{
	struct sgx_platform_stats s;

	sgx_platform_get_stats(c->p, &s);
	return s;
}

static struct sgx_encl *encl_b(struct ctx *c)
{
	struct sgx_encl *encl = sgx_encl_from_fd(c->b.fd);

	assert_false(IS_ERR(encl));
	sgx_encl_put(encl);
	return encl;
}

/* --- CREATE ---------------------------------------------------------------------------------- */

static void create_reclaims_when_the_epc_is_full(void **state)
{
	struct ctx *c = *state;
	struct kfix_hog hog;

	kfix_hog_epc(c->p, 0, &hog);
	/* VA page and SECS: both come from a batch that evicts A's pages (and A's SECS). */
	assert_int_equal(kfix_create(&c->b), 0);
	assert_int_equal(stats(c).reclaim.evicted, 5);
	assert_int_equal(stats(c).reclaim.direct_batches, 1);
	assert_int_equal(c->encl_a->nr_evicted, 5);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

static void create_interrupted_while_reclaiming(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_create create = { .src = (uint64_t)(uintptr_t)&c->b.secs };
	struct kfix_thread t;
	struct kfix_hog hog;

	/* The VA page: no free page, A's pages reclaimable, SIGUSR1 pending. EINTR, nothing lost. */
	install_usr1(c, 0);
	kfix_hog_epc(c->p, 0, &hog);
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_CREATE, &create);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(handled, 1);
	assert_int_equal(stats(c).reclaim.evicted, 0); /* the signal check comes first */
	assert_int_equal(kfix_free_pages(c->p), 0);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);

	/* The SECS: one free page, which the VA page takes; it goes back on the way out. */
	kfix_hog_epc(c->p, 1, &hog);
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_CREATE, &create);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_free_pages(c->p), 0);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(kfix_free_pages(c->p), 1);
	assert_false(sgx_encl_test_flag(encl_b(c), SGX_ENCL_CREATED));
	kfix_check(c->p);

	/* With SA_RESTART the handler runs and CREATE starts over, reclaiming this time. */
	install_usr1(c, SA_RESTART);
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_CREATE, &create);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(handled, 1);
	assert_true(sgx_encl_test_flag(encl_b(c), SGX_ENCL_CREATED));
	assert_true(stats(c).reclaim.evicted > 0);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

/* --- ADD_PAGES ------------------------------------------------------------------------------- */

static void add_interrupted_while_reclaiming(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;
	struct kfix_hog hog;

	assert_int_equal(kfix_create(&c->b), 0);
	install_usr1(c, 0);
	/* Two pages go in; the third finds the EPC full, the LRU full, and a signal pending. */
	kfix_hog_epc(c->p, 2, &hog);
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(c->add.count, 2 * 4096);
	assert_int_equal(encl_b(c)->secs_child_cnt, 2);
	kfix_check(c->p);

	/*
	 * [quirk, as the kernel] Restarted with SA_RESTART, the same arguments meet the pages the
	 * first attempt added: EBUSY at the first page.
	 */
	install_usr1(c, SA_RESTART);
	c->add.offset = 0x8000;
	kfix_release_epc(c->p, &hog);
	kfix_hog_epc(c->p, 2, &hog);
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), -EBUSY);
	assert_int_equal(handled, 1);
	assert_int_equal(c->add.count, 0);
	/* (the restart reclaimed for its first page's EPC page before meeting it in the array) */
	assert_int_equal(sgx_pagemap_count(&encl_b(c)->page_array), 4);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

/* The 512th page needs a VA page; a signal arrives as that allocation is about to reclaim. */
static void add_va_page_interrupted_while_reclaiming(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;
	struct kfix_hog hog;

	c->b.secs.size = 4 << 20;
	assert_int_equal(kfix_create(&c->b), 0);
	assert_int_equal(kfix_add_pages(&c->b, 0, 511, KFIX_SECINFO_RW, NULL, false, NULL), 0);
	install_usr1(c, 0);
	kfix_hog_epc(c->p, 1, &hog);
	c->add.offset = 511 * 4096;
	c->add.length = 4096;
	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_DIRECT, NULL, 0);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	/* The page's own EPC page took the last free one; now the VA page wants one. */
	assert_int_equal(kfix_free_pages(c->p), 0);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_DIRECT);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(c->add.count, 0);
	assert_int_equal(kfix_free_pages(c->p), 1);
	assert_int_equal(encl_b(c)->page_cnt, 512);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

struct batch_thread {
	pthread_t thread;
	struct sgx_platform *p;
	unsigned int freed;
};

static void *batch_main(void *arg)
{
	struct batch_thread *b = arg;

	b->freed = sgx_reclaim_pages(b->p);
	return NULL;
}

/*
 * ENOMEM mid-range: while the ioctl is between its second and third page, a reclaimer in another
 * thread isolates both pages the LRU holds. The third page finds no free page and nothing on the
 * LRU: ENOMEM, count = 2 pages. The reclaimer then finishes, and nothing is lost.
 */
static void add_enomem_while_the_reclaimer_holds_the_lru(void **state)
{
	struct ctx *c = *state;
	struct batch_thread batch = { .p = c->p };
	struct kfix_thread t;
	struct kfix_hog hog;

	/* A's pages are out already, so that the LRU holds only what B adds. */
	assert_int_equal(sgx_encl_reclaim_range(c->encl_a, KFIX_BASE, KFIX_BASE + KFIX_SIZE), 5);
	assert_int_equal(kfix_create(&c->b), 0);
	kfix_hog_epc(c->p, 2, &hog);
	sgx_pause_arm(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN, NULL, 1);
	kfix_thread_start(&t, c->b.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(stats(c).lru_pages, 2);

	sgx_pause_arm(c->p, SGX_PAUSE_RECLAIM_BATCH, NULL, 0);
	assert_int_equal(pthread_create(&batch.thread, NULL, batch_main, &batch), 0);
	sgx_pause_wait(c->p, SGX_PAUSE_RECLAIM_BATCH);
	assert_int_equal(stats(c).lru_pages, 0);

	sgx_pause_release(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(kfix_thread_join(&t), -ENOMEM);
	assert_int_equal(c->add.count, 2 * 4096);

	sgx_pause_release(c->p, SGX_PAUSE_RECLAIM_BATCH);
	assert_int_equal(pthread_join(batch.thread, NULL), 0);
	assert_int_equal(batch.freed, 2);
	assert_int_equal(encl_b(c)->nr_evicted, 2);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

/* --- the fault path -------------------------------------------------------------------------- */

static void fault_path_waits_or_is_sigbus(void **state)
{
	struct ctx *c = *state;
	uint64_t data = KFIX_BASE + KFIX_DATA_OFFSET;
	struct sgx_fault_answer answer;
	struct kfix_hog hog;

	assert_int_equal(sgx_encl_reclaim_range(c->encl_a, data, data + 4096), 1);
	/* Full, but something is reclaimable: retry after the reclaimer's progress (EBUSY). */
	kfix_hog_epc(c->p, 0, &hog);
	assert_int_equal(sgx_vma_fault(c->encl_a, data, SGX_VM_READ, &answer), SGX_FAULT_RETRY);
	assert_ptr_equal(answer.wait_word, &c->p->reclaimer.progress);
	/* A batch (ksgxd's, here run by hand) makes room and moves the word: the retry loads it. */
	assert_int_equal(sgx_reclaim_pages(c->p), 4); /* A's other four pages ... */
	assert_int_equal(stats(c).reclaim.secs_evicted, 1); /* ... and, after them, its SECS */
	assert_true(sgx_reclaim_progress(c->p) != answer.wait_val);
	assert_int_equal(sgx_vma_fault(c->encl_a, data, SGX_VM_READ, &answer), SGX_FAULT_MAPPED);
	assert_true(sgx_encl_page_frame(c->encl_a, data) != 0);
	kfix_release_epc(c->p, &hog);

	/* Full and nothing reclaimable (ENOMEM): SIGBUS, as the kernel answers. */
	assert_int_equal(sgx_encl_reclaim_range(c->encl_a, data, data + 4096), 1);
	kfix_hog_epc(c->p, 0, &hog);
	assert_int_equal(sgx_vma_fault(c->encl_a, data, SGX_VM_READ, &answer), SGX_FAULT_SIGBUS);
	kfix_release_epc(c->p, &hog);
	assert_int_equal(sgx_vma_fault(c->encl_a, data, SGX_VM_READ, &answer), SGX_FAULT_MAPPED);
	kfix_check(c->p);
}

/* --- lock order ------------------------------------------------------------------------------ */

static void reclaiming_under_an_enclave_lock_aborts(void **state)
{
#ifdef NDEBUG
	(void)state;
	skip(); /* the order is checked in debug builds only */
#else
	struct ctx *c = *state;
	struct kfix_hog hog;
	int status;
	pid_t pid;

	kfix_hog_epc(c->p, 0, &hog);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* The batch would zap (the address-space lock) and take enclave locks: refused. */
		sgx_encl_lock(c->encl_a);
		sgx_alloc_epc_page(c->p, NULL, SGX_EPC_OWNER_TEST, true);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	kfix_release_epc(c->p, &hog);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_reclaims_when_the_epc_is_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(create_interrupted_while_reclaiming, setup,
						teardown),
		cmocka_unit_test_setup_teardown(add_interrupted_while_reclaiming, setup, teardown),
		cmocka_unit_test_setup_teardown(add_va_page_interrupted_while_reclaiming, setup_big,
						teardown),
		cmocka_unit_test_setup_teardown(add_enomem_while_the_reclaimer_holds_the_lru, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fault_path_waits_or_is_sigbus, setup, teardown),
		cmocka_unit_test_setup_teardown(reclaiming_under_an_enclave_lock_aborts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
