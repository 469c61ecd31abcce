/* SPDX-License-Identifier: MIT */
/*
 * ENCLS logical processors and their MSRs.
 *
 * Holding an LP stands in for the kernel's preempt_disable(): the launch-key MSRs a thread wrote
 * are the ones its next EINIT sees, because nobody else can run on that LP in between. Taking an
 * LP blocks (a condition variable, not a spin) when all K are held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"

const uint64_t sgx_intel_lepubkeyhash[4] = {
	0xA6053E051270B7ACULL,
	0x6CFBE8BA8B3B413DULL,
	0xC4916D99F2B3735DULL,
	0xD4F8C05909F9BB3BULL,
};

void sgx_lps_reset_msrs(struct sgx_cpu *cpu)
{
	for (unsigned int i = 0; i < cpu->nr_lps; i++)
		memcpy(cpu->lps[i].lepubkeyhash, sgx_intel_lepubkeyhash,
		       sizeof(sgx_intel_lepubkeyhash));
}

int sgx_lps_init(struct sgx_cpu *cpu)
{
	cpu->nr_lps = cpu->config.nr_lps;
	cpu->lps = calloc(cpu->nr_lps, sizeof(*cpu->lps));
	if (!cpu->lps)
		return -1;
	for (unsigned int i = 0; i < cpu->nr_lps; i++) {
		struct sgx_lp *lp = &cpu->lps[i];

		lp->cpu = cpu;
		lp->id = i;
		pthread_mutex_init(&lp->lock, NULL);
		lp->gcm_enc = EVP_CIPHER_CTX_new();
		lp->gcm_dec = EVP_CIPHER_CTX_new();
		lp->gcm_key_cycle = ~0ULL; /* keyed by the paging leaves on first use */
		if (!lp->gcm_enc || !lp->gcm_dec) {
			errno = ENOMEM;
			return -1;
		}
	}
	sgx_lps_reset_msrs(cpu);
	return 0;
}

void sgx_lps_destroy(struct sgx_cpu *cpu)
{
	if (!cpu->lps)
		return;
	for (unsigned int i = 0; i < cpu->nr_lps; i++) {
		EVP_CIPHER_CTX_free(cpu->lps[i].gcm_enc);
		EVP_CIPHER_CTX_free(cpu->lps[i].gcm_dec);
		pthread_mutex_destroy(&cpu->lps[i].lock);
	}
	free(cpu->lps);
	cpu->lps = NULL;
}

static struct sgx_lp *take_lp(struct sgx_lp *lp)
{
	lp->busy = true;
	pthread_mutex_unlock(&lp->cpu->lp_wait_lock);
	pthread_mutex_lock(&lp->lock); /* uncontended: only the holder of busy takes it */
	return lp;
}

struct sgx_lp *sgx_cpu_get_lp(struct sgx_cpu *cpu)
{
	pthread_mutex_lock(&cpu->lp_wait_lock);
	for (;;) {
		for (unsigned int i = 0; i < cpu->nr_lps; i++)
			if (!cpu->lps[i].busy)
				return take_lp(&cpu->lps[i]);
		pthread_cond_wait(&cpu->lp_wait_cond, &cpu->lp_wait_lock);
	}
}

struct sgx_lp *sgx_cpu_get_lp_id(struct sgx_cpu *cpu, unsigned int id)
{
	struct sgx_lp *lp;

	if (id >= cpu->nr_lps)
		return NULL;
	lp = &cpu->lps[id];
	pthread_mutex_lock(&cpu->lp_wait_lock);
	while (lp->busy)
		pthread_cond_wait(&cpu->lp_wait_cond, &cpu->lp_wait_lock);
	return take_lp(lp);
}

void sgx_cpu_put_lp(struct sgx_lp *lp)
{
	struct sgx_cpu *cpu = lp->cpu;

	/* The kernel-operand promise lasts while the LP is held, never longer. */
	lp->kernel_operands = false;
	pthread_mutex_unlock(&lp->lock);
	pthread_mutex_lock(&cpu->lp_wait_lock);
	lp->busy = false;
	/* Broadcast: a waiter may want this LP in particular (sgx_cpu_get_lp_id). */
	pthread_cond_broadcast(&cpu->lp_wait_cond);
	pthread_mutex_unlock(&cpu->lp_wait_lock);
}

void sgx_lp_set_kernel_operands(struct sgx_lp *lp, bool kernel_operands)
{
	lp->kernel_operands = kernel_operands;
}

unsigned int sgx_lp_id(const struct sgx_lp *lp)
{
	return lp->id;
}

unsigned int sgx_cpu_nr_lps(const struct sgx_cpu *cpu)
{
	return cpu->nr_lps;
}

struct sgx_cpu *sgx_lp_cpu(const struct sgx_lp *lp)
{
	return lp->cpu;
}

const struct sgx_fault *sgx_lp_last_fault(const struct sgx_lp *lp)
{
	return &lp->fault;
}

/* --- MSRs ----------------------------------------------------------------------------------- */

static int msr_gp(struct sgx_fault *fault)
{
	if (fault) {
		fault->vector = X86_TRAP_GP;
		fault->error_code = 0;
		fault->addr = 0;
	}
	return -1;
}

static bool is_lepubkeyhash(uint32_t msr)
{
	return msr >= MSR_IA32_SGXLEPUBKEYHASH0 && msr <= MSR_IA32_SGXLEPUBKEYHASH3;
}

/*
 * IA32_FEAT_CTL as firmware leaves it on an SGX machine: locked, SGX on, and the launch-control
 * enable bit exactly when flexible launch control is configured. Locked means every write is #GP.
 */
static uint64_t feat_ctl(const struct sgx_cpu *cpu)
{
	return FEAT_CTL_LOCKED | FEAT_CTL_SGX_ENABLED |
	       (cpu->config.flc ? FEAT_CTL_SGX_LC_ENABLED : 0);
}

int sgx_wrmsr(struct sgx_lp *lp, uint32_t msr, uint64_t value, struct sgx_fault *fault)
{
	struct sgx_cpu *cpu = lp->cpu;

	/* The hash MSRs are writable iff FEAT_CTL has LOCK and SGX_LC_ENABLE (ref §5). */
	if (!is_lepubkeyhash(msr) || !(feat_ctl(cpu) & FEAT_CTL_SGX_LC_ENABLED))
		return msr_gp(fault);
	lp->lepubkeyhash[msr - MSR_IA32_SGXLEPUBKEYHASH0] = value;
	sgx_stat_inc(&cpu->stats.msr_writes);
	return 0;
}

int sgx_rdmsr(struct sgx_lp *lp, uint32_t msr, uint64_t *value, struct sgx_fault *fault)
{
	if (msr == MSR_IA32_FEAT_CTL) {
		*value = feat_ctl(lp->cpu);
		return 0;
	}
	if (is_lepubkeyhash(msr)) {
		*value = lp->lepubkeyhash[msr - MSR_IA32_SGXLEPUBKEYHASH0];
		return 0;
	}
	return msr_gp(fault);
}
