/* SPDX-License-Identifier: MIT */
/*
 * Signals that arrive while a thread runs enclave code: an AEX first (EXITINFO.VALID = 0, the
 * registers saved in the SSA), then the application's handler at the AEP, then ERESUME — the
 * enclave never notices, and its computation comes out right. Also threads on several TCSs, a
 * busy TCS, and SSA exhaustion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "kernel/sgx.h"
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

static uint64_t aex_count(void)
{
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(sgx_default_platform()->cpu, &stats);
	return stats.aex;
}

struct spinner {
	unsigned int tcs;
	uint64_t seed;
	volatile uint64_t *stop;
	struct te_args args;
	int64_t status;
	pthread_t thread;
	pid_t tid; /* set by the thread itself when it starts (atomic) */
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);

	memset(&s->args, 0, sizeof(s->args));
	s->args.u.spin.iterations = ~0ULL >> 1;
	s->args.u.spin.seed = s->seed;
	s->args.u.spin.stop_addr = (uint64_t)s->stop;
	s->status = rfix_call(encl, s->tcs, TE_OP_SPIN, &s->args);
	return NULL;
}

static void check_spinner(struct spinner *s)
{
	assert_int_equal(s->status, TE_OK);
	assert_true(s->args.u.spin.done > 0);
	/* Every register the loop keeps its state in survived every AEX/ERESUME. */
	assert_int_equal(s->args.u.spin.checksum, te_spin_checksum(s->seed, s->args.u.spin.done));
}

static int handled; /* atomic */

static void count_handler(int sig)
{
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
}

static void test_async_signal_is_an_aex(void **state)
{
	volatile uint64_t stop = 0;
	struct spinner s = { .tcs = 0, .seed = 11, .stop = &stop };
	uint64_t aex_before = aex_count();
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_handler;
	sigaction(SIGUSR1, &sa, NULL);
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
	pthread_create(&s.thread, NULL, spin_thread, &s);
	while (__atomic_load_n(&handled, __ATOMIC_RELAXED) < 50) {
		pthread_kill(s.thread, SIGUSR1);
		usleep(1000);
	}
	stop = 1;
	pthread_join(s.thread, NULL);
	check_spinner(&s);
	/* At least the signals that caught the thread inside the enclave made AEXes. */
	assert_true(aex_count() > aex_before);
	signal(SIGUSR1, SIG_DFL);
}

/* The storm: handlers that use errno and malloc, two spinning threads, many signals. */
/* Sanitizer builds check memory, not throughput: a tenth of the storm is enough there. */
#ifdef SGXEMU_SANITIZER_BUILD
#define STORM_DELIVERIES 10000
#else
#define STORM_DELIVERIES 100000
#endif

static uint64_t storm_handled; /* atomic */

static void storm_handler(int sig)
{
	int saved = errno;
	void *p = malloc(64 + (__atomic_load_n(&storm_handled, __ATOMIC_RELAXED) & 255));

	errno = EINTR;
	if (p)
		memset(p, 0xAA, 64);
	free(p);
	__atomic_add_fetch(&storm_handled, 1, __ATOMIC_RELAXED);
	errno = saved;
}

/*
 * Each spinner gets two timers on its own CPU-time clock, one raising SIGPROF and one SIGALRM at
 * that thread: they fire while it runs, i.e. while it is inside the enclave, so nearly every
 * signal interrupts enclave code (and none is lost to a descheduled target).
 */
static void arm_timers(struct spinner *sp, timer_t timers[2], long interval_ns)
{
	static const int sigs[2] = { SIGPROF, SIGALRM };
	clockid_t clock;

	while (!__atomic_load_n(&sp->tid, __ATOMIC_ACQUIRE))
		sched_yield();
	assert_int_equal(pthread_getcpuclockid(sp->thread, &clock), 0);
	for (int i = 0; i < 2; i++) {
		struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sigs[i] };
		struct itimerspec its = { .it_interval = { 0, interval_ns + i * 20000 },
					  .it_value = { 0, interval_ns + i * 20000 } };

		sev._sigev_un._tid = __atomic_load_n(&sp->tid, __ATOMIC_ACQUIRE);
		assert_int_equal(timer_create(clock, &sev, &timers[i]), 0);
		assert_int_equal(timer_settime(timers[i], 0, &its, NULL), 0);
	}
}

static void test_signal_storm(void **state)
{
	volatile uint64_t stop = 0;
	struct spinner s[2] = { { .tcs = 1, .seed = 21, .stop = &stop },
				{ .tcs = 2, .seed = 22, .stop = &stop } };
	timer_t timers[2][2];
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = storm_handler;
	sa.sa_flags = SA_RESTART;
	/* Like any handler that calls malloc, it must not interrupt itself. */
	sigaddset(&sa.sa_mask, SIGPROF);
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	__atomic_store_n(&storm_handled, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++) {
		pthread_create(&s[i].thread, NULL, spin_thread, &s[i]);
		arm_timers(&s[i], timers[i], 50000);
	}
	/*
	 * CPU-time timers fire at most once a scheduler tick; the bulk comes from pthread_kill at
	 * both threads, which only costs anything when the previous signal has been taken.
	 */
	for (unsigned int i = 0; __atomic_load_n(&storm_handled, __ATOMIC_RELAXED) < STORM_DELIVERIES;
	     i++)
		pthread_kill(s[i & 1].thread, (i & 2) ? SIGALRM : SIGPROF);
	for (int i = 0; i < 2; i++) {
		timer_delete(timers[i][0]);
		timer_delete(timers[i][1]);
	}
	stop = 1;
	for (int i = 0; i < 2; i++) {
		pthread_join(s[i].thread, NULL);
		check_spinner(&s[i]);
	}
	assert_true(__atomic_load_n(&storm_handled, __ATOMIC_RELAXED) >= STORM_DELIVERIES);
	signal(SIGPROF, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
}

static void test_threads_on_all_tcs(void **state)
{
	volatile uint64_t stop = 0;
	struct spinner s[4];

	for (unsigned int i = 0; i < encl->nr_tcs && i < 4; i++) {
		s[i] = (struct spinner){ .tcs = i, .seed = 100 + i, .stop = &stop };
		pthread_create(&s[i].thread, NULL, spin_thread, &s[i]);
	}
	usleep(20000);
	stop = 1;
	for (unsigned int i = 0; i < encl->nr_tcs && i < 4; i++) {
		pthread_join(s[i].thread, NULL);
		check_spinner(&s[i]);
	}
}

static void test_busy_tcs_is_gp(void **state)
{
	volatile uint64_t stop = 0;
	struct spinner s = { .tcs = 3, .seed = 5, .stop = &stop };
	struct sgx_enclave_run run;
	struct te_args args;
	struct te_args probe;

	pthread_create(&s.thread, NULL, spin_thread, &s);
	/* Wait until the spinner is in enclave mode (its ENCLU logical processor says so). */
	for (;;) {
		pid_t tid = __atomic_load_n(&s.tid, __ATOMIC_ACQUIRE);
		struct sgx_thread *t = tid ? sgx_thread_find(tid) : NULL;

		if (t && __atomic_load_n(&t->tlp.enclave_mode, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[3];
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_enter(encl, TE_OP_ECHO, &args, &run), 0);
	assert_int_equal(run.function, EENTER);
	assert_int_equal(run.exception_vector, 13);
	stop = 1;
	pthread_join(s.thread, NULL);
	check_spinner(&s);
	/* And the TCS is usable again. */
	memset(&probe, 0, sizeof(probe));
	assert_int_equal(rfix_call(encl, 3, TE_OP_ECHO, &probe), TE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async_signal_is_an_aex),
		cmocka_unit_test(test_threads_on_all_tcs),
		cmocka_unit_test(test_busy_tcs_is_gp),
		cmocka_unit_test(test_signal_storm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
