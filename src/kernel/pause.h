/* SPDX-License-Identifier: MIT */
/*
 * Pause points: test-only hooks where a test holds a kernel-layer thread at a named place and
 * releases it when it is ready, so that races are staged deterministically instead of hoped for
 * with sleeps (DESIGN.md "Concurrency tests are deterministic").
 *
 * Usage, from a test:
 *
 *	sgx_pause_arm(platform, SGX_PAUSE_ADD_PAGES_BETWEEN, encl, 0);
 *	start a thread that runs SGX_IOC_ENCLAVE_ADD_PAGES on encl
 *	sgx_pause_wait(platform, SGX_PAUSE_ADD_PAGES_BETWEEN);	// that thread is now held
 *	... do the racing thing (another ioctl on the enclave gets EBUSY) ...
 *	sgx_pause_release(platform, SGX_PAUSE_ADD_PAGES_BETWEEN);	// it continues
 *
 * An armed point holds exactly one thread: the (skip+1)-th to reach it whose context matches
 * the filter (NULL matches anything). Every other thread, and every thread after the release,
 * passes through. When nothing is armed a point costs one atomic load.
 */
#ifndef SGXEMU_KERNEL_PAUSE_H
#define SGXEMU_KERNEL_PAUSE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sgx_platform;

enum sgx_pause_point {
	/* An enclave ioctl has claimed the enclave (SGX_ENCL_IOCTL set), before dispatching. */
	SGX_PAUSE_IOCTL_ENTER,
	/* ADD_PAGES: a page has been added; before the next page's signal check. */
	SGX_PAUSE_ADD_PAGES_BETWEEN,
	/* ADD_PAGES: EADD done, before the first EEXTEND (enclave lock held, no LP held). */
	SGX_PAUSE_ADD_PAGES_EXTEND,
	/* INIT: under the enclave lock, before each EINIT attempt (no LP held). */
	SGX_PAUSE_INIT_EINIT,
	/* INIT: a round of EINITs answered SGX_UNMASKED_EVENT; before the back-off sleep. */
	SGX_PAUSE_INIT_SLEEP,
	/*
	 * The reclaimer: a batch has isolated its pages (context: the first page's enclave), and
	 * between its EBLOCKs and EWBs (same context).
	 */
	SGX_PAUSE_RECLAIM_BATCH,
	SGX_PAUSE_RECLAIM_BLOCKED,
	/*
	 * An allocator that may reclaim found no free page and a non-empty LRU, before its signal
	 * check and its reclaim batch (context: the page's owner).
	 */
	SGX_PAUSE_RECLAIM_DIRECT,
	/*
	 * RESTRICT_PERMISSIONS / MODIFY_TYPES: the page's EMODPR/EMODT is done and its PTEs are
	 * zapped; before the ETRACK flow (no lock held). An EACCEPT now answers SGX_NOT_TRACKED.
	 */
	SGX_PAUSE_SGX2_TRACK,
	SGX_PAUSE_NR_POINTS,
};

struct sgx_pause_slot {
	bool armed;
	bool held;     /* a thread is waiting at the point */
	bool released; /* the test let it go */
	unsigned int skip;
	const void *filter;
	const void *held_ctx;
};

struct sgx_pause_state {
	uint32_t armed_mask; /* atomic fast path */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sgx_pause_slot slots[SGX_PAUSE_NR_POINTS];
};

void sgx_pause_state_init(struct sgx_pause_state *state);
void sgx_pause_state_destroy(struct sgx_pause_state *state);

/* --- test side --- */

/* Arm a point: hold the (skip+1)-th thread that reaches it with context == filter (or any). */
void sgx_pause_arm(struct sgx_platform *platform, enum sgx_pause_point point, const void *filter,
		   unsigned int skip);
/* Block until a thread is held at the point; returns its context. */
const void *sgx_pause_wait(struct sgx_platform *platform, enum sgx_pause_point point);
/* Let the held thread (if any) continue and disarm the point. */
void sgx_pause_release(struct sgx_platform *platform, enum sgx_pause_point point);
/* Disarm without waiting (a point that was never reached). */
void sgx_pause_disarm(struct sgx_platform *platform, enum sgx_pause_point point);

/* --- kernel side --- */

void __sgx_pause(struct sgx_pause_state *state, enum sgx_pause_point point, const void *ctx);

static inline void sgx_pause_point(struct sgx_pause_state *state, enum sgx_pause_point point,
				   const void *ctx)
{
	if (__atomic_load_n(&state->armed_mask, __ATOMIC_ACQUIRE) & (1U << point))
		__sgx_pause(state, point, ctx);
}

#endif /* SGXEMU_KERNEL_PAUSE_H */
