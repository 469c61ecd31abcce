/* SPDX-License-Identifier: MIT */
/*
 * sgxemu_enter_enclave enters without a trap once a thread has entered before (docs/internals.md
 * "Entering without a trap"): it builds the signal frame a trap would have produced and enters
 * with rt_sigreturn. What the caller must not be able to tell apart from the trapping entry: the
 * extended state (YMM registers, MXCSR) carried into the enclave and back, the signal mask, the
 * alternate signal stack, errno, a pending signal; and a failing entry still reports what the
 * trapping ENCLU reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/thread.h"
#include "runtime_fixture.h"

static struct sgxemu_enclave *encl;

static int setup(void **state)
{
	encl = rfix_load(NULL);
	return 0;
}

static int teardown(void **state)
{
	rfix_unload(encl);
	return 0;
}

static struct sgx_thread *this_thread(void)
{
	return sgx_thread_find(sgx_raw_gettid());
}

static void echo(unsigned int tcs, uint64_t a, uint64_t b)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.echo.a = a;
	args.u.echo.b = b;
	assert_int_equal(rfix_call(encl, tcs, TE_OP_ECHO, &args), TE_OK);
	assert_int_equal(args.u.echo.sum, a + b);
	assert_int_equal(args.u.echo.product, a * b);
}

static void test_entries_after_the_first_do_not_trap(void **state)
{
	struct sgx_thread *t;
	uint64_t direct, enclu;

	echo(0, 1, 2); /* the thread's first entry sets it up, in a trap */
	t = this_thread();
	assert_non_null(t);
	direct = t->direct_entries;
	enclu = t->enclu_count;
	for (uint64_t i = 0; i < 100; i++)
		echo(0, i, 3);
	assert_int_equal(t->direct_entries - direct, 100);
	/* Each entry is still one emulated EENTER, each exit one EEXIT. */
	assert_int_equal(t->enclu_count - enclu, 200);
}

/* One ECHO with patterns in YMM2-5 and mxcsr around it (no cmocka asserts: any thread). */
struct vector_trial {
	uint32_t mxcsr;
	struct rfix_vector_call c;
	struct sgx_enclave_run run;
	struct te_args args;
	uint64_t direct_entries; /* the thread's count after the call */
};

static void vector_trial_run(struct vector_trial *v, unsigned int tcs)
{
	memset(&v->run, 0, sizeof(v->run));
	v->run.tcs = encl->tcs[tcs];
	memset(&v->args, 0, sizeof(v->args));
	v->args.u.echo.a = 20;
	v->args.u.echo.b = 22;
	memset(&v->c, 0, sizeof(v->c));
	v->c.rdi = TE_OP_ECHO;
	v->c.rsi = (uint64_t)&v->args;
	v->c.function = EENTER;
	v->c.run = &v->run;
	v->c.fn = sgxemu_enter_enclave;
	v->c.mxcsr_in = v->mxcsr;
	for (size_t i = 0; i < sizeof(v->c.ymm_in); i++)
		((uint8_t *)v->c.ymm_in)[i] = (uint8_t)(i * 7 + v->mxcsr);
	rfix_vdso_call_vectors(&v->c);
	v->direct_entries = this_thread() ? this_thread()->direct_entries : 0;
}

static void assert_vector_trial(const struct vector_trial *v, uint64_t direct_entries)
{
	assert_int_equal(v->c.ret, 0);
	assert_int_equal(v->run.function, EEXIT);
	assert_int_equal(v->args.u.echo.sum, 42);
	/* Upper halves included: XSAVE components beyond SSE survive the frame and rt_sigreturn. */
	assert_memory_equal(v->c.ymm_out, v->c.ymm_in, sizeof(v->c.ymm_in));
	assert_int_equal(v->c.mxcsr_out, v->mxcsr);
	assert_int_equal(v->direct_entries, direct_entries);
}

static void *first_entry_thread(void *arg)
{
	struct vector_trial *trials = arg;

	/* A new thread: its first entry traps, its second does not. */
	vector_trial_run(&trials[0], 1);
	vector_trial_run(&trials[1], 1);
	return NULL;
}

static void test_vector_state_crosses_both_entries(void **state)
{
	struct vector_trial trials[2] = {
		{ .mxcsr = 0x7f80 }, /* all exceptions masked, round toward zero */
		{ .mxcsr = 0x3f80 }, /* round up */
	};
	pthread_t th;

	if (!__builtin_cpu_supports("avx"))
		skip();
	assert_int_equal(pthread_create(&th, NULL, first_entry_thread, trials), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_vector_trial(&trials[0], 0); /* trapped */
	assert_vector_trial(&trials[1], 1); /* direct */
}

static void test_mask_altstack_errno_and_pending_signals_survive(void **state)
{
	sigset_t block, before, after, pending;
	stack_t kernel_before, kernel_after, app_before, app_after;

	echo(0, 1, 1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGWINCH);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &before), 0);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
	/* Pending and blocked: it must neither be lost nor be delivered by the entry or the exit. */
	assert_int_equal(syscall(SYS_tgkill, getpid(), sgx_raw_gettid(), SIGWINCH), 0);
	assert_int_equal(syscall(SYS_sigaltstack, NULL, &kernel_before), 0);
	assert_int_equal(sigaltstack(NULL, &app_before), 0);

	errno = 4242;
	echo(0, 5, 6);
	assert_int_equal(errno, 4242);

	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
	for (int sig = 1; sig < NSIG; sig++)
		assert_int_equal(sigismember(&after, sig), sigismember(&before, sig));
	assert_int_equal(sigpending(&pending), 0);
	assert_true(sigismember(&pending, SIGWINCH));
	assert_int_equal(syscall(SYS_sigaltstack, NULL, &kernel_after), 0);
	assert_ptr_equal(kernel_after.ss_sp, kernel_before.ss_sp);
	assert_int_equal(kernel_after.ss_size, kernel_before.ss_size);
	assert_int_equal(kernel_after.ss_flags, kernel_before.ss_flags);
	assert_int_equal(sigaltstack(NULL, &app_after), 0);
	assert_ptr_equal(app_after.ss_sp, app_before.ss_sp);
	assert_int_equal(app_after.ss_flags, app_before.ss_flags);

	/* Take the pending signal with its default action ignored, and restore the mask. */
	signal(SIGWINCH, SIG_IGN);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &block, NULL), 0);
	signal(SIGWINCH, SIG_DFL);
}

static void test_failing_entry_reports_like_the_trap(void **state)
{
	struct sgx_enclave_run run;
	struct sgx_thread *t;
	struct te_args args;
	uint64_t direct;

	echo(0, 1, 1);
	t = this_thread();
	direct = t->direct_entries;
	/* A TCS address inside ELRANGE that is not a TCS page: EENTER's #GP, at the vDSO's ENCLU. */
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0] + 4096 * 64;
	memset(&args, 0, sizeof(args));
	assert_int_equal(
		rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0, &run), 0);
	assert_int_equal(run.function, EENTER);
	assert_true(run.exception_vector == 13 || run.exception_vector == 14);
	assert_int_equal(t->direct_entries, direct);
	/* And the thread enters normally afterwards, without a trap. */
	echo(0, 2, 2);
	assert_int_equal(t->direct_entries, direct + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_after_the_first_do_not_trap),
		cmocka_unit_test(test_vector_state_crosses_both_entries),
		cmocka_unit_test(test_mask_altstack_errno_and_pending_signals_survive),
		cmocka_unit_test(test_failing_entry_reports_like_the_trap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
