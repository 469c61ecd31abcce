/* SPDX-License-Identifier: MIT */
/*
 * Enclave state across exits, natively: the SSA XSAVE frame validated by ERESUME, nested
 * exceptions in the second phase (CSSA 2), SSA exhaustion, EXITINFO of an interrupt, FS/GS, and
 * the in-enclave leaves that report and derive keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>

#include <sgxemu/arch.h>

#include "runtime/thread.h"
#include "runtime_fixture.h"

uint64_t raw_eenter(uint64_t tcs, uint64_t op, void *args);

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

static void set_policy(uint32_t action, uint32_t flags)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.policy.action = action;
	args.u.policy.flags = flags;
	assert_int_equal(rfix_call(encl, 3, TE_OP_SET_POLICY, &args), TE_OK);
}

static struct te_exceptions exception_log(void)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.exceptions.clear = 1;
	assert_int_equal(rfix_call(encl, 3, TE_OP_GET_EXCEPTIONS, &args), TE_OK);
	return args.u.exceptions;
}

/* --- a corrupted XSAVE frame ------------------------------------------------------------- */

static unsigned int calls;
static struct sgx_enclave_run last_report;

static int corrupt_then_resume(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			       struct sgx_enclave_run *run)
{
	struct sgx_enclave_run phase2 = { .tcs = run->tcs };
	struct te_args args;

	if (run->function == EEXIT)
		return 0;
	last_report = *run;
	if (calls++)
		return -1; /* the ERESUME itself faulted: stop here */
	memset(&args, 0, sizeof(args));
	rfix_enter_enclave(0, (unsigned long)&args, 0, EENTER, 0, 0, &phase2);
	return ERESUME;
}

static void test_eresume_of_corrupted_xsave_is_gp(void **state)
{
	struct sgxemu_enclave *main_encl = encl;
	struct sgx_enclave_run run;
	struct te_args args;

	/* Its own enclave: the TCS stays with a corrupted frame afterwards. */
	encl = rfix_load(NULL);
	set_policy(TE_ACTION_SKIP, TE_POLICY_CORRUPT_XSAVE);
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_UD2;
	run.user_handler = (uint64_t)corrupt_then_resume;
	calls = 0;
	/* The handler sets a reserved XSAVE header byte: XRSTOR would #GP, so ERESUME does. */
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), -1);
	assert_int_equal(calls, 2);
	assert_int_equal(last_report.function, ERESUME);
	assert_int_equal(last_report.exception_vector, 13);
	/* The process and the other TCSs are fine. */
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(encl, 1, TE_OP_ECHO, &args), TE_OK);
	rfix_unload(encl);
	encl = main_encl;
}

/* --- nested exceptions and SSA exhaustion ------------------------------------------------ */

static unsigned int depth, max_depth;
static bool nest_again;

/* On every exception: (optionally arm NESTED again,) run the second phase, then ERESUME. */
static int nesting_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			   struct sgx_enclave_run *run)
{
	struct sgx_enclave_run phase = { .tcs = run->tcs, .user_handler = run->user_handler };
	struct te_args args;
	int ret;

	if (run->function == EEXIT)
		return 0;
	last_report = *run;
	if (run->exception_vector != 6)
		return -100 - run->exception_vector; /* not the ud2 we expect */
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (nest_again)
		set_policy(TE_ACTION_SKIP, TE_POLICY_NESTED);
	memset(&args, 0, sizeof(args));
	ret = rfix_enter_enclave(0, (unsigned long)&args, 0, EENTER, 0, 0, &phase);
	depth--;
	if (ret)
		return ret;
	return ERESUME;
}

static void test_nested_exception_in_handler(void **state)
{
	struct sgx_enclave_run run = { .tcs = encl->tcs[1] };
	struct te_exceptions log;
	struct te_args args;

	exception_log();
	set_policy(TE_ACTION_SKIP, TE_POLICY_NESTED);
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_UD2;
	run.user_handler = (uint64_t)nesting_handler;
	depth = max_depth = 0;
	nest_again = false;
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), 0);
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
	/* The handler on CSSA 1 faulted: a second AEX, the inner handler ran on CSSA 2. */
	assert_int_equal(max_depth, 2);
	log = exception_log();
	assert_int_equal(log.count, 2);
	assert_int_equal(log.rec[0].cssa, 1); /* most recent: the outer handler finished last */
	assert_int_equal(log.rec[1].cssa, 2);
}

static void test_ssa_exhaustion_is_gp(void **state)
{
	struct sgxemu_enclave *main_encl = encl;
	struct sgx_enclave_run run;
	struct te_args args;

	/* An image with NSSA = 2: the fault fills frame 0, the handler's own fault frame 1. */
	encl = rfix_load(&(struct rfix_options){ .nssa = 2 });
	set_policy(TE_ACTION_SKIP, TE_POLICY_NESTED);
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	run.user_handler = (uint64_t)nesting_handler;
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_UD2;
	depth = max_depth = 0;
	nest_again = false;
	/* ...so the third entry finds CSSA = NSSA: EENTER itself is #GP. */
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), -100 - 13);
	assert_int_equal(last_report.function, EENTER);
	assert_int_equal(last_report.exception_vector, 13);
	assert_int_equal(max_depth, 2);
	rfix_unload(encl);
	encl = main_encl;
}

/* --- EXITINFO of an interrupt ------------------------------------------------------------ */

static volatile uint64_t spin_stop;
static struct te_args interrupt_phase2;
static volatile int interrupt_handled;

static void interrupt_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (interrupt_handled)
		return;
	/* At the AEP: RBX is the TCS. The second phase sees the frame of an interrupt. */
	memset(&interrupt_phase2, 0, sizeof(interrupt_phase2));
	raw_eenter(uc->uc_mcontext.gregs[REG_RBX], 0, &interrupt_phase2);
	interrupt_handled = 1;
	spin_stop = 1;
}

struct raw_spin {
	uint64_t tcs;
	struct te_args args;
	uint64_t status;
	volatile pid_t tid;
};

static void *raw_spin_thread(void *arg)
{
	struct raw_spin *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->args.u.spin.iterations = ~0ULL >> 1;
	r->args.u.spin.seed = 77;
	r->args.u.spin.stop_addr = (uint64_t)&spin_stop;
	r->status = raw_eenter(r->tcs, TE_OP_SPIN, &r->args);
	return NULL;
}

static void test_interrupt_exitinfo_not_valid(void **state)
{
	struct raw_spin r = { .tcs = encl->tcs[3] };
	struct sigaction sa;
	pthread_t thread;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = interrupt_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	spin_stop = 0;
	interrupt_handled = 0;
	pthread_create(&thread, NULL, raw_spin_thread, &r);
	/*
	 * Interrupt only once the spinner is inside: a signal taken before its EENTER would run
	 * the handler on a host context, with no TCS in RBX.
	 */
	for (;;) {
		pid_t tid = __atomic_load_n(&r.tid, __ATOMIC_ACQUIRE);
		struct sgx_thread *t = tid ? sgx_thread_find(tid) : NULL;

		if (t && __atomic_load_n(&t->tlp.enclave_mode, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	while (!interrupt_handled) {
		usleep(2000);
		pthread_kill(thread, SIGUSR2);
	}
	pthread_join(thread, NULL);
	signal(SIGUSR2, SIG_DFL);
	assert_int_equal(r.status, TE_OK);
	assert_int_equal(r.args.u.spin.checksum, te_spin_checksum(77, r.args.u.spin.done));
	/* The handler ran on the frame of an interrupt: EXITINFO.VALID = 0, recorded only. */
	assert_int_equal(interrupt_phase2.status, TE_EXC_RECORDED);
	assert_int_equal(interrupt_phase2.u.handler.cssa, 1);
	assert_int_equal(interrupt_phase2.u.handler.gpr.exitinfo, 0);
}

/* --- FS/GS and ENCLU inside ------------------------------------------------------------ */

static void test_fs_gs_switch(void **state)
{
	uint64_t fs_before, fs_after, gs_before, gs_after;
	struct te_args args;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_before);
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(encl, 0, TE_OP_INFO, &args), TE_OK);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_after);
	/* The enclave found its TLS page through its own FS/GS bases... */
	assert_true(args.u.info.tls >= encl->base && args.u.info.tls < encl->base + encl->size);
	/* ...and the host got its own back. */
	assert_int_equal(fs_before, fs_after);
	assert_int_equal(gs_before, gs_after);
}

static void test_enclu_inside_wrong_leaves(void **state)
{
	static const uint64_t leaves[] = { EENTER, ERESUME, 0x20 };
	struct sgxemu_enclave *e = rfix_load(NULL);
	struct sgx_enclave_run run;
	struct te_args args;

	/* One TCS per leaf: each #GP leaves its TCS with CSSA = 1. */
	for (unsigned int i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		memset(&run, 0, sizeof(run));
		run.tcs = e->tcs[i];
		run.user_handler = (uint64_t)nesting_handler; /* a report other than #UD: returned */
		memset(&args, 0, sizeof(args));
		args.u.enclu.rax = leaves[i];
		args.u.enclu.rbx = e->tcs[3];
		/* EENTER/ERESUME from inside and an undefined leaf are #GP(0) in enclave mode. */
		assert_int_equal(rfix_enter(e, TE_OP_ENCLU, &args, &run), -100 - 13);
		assert_int_equal(last_report.function, ERESUME);
		assert_int_equal(last_report.exception_vector, 13);
	}
	rfix_unload(e);
}

static void cmac(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(m);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
								 "AES-128-CBC", 0),
				OSSL_PARAM_construct_end() };
	size_t out = 16;

	assert_true(EVP_MAC_init(ctx, key, 16, params));
	assert_true(EVP_MAC_update(ctx, data, len));
	assert_true(EVP_MAC_final(ctx, mac, &out, 16));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
}

static void test_ereport_verifies_with_report_key(void **state)
{
	struct sgx_targetinfo ti;
	struct sgx_keyrequest kr;
	struct sgx_report report;
	struct te_args args;
	uint8_t mac[16];

	/* A first report (any target) tells the enclave's identity. */
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(encl, 0, TE_OP_EREPORT, &args), TE_OK);
	memcpy(&report, args.u.ereport.report, sizeof(report));
	assert_memory_equal(report.body.mrenclave, encl->mrenclave, 32);

	/* A report for itself, checked with its own REPORT key (EGETKEY) by the host. */
	memset(&ti, 0, sizeof(ti));
	memcpy(ti.measurement, report.body.mrenclave, 32);
	ti.attributes = report.body.attributes;
	ti.miscselect = report.body.miscselect;
	memset(&args, 0, sizeof(args));
	memcpy(args.u.ereport.targetinfo, &ti, sizeof(ti));
	memset(args.u.ereport.reportdata, 0x5a, sizeof(args.u.ereport.reportdata));
	assert_int_equal(rfix_call(encl, 0, TE_OP_EREPORT, &args), TE_OK);
	memcpy(&report, args.u.ereport.report, sizeof(report));
	assert_int_equal(report.body.reportdata[63], 0x5a);

	memset(&kr, 0, sizeof(kr));
	kr.keyname = SGX_KEYNAME_REPORT;
	memcpy(kr.keyid, report.keyid, sizeof(kr.keyid));
	memset(&args, 0, sizeof(args));
	memcpy(args.u.egetkey.keyrequest, &kr, sizeof(kr));
	assert_int_equal(rfix_call(encl, 1, TE_OP_EGETKEY, &args), TE_OK);
	assert_int_equal(args.u.egetkey.rax_out, 0);
	cmac(args.u.egetkey.key, &report.body, sizeof(report.body), mac);
	assert_memory_equal(mac, report.mac, 16);
	/* One flipped bit of the body and the MAC no longer matches. */
	report.body.reportdata[0] ^= 1;
	cmac(args.u.egetkey.key, &report.body, sizeof(report.body), mac);
	assert_memory_not_equal(mac, report.mac, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_gs_switch),
		cmocka_unit_test(test_ereport_verifies_with_report_key),
		cmocka_unit_test(test_eresume_of_corrupted_xsave_is_gp),
		cmocka_unit_test(test_nested_exception_in_handler),
		cmocka_unit_test(test_ssa_exhaustion_is_gp),
		cmocka_unit_test(test_interrupt_exitinfo_not_valid),
		cmocka_unit_test(test_enclu_inside_wrong_leaves),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
