/* SPDX-License-Identifier: MIT */
#include "kernel/lockdep.h"

#ifndef NDEBUG

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const sgx_lock_names[SGX_LOCK_NR_LEVELS] = {
	[SGX_LOCK_RECLAIM] = "reclaim batch",	[SGX_LOCK_MM] = "address-space lock", [SGX_LOCK_ENCL_LIST] = "enclave list lock",
	[SGX_LOCK_ENCL] = "enclave lock",     [SGX_LOCK_LISTS] = "LRU/free-list lock",
	[SGX_LOCK_LP] = "logical processor",
};

/* How many locks of each level this thread holds. Debug builds only. */
static __thread unsigned int sgx_held[SGX_LOCK_NR_LEVELS];

static void __attribute__((noreturn))
sgx_lockdep_die(const char *what, enum sgx_lock_level level, enum sgx_lock_level held)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "sgxemu: lock order violation: %s %s while holding %s\n", what,
			 sgx_lock_names[level], sgx_lock_names[held]);

	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		abort();
	abort();
}

void sgx_lockdep_acquire(enum sgx_lock_level level)
{
	for (int l = level; l < SGX_LOCK_NR_LEVELS; l++) {
		if (sgx_held[l])
			sgx_lockdep_die("taking", level, (enum sgx_lock_level)l);
	}
	sgx_held[level]++;
}

void sgx_lockdep_release(enum sgx_lock_level level)
{
	if (!sgx_held[level])
		sgx_lockdep_die("releasing an unheld", level, level);
	sgx_held[level]--;
}

void sgx_lockdep_assert_not_held(enum sgx_lock_level level)
{
	if (sgx_held[level])
		sgx_lockdep_die("asserted not holding", level, level);
}

void sgx_lockdep_assert_held(enum sgx_lock_level level)
{
	if (!sgx_held[level]) {
		char line[128];
		int n = snprintf(line, sizeof(line), "sgxemu: lock assertion: %s not held\n",
				 sgx_lock_names[level]);

		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			abort();
		abort();
	}
}

#endif /* !NDEBUG */
