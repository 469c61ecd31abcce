/* SPDX-License-Identifier: MIT */
/*
 * sgxemu-bench: one JSON line per figure, each with the physical limit measured in the same run
 * (DESIGN.md "Tests, benchmarks"):
 *
 *   {"name":"measure_mb_s","value":1571.2,"unit":"MB/s","limit":1702.3,"ratio":0.923}
 *
 * ratio is the fraction of the limit achieved: value/limit when higher is better (throughput),
 * limit/value when lower is better (latency); 1.0 means "as fast as the hardware allows".
 *
 * Adding a figure: write bench/NAME.c defining `const struct bench_figure bench_NAME` and add one
 * X(NAME) line to BENCH_FIGURES in main.c.
 */
#ifndef SGXEMU_BENCH_H
#define SGXEMU_BENCH_H

#include <stdbool.h>
#include <stddef.h>

struct bench_result {
	double value;
	double limit;
};

struct bench_figure {
	const char *name; /* also the JSON "name" and the command-line selector */
	const char *unit;
	bool lower_is_better;
	const char *description; /* one line for --list: what is measured, and against what */
	/* Fills *result; 0, or -1 with a reason in err (the figure is then reported as failed). */
	int (*run)(struct bench_result *result, char *err, size_t errlen);
};

/* Monotonic time in seconds. */
double bench_now(void);

/*
 * Times fn(arg) and limit_fn(arg) alternately, rounds times each, and keeps the fastest of each:
 * on a shared machine the minimum is the measurement least disturbed by others.
 */
void bench_best_of(unsigned int rounds, void (*fn)(void *), void (*limit_fn)(void *), void *arg,
		   double *fn_seconds, double *limit_seconds);

/*
 * The same on this thread's CPU time (user + system), for figures that are single-threaded
 * computation on both sides: on a loaded machine, time spent descheduled is not the code's.
 */
void bench_best_of_cpu(unsigned int rounds, void (*fn)(void *), void (*limit_fn)(void *), void *arg,
		       double *fn_seconds, double *limit_seconds);

/* --- helpers for the runtime figures (runtime_helpers.c) ------------------------------------ */

#include <signal.h>
#include <stdint.h>

#include "../enclave/test_enclave_abi.h"

struct sgxemu_enclave;

/* The project's test enclave (build/enclave/test_enclave.sgxs + .sig), loaded in this process. */
struct sgxemu_enclave *bench_load_test_enclave(char *err, size_t errlen);
/* The same with SGXEMU_LOAD_* flags (SGXEMU_LOAD_MAP_FREE: the free ELRANGE mapped for EAUG). */
struct sgxemu_enclave *bench_load_test_enclave_flags(unsigned int flags, char *err, size_t errlen);

/* One ecall on TCS 0 through sgxemu_enter_enclave: the enclave's status, or -1 if it did not EEXIT. */
int bench_ecall(struct sgxemu_enclave *e, unsigned int op, struct te_args *args);

/* Whether the kernel lets this process use WRFSBASE/WRGSBASE (AT_HWCAP2), as the runtime asks. */
bool bench_have_fsgsbase(void);

/*
 * The cost, in ns, of the four segment-base writes one switch into and out of enclave mode needs
 * (FS and GS, each way), done as the runtime must do them here: WRFSBASE/WRGSBASE if allowed,
 * else arch_prctl. Best of several rounds of thread CPU time.
 */
double bench_base_writes_ns(void);

/*
 * Installs a bare SA_SIGINFO handler for sig with raw rt_sigaction (past sgxemu's interposed
 * sigaction, which would route the signal through the runtime), saving the kernel's disposition
 * exactly so that bench_signal_restore puts sgxemu's own handler back. 0 or -errno.
 */
struct bench_signal_saved {
	int sig;
	uint64_t kaction[4];
};
int bench_signal_swap(int sig, void (*handler)(int, siginfo_t *, void *),
		      struct bench_signal_saved *saved);
void bench_signal_restore(const struct bench_signal_saved *saved);

/*
 * aex_eresume_ns's limit, the cheapest resolution of a fault on a zapped page that the runtime's
 * MMU could do: zap (MADV_DONTNEED) a userfaultfd-registered (MISSING|MINOR, SIGBUS mode) shmem
 * mapping of `pages` pages whose contents are in the page cache, then read every page; each read
 * is one SIGBUS round trip whose bare handler maps the page with UFFDIO_CONTINUE.
 */
#define BENCH_PAGE 4096UL
struct bench_uffd_region {
	int uffd, memfd;
	uint8_t *region;
	unsigned int pages;
};
int bench_uffd_region_setup(struct bench_uffd_region *r, unsigned int pages); /* 0 or -errno */
int bench_uffd_region_faults(struct bench_uffd_region *r); /* one pass: pages faults; 0 or -errno */
void bench_uffd_region_teardown(struct bench_uffd_region *r);

#endif /* SGXEMU_BENCH_H */
