/* SPDX-License-Identifier: MIT */
/*
 * Suspend and resume: the EPC lost in a power cycle (ref §4.12, seed 000), with the test enclave
 * running natively. After sgxemu_platform_suspend/resume:
 *   - an entry into an old enclave reports #PF with the SGX bit through the vDSO (EENTER, or
 *     ERESUME for threads that were inside), the SDK's "I should restart my enclave";
 *   - threads that were spinning inside were forced out (AEX) before the power cycle and held
 *     outside while the platform slept;
 *   - ioctls on an old enclave fail as the kernel's do (EIO from a faulting leaf, EINVAL by
 *     state), teardown leaks nothing, a rebuilt enclave runs;
 *   - the launch-key MSRs are back at Intel's hash: both launch-control policies write them again.
 * The invariant checker runs after every scenario; the EPC accounting is exact.
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

#include "common/log.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"
#include "runtime/pm_trigger.h"
#include "runtime/signal.h"
#include "runtime/thread.h"
#include "runtime_fixture.h"

/* Intel's launch-key hash, the MSRs' reset value (ref sgx-isa §5). */
static const uint64_t intel_hash[4] = { 0xA6053E051270B7ACULL, 0x6CFBE8BA8B3B413DULL,
					0xC4916D99F2B3735DULL, 0xD4F8C05909F9BB3BULL };

static struct sgx_platform *platform(void)
{
	struct sgx_platform *p = sgx_default_platform();

	assert_non_null(p);
	return p;
}

static void power_cycle(void)
{
	assert_int_equal(sgxemu_platform_suspend(), 0);
	assert_int_equal(sgxemu_platform_resume(), 0);
}

static void echo_ok(struct sgxemu_enclave *e, unsigned int tcs)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.echo.a = 40;
	args.u.echo.b = 2;
	assert_int_equal(rfix_call(e, tcs, TE_OP_ECHO, &args), TE_OK);
	assert_int_equal(args.u.echo.sum, 42);
}

/* The vDSO's report of an entry into an enclave whose EPC is gone. */
static void assert_lost(const struct sgx_enclave_run *run, uint32_t function)
{
	assert_int_equal(run->function, function);
	assert_int_equal(run->exception_vector, 14);
	assert_true(run->exception_error_code & 0x8000); /* PFEC.SGX */
}

static void api_errors(void **state)
{
	uint64_t seq = sgx_log_seq();

	platform();
	assert_int_equal(sgxemu_platform_resume(), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sgxemu_platform_suspend(), 0);
	assert_int_equal(sgxemu_platform_suspend(), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(sgxemu_platform_resume(), 0);
	assert_int_equal(kfix_log_count(seq, "suspended: the EPC is lost"), 1);
}

/* Entry after the loss: EENTER reports #PF with the SGX bit; teardown frees everything. */
static void entry_after_suspend(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p), cycles = sgx_cpu_power_cycles(p->cpu);
	uint64_t seq = sgx_log_seq();
	struct sgxemu_enclave *e = rfix_load(NULL), *again;
	struct sgx_enclave_run run;
	struct te_args args;

	echo_ok(e, 0);
	power_cycle();
	assert_int_equal(sgx_cpu_power_cycles(p->cpu), cycles + 1);
	kfix_check(p);

	for (unsigned int tcs = 0; tcs < 2; tcs++) {
		memset(&run, 0, sizeof(run));
		memset(&args, 0, sizeof(args));
		run.tcs = e->tcs[tcs];
		assert_int_equal(rfix_enter(e, TE_OP_ECHO, &args, &run), 0);
		assert_lost(&run, EENTER);
		assert_int_equal(run.exception_addr, e->tcs[tcs]);
	}

	/* The rebuilt enclave runs, next to the dead one. */
	again = rfix_load(NULL);
	echo_ok(again, 0);
	echo_ok(again, 3);
	rfix_unload(again);

	/* The old one's teardown: EREMOVE of invalid pages succeeds, nothing leaks. */
	rfix_unload(e);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	kfix_check(p);
}

/* --- threads inside ------------------------------------------------------------------------ */

struct spinner {
	struct sgxemu_enclave *e;
	unsigned int tcs;
	volatile uint64_t *stop;
	struct sgx_enclave_run run;
	struct te_args args;
	int ret;
	volatile int done;
	pid_t tid; /* atomic */
	pthread_t thread;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	memset(&s->args, 0, sizeof(s->args));
	s->args.u.spin.iterations = ~0ULL >> 1;
	s->args.u.spin.seed = s->tcs;
	s->args.u.spin.stop_addr = (uint64_t)s->stop;
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = s->e->tcs[s->tcs];
	s->ret = rfix_enter(s->e, TE_OP_SPIN, &s->args, &s->run);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool inside(const struct spinner *s)
{
	pid_t tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE);
	struct sgx_thread *t = tid ? sgx_thread_find(tid) : NULL;

	return t && __atomic_load_n(&t->tlp.enclave_mode, __ATOMIC_ACQUIRE);
}

/*
 * Four threads spinning inside the enclave when the machine goes to sleep: each is forced out
 * (an AEX) before the power cycle and stays out while the platform sleeps; at resume its ERESUME
 * meets the lost EPC and the vDSO reports it.
 */
static void suspend_with_threads_inside(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p);
	struct sgxemu_enclave *e = rfix_load(NULL);
	volatile uint64_t stop = 0;
	struct spinner s[4];
	struct sgx_cpu_stats before, after;

	for (unsigned int i = 0; i < 4; i++) {
		s[i] = (struct spinner){ .e = e, .tcs = i, .stop = &stop };
		assert_int_equal(pthread_create(&s[i].thread, NULL, spin_thread, &s[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++)
		while (!inside(&s[i]))
			usleep(1000);
	sgx_cpu_get_stats(p->cpu, &before);

	assert_int_equal(sgxemu_platform_suspend(), 0);
	/* Asleep: nobody is in enclave mode, nobody has come back (they wait to re-enter). */
	sgx_cpu_get_stats(p->cpu, &after);
	assert_true(after.aex >= before.aex + 4);
	for (unsigned int i = 0; i < 4; i++) {
		assert_false(inside(&s[i]));
		assert_false(__atomic_load_n(&s[i].done, __ATOMIC_ACQUIRE));
	}
	kfix_check(p);
	assert_int_equal(sgxemu_platform_resume(), 0);

	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(s[i].thread, NULL);
		assert_int_equal(s[i].ret, 0);
		assert_lost(&s[i].run, ERESUME);
	}
	(void)stop;
	rfix_unload(e);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_check(p);
}

/*
 * A thread that enters while the machine sleeps: a second entry goes without a trap
 * (sgxemu_enter_enclave's direct path), the first one traps; both wait at the gate outside
 * enclave mode until the resume, then meet the lost EPC (#PF with the SGX bit on EENTER).
 */
struct sleeper {
	struct sgxemu_enclave *e;
	unsigned int tcs;
	bool enter_before;
	volatile int go, ready, done;
	struct sgx_enclave_run run;
	pthread_t thread;
};

static void *sleeper_thread(void *arg)
{
	struct sleeper *s = arg;
	struct te_args args;

	if (s->enter_before)
		echo_ok(s->e, s->tcs); /* the thread's first entry: its set-up, in a trap */
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	memset(&s->run, 0, sizeof(s->run));
	memset(&args, 0, sizeof(args));
	s->run.tcs = s->e->tcs[s->tcs];
	assert_int_equal(rfix_enter(s->e, TE_OP_ECHO, &args, &s->run), 0);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void entries_wait_while_asleep(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p);
	struct sgxemu_enclave *e = rfix_load(NULL);
	struct sleeper s[2] = { { .e = e, .tcs = 0, .enter_before = true },
				{ .e = e, .tcs = 1, .enter_before = false } };

	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&s[i].thread, NULL, sleeper_thread, &s[i]), 0);
		while (!__atomic_load_n(&s[i].ready, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
	assert_int_equal(sgxemu_platform_suspend(), 0);
	for (unsigned int i = 0; i < 2; i++)
		__atomic_store_n(&s[i].go, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&p->pm.enclu_waiting, __ATOMIC_ACQUIRE) < 2)
		usleep(1000);
	for (unsigned int i = 0; i < 2; i++)
		assert_false(__atomic_load_n(&s[i].done, __ATOMIC_ACQUIRE));
	assert_int_equal(sgxemu_platform_resume(), 0);
	for (unsigned int i = 0; i < 2; i++) {
		pthread_join(s[i].thread, NULL);
		assert_lost(&s[i].run, EENTER);
	}
	rfix_unload(e);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_check(p);
}

/* --- ioctls on an old enclave --------------------------------------------------------------- */

static void ioctls_after_suspend(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p);
	uint64_t seq = sgx_log_seq();
	struct kfix_enclave built, building;
	uint8_t page[4096] __attribute__((aligned(4096))) = { 0 };

	kfix_enclave_create(&built, p, SGX_ATTR_MODE64BIT);
	kfix_enclave_init(&building, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&building);
	kfix_sign(&building, NULL);
	power_cycle();

	/* Initialized: ADD_PAGES and INIT are refused by state, before any leaf. */
	assert_int_equal(kfix_add(&built, 0x5000, KFIX_SECINFO_RW, page, true), -EINVAL);
	assert_int_equal(kfix_init(&built), -EINVAL);
	/* Being built: the leaves fault on the invalid SECS (#PF), which the ioctls make EIO. */
	assert_int_equal(kfix_add(&building, 0x5000, KFIX_SECINFO_RW, page, true), -EIO);
	assert_int_equal(kfix_add(&building, 0x6000, KFIX_SECINFO_RW, page, false), -EIO);
	assert_int_equal(kfix_init(&building), -EIO);
	/* An ENCLS #PF after EPC loss is expected: no warning. */
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	assert_int_equal(kfix_log_count(seq, "returned"), 0);
	kfix_check(p);

	kfix_close(&built);
	kfix_close(&building);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	kfix_check(p);
}

/*
 * The SGX2 ioctls on an initialized enclave whose EPC is gone (ref §1.5, §4.12): EMODPR and EMODT
 * fault (#PF) on the invalid pages, which the ioctls answer with EFAULT and their once-only
 * messages; REMOVE_PAGES's probe (an EMODPR that only a TRIM page the enclave accepted makes
 * fault) now faults on any TRIM page, so the kernel takes it as accepted and removes it, and the
 * EREMOVE of the invalid page succeeds. Before the loss the same probe refused it (EPERM).
 */
static void sgx2_ioctls_after_suspend(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p), seq = sgx_log_seq();
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_enclave_modify_types mt;
	struct sgx_enclave_remove_pages rm;
	struct kfix_enclave e;
	uint8_t page[4096] __attribute__((aligned(4096))) = { 0 };

	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	/* The data page becomes TRIM; the enclave never accepts it, so it cannot be removed yet. */
	mt = (struct sgx_enclave_modify_types){ .offset = KFIX_DATA_OFFSET,
						.length = 4096,
						.page_type = SGX_PAGE_TYPE_TRIM };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), 0);
	assert_int_equal(mt.count, 4096);
	rm = (struct sgx_enclave_remove_pages){ .offset = KFIX_DATA_OFFSET, .length = 4096 };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -EPERM);
	assert_int_equal(rm.count, 0);

	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);

	rp = (struct sgx_enclave_restrict_permissions){ .offset = KFIX_SSA_OFFSET,
							.length = 2 * 4096,
							.permissions = SGX_SECINFO_R };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), -EFAULT);
	assert_int_equal(rp.count, 0);
	assert_int_equal(rp.result, 0); /* a fault, not an SGX code */
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
				    &(struct sgx_enclave_restrict_permissions){
					    .offset = KFIX_SSA_OFFSET,
					    .length = 4096,
					    .permissions = SGX_SECINFO_R }),
			 -EFAULT);
	assert_int_equal(kfix_log_count(seq, "EMODPR encountered exception 14"), 1);

	mt = (struct sgx_enclave_modify_types){ .offset = KFIX_SSA_OFFSET,
						.length = 4096,
						.page_type = SGX_PAGE_TYPE_TRIM };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), -EFAULT);
	assert_int_equal(mt.count, 0);
	assert_int_equal(mt.result, 0);
	assert_int_equal(kfix_log_count(seq, "EMODT encountered exception 14"), 1);

	rm = (struct sgx_enclave_remove_pages){ .offset = KFIX_DATA_OFFSET, .length = 4096 };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), 0);
	assert_int_equal(rm.count, 4096);
	/* Gone from the enclave: a second removal finds no page. */
	rm = (struct sgx_enclave_remove_pages){ .offset = KFIX_DATA_OFFSET, .length = 4096 };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -EFAULT);
	/* A REG page is still refused by type, before any leaf. */
	rm = (struct sgx_enclave_remove_pages){ .offset = KFIX_CODE_OFFSET, .length = 4096 };
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -EPERM);

	/* The build ioctls answer by state. */
	assert_int_equal(kfix_add(&e, 0x5000, KFIX_SECINFO_RW, page, true), -EINVAL);
	assert_int_equal(kfix_init(&e), -EINVAL);

	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	kfix_check(p);
	kfix_close(&e);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	kfix_shutdown(p);
}

/*
 * A TCS the reclaimer wrote back before the sleep: EENTER finds it not present, the fault path's
 * ELDU fails (the blob was sealed under the old paging key) and the vDSO reports the fault
 * path's SIGBUS as a plain #PF (no SGX bit) at the TCS; a resident TCS reports the EPCM's #PF
 * with the SGX bit. Teardown frees everything.
 */
static void evicted_tcs_after_suspend(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p);
	struct sgxemu_enclave *e = rfix_load(NULL);
	struct sgx_platform_stats stats;
	struct sgx_enclave_run run;
	struct te_args args;
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);

	assert_false(IS_ERR(encl));
	echo_ok(e, 0);
	echo_ok(e, 1);
	assert_int_equal(sgx_encl_reclaim_range(encl, e->tcs[1], e->tcs[1] + 4096), 1);
	power_cycle();

	memset(&run, 0, sizeof(run));
	memset(&args, 0, sizeof(args));
	run.tcs = e->tcs[1];
	assert_int_equal(rfix_enter(e, TE_OP_ECHO, &args, &run), 0);
	assert_int_equal(run.function, EENTER);
	assert_int_equal(run.exception_vector, 14);
	assert_false(run.exception_error_code & 0x8000);
	assert_int_equal(run.exception_addr, e->tcs[1]);
	sgx_platform_get_stats(p, &stats);
	assert_true(stats.reclaim.eldu_failures >= 1);

	memset(&run, 0, sizeof(run));
	run.tcs = e->tcs[0];
	assert_int_equal(rfix_enter(e, TE_OP_ECHO, &args, &run), 0);
	assert_lost(&run, EENTER);

	sgx_encl_put(encl);
	rfix_unload(e);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_check(p);
}

/* --- launch-key MSRs ------------------------------------------------------------------------ */

static uint64_t msr_writes(struct sgx_platform *p)
{
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(p->cpu, &stats);
	return stats.msr_writes;
}

static uint64_t init_writes(struct sgx_platform *p)
{
	struct kfix_enclave e;
	uint64_t before;

	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, NULL);
	before = msr_writes(p);
	assert_int_equal(kfix_init(&e), 0);
	before = msr_writes(p) - before;
	kfix_close(&e);
	return before;
}

static void msrs_across_suspend(bool cache)
{
	struct kfix_config cfg = { .lps = 1, .launch_cache = cache };
	struct sgx_platform *p = kfix_boot(&cfg);
	struct sgx_fault fault;
	struct sgx_lp *lp;
	uint64_t msr;

	assert_int_equal(init_writes(p), 4);
	assert_int_equal(init_writes(p), cache ? 0 : 4);
	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);

	/* The power cycle reset the MSRs to Intel's hash. */
	lp = sgx_cpu_get_lp_id(p->cpu, 0);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(sgx_rdmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, &msr, &fault), 0);
		assert_int_equal(msr, intel_hash[i]);
	}
	sgx_cpu_put_lp(lp);

	/* Both policies write all four again (the cache knows the power cycle) and EINIT works. */
	assert_int_equal(init_writes(p), 4);
	assert_int_equal(init_writes(p), cache ? 0 : 4);
	kfix_shutdown(p);
}

static void msrs_across_suspend_mainline(void **state)
{
	msrs_across_suspend(false);
}

static void msrs_across_suspend_cached(void **state)
{
	msrs_across_suspend(true);
}

/*
 * The cache's power-cycle check is what saves it: pretend the cache could not see the cycle
 * (restore its counter), and the next EINIT skips the writes and fails against Intel's hash.
 */
static void stale_cache_after_suspend(void **state)
{
	struct kfix_config cfg = { .lps = 1, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&cfg);
	struct kfix_enclave e;

	assert_int_equal(init_writes(p), 4);
	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);
	p->launch_cache[0].power_cycle = sgx_cpu_power_cycles(p->cpu);
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, NULL);
	assert_int_equal(kfix_init(&e), -EPERM);
	kfix_close(&e);
	kfix_shutdown(p);
}

/* --- evicted pages and a reclaim batch in flight -------------------------------------------- */

static struct sgx_encl *encl_of_fd(int fd)
{
	struct sgx_encl *encl = sgx_encl_from_fd(fd);

	assert_false(IS_ERR(encl));
	sgx_encl_put(encl); /* the fd keeps it for as long as the test uses it */
	return encl;
}

static enum sgx_vm_fault fault_at(struct sgx_encl *encl, uint64_t offset)
{
	struct sgx_fault_answer answer;

	return sgx_vma_fault(encl, KFIX_BASE + offset, SGX_VM_READ | SGX_VM_WRITE, &answer);
}

/*
 * A page written back before the suspend: its blob was sealed with the old paging key and its
 * SECS is gone. The fault path's ELDU fails and the access gets SIGBUS; teardown is clean.
 */
static void evicted_page_after_suspend(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	struct sgx_platform_stats stats;
	struct kfix_enclave e;
	struct sgx_encl *encl;

	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	encl = encl_of_fd(e.fd);
	assert_int_equal(sgx_encl_reclaim_range(encl, KFIX_BASE + KFIX_DATA_OFFSET,
						KFIX_BASE + KFIX_DATA_OFFSET + 4096),
			 1);
	assert_int_equal(sgx_encl_page_frame(encl, KFIX_BASE + KFIX_DATA_OFFSET), 0);
	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);

	assert_int_equal(fault_at(encl, KFIX_DATA_OFFSET), SGX_FAULT_SIGBUS);
	assert_int_equal(fault_at(encl, KFIX_DATA_OFFSET), SGX_FAULT_SIGBUS);
	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.reclaim.loaded, 0);
	assert_true(stats.reclaim.eldu_failures >= 2);
	/* A resident page is still "there" for the kernel: it maps it, and the access meets the
	 * invalid EPCM entry (the #PF with the SGX bit the runtime reports). */
	assert_int_equal(fault_at(encl, KFIX_SSA_OFFSET), SGX_FAULT_MAPPED);
	kfix_check(p);
	kfix_close(&e);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_shutdown(p);
}

struct reclaim_job {
	struct sgx_encl *encl;
	unsigned int evicted;
	pthread_t thread;
};

static void *reclaim_thread(void *arg)
{
	struct reclaim_job *job = arg;

	job->evicted = sgx_encl_reclaim_range(job->encl, KFIX_BASE, KFIX_BASE + KFIX_SIZE);
	return NULL;
}

/*
 * The EPC is lost while a reclaim batch is in flight, held at a pause point: before its EBLOCKs
 * (they answer SGX_PG_INVLD: the kernel's one-time "EBLOCK returned 6" warning) or between EBLOCK
 * and EWB. Either way the EWBs fault (#PF, silent), the VA slots go back, the pages are lost and
 * their next access is SIGBUS; nothing leaks.
 */
static void suspend_mid_batch(enum sgx_pause_point point)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p), seq = sgx_log_seq();
	struct sgx_platform_stats stats;
	struct reclaim_job job;
	struct kfix_enclave e;

	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	job.encl = encl_of_fd(e.fd);
	sgx_pause_arm(p, point, job.encl, 0);
	assert_int_equal(pthread_create(&job.thread, NULL, reclaim_thread, &job), 0);
	sgx_pause_wait(p, point);

	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);
	sgx_pause_release(p, point);
	pthread_join(job.thread, NULL);

	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.reclaim.evicted, 0);
	assert_true(stats.reclaim.ewb_lost >= 5); /* the TCS, two SSA frames, code and data */
	assert_int_equal(kfix_log_count(seq, "EBLOCK returned 6 (0x6)"),
			 point == SGX_PAUSE_RECLAIM_BATCH ? 1 : 0);
	assert_int_equal(kfix_log_count(seq, "EWB returned"), 0);
	assert_int_equal(fault_at(job.encl, KFIX_DATA_OFFSET), SGX_FAULT_SIGBUS);
	assert_int_equal(fault_at(job.encl, KFIX_TCS_OFFSET), SGX_FAULT_SIGBUS);
	kfix_check(p);
	kfix_close(&e);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	kfix_shutdown(p);
}

static void suspend_before_eblock(void **state)
{
	suspend_mid_batch(SGX_PAUSE_RECLAIM_BATCH);
}

static void suspend_between_eblock_and_ewb(void **state)
{
	suspend_mid_batch(SGX_PAUSE_RECLAIM_BLOCKED);
}

/* --- the signal trigger (`kill -USR2`, SGXEMU_SUSPEND_SIGNAL) ------------------------------ */

static volatile int app_handler_calls;

static void app_handler(int sig)
{
	app_handler_calls++;
}

static void wait_for_trigger(uint64_t cycles)
{
	while (sgx_pm_trigger_cycles() == cycles)
		usleep(1000);
}

/* Last: the trigger is the process's for good. */
static void suspend_signal_trigger(void **state)
{
	struct sgx_platform *p = platform();
	uint64_t free_before = kfix_free_pages(p), cycles, power;
	struct sigaction sa = { .sa_handler = app_handler }, old;
	struct sgxemu_enclave *e = rfix_load(NULL);
	volatile uint64_t stop = 0;
	struct sgx_enclave_run run;
	struct spinner s;
	struct te_args args;

	assert_int_equal(sgxemu_suspend_on_signal(SIGSEGV), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sgxemu_suspend_on_signal(SGX_IPI_SIGNAL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sgxemu_suspend_on_signal(SIGUSR2), 0);
	assert_int_equal(sgxemu_suspend_on_signal(SIGUSR2), 0);
	assert_int_equal(sgxemu_suspend_on_signal(SIGUSR1), -1);
	assert_int_equal(errno, EBUSY);
	/* The program's own handler for the signal is kept on record, never called. */
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	echo_ok(e, 0);

	/* Sent to the process: the platform sleeps and wakes; the old enclave is gone. */
	cycles = sgx_pm_trigger_cycles();
	power = sgx_cpu_power_cycles(p->cpu);
	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	wait_for_trigger(cycles);
	assert_int_equal(sgx_cpu_power_cycles(p->cpu), power + 1);
	memset(&run, 0, sizeof(run));
	memset(&args, 0, sizeof(args));
	run.tcs = e->tcs[0];
	assert_int_equal(rfix_enter(e, TE_OP_ECHO, &args, &run), 0);
	assert_lost(&run, EENTER);
	rfix_unload(e);

	/* Sent to a thread spinning inside a new enclave: no AEX for the signal itself; the
	 * suspend forces the thread out and its ERESUME meets the loss. */
	e = rfix_load(NULL);
	s = (struct spinner){ .e = e, .tcs = 1, .stop = &stop };
	assert_int_equal(pthread_create(&s.thread, NULL, spin_thread, &s), 0);
	while (!inside(&s))
		usleep(1000);
	cycles = sgx_pm_trigger_cycles();
	assert_int_equal(pthread_kill(s.thread, SIGUSR2), 0);
	wait_for_trigger(cycles);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.ret, 0);
	assert_lost(&s.run, ERESUME);
	assert_int_equal(app_handler_calls, 0);
	assert_int_equal(sigaction(SIGUSR2, &old, NULL), 0);
	rfix_unload(e);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_check(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_errors),
		cmocka_unit_test(entry_after_suspend),
		cmocka_unit_test(suspend_with_threads_inside),
		cmocka_unit_test(entries_wait_while_asleep),
		cmocka_unit_test(ioctls_after_suspend),
		cmocka_unit_test(sgx2_ioctls_after_suspend),
		cmocka_unit_test(evicted_tcs_after_suspend),
		cmocka_unit_test(msrs_across_suspend_mainline),
		cmocka_unit_test(msrs_across_suspend_cached),
		cmocka_unit_test(stale_cache_after_suspend),
		cmocka_unit_test(evicted_page_after_suspend),
		cmocka_unit_test(suspend_before_eblock),
		cmocka_unit_test(suspend_between_eblock_and_ewb),
		cmocka_unit_test(suspend_signal_trigger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
