/* SPDX-License-Identifier: MIT */
/*
 * Suspend and resume (see power.h). The public face is sgxemu_platform_suspend/resume.
 */
#include "kernel/power.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/encl.h"

/* How many times a suspend kicks an enclave whose threads do not all leave at once. */
#define SGX_PM_KICK_TRIES 10

static void sgx_futex_wait(uint32_t *word, uint32_t val, long timeout_ns)
{
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000L,
			       .tv_nsec = timeout_ns % 1000000000L };

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, timeout_ns ? &ts : NULL, NULL, 0);
}

static void sgx_futex_wake_all(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void sgx_pm_state_init(struct sgx_pm_state *pm)
{
	*pm = (struct sgx_pm_state){ 0 };
	pthread_mutex_init(&pm->lock, NULL);
}

void sgx_pm_state_destroy(struct sgx_pm_state *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

/* --- the gates ------------------------------------------------------------------------------- */

void sgx_pm_enclu_end(struct sgx_platform *platform)
{
	struct sgx_pm_state *pm = &platform->pm;

	if (__atomic_sub_fetch(&pm->enclu_inflight, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&pm->enclu_asleep, __ATOMIC_SEQ_CST))
		sgx_futex_wake_all(&pm->enclu_inflight);
}

void sgx_pm_enclu_begin(struct sgx_platform *platform)
{
	struct sgx_pm_state *pm = &platform->pm;

	/*
	 * Count first, then look (seq_cst on both sides): either the suspend sees this entry in
	 * flight and waits for it, or this entry sees the platform asleep and backs out.
	 */
	for (;;) {
		__atomic_add_fetch(&pm->enclu_inflight, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&pm->enclu_asleep, __ATOMIC_SEQ_CST))
			return;
		sgx_pm_enclu_end(platform);
		__atomic_add_fetch(&pm->enclu_waiting, 1, __ATOMIC_RELAXED);
		sgx_futex_wait(&pm->enclu_asleep, 1, 0);
		__atomic_sub_fetch(&pm->enclu_waiting, 1, __ATOMIC_RELAXED);
	}
}

void sgx_pm_encls_wait(struct sgx_platform *platform)
{
	struct sgx_pm_state *pm = &platform->pm;

	while (__atomic_load_n(&pm->encls_asleep, __ATOMIC_ACQUIRE))
		sgx_futex_wait(&pm->encls_asleep, 1, 0);
}

/* --- suspend --------------------------------------------------------------------------------- */

/* References to every created enclave of the platform; *nr of them, NULL if none or no memory. */
static struct sgx_encl **sgx_pm_grab_enclaves(struct sgx_platform *platform, size_t *nr)
{
	struct sgx_encl **encls;
	struct sgx_encl *encl;
	size_t n = 0;

	*nr = 0;
	sgx_mutex_lock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	encls = calloc(platform->nr_encls ? platform->nr_encls : 1, sizeof(*encls));
	if (encls) {
		LIST_FOREACH(encl, &platform->encl_list, link)
		{
			if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED) &&
			    sgx_encl_get_unless_zero(encl))
				encls[n++] = encl;
		}
	}
	sgx_mutex_unlock(&platform->encl_list_lock, SGX_LOCK_ENCL_LIST);
	*nr = n;
	return encls;
}

static void sgx_pm_put_enclaves(struct sgx_encl **encls, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		sgx_encl_put(encls[i]);
	free(encls);
}

/* Forces every thread out of every enclave; entries are already held at the gate. */
static int sgx_pm_kick_all(struct sgx_platform *platform, struct sgx_encl **encls, size_t nr)
{
	const struct sgx_mm_ops *ops = __atomic_load_n(&platform->mm_ops, __ATOMIC_ACQUIRE);
	int ret = 0;

	if (!ops || !ops->kick)
		return 0; /* no runtime: nobody can be inside */
	for (size_t i = 0; i < nr; i++) {
		for (int tries = 0; tries < SGX_PM_KICK_TRIES; tries++) {
			ret = ops->kick(platform->mm_priv, encls[i]);
			if (ret != -ETIMEDOUT)
				break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void sgx_pm_wake(struct sgx_pm_state *pm)
{
	__atomic_store_n(&pm->encls_asleep, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pm->enclu_asleep, 0, __ATOMIC_SEQ_CST);
	sgx_futex_wake_all(&pm->encls_asleep);
	sgx_futex_wake_all(&pm->enclu_asleep);
}

/* The power cycle itself, with every LP held: no ENCLS leaf runs across it. */
static void sgx_pm_power_cycle(struct sgx_platform *platform)
{
	struct sgx_lp *lps[SGXEMU_MAX_LPS];
	unsigned int nr = platform->nr_lps;

	for (unsigned int i = 0; i < nr; i++)
		lps[i] = sgx_cpu_get_lp_id(platform->cpu, i);
	sgx_cpu_power_cycle(platform->cpu);
	for (unsigned int i = nr; i-- > 0;)
		sgx_cpu_put_lp(lps[i]);
}

int sgx_platform_suspend(struct sgx_platform *platform)
{
	struct sgx_pm_state *pm = &platform->pm;
	struct sgx_encl **encls;
	uint32_t inflight;
	size_t nr;
	int ret;

	sgx_lockdep_assert_not_held(SGX_LOCK_MM);
	pthread_mutex_lock(&pm->lock);
	if (pm->suspended) {
		pthread_mutex_unlock(&pm->lock);
		return -EBUSY;
	}

	/* 1. No new entry; wait for those half done (they end up inside, and get kicked). */
	__atomic_store_n(&pm->enclu_asleep, 1, __ATOMIC_SEQ_CST);
	while ((inflight = __atomic_load_n(&pm->enclu_inflight, __ATOMIC_SEQ_CST)))
		sgx_futex_wait(&pm->enclu_inflight, inflight, 1000 * 1000);

	/* 2. Everyone out. */
	encls = sgx_pm_grab_enclaves(platform, &nr);
	ret = sgx_pm_kick_all(platform, encls, nr);
	if (ret) {
		sgx_pm_put_enclaves(encls, nr);
		sgx_pm_wake(pm);
		pthread_mutex_unlock(&pm->lock);
		pr_warn("sgx: suspend aborted: a thread could not be made to leave its enclave "
			"(%d)",
			ret);
		return -EBUSY;
	}

	/*
	 * 3. Every ELRANGE mapping zapped. Before ENCLS stops: zapping takes the enclave locks,
	 * and an ioctl holding one must be able to finish its leaf.
	 */
	for (size_t i = 0; i < nr; i++)
		sgx_encl_zap(encls[i], encls[i]->base, encls[i]->base + encls[i]->size);
	sgx_pm_put_enclaves(encls, nr);

	/* 4 and 5. ENCLS stops, the leaves in flight finish, and the EPC is lost. */
	__atomic_store_n(&pm->encls_asleep, 1, __ATOMIC_SEQ_CST);
	sgx_pm_power_cycle(platform);

	pm->suspended = true;
	pm->suspends++;
	pthread_mutex_unlock(&pm->lock);
	pr_info("sgx: suspended: the EPC is lost (power cycle %llu)",
		(unsigned long long)sgx_cpu_power_cycles(platform->cpu));
	return 0;
}

int sgx_platform_resume(struct sgx_platform *platform)
{
	struct sgx_pm_state *pm = &platform->pm;

	pthread_mutex_lock(&pm->lock);
	if (!pm->suspended) {
		pthread_mutex_unlock(&pm->lock);
		return -EINVAL;
	}
	pm->suspended = false;
	sgx_pm_wake(pm);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

bool sgx_platform_suspended(struct sgx_platform *platform)
{
	bool suspended;

	pthread_mutex_lock(&platform->pm.lock);
	suspended = platform->pm.suspended;
	pthread_mutex_unlock(&platform->pm.lock);
	return suspended;
}

/* --- the public API -------------------------------------------------------------------------- */

static int sgx_pm_errno(int ret)
{
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

int sgxemu_platform_suspend(void)
{
	struct sgx_platform *platform = sgx_default_platform_booted();

	if (!platform)
		return sgx_pm_errno(-ENODEV);
	return sgx_pm_errno(sgx_platform_suspend(platform));
}

int sgxemu_memory_failure(unsigned long long epc_addr, int action_required)
{
	struct sgx_platform *platform = sgx_default_platform_booted();

	if (!platform)
		return sgx_pm_errno(-ENODEV);
	return sgx_pm_errno(sgx_memory_failure(platform, epc_addr,
					       action_required ? SGX_MF_ACTION_REQUIRED : 0));
}

int sgxemu_platform_resume(void)
{
	struct sgx_platform *platform = sgx_default_platform_booted();

	if (!platform)
		return sgx_pm_errno(-ENODEV);
	return sgx_pm_errno(sgx_platform_resume(platform));
}
