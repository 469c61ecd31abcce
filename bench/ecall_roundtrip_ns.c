// SPDX-License-Identifier: MIT
/*
 * ecall_roundtrip_ns: one EENTER -> EEXIT through sgxemu_enter_enclave (the vDSO contract) with a
 * trivial ecall (the test enclave's ECHO: add, subtract, multiply two numbers).
 *
 * The limit, measured in the same run, is what any emulation that traps ENCLU must pay on this
 * host: one bare SIGILL round trip (a `ud2` whose handler steps over it) plus the four
 * segment-base writes an entry and an exit need (the enclave's FS and GS in, the host's out:
 * WRFSBASE/WRGSBASE if the kernel allows them, else arch_prctl).
 *
 * Every answer is checked, so a fast wrong one cannot score.
 */
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "bench.h"

#define CALLS 2000
#define ROUNDS 9

struct ecall_bench {
	struct sgxemu_enclave *e;
	struct te_args args;
	int failed;
};

static void ecalls(void *arg)
{
	struct ecall_bench *b = arg;

	for (unsigned int i = 0; i < CALLS; i++) {
		b->args.u.echo.a = i;
		b->args.u.echo.b = 3;
		if (bench_ecall(b->e, TE_OP_ECHO, &b->args) != TE_OK ||
		    b->args.u.echo.sum != i + 3ULL || b->args.u.echo.product != 3ULL * i)
			b->failed = 1;
	}
}

static void step_over_ud2(int sig, siginfo_t *info, void *ucv)
{
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP] += 2;
}

static void sigills(void *arg)
{
	struct ecall_bench *b = arg;
	struct bench_signal_saved saved;

	/* Swapping the handler twice costs ~2 us, against CALLS round trips. */
	if (bench_signal_swap(SIGILL, step_over_ud2, &saved)) {
		b->failed = 1;
		return;
	}
	for (unsigned int i = 0; i < CALLS; i++)
		asm volatile("ud2" : : : "memory");
	bench_signal_restore(&saved);
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct ecall_bench b = { 0 };
	double t_calls, t_sigills;

	b.e = bench_load_test_enclave(err, errlen);
	if (!b.e)
		return -1;
	/* The first entries fault the TCS, SSA, stack and code pages in: not what is measured. */
	for (unsigned int i = 0; i < 16; i++)
		if (bench_ecall(b.e, TE_OP_ECHO, &b.args) != TE_OK)
			b.failed = 1;
	bench_best_of_cpu(ROUNDS, ecalls, sigills, &b, &t_calls, &t_sigills);
	sgxemu_enclave_unload(b.e);
	if (b.failed) {
		snprintf(err, errlen, "an ecall failed or answered wrong");
		return -1;
	}
	result->value = t_calls / CALLS * 1e9;
	result->limit = t_sigills / CALLS * 1e9 + bench_base_writes_ns();
	return 0;
}

const struct bench_figure bench_ecall_roundtrip_ns = {
	.name = "ecall_roundtrip_ns",
	.unit = "ns",
	.lower_is_better = true,
	.description = "EENTER->EEXIT of a trivial ecall through sgxemu_enter_enclave vs one bare "
		       "SIGILL round trip + 4 FS/GS base writes",
	.run = run,
};
