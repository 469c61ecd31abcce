/* SPDX-License-Identifier: MIT */
/*
 * A platform configured without SGX2 behaves like SGX1 hardware (ref/linux-sgx-subsystem.md §1.5,
 * §2.2, §4.7; ref/sgx-isa.md §9): CPUID.(12H,0):EAX[1] is clear, the three SGX2 ioctls answer
 * ENODEV before anything else, a fault in ELRANGE where no page exists is the fault handler's
 * SIGBUS (vector 14 with an ordinary error code through the vDSO, a SIGBUS signal for host code),
 * and EACCEPT inside the enclave is #UD.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "kernel/sgx.h"
#include "sgx2_fixture.h"

static struct sgxemu_enclave *encl;

static int setup(void **state)
{
	struct sgxemu_config config;
	char err[128];

	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "sgx2", "0", err, sizeof(err)), 0);
	assert_int_equal(sgxemu_boot(&config), 0);
	encl = s2_load();
	return 0;
}

static int teardown(void **state)
{
	s2_check_platform();
	rfix_unload(encl);
	s2_check_platform();
	return 0;
}

static void test_cpuid_says_no_sgx2(void **state)
{
	struct sgx_platform *platform = sgx_default_platform();
	uint32_t regs[4];

	assert_true(sgx_cpu_cpuid(platform->cpu, 0x12, 0, regs));
	assert_true(regs[0] & 1);  /* SGX1 */
	assert_false(regs[0] & 2); /* no SGX2 */
	assert_false(platform->have_sgx2);
}

static const unsigned long sgx2_cmds[] = {
	SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
	SGX_IOC_ENCLAVE_MODIFY_TYPES,
	SGX_IOC_ENCLAVE_REMOVE_PAGES,
};

/* ENODEV first: before the state check, before the argument is read. */
static void test_ioctls_enodev(void **state)
{
	struct sgx_enclave_modify_types m = {
		.offset = encl->free_start - encl->base - S2_PAGE,
		.length = S2_PAGE,
		.page_type = SGX_PAGE_TYPE_TRIM,
	};
	int fd = sgxemu_open("/dev/sgx_enclave", O_RDWR);

	assert_true(fd >= 0);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(s2_ioctl(encl, sgx2_cmds[i], &m), ENODEV);
		assert_int_equal(s2_ioctl(encl, sgx2_cmds[i], NULL), ENODEV);
		/* An enclave that is not even created: still ENODEV, not EINVAL. */
		assert_int_equal(sgxemu_ioctl(fd, sgx2_cmds[i], NULL), -1);
		assert_int_equal(errno, ENODEV);
	}
	assert_int_equal(m.count, 0);
	assert_int_equal(sgxemu_close(fd), 0);
}

/* The enclave touches its free ELRANGE: no EAUG, the fault handler's SIGBUS, fixed up. */
static void test_enclave_fault_is_sigbus(void **state)
{
	struct sgx_cpu_stats before, after;
	struct s2_exception ex;

	sgx_cpu_get_stats(sgx_default_platform()->cpu, &before);
	ex = s2_access(encl, 0, TE_FAULT_WRITE, encl->free_start + S2_PAGE);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.function, ERESUME);
	assert_int_equal(ex.vector, 14);
	assert_int_equal(ex.error_code, 0x6); /* W|U, not present, no SGX bit */
	assert_int_equal(ex.addr, encl->free_start + S2_PAGE);

	ex = s2_access(encl, 1, TE_FAULT_READ, encl->free_start);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.vector, 14);
	assert_int_equal(ex.error_code, 0x4);
	assert_int_equal(ex.addr, encl->free_start);

	sgx_cpu_get_stats(sgx_default_platform()->cpu, &after);
	assert_int_equal(after.encls[EAUG], before.encls[EAUG]);
	assert_false(s2_kernel_page(encl, encl->free_start, NULL, NULL));
}

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_seen;
static void *volatile bus_addr;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	bus_seen = sig;
	bus_addr = si->si_addr;
	siglongjmp(bus_jmp, 1);
}

/* Host code reading an address without a page: the SIGBUS is delivered as a signal. */
static void test_host_access_is_sigbus(void **state)
{
	volatile uint64_t *p = (volatile uint64_t *)(encl->free_start + 3 * S2_PAGE + 16);
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO;
	assert_int_equal(sigaction(SIGBUS, &sa, &old), 0);
	bus_seen = 0;
	if (!sigsetjmp(bus_jmp, 1))
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	assert_int_equal(bus_seen, SIGBUS);
	assert_ptr_equal(bus_addr, (void *)p);
	assert_false(s2_kernel_page(encl, (uint64_t)p, NULL, NULL));
}

static int record_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			  struct sgx_enclave_run *run)
{
	*(struct sgx_enclave_run *)run->user_data = *run;
	return 0;
}

/* EACCEPT is an SGX2 leaf: #UD on this processor. (TCS 3 is left with CSSA 1 afterwards.) */
static void test_eaccept_is_ud(void **state)
{
	struct sgx_enclave_run run, seen;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = encl->free_start;
	args.u.sgx2.secinfo_flags = S2_REG | S2_R | S2_W | S2_PENDING;
	memset(&run, 0, sizeof(run));
	memset(&seen, 0, sizeof(seen));
	run.tcs = encl->tcs[3];
	run.user_handler = (uint64_t)record_handler;
	run.user_data = (uint64_t)&seen;
	assert_int_equal(rfix_enter(encl, TE_OP_EACCEPT, &args, &run), 0);
	assert_int_equal(seen.function, ERESUME);
	assert_int_equal(seen.exception_vector, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_says_no_sgx2),
		cmocka_unit_test(test_ioctls_enodev),
		cmocka_unit_test(test_enclave_fault_is_sigbus),
		cmocka_unit_test(test_host_access_is_sigbus),
		cmocka_unit_test(test_eaccept_is_ud),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
