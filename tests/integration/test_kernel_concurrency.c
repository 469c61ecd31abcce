/* SPDX-License-Identifier: MIT */
/*
 * Races staged with pause points (no sleeps, no timing windows): concurrent ioctls on one enclave
 * get EBUSY; signals arriving during an ioctl are held until it ends, and then restart it
 * (SA_RESTART), fail it with EINTR, or end it with partial progress — the rows of ref §1.5 that
 * involve signal_pending().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <sgxemu/sgxemu.h>

#include "kernel/encl.h"
#include "kernel_fixture.h"

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave e;
	struct sgx_encl *encl;
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages add;
	uint8_t *src;
	struct sigaction old_usr1;
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

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->p = kfix_boot(NULL);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
	assert_int_equal(kfix_create(&c->e), 0);
	c->encl = sgx_encl_from_fd(c->e.fd);
	assert_false(IS_ERR(c->encl));
	c->src = aligned_alloc(4096, 4 * 4096);
	memset(c->src, 0x77, 4 * 4096);
	c->secinfo.flags = KFIX_SECINFO_RW;
	c->add.src = (uint64_t)(uintptr_t)c->src;
	c->add.offset = 0x8000;
	c->add.length = 3 * 4096;
	c->add.secinfo = (uint64_t)(uintptr_t)&c->secinfo;
	c->add.flags = SGX_PAGE_MEASURE;
	c->old_usr1.sa_handler = SIG_DFL;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	sigaction(SIGUSR1, &c->old_usr1, NULL);
	sgx_encl_put(c->encl);
	kfix_check(c->p);
	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p), c->free0);
	kfix_shutdown(c->p);
	free(c->src);
	free(c);
	return 0;
}

static uint64_t resident(struct ctx *c)
{
	uint64_t n;

	sgx_encl_lock(c->encl);
	n = c->encl->secs_child_cnt;
	sgx_encl_unlock(c->encl);
	return n;
}

static void add_standard_rest(struct ctx *c)
{
	struct sgx_tcs tcs __attribute__((aligned(4096)));

	kfix_tcs_image(&tcs, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_CODE_OFFSET);
	assert_int_equal(kfix_add(&c->e, 0, KFIX_SECINFO_TCS, &tcs, true), 0);
	assert_int_equal(
		kfix_add_pages(&c->e, KFIX_SSA_OFFSET, 2, KFIX_SECINFO_RW, NULL, true, NULL), 0);
	kfix_sign(&c->e, NULL);
}

static void concurrent_ioctl_is_ebusy(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_add_pages other = c->add;
	struct kfix_enclave second;
	struct kfix_thread t;

	/* Hold an ADD_PAGES between its first and second page. */
	sgx_pause_arm(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(resident(c), 1);

	/* Every ioctl on the same enclave is refused at once, whatever it is. */
	other.offset = 0x0;
	other.length = 4096;
	other.count = 99;
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &other), -EBUSY);
	assert_int_equal(other.count, 99); /* refused before the argument is read */
	assert_int_equal(kfix_init(&c->e), -EBUSY);
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_CREATE, NULL), -EBUSY);
	assert_int_equal(kfix_ioctl(c->e.fd, 0xA4FF, NULL), -EBUSY);

	/* Another enclave is not affected. */
	kfix_enclave_create(&second, c->p, SGX_ATTR_MODE64BIT);
	kfix_close(&second);

	sgx_pause_release(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(c->add.count, 3 * 4096);
	assert_int_equal(resident(c), 3);
	/* And the enclave takes ioctls again. */
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &other), 0);
}

static void concurrent_ioctl_during_init_is_ebusy(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_init init;
	struct kfix_thread t;

	add_standard_rest(c);
	init.sigstruct = (uint64_t)(uintptr_t)&c->e.sigstruct;

	/* Hold INIT under the enclave lock, right before EINIT. */
	sgx_pause_arm(c->p, SGX_PAUSE_INIT_EINIT, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_INIT, &init);
	sgx_pause_wait(c->p, SGX_PAUSE_INIT_EINIT);
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add), -EBUSY);
	assert_int_equal(kfix_init(&c->e), -EBUSY);
	sgx_pause_release(c->p, SGX_PAUSE_INIT_EINIT);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_true(sgx_encl_test_flag(c->encl, SGX_ENCL_INITIALIZED));
}

/* A signal that arrives before the first page: ERESTARTSYS. With SA_RESTART, invisible. */
static void signal_before_first_page_restarts(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;

	install_usr1(c, SA_RESTART);
	sgx_pause_arm(c->p, SGX_PAUSE_IOCTL_ENTER, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_IOCTL_ENTER);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	/* Held: the handler does not run inside the ioctl. */
	assert_int_equal(handled, 0);
	sgx_pause_release(c->p, SGX_PAUSE_IOCTL_ENTER);
	assert_int_equal(kfix_thread_join(&t), 0);
	/* The handler ran once, between the two attempts, and the restart did all the work. */
	assert_int_equal(handled, 1);
	assert_int_equal(c->add.count, 3 * 4096);
	assert_int_equal(resident(c), 3);
}

/* Without SA_RESTART the same signal makes it EINTR, with count 0 written back. */
static void signal_before_first_page_is_eintr(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;

	install_usr1(c, 0);
	c->add.count = 55;
	sgx_pause_arm(c->p, SGX_PAUSE_IOCTL_ENTER, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_IOCTL_ENTER);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_IOCTL_ENTER);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(handled, 1);
	assert_int_equal(c->add.count, 0);
	assert_int_equal(resident(c), 0);
}

/* A signal after the first page: the loop stops and the ioctl succeeds with count < length. */
static void signal_mid_range_is_partial_success(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;

	install_usr1(c, 0);
	sgx_pause_arm(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(c->add.count, 4096);
	assert_int_equal(handled, 1);
	assert_int_equal(resident(c), 1);

	/* The caller continues where it stopped. */
	c->add.src += c->add.count;
	c->add.offset += c->add.count;
	c->add.length -= c->add.count;
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add), 0);
	assert_int_equal(resident(c), 3);
}

/* Signals the caller blocks, or ignores, are not "pending" for the kernel. */
static void blocked_and_ignored_signals_do_not_interrupt(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;

	install_usr1(c, 0);
	sgx_pause_arm(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	/* SIGCHLD and SIGWINCH are ignored by default, SIGURG too. */
	assert_int_equal(pthread_kill(t.thread, SIGCHLD), 0);
	assert_int_equal(pthread_kill(t.thread, SIGWINCH), 0);
	assert_int_equal(pthread_kill(t.thread, SIGURG), 0);
	sgx_pause_release(c->p, SGX_PAUSE_ADD_PAGES_BETWEEN);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(c->add.count, 3 * 4096);

	/* This thread blocks SIGUSR1 itself: pending, but not for the ioctl. */
	{
		sigset_t set, old;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &set, &old);
		raise(SIGUSR1);
		c->add.offset = 0x0;
		c->add.length = 2 * 4096;
		assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add), 0);
		assert_int_equal(c->add.count, 2 * 4096);
		assert_int_equal(handled, 0);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		assert_int_equal(handled, 1);
	}
}

/* A signal during INIT's back-off sleep: ERESTARTSYS, i.e. EINTR without SA_RESTART. */
static void signal_in_einit_backoff_is_eintr(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_init init;
	struct kfix_thread t;

	add_standard_rest(c);
	init.sigstruct = (uint64_t)(uintptr_t)&c->e.sigstruct;
	install_usr1(c, 0);
	sgx_cpu_inject_unmasked_event(c->p->cpu, 25);
	sgx_pause_arm(c->p, SGX_PAUSE_INIT_SLEEP, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_INIT, &init);
	sgx_pause_wait(c->p, SGX_PAUSE_INIT_SLEEP);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_INIT_SLEEP);
	assert_int_equal(kfix_thread_join(&t), -EINTR);
	assert_int_equal(handled, 1);
	assert_false(sgx_encl_test_flag(c->encl, SGX_ENCL_INITIALIZED));
	/* 5 interrupted attempts remain: the next INIT gets through them. */
	assert_int_equal(kfix_init(&c->e), 0);
}

static void signal_in_einit_backoff_restarts(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_init init;
	struct kfix_thread t;

	add_standard_rest(c);
	init.sigstruct = (uint64_t)(uintptr_t)&c->e.sigstruct;
	install_usr1(c, SA_RESTART);
	sgx_cpu_inject_unmasked_event(c->p->cpu, 25);
	sgx_pause_arm(c->p, SGX_PAUSE_INIT_SLEEP, c->encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_INIT, &init);
	sgx_pause_wait(c->p, SGX_PAUSE_INIT_SLEEP);
	assert_int_equal(pthread_kill(t.thread, SIGUSR1), 0);
	sgx_pause_release(c->p, SGX_PAUSE_INIT_SLEEP);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(handled, 1);
	assert_true(sgx_encl_test_flag(c->encl, SGX_ENCL_INITIALIZED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_ioctl_is_ebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_ioctl_during_init_is_ebusy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(signal_before_first_page_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_before_first_page_is_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_mid_range_is_partial_success, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocked_and_ignored_signals_do_not_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(signal_in_einit_backoff_is_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_in_einit_backoff_restarts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
