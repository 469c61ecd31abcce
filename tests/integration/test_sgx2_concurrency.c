/* SPDX-License-Identifier: MIT */
/*
 * SGX2 under concurrency, natively:
 *
 *  - EMODPR racing an enclave thread's EACCEPT on the same page gets the SDM's conflict answers,
 *    staged with the CPU's pause hook (never with timing): the kernel's EMODPR against a held
 *    EACCEPT answers SGX_EPC_PAGE_CONFLICT (the ioctl: EFAULT with `result`); the enclave's
 *    EACCEPT against a held EMODPR is #GP, and the same EACCEPT succeeds once the ioctl finished.
 *  - A thread stopped inside the enclave (ptrace) cannot take the ETRACK flow's IPI: the ioctl
 *    gives up on it, EACCEPT answers SGX_NOT_TRACKED until the thread runs again.
 *  - A stress run: threads inside the enclave keep writing and verifying their pages while other
 *    threads grow pages (EACCEPT-first), restrict and re-extend them, trim, accept and remove them
 *    and add them again, with the EPC held so small that the reclaimer keeps evicting and EAUG
 *    has to wait for it. Bounded in time; afterwards no data was lost, the platform's invariants
 *    hold and, once the enclave is gone, every EPC page is free again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
#include "kernel/sgx.h"
#include "runtime/thread.h"
#include "kernel_fixture.h"
#include "leaf_hold.h"
#include "sgx2_fixture.h"

static struct sgxemu_enclave *encl;
static struct te_info info;
static uint64_t next_free;

static int setup(void **state)
{
	encl = s2_load();
	info = s2_info(encl, 0);
	next_free = encl->free_start;
	return 0;
}

static int teardown(void **state)
{
	s2_check_platform();
	rfix_unload(encl);
	s2_check_platform();
	return 0;
}

static uint64_t off(uint64_t addr)
{
	return addr - encl->base;
}

static uint64_t eaug_pages(unsigned int n)
{
	uint64_t addr = next_free;

	next_free += n * S2_PAGE;
	assert_true(next_free <= encl->base + encl->size);
	assert_int_equal(s2_touch(encl, 0, addr, n, 1, TE_TOUCH_EACCEPT).eaccept_failures, 0);
	return addr;
}

/*
 * One enclave call without cmocka (threads other than the test's must not fail the test by
 * longjmp): the op's status, or -1 if the call did not end in an EEXIT.
 */
static __thread struct sgx_enclave_run last_run;

static int64_t call(unsigned int tcs, unsigned int op, struct te_args *args)
{
	struct sgx_enclave_run *run = &last_run;

	memset(run, 0, sizeof(*run));
	run->tcs = encl->tcs[tcs];
	if (rfix_enter(encl, op, args, run) || run->function != EEXIT)
		return -1;
	return args->status;
}

static int ioctl_errno(unsigned long cmd, void *arg)
{
	return sgxemu_ioctl(encl->fd, cmd, arg) ? errno : 0;
}

/* --- EMODPR vs EACCEPT --------------------------------------------------------------------- */

struct eaccept_call {
	unsigned int tcs;
	uint64_t addr, flags;
	uint64_t rax;
};

static int eaccept_thread(void *arg)
{
	struct eaccept_call *c = arg;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = c->addr;
	args.u.sgx2.secinfo_flags = c->flags;
	if (call(c->tcs, TE_OP_EACCEPT, &args) != TE_OK)
		return -1;
	c->rax = args.u.sgx2.rax_out;
	return 0;
}

/* The enclave's EACCEPT holds the page: the kernel's EMODPR answers SGX_EPC_PAGE_CONFLICT. */
static void test_emodpr_against_held_eaccept(void **state)
{
	struct sgx_cpu *cpu = sgx_default_platform()->cpu;
	uint64_t page = eaug_pages(1);
	struct eaccept_call c = { .tcs = 1, .addr = page, .flags = S2_REG | S2_R | S2_PR };
	struct sgx_enclave_restrict_permissions p;
	struct leaf_hold *hold;

	s2_write(encl, 0, page, 0x4242);
	assert_int_equal(s2_restrict(encl, off(page), S2_PAGE, S2_R, &p), 0);

	hold = leaf_hold_start(cpu, SGX_LEAF_CLASS_ENCLU, EACCEPT, eaccept_thread, &c);
	assert_non_null(hold);
	/* The EACCEPT is past its checks, holding the page. */
	assert_int_equal(s2_restrict(encl, off(page), S2_PAGE, S2_R, &p), EFAULT);
	assert_int_equal(p.result, SGX_EPC_PAGE_CONFLICT);
	assert_int_equal(p.count, 0);
	assert_int_equal(leaf_hold_release(hold), 0);
	assert_int_equal(c.rax, 0);

	assert_int_equal(s2_epcm(encl, page).state, 0);
	assert_int_equal(s2_epcm(encl, page).rwx, S2_R);
	assert_int_equal(s2_read(encl, 2, page), 0x4242);
}

struct restrict_call {
	uint64_t addr;
	int ret;
	struct sgx_enclave_restrict_permissions p;
};

static int restrict_thread(void *arg)
{
	struct restrict_call *c = arg;

	memset(&c->p, 0, sizeof(c->p));
	c->p.offset = off(c->addr);
	c->p.length = S2_PAGE;
	c->p.permissions = S2_R;
	c->ret = ioctl_errno(SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &c->p);
	return 0;
}

struct held_emodpr {
	struct leaf_hold *hold;
	unsigned int reports;
	struct sgx_enclave_run seen;
};

/*
 * The EACCEPT faulted (#GP: the page is in use by the kernel's EMODPR). Let the ioctl finish (its
 * ETRACK and kick find this thread outside the enclave), then ERESUME: the EACCEPT runs again.
 */
static int held_emodpr_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			       struct sgx_enclave_run *run)
{
	struct held_emodpr *h = (struct held_emodpr *)run->user_data;

	if (run->function == EEXIT)
		return 0;
	if (h->reports++)
		return -1;
	h->seen = *run;
	leaf_hold_release(h->hold);
	h->hold = NULL;
	return ERESUME;
}

/* The kernel's EMODPR holds the page: the enclave's EACCEPT is #GP. */
static void test_eaccept_against_held_emodpr(void **state)
{
	struct sgx_cpu *cpu = sgx_default_platform()->cpu;
	struct restrict_call rc = { .addr = eaug_pages(1) };
	struct held_emodpr h = { 0 };
	struct sgx_enclave_run run;
	struct te_args args;

	h.hold = leaf_hold_start(cpu, SGX_LEAF_CLASS_ENCLS, EMODPR, restrict_thread, &rc);
	assert_non_null(h.hold);

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = rc.addr;
	args.u.sgx2.secinfo_flags = S2_REG | S2_R | S2_PR;
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[1];
	run.user_handler = (uint64_t)held_emodpr_handler;
	run.user_data = (uint64_t)&h;
	assert_int_equal(rfix_enter(encl, TE_OP_EACCEPT, &args, &run), 0);

	assert_int_equal(h.reports, 1);
	assert_null(h.hold);
	assert_int_equal(h.seen.function, ERESUME);
	assert_int_equal(h.seen.exception_vector, 13);
	assert_int_equal(h.seen.exception_error_code, 0);
	/* The ioctl completed normally; the resumed EACCEPT accepted the restriction. */
	assert_int_equal(rc.ret, 0);
	assert_int_equal(rc.p.count, S2_PAGE);
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
	assert_int_equal(args.u.sgx2.rax_out, 0);
	assert_int_equal(s2_epcm(encl, rc.addr).state, 0);
	assert_int_equal(s2_epcm(encl, rc.addr).rwx, S2_R);
}

/* --- a thread that cannot take the IPI -------------------------------------------------------- */

static volatile uint64_t spin_stop;

struct spinner {
	pthread_t thread;
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
	s->args.u.spin.seed = 11;
	s->args.u.spin.stop_addr = (uint64_t)&spin_stop;
	s->status = call(0, TE_OP_SPIN, &s->args);
	return NULL;
}

static bool spinner_inside(pid_t tid)
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
 * A tracer process stops one thread of ours (PTRACE_INTERRUPT, a debugger's stop: SIGSTOP would
 * stop them all) until a byte arrives on `go`. The tracer's pid, or -1 if tracing is not allowed.
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

/*
 * A thread stopped inside the enclave (a debugger's stop) cannot take the ETRACK flow's IPI. The
 * ioctl does not hang and does not fail: it gives up on that thread, as the kernel's flow goes on
 * after its IPI. Tracking cannot complete while the thread stays inside, so the enclave's EACCEPT
 * answers SGX_NOT_TRACKED, as on hardware with a CPU that never takes the IPI; once the thread
 * runs again it takes the forced AEX it owes, and the same EACCEPT succeeds.
 */
static void test_restrict_with_a_stopped_thread_inside(void **state)
{
	struct sgx_platform *platform = sgx_default_platform();
	uint64_t page = eaug_pages(1), timeouts, rax;
	struct sgx_enclave_restrict_permissions p;
	struct spinner s = { 0 };
	int go[2], status;
	pid_t tracer, tid;

	s2_write(encl, 1, page, 0x5e5e);
	spin_stop = 0;
	assert_int_equal(pthread_create(&s.thread, NULL, spinner_main, &s), 0);
	while (!(tid = __atomic_load_n(&s.tid, __ATOMIC_ACQUIRE)) || !spinner_inside(tid))
		usleep(1000);
	usleep(20 * 1000); /* past its first faults: spinning in registers */
	assert_int_equal(pipe(go), 0);
	tracer = stop_thread(tid, go[0]);
	if (tracer < 0) {
		spin_stop = 1;
		pthread_join(s.thread, NULL);
		close(go[0]);
		close(go[1]);
		skip(); /* no ptrace here (a container's seccomp, for example) */
	}
	while (thread_state(tid) != 't')
		usleep(1000);
	assert_true(spinner_inside(tid));

	timeouts = __atomic_load_n(&platform->reclaimer.stats.kick_timeouts, __ATOMIC_RELAXED);
	assert_int_equal(s2_restrict(encl, off(page), S2_PAGE, S2_R, &p), 0);
	assert_int_equal(p.count, S2_PAGE);
	assert_true(__atomic_load_n(&platform->reclaimer.stats.kick_timeouts, __ATOMIC_RELAXED) >
		    timeouts);
	assert_true(spinner_inside(tid));
	assert_int_equal(s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_PR), SGX_NOT_TRACKED);
	assert_int_equal(s2_epcm(encl, page).state, S2_PR);

	/* Released: the pending IPI makes it leave (and come back); then tracking is complete. */
	assert_int_equal(write(go[1], "", 1), 1);
	assert_int_equal(waitpid(tracer, &status, 0), tracer);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(go[0]);
	close(go[1]);
	while ((rax = s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_PR)) == SGX_NOT_TRACKED)
		usleep(1000);
	assert_int_equal(rax, 0);
	assert_int_equal(s2_epcm(encl, page).state, 0);
	assert_int_equal(s2_read(encl, 1, page), 0x5e5e);

	spin_stop = 1;
	assert_int_equal(pthread_join(s.thread, NULL), 0);
	assert_int_equal(s.status, TE_OK);
	assert_int_equal(s.args.u.spin.checksum, te_spin_checksum(11, s.args.u.spin.done));
}

/* --- the stress run ------------------------------------------------------------------------ */

#define STRESS_USERS 2	     /* TCS 0, 1: keep using their heap pages */
#define STRESS_CYCLERS 2     /* TCS 2, 3: grow, restrict, trim, remove, re-add */
#define STRESS_CYCLE_PAGES 8 /* pages per cycler */
#define STRESS_USER_PAGES 16 /* heap pages per user */
#define STRESS_DEFAULT_MS 2000

struct stress {
	int64_t deadline_ns;
	uint64_t user_base[STRESS_USERS];
	uint64_t cycle_base[STRESS_CYCLERS];
	/* results, read after the joins */
	uint64_t user_rounds[STRESS_USERS];
	uint64_t cycles[STRESS_CYCLERS];
	uint64_t busy;	  /* ioctls that met another one (EBUSY), atomic */
	int cyclers_done; /* atomic */
	int failed;	  /* atomic: the first failure wins the message */
	char why[256];
};

static struct stress stress;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Cyclers stop at the deadline, but not before their first complete cycle (under pressure one
 * may wait long for pages while the other keeps winning them; once the other stops, it gets them).
 * Users stop when the cyclers are done.
 */
static bool cycler_running(unsigned int i)
{
	return !__atomic_load_n(&stress.failed, __ATOMIC_ACQUIRE) &&
	       (now_ns() < stress.deadline_ns || !stress.cycles[i]);
}

static bool user_running(void)
{
	return !__atomic_load_n(&stress.failed, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&stress.cyclers_done, __ATOMIC_ACQUIRE);
}

__attribute__((format(printf, 1, 2))) static void stress_fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&stress.failed, 1, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(stress.why, sizeof(stress.why), fmt, ap);
	va_end(ap);
}

static bool touch(unsigned int tcs, uint64_t addr, uint64_t n, uint64_t seed, uint32_t mode,
		  struct te_touch *out)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = addr;
	args.u.touch.npages = n;
	args.u.touch.seed = seed;
	args.u.touch.mode = mode;
	if (call(tcs, TE_OP_TOUCH, &args) != TE_OK) {
		stress_fail("TCS %u: TOUCH mode %#x at %#llx did not complete (function %u, "
			    "vector %u, error code %#x, address %#llx)",
			    tcs, mode, (unsigned long long)addr, last_run.function,
			    last_run.exception_vector, last_run.exception_error_code,
			    (unsigned long long)last_run.exception_addr);
		return false;
	}
	*out = args.u.touch;
	return true;
}

static bool sgx2_leaf(unsigned int tcs, unsigned int op, uint64_t addr, uint64_t flags,
		      uint64_t want_rax)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = addr;
	args.u.sgx2.secinfo_flags = flags;
	if (call(tcs, op, &args) != TE_OK ||
	    (op != TE_OP_EMODPE && args.u.sgx2.rax_out != want_rax)) {
		stress_fail("TCS %u: op %u at %#llx flags %#llx: rax %#llx", tcs, op,
			    (unsigned long long)addr, (unsigned long long)flags,
			    (unsigned long long)args.u.sgx2.rax_out);
		return false;
	}
	return true;
}

/* An ioctl that may meet another thread's ioctl on the enclave (EBUSY): try again. */
static bool stress_ioctl(unsigned long cmd, void *arg, size_t size, uint64_t length)
{
	uint8_t saved[64];
	int ret;

	memcpy(saved, arg, size);
	for (;;) {
		ret = ioctl_errno(cmd, arg);
		if (ret != EBUSY)
			break;
		/* The struct is untouched by an EBUSY; yield so that the holder finishes. */
		__atomic_add_fetch(&stress.busy, 1, __ATOMIC_RELAXED);
		memcpy(arg, saved, size);
		sched_yield();
	}
	if (ret) {
		stress_fail("ioctl %#lx: errno %d", cmd, ret);
		return false;
	}
	/* count is the last field of all three structs */
	if (*(uint64_t *)((uint8_t *)arg + size - 8) != length) {
		stress_fail("ioctl %#lx: count %#llx", cmd,
			    (unsigned long long)*(uint64_t *)((uint8_t *)arg + size - 8));
		return false;
	}
	return true;
}

/* Users: write and verify their own heap pages, again and again, with a new pattern each time. */
static void *user_main(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	struct te_touch t;

	while (user_running()) {
		uint64_t seed = ((uint64_t)i << 32) | stress.user_rounds[i];

		if (!touch(i, stress.user_base[i], STRESS_USER_PAGES, seed,
			   TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM, &t))
			break;
		if (t.mismatches) {
			stress_fail("user %u: %llu words lost at %#llx", i,
				    (unsigned long long)t.mismatches,
				    (unsigned long long)t.first_mismatch);
			break;
		}
		stress.user_rounds[i]++;
	}
	return NULL;
}

/*
 * One cycle of a cycler over its pages: grow them (EACCEPT first; under EPC pressure EAUG waits
 * for another cycler's removals), check they are new (zero) and fill them, restrict them to R and
 * accept, check the data, extend them back with EMODPE, trim, accept, remove.
 */
static bool cycle_once(unsigned int i, uint64_t seed)
{
	unsigned int tcs = STRESS_USERS + i;
	uint64_t base = stress.cycle_base[i], n = STRESS_CYCLE_PAGES, len = n * S2_PAGE;
	struct sgx_enclave_restrict_permissions rp = {
		.offset = off(base),
		.length = len,
		.permissions = S2_R,
	};
	struct sgx_enclave_modify_types mt = {
		.offset = off(base),
		.length = len,
		.page_type = SGX_PAGE_TYPE_TRIM,
	};
	struct sgx_enclave_remove_pages rm = { .offset = off(base), .length = len };
	struct te_args args;
	struct te_touch t;

	if (!touch(tcs, base, n, seed, TE_TOUCH_EACCEPT, &t))
		return false;
	if (t.eaccept_failures) {
		stress_fail("cycler %u: EACCEPT of new pages: %#llx", i,
			    (unsigned long long)t.eaccept_status);
		return false;
	}
	for (uint64_t p = 0; p < n; p++) {
		memset(&args, 0, sizeof(args));
		args.u.mem.addr = base + p * S2_PAGE + ((seed + p) % 512) * 8;
		if (call(tcs, TE_OP_READ, &args) != TE_OK || args.u.mem.value) {
			stress_fail("cycler %u: a re-added page is not zero (%#llx)", i,
				    (unsigned long long)args.u.mem.value);
			return false;
		}
	}
	if (!touch(tcs, base, n, seed, TE_TOUCH_WRITE | TE_TOUCH_VERIFY, &t) || t.mismatches) {
		stress_fail("cycler %u: fresh pages lost data", i);
		return false;
	}

	if (!stress_ioctl(SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp, sizeof(rp), len))
		return false;
	for (uint64_t p = 0; p < n; p++)
		if (!sgx2_leaf(tcs, TE_OP_EACCEPT, base + p * S2_PAGE, S2_REG | S2_R | S2_PR, 0))
			return false;
	if (!touch(tcs, base, n, seed, TE_TOUCH_VERIFY | TE_TOUCH_RANDOM, &t) || t.mismatches) {
		stress_fail("cycler %u: restricted pages lost data", i);
		return false;
	}
	for (uint64_t p = 0; p < n; p++)
		if (!sgx2_leaf(tcs, TE_OP_EMODPE, base + p * S2_PAGE, S2_REG | S2_R | S2_W, 0))
			return false;
	if (!touch(tcs, base, n, seed + 1, TE_TOUCH_WRITE | TE_TOUCH_VERIFY, &t) || t.mismatches) {
		stress_fail("cycler %u: re-extended pages lost data", i);
		return false;
	}

	if (!stress_ioctl(SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt, sizeof(mt), len))
		return false;
	for (uint64_t p = 0; p < n; p++)
		if (!sgx2_leaf(tcs, TE_OP_EACCEPT, base + p * S2_PAGE, S2_TRIM | S2_MODIFIED, 0))
			return false;
	return stress_ioctl(SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm, sizeof(rm), len);
}

static void *cycler_main(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	while (cycler_running(i)) {
		if (!cycle_once(i, ((uint64_t)(i + 7) << 40) + stress.cycles[i] * 3))
			break;
		stress.cycles[i]++;
	}
	return NULL;
}

static int64_t stress_ms(void)
{
	const char *env = getenv("SGXEMU_STRESS_MS");

	return env ? strtoll(env, NULL, 0) : STRESS_DEFAULT_MS;
}

static void test_stress_trim_remove_readd_under_pressure(void **state)
{
	struct sgx_platform *platform = sgx_default_platform();
	pthread_t users[STRESS_USERS], cyclers[STRESS_CYCLERS];
	struct sgx_encl *k = sgx_encl_from_fd(encl->fd);
	unsigned int page_cnt;
	struct kfix_hog hog;
	uint64_t slack, evicted, waits, kick_timeouts;

	assert_false(IS_ERR(k));
	sgx_encl_lock(k);
	page_cnt = k->page_cnt;
	sgx_encl_unlock(k);
	sgx_encl_put(k);

	memset(&stress, 0, sizeof(stress));
	for (unsigned int i = 0; i < STRESS_USERS; i++)
		stress.user_base[i] = info.heap + i * STRESS_USER_PAGES * S2_PAGE;
	for (unsigned int i = 0; i < STRESS_CYCLERS; i++) {
		stress.cycle_base[i] = next_free;
		next_free += STRESS_CYCLE_PAGES * S2_PAGE;
	}
	/*
	 * The cyclers' pages keep page_cnt within one VA page's 512 slots, so no VA page is added
	 * (REMOVE_PAGES never frees one: the kernel would grow the enclave's VA pages each time
	 * page_cnt crossed a multiple of 512).
	 */
	assert_true(page_cnt % SGX_VA_SLOT_COUNT + STRESS_CYCLERS * STRESS_CYCLE_PAGES <
		    SGX_VA_SLOT_COUNT);

	/*
	 * EPC pressure: leave fewer free pages than the reclaimer's low watermark and fewer than
	 * both cyclers need at once. ksgxd then keeps evicting (the users' heap pages and the
	 * image's, which fault back in through ELDU), and EAUG waits for it or for a removal. Even
	 * with nothing evictable, one cycler can always finish its set while the other waits
	 * (c * (k - 1) + 1 pages), so no cycle of waits can form.
	 */
	slack = STRESS_CYCLERS * (STRESS_CYCLE_PAGES - 1) + 1;
	sgx_reclaimer_freeze(platform); /* while the hog takes its pages */
	kfix_hog_epc(platform, slack, &hog);
	sgx_reclaimer_thaw(platform);

	evicted = __atomic_load_n(&platform->reclaimer.stats.evicted, __ATOMIC_RELAXED);
	waits = __atomic_load_n(&platform->reclaimer.stats.fault_waits, __ATOMIC_RELAXED);
	kick_timeouts = __atomic_load_n(&platform->reclaimer.stats.kick_timeouts, __ATOMIC_RELAXED);
	stress.deadline_ns = now_ns() + stress_ms() * 1000000LL;
	for (unsigned int i = 0; i < STRESS_USERS; i++)
		assert_int_equal(pthread_create(&users[i], NULL, user_main, (void *)(uintptr_t)i),
				 0);
	for (unsigned int i = 0; i < STRESS_CYCLERS; i++)
		assert_int_equal(
			pthread_create(&cyclers[i], NULL, cycler_main, (void *)(uintptr_t)i), 0);
	for (unsigned int i = 0; i < STRESS_CYCLERS; i++)
		assert_int_equal(pthread_join(cyclers[i], NULL), 0);
	__atomic_store_n(&stress.cyclers_done, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < STRESS_USERS; i++)
		assert_int_equal(pthread_join(users[i], NULL), 0);

	kick_timeouts =
		__atomic_load_n(&platform->reclaimer.stats.kick_timeouts, __ATOMIC_RELAXED) -
		kick_timeouts;
	if (stress.failed)
		fail_msg("stress: %s (kicks that timed out: %llu)", stress.why,
			 (unsigned long long)kick_timeouts);
	evicted = __atomic_load_n(&platform->reclaimer.stats.evicted, __ATOMIC_RELAXED) - evicted;
	waits = __atomic_load_n(&platform->reclaimer.stats.fault_waits, __ATOMIC_RELAXED) - waits;
	print_message("stress: user rounds %llu/%llu, cycles %llu/%llu, EBUSY retries %llu, "
		      "pages evicted %llu, faults that waited %llu\n",
		      (unsigned long long)stress.user_rounds[0],
		      (unsigned long long)stress.user_rounds[1],
		      (unsigned long long)stress.cycles[0], (unsigned long long)stress.cycles[1],
		      (unsigned long long)stress.busy, (unsigned long long)evicted,
		      (unsigned long long)waits);
	/* The pressure was real: ksgxd (below its low watermark) evicted, or faults waited. */
	assert_true(evicted + waits > 0);
	for (unsigned int i = 0; i < STRESS_USERS; i++)
		assert_true(stress.user_rounds[i] > 0);
	for (unsigned int i = 0; i < STRESS_CYCLERS; i++) {
		assert_true(stress.cycles[i] > 0);
		/* Every cycle ended with its pages removed. */
		for (unsigned int p = 0; p < STRESS_CYCLE_PAGES; p++)
			assert_false(s2_kernel_page(encl, stress.cycle_base[i] + p * S2_PAGE, NULL,
						    NULL));
	}
	s2_check_platform();
	kfix_release_epc(platform, &hog);

	/* The users' data survived everything: one last look from other threads. */
	for (unsigned int i = 0; i < STRESS_USERS; i++) {
		struct te_touch t = s2_touch(
			encl, (i + 1) % STRESS_USERS, stress.user_base[i], STRESS_USER_PAGES,
			((uint64_t)i << 32) | (stress.user_rounds[i] - 1), TE_TOUCH_VERIFY);

		assert_int_equal(t.mismatches, 0);
	}
}

/* Nothing leaks: with the enclave gone, the whole EPC is free. Runs last. */
static void test_no_leak_after_unload(void **state)
{
	struct sgx_platform *platform = sgx_default_platform();

	rfix_unload(encl);
	encl = NULL;
	s2_check_platform();
	assert_int_equal(__atomic_load_n(&platform->nr_free_pages, __ATOMIC_RELAXED),
			 platform->nr_total_pages);
	encl = s2_load(); /* for the group teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emodpr_against_held_eaccept),
		cmocka_unit_test(test_eaccept_against_held_emodpr),
		cmocka_unit_test(test_restrict_with_a_stopped_thread_inside),
		cmocka_unit_test(test_stress_trim_remove_readd_under_pressure),
		cmocka_unit_test(test_no_leak_after_unload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
