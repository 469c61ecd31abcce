/* SPDX-License-Identifier: MIT */
/* Reading our own memory through process_vm_readv: bad pointers, vectors, and fork. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/uaccess.h"

static void test_copy_and_faults(void **state)
{
	uint8_t *page =
		mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[64];

	assert_true(page != MAP_FAILED);
	memset(page, 7, 4096);
	/* PROT_NONE, not munmap: a later mmap could land in a hole. */
	assert_int_equal(mprotect(page + 4096, 4096, PROT_NONE), 0);
	assert_int_equal(sgx_copy_from_user(buf, (uint64_t)(uintptr_t)page, sizeof(buf)), 0);
	assert_int_equal(buf[63], 7);
	assert_int_equal(sgx_copy_from_user(buf, (uint64_t)(uintptr_t)page + 4090, 16), -EFAULT);
	assert_int_equal(sgx_copy_to_user((uint64_t)(uintptr_t)page + 4096, buf, 1), -EFAULT);
	assert_int_equal(sgx_copy_from_user(buf, ~0ULL - 4, 16), -EFAULT);
	munmap(page, 8192);
}

static void test_vector(void **state)
{
	static uint8_t a[16] = { 1 }, b[4096] = { 2 };
	uint8_t x[16], y[4096];
	struct sgx_uiov iov[2] = { { x, (uint64_t)(uintptr_t)a, sizeof(x) },
				   { y, (uint64_t)(uintptr_t)b, sizeof(y) } };

	assert_int_equal(sgx_copy_from_user_vec(iov, 2), 0);
	assert_int_equal(x[0], 1);
	assert_int_equal(y[0], 2);
	iov[1].uaddr = 0;
	assert_int_equal(sgx_copy_from_user_vec(iov, 2), -EFAULT);
}

/*
 * After a fork, a copy must read the child's memory, not the parent's: the cached pid must not
 * survive fork, whether it went through glibc (pthread_atfork) or was a raw system call.
 */
static void fork_and_check(bool raw)
{
	static volatile int marker;
	int value = 0, status;
	pid_t pid;

	marker = 1;
	assert_int_equal(sgx_copy_from_user(&value, (uint64_t)(uintptr_t)&marker, sizeof(value)),
			 0);
	assert_int_equal(value, 1);
	pid = raw ? (pid_t)syscall(SYS_fork) : fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		marker = 2;
		value = 0;
		if (sgx_copy_from_user(&value, (uint64_t)(uintptr_t)&marker, sizeof(value)))
			_exit(3);
		_exit(value == 2 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(marker, 1);
}

static void test_fork(void **state)
{
	fork_and_check(false);
}

static void test_raw_fork(void **state)
{
	fork_and_check(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_and_faults),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_raw_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
