/* SPDX-License-Identifier: MIT */
/*
 * The reclaimer against running enclaves, natively and from several threads (CTest label
 * `concurrent`: these also run under ThreadSanitizer):
 *
 *   - several threads inside one enclave write and verify a heap four times the EPC, in order and
 *     in a permuted order, while ksgxd evicts under them: zero mismatches, threads forced out of
 *     the enclave (kicks) for tracking;
 *   - several enclaves oversubscribing the EPC together all finish;
 *   - an enclave closed while a batch holds its pages (isolated, or blocked) leaks nothing;
 *   - a fault on a page whose write-back is in flight sleeps until it is over (no fault loop);
 *   - a thread stopped inside one enclave (a tracer's stop: it cannot take the forced AEX) does
 *     not stall reclaim for another enclave, and its own enclave resumes when it does.
 *
 * SGXEMU_SOAK_EVICTIONS=N runs only the first test, looping until N pages have been evicted (the
 * soak target of the README: `make soak`).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel/encl.h"
#include "runtime/thread.h"
#include "runtime_fixture.h"

#define EPC "1M"
#define EPC_SIZE (1ULL << 20)

static struct sgx_platform *boot(const char *epc)
{
	struct sgxemu_config config;
	char err[256];

	sgxemu_shutdown();
	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "epc", epc, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_boot(&config), 0);
	return sgx_default_platform();
}

static void check(struct sgx_platform *p)
{
	char err[512];

	if (sgx_platform_check(p, err, sizeof(err)))
		fail_msg("invariant violated: %s", err);
}

static struct sgx_platform_stats stats(struct sgx_platform *p)
{
	struct sgx_platform_stats s;

	sgx_platform_get_stats(p, &s);
	return s;
}

static struct sgxemu_enclave *load(uint64_t heap_size, unsigned int threads)
{
	struct rfix_options o = { .threads = threads, .heap_size = heap_size };
	struct sgxemu_enclave *e = rfix_load(&o);

	assert_true(e->has_layout && e->heap_size >= heap_size);
	return e;
}

static struct sgx_encl *encl_of(struct sgxemu_enclave *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);

	assert_false(IS_ERR(encl));
	sgx_encl_put(encl); /* the fd keeps it */
	return encl;
}

/* What ksgxd changes under the enclave lock, read under it. */
static bool secs_resident(struct sgx_encl *encl)
{
	bool resident;

	sgx_encl_lock(encl);
	resident = encl->secs.epc_page != NULL;
	sgx_encl_unlock(encl);
	return resident;
}

static uint64_t children_resident(struct sgx_encl *encl)
{
	uint64_t n;

	sgx_encl_lock(encl);
	n = encl->secs_child_cnt;
	sgx_encl_unlock(encl);
	return n;
}

static uint64_t nr_evicted(struct sgx_encl *encl)
{
	uint64_t n;

	sgx_encl_lock(encl);
	n = encl->nr_evicted;
	sgx_encl_unlock(encl);
	return n;
}

/* --- workers: TE_OP_TOUCH passes over a range, from a thread of their own ------------------- */

struct worker {
	pthread_t thread;
	struct sgxemu_enclave *e;
	unsigned int tcs;
	uint64_t addr, npages;
	uint64_t seed;
	unsigned int rounds;
	/* out */
	uint64_t mismatches, pages;
	int64_t status;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static const uint32_t modes[] = {
		TE_TOUCH_WRITE | TE_TOUCH_VERIFY,
		TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM,
		TE_TOUCH_VERIFY,
	};

	for (unsigned int r = 0; r < w->rounds; r++) {
		for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			struct te_args args;

			memset(&args, 0, sizeof(args));
			args.u.touch.addr = w->addr;
			args.u.touch.npages = w->npages;
			/* The verify-only pass checks what the random pass wrote. */
			args.u.touch.seed = w->seed + r * 2 + (m ? 1 : 0);
			args.u.touch.mode = modes[m];
			w->status = rfix_call(w->e, w->tcs, TE_OP_TOUCH, &args);
			if (w->status != TE_OK)
				return NULL;
			w->mismatches += args.u.touch.mismatches;
			w->pages += args.u.touch.pages_done;
		}
	}
	return NULL;
}

static void start(struct worker *w)
{
	assert_int_equal(pthread_create(&w->thread, NULL, worker_main, w), 0);
}

static void join(struct worker *w)
{
	assert_int_equal(pthread_join(w->thread, NULL), 0);
	assert_int_equal(w->status, TE_OK);
	assert_int_equal(w->mismatches, 0);
}

/* --- one enclave, several threads, four times the EPC ---------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * One write pass of `pressure` over its heap (twice the EPC) while the enclave of encl is idle:
 * ksgxd evicts in LRU order, so every page of the idle enclave goes, and its SECS after its last
 * child. Passes until it has (a few at most).
 */
static void push_out(struct sgx_platform *p, struct sgxemu_enclave *pressure, struct sgx_encl *encl)
{
	for (unsigned int pass = 0; pass < 8 && secs_resident(encl); pass++) {
		struct te_args args;

		memset(&args, 0, sizeof(args));
		args.u.touch.seed = pass;
		args.u.touch.mode = TE_TOUCH_WRITE;
		assert_int_equal(rfix_call(pressure, 0, TE_OP_TOUCH, &args), TE_OK);
	}
	assert_false(secs_resident(encl));
	assert_int_equal(children_resident(encl), 0);
}

#define THREADS 4

static void threads_share_an_oversubscribed_heap(void **state)
{
	struct sgx_platform *p = boot(EPC);
	struct sgxemu_enclave *e = load(4 * EPC_SIZE, THREADS);
	/* Pages through the EPC while e is idle, so that e goes out entirely, its SECS last. */
	struct sgxemu_enclave *pressure = load(2 * EPC_SIZE, 1);
	struct sgx_encl *encl = encl_of(e);
	const char *soak = getenv("SGXEMU_SOAK_EVICTIONS");
	uint64_t target = soak ? strtoull(soak, NULL, 0) : 0;
	uint64_t quarter = e->heap_size / 4096 / THREADS;
	uint64_t secs_loaded, mismatches = 0, pages = 0;
	struct worker w[THREADS];
	struct sgx_platform_stats s;
	unsigned int round = 0;
	double t0 = now();

	do {
		/* Every 16th round starts with e's SECS in the backing store: EENTER brings it back. */
		if (!(round % 16))
			push_out(p, pressure, encl);
		s = stats(p);
		secs_loaded = s.reclaim.secs_loaded;
		for (unsigned int i = 0; i < THREADS; i++) {
			w[i] = (struct worker){
				.e = e,
				.tcs = i,
				.addr = e->heap + i * quarter * 4096,
				.npages = quarter,
				.seed = 1000 * (round + 1) + 10 * i,
				.rounds = 1,
			};
			start(&w[i]);
		}
		for (unsigned int i = 0; i < THREADS; i++) {
			join(&w[i]);
			assert_int_equal(w[i].pages, 3 * quarter);
			mismatches += w[i].mismatches;
			pages += w[i].pages;
		}
		s = stats(p);
		if (!((round++) % 16))
			assert_true(s.reclaim.secs_loaded > secs_loaded);
		if (target && !(round % 16))
			fprintf(stderr,
				"soak: %llu evictions, %llu loads, %llu kicks, %llu SECS out, "
				"%llu pages verified, %llu mismatches, %.0f s\n",
				(unsigned long long)s.reclaim.evicted,
				(unsigned long long)s.reclaim.loaded,
				(unsigned long long)s.reclaim.kicks,
				(unsigned long long)s.reclaim.secs_evicted,
				(unsigned long long)pages, (unsigned long long)mismatches,
				now() - t0);
	} while (s.reclaim.evicted < target);
	assert_int_equal(mismatches, 0);
	assert_true(s.reclaim.secs_evicted >= 1 && s.reclaim.secs_loaded >= 1);

	/* Every page went out and came back at least once per pass. */
	assert_true(s.reclaim.evicted >= 2 * e->heap_size / 4096);
	assert_true(s.reclaim.loaded >= 2 * e->heap_size / 4096);
	/* Threads were inside while their pages were written back: forced out, then tracked. */
	assert_true(s.reclaim.ewb_kicked > 0);
	assert_true(s.reclaim.kicks > 0);
	assert_int_equal(s.reclaim.kick_timeouts, 0);
	assert_int_equal(s.reclaim.ewb_lost, 0);
	assert_int_equal(s.reclaim.eldu_failures, 0);
	if (target) {
		fprintf(stderr,
			"soak done: %llu evictions, %llu loads, %llu SECS out/%llu in, "
			"%llu pages verified, %llu mismatches, %.1f s\n",
			(unsigned long long)s.reclaim.evicted, (unsigned long long)s.reclaim.loaded,
			(unsigned long long)s.reclaim.secs_evicted,
			(unsigned long long)s.reclaim.secs_loaded, (unsigned long long)pages,
			(unsigned long long)mismatches, now() - t0);
		sgx_platform_print_stats(p, stderr);
	}
	check(p);
	rfix_unload(pressure);
	rfix_unload(e);
	check(p);
	s = stats(p);
	assert_int_equal(s.free_pages, s.total_pages);
}

/* --- several enclaves ------------------------------------------------------------------------- */

#define ENCLAVES 3

static void several_enclaves_all_make_progress(void **state)
{
	struct sgx_platform *p = boot(EPC);
	struct sgxemu_enclave *e[ENCLAVES];
	struct worker w[ENCLAVES];
	struct sgx_platform_stats s;

	/* Each heap is twice the EPC: together six times. */
	for (unsigned int i = 0; i < ENCLAVES; i++)
		e[i] = load(2 * EPC_SIZE, 1);
	for (unsigned int i = 0; i < ENCLAVES; i++) {
		w[i] = (struct worker){
			.e = e[i],
			.addr = e[i]->heap,
			.npages = e[i]->heap_size / 4096,
			.seed = 77 + i,
			.rounds = 2,
		};
		start(&w[i]);
	}
	for (unsigned int i = 0; i < ENCLAVES; i++) {
		join(&w[i]);
		assert_int_equal(w[i].pages, 6 * (e[i]->heap_size / 4096));
		/* It did not finish by having the EPC to itself: its pages went out too. */
		assert_true(nr_evicted(encl_of(e[i])) > 0);
	}
	s = stats(p);
	assert_true(s.reclaim.evicted >= 2 * ENCLAVES * 2 * EPC_SIZE / 4096);
	assert_int_equal(s.reclaim.eldu_failures, 0);
	check(p);
	for (unsigned int i = 0; i < ENCLAVES; i++)
		rfix_unload(e[i]);
	check(p);
	s = stats(p);
	assert_int_equal(s.free_pages, s.total_pages);
}

/* --- teardown against a batch ---------------------------------------------------------------- */

struct batch {
	pthread_t thread;
	struct sgx_platform *p;
	struct sgx_encl *encl; /* NULL: sgx_reclaim_pages, else the whole of this enclave */
	uint64_t start, end;
	unsigned int freed;
};

static void *batch_main(void *arg)
{
	struct batch *b = arg;

	b->freed = b->encl ? sgx_encl_reclaim_range(b->encl, b->start, b->end)
			   : sgx_reclaim_pages(b->p);
	return NULL;
}

static void close_during_batch(enum sgx_pause_point point)
{
	struct sgx_platform *p = boot(EPC);
	struct sgxemu_enclave *e = load(64 << 10, 1);
	struct sgx_encl *encl = encl_of(e);
	struct batch b = { .p = p };
	struct sgx_platform_stats s;
	struct te_args args;

	sgx_reclaimer_freeze(p);
	memset(&args, 0, sizeof(args));
	args.u.touch.mode = TE_TOUCH_WRITE;
	assert_int_equal(rfix_call(e, 0, TE_OP_TOUCH, &args), TE_OK);
	if (point == SGX_PAUSE_RECLAIM_BLOCKED) {
		/* Pages blocked and waiting for their EWB (forced: accessed or not). */
		b.encl = encl;
		b.start = e->base;
		b.end = e->base + e->size;
	}
	sgx_pause_arm(p, point, encl, 0);
	assert_int_equal(pthread_create(&b.thread, NULL, batch_main, &b), 0);
	assert_ptr_equal(sgx_pause_wait(p, point), encl);

	/* The application lets go of the enclave: unmapped, fd closed. The batch still holds it. */
	rfix_unload(e);
	s = stats(p);
	assert_int_equal(s.nr_enclaves, 1);

	sgx_pause_release(p, point);
	assert_int_equal(pthread_join(b.thread, NULL), 0);
	/* The batch dropped the last reference: the enclave is gone, every page with it. */
	s = stats(p);
	assert_int_equal(s.nr_enclaves, 0);
	assert_int_equal(s.free_pages, s.total_pages);
	assert_int_equal(s.leaked_pages, 0);
	if (point == SGX_PAUSE_RECLAIM_BLOCKED)
		assert_true(b.freed > 0 && s.reclaim.evicted >= b.freed);
	check(p);
	sgx_reclaimer_thaw(p);
}

static void close_while_a_batch_holds_pages(void **state)
{
	close_during_batch(SGX_PAUSE_RECLAIM_BATCH);
}

static void close_while_a_batch_holds_blocked_pages(void **state)
{
	close_during_batch(SGX_PAUSE_RECLAIM_BLOCKED);
}

/* --- a fault during the write-back waits ------------------------------------------------------ */

struct reader {
	pthread_t thread;
	struct sgxemu_enclave *e;
	uint64_t addr, value;
	int64_t status;
	int done; /* atomic */
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.mem.addr = r->addr;
	r->status = rfix_call(r->e, 1, TE_OP_READ, &args);
	r->value = args.u.mem.value;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void fault_waits_for_the_write_back(void **state)
{
	struct sgx_platform *p = boot(EPC);
	struct sgxemu_enclave *e = load(64 << 10, 2);
	struct sgx_encl *encl = encl_of(e);
	struct batch b = { .p = p, .encl = encl };
	struct reader r = { .e = e };
	struct sgx_platform_stats s;
	uint64_t aex;
	struct te_args args;

	sgx_reclaimer_freeze(p);
	memset(&args, 0, sizeof(args));
	args.u.touch.seed = 21;
	args.u.touch.mode = TE_TOUCH_WRITE;
	assert_int_equal(rfix_call(e, 0, TE_OP_TOUCH, &args), TE_OK);

	/* The page is blocked, its EWB not done yet. */
	b.start = e->heap + 5 * 4096;
	b.end = b.start + 4096;
	sgx_pause_arm(p, SGX_PAUSE_RECLAIM_BLOCKED, encl, 0);
	assert_int_equal(pthread_create(&b.thread, NULL, batch_main, &b), 0);
	sgx_pause_wait(p, SGX_PAUSE_RECLAIM_BLOCKED);

	/* The enclave reads it: the fault finds it BEING_RECLAIMED and sleeps. */
	r.addr = b.start + 16;
	s = stats(p);
	assert_int_equal(pthread_create(&r.thread, NULL, reader_main, &r), 0);
	while (stats(p).reclaim.fault_waits == s.reclaim.fault_waits)
		usleep(1000);
	aex = stats(p).cpu.aex;
	usleep(200 * 1000);
	/* Asleep, not spinning through the fault: a handful of bounded waits at most. */
	assert_false(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
	assert_true(stats(p).cpu.aex - aex < 20);

	sgx_pause_release(p, SGX_PAUSE_RECLAIM_BLOCKED);
	assert_int_equal(pthread_join(b.thread, NULL), 0);
	assert_int_equal(b.freed, 1);
	assert_int_equal(pthread_join(r.thread, NULL), 0);
	/* Out, and back in for the reader, who read what was written. */
	assert_int_equal(r.status, TE_OK);
	assert_int_equal(r.value, te_pattern(21, r.addr - e->base));
	check(p);
	rfix_unload(e);
	sgx_reclaimer_thaw(p);
}

/* --- a thread stopped inside an enclave ------------------------------------------------------- */

static volatile uint64_t spin_stop;

struct spinner {
	pthread_t thread;
	struct sgxemu_enclave *e;
	pid_t tid; /* atomic */
	struct te_args args;
	int64_t status;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	memset(&s->args, 0, sizeof(s->args));
	s->args.u.spin.iterations = ~0ULL >> 1;
	s->args.u.spin.seed = 5;
	s->args.u.spin.stop_addr = (uint64_t)&spin_stop;
	s->status = rfix_call(s->e, 0, TE_OP_SPIN, &s->args);
	return NULL;
}

static bool thread_inside(pid_t tid)
{
	struct sgx_thread *t = sgx_thread_find(tid);

	return t && __atomic_load_n(&t->tlp.enclave_mode, __ATOMIC_ACQUIRE);
}

static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * A tracer process stops one thread of ours (PTRACE_INTERRUPT: a debugger's stop; SIGSTOP would
 * stop every thread). It holds the thread until a byte arrives on `go`, then detaches.
 * Returns the tracer's pid, or -1 if this system does not let us trace ourselves.
 */
static pid_t stop_thread(pid_t tid, int go)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int status;

		if (ptrace(PTRACE_SEIZE, tid, 0, 0) || ptrace(PTRACE_INTERRUPT, tid, 0, 0) ||
		    waitpid(tid, &status, __WALL) != tid)
			_exit(1);
		c = 1;
		if (write(ready[1], &c, 1) != 1 || read(go, &c, 1) != 1)
			_exit(2);
		_exit(ptrace(PTRACE_DETACH, tid, 0, 0) ? 3 : 0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1 || c != 1) {
		close(ready[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(ready[0]);
	return pid;
}

static void stopped_thread_does_not_stall_reclaim(void **state)
{
	struct sgx_platform *p = boot(EPC);
	struct sgxemu_enclave *a = load(64 << 10, 1), *b;
	struct spinner s = { .e = a };
	struct sgx_platform_stats st;
	struct worker w;
	int go[2], status;
	pid_t tracer, tid;

	spin_stop = 0;
	assert_int_equal(pthread_create(&s.thread, NULL, spinner_main, &s), 0);
	while (!(tid = __atomic_load_n(&s.tid, __ATOMIC_ACQUIRE)) || !thread_inside(tid))
		usleep(1000);
	usleep(20 * 1000); /* past its first faults: spinning in registers */
	assert_int_equal(pipe(go), 0);
	tracer = stop_thread(tid, go[0]);
	if (tracer < 0) {
		spin_stop = 1;
		pthread_join(s.thread, NULL);
		rfix_unload(a);
		skip(); /* no ptrace here (a container's seccomp, for example) */
	}
	while (thread_state(tid) != 't')
		usleep(1000);
	assert_true(thread_inside(tid));

	/* Another enclave pages through four times the EPC: it must not wait for the stopped one. */
	b = load(4 * EPC_SIZE, 1);
	w = (struct worker){
		.e = b, .addr = b->heap, .npages = b->heap_size / 4096, .seed = 3, .rounds = 1
	};
	start(&w);
	join(&w);
	st = stats(p);
	/* A's pages met the stopped thread: the kick gave up on it and they were set aside. */
	assert_true(st.reclaim.kick_timeouts > 0);
	assert_true(st.reclaim.deferred > 0);
	assert_true(st.deferred_pages > 0);
	assert_true(thread_inside(tid));
	check(p);

	/* Let it go: it takes the forced AEX it owes, its pages go out, and it spins on. */
	assert_int_equal(write(go[1], "", 1), 1);
	assert_int_equal(waitpid(tracer, &status, 0), tracer);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(go[0]);
	close(go[1]);
	while (stats(p).deferred_pages)
		usleep(1000);
	spin_stop = 1;
	assert_int_equal(pthread_join(s.thread, NULL), 0);
	assert_int_equal(s.status, TE_OK);
	assert_int_equal(s.args.u.spin.checksum, te_spin_checksum(5, s.args.u.spin.done));
	check(p);
	rfix_unload(b);
	rfix_unload(a);
	check(p);
	st = stats(p);
	assert_int_equal(st.free_pages, st.total_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_share_an_oversubscribed_heap),
		cmocka_unit_test(several_enclaves_all_make_progress),
		cmocka_unit_test(close_while_a_batch_holds_pages),
		cmocka_unit_test(close_while_a_batch_holds_blocked_pages),
		cmocka_unit_test(fault_waits_for_the_write_back),
		cmocka_unit_test(stopped_thread_does_not_stall_reclaim),
	};
	const struct CMUnitTest soak[] = {
		cmocka_unit_test(threads_share_an_oversubscribed_heap),
	};

	if (getenv("SGXEMU_SOAK_EVICTIONS"))
		return cmocka_run_group_tests(soak, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
