/* SPDX-License-Identifier: MIT */
/*
 * Suspend and resume: the EPC lost in a power cycle (ref §4.12, sgx-isa §7, seed 000).
 *
 * Mainline Linux has no SGX power-management code at all: S3/S4 regenerate the memory-encryption
 * key, every EPCM entry is invalid afterwards, and every path copes with what it meets (an ENCLS
 * #PF is an expected failure, EREMOVE of an invalid page succeeds, an entry faults with the SGX
 * bit so that userspace rebuilds its enclave). What the emulator adds is the machine going to
 * sleep: sgx_platform_suspend() is the freezer and the firmware together.
 *
 *  1. Enclave entries stop: EENTER/ERESUME wait at a gate (the runtime calls
 *     sgx_pm_enclu_begin/end around them) until resume, and the suspend waits for those already
 *     past the gate.
 *  2. Every thread inside an enclave is forced out (the runtime's kick: an AEX, as the interrupt
 *     that starts a suspend causes one). A thread that cannot be made to leave (stopped by a
 *     debugger) fails the suspend with -EBUSY, as a task that cannot be frozen fails the kernel's.
 *  3. Every ELRANGE mapping is zapped, CPU and host page-table entries alike.
 *  4. ENCLS stops: new callers wait (sgx_get_lp), and the suspend takes every logical processor,
 *     which waits for the leaves in flight.
 *  5. The CPU power-cycles (sgx_cpu_power_cycle): EPCM invalid, new paging key and report KEYID,
 *     launch-key MSRs back to Intel's hash, power-cycle counter advanced.
 *
 * The platform then sleeps until sgx_platform_resume(): threads that want to enter an enclave or
 * run an ENCLS leaf wait. The process's own work goes on (it is the emulator's host, not the
 * emulated machine), so a caller must not wait for an SGX call of its own between the two.
 *
 * Lock order: the suspend takes no kernel-layer lock while waiting at its own gates, and calls
 * the runtime's kick and zap with nothing held but its own mutex, which is outside the order of
 * lockdep.h (nothing is ever taken before it).
 */
#ifndef SGXEMU_KERNEL_POWER_H
#define SGXEMU_KERNEL_POWER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sgx_platform;

struct sgx_pm_state {
	pthread_mutex_t lock;	 /* serialises suspend and resume */
	bool suspended;		 /* under lock */
	uint64_t suspends;	 /* completed suspends, under lock */
	uint32_t enclu_asleep;	 /* futex word: EENTER/ERESUME wait while 1 */
	uint32_t encls_asleep;	 /* futex word: ENCLS callers wait while 1 */
	uint32_t enclu_inflight; /* EENTER/ERESUMEs past the gate and not yet done */
	uint32_t enclu_waiting;	 /* entries waiting at the gate for the resume (tests, stats) */
};

void sgx_pm_state_init(struct sgx_pm_state *pm);
void sgx_pm_state_destroy(struct sgx_pm_state *pm);

/*
 * Puts the platform to sleep through a power cycle (above). Returns 0, -EBUSY if it is already
 * suspended or a thread could not be forced out of an enclave (nothing is lost then).
 */
int sgx_platform_suspend(struct sgx_platform *platform);
/* Wakes it up: waiting entries and leaves proceed and meet the lost EPC. 0, or -EINVAL. */
int sgx_platform_resume(struct sgx_platform *platform);
bool sgx_platform_suspended(struct sgx_platform *platform);

/*
 * The entry gate, for the runtime: call begin before executing EENTER/ERESUME for a thread and
 * end once it has entered or failed. Waits while the platform sleeps. Async-signal-safe (atomics
 * and futexes only): the runtime calls it from its signal handler.
 */
void sgx_pm_enclu_begin(struct sgx_platform *platform);
void sgx_pm_enclu_end(struct sgx_platform *platform);

/* The ENCLS gate (sgx_get_lp): waits while the platform sleeps. */
void sgx_pm_encls_wait(struct sgx_platform *platform);

#endif /* SGXEMU_KERNEL_POWER_H */
