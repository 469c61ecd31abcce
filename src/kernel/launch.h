/* SPDX-License-Identifier: MIT */
/*
 * Launch control (ref §4.5, sgx-isa §5, seed 000). With flexible launch control the kernel makes
 * every enclave its own launch enclave: before each EINIT attempt it writes the signer's
 * MRSIGNER into IA32_SGXLEPUBKEYHASH0..3 of the LP that runs EINIT, with the LP held, and passes
 * an all-zero token.
 *
 * Two policies:
 *  - mainline (default): write all four MSRs before every attempt, because KVM (a guest's EINIT)
 *    or another CPU may have changed them;
 *  - config.launch_cache (the design discussed in seed 000): a per-LP cache of the last values
 *    written plus the power-cycle count at the time; write only the MSRs whose cached value
 *    differs, and all of them if the cache is cold or the CPU went through a power cycle (which
 *    resets the MSRs). Anything else that writes the MSRs must call
 *    sgx_launch_cache_invalidate() for that LP.
 */
#ifndef SGXEMU_KERNEL_LAUNCH_H
#define SGXEMU_KERNEL_LAUNCH_H

#include <stdint.h>

#include "kernel/sgx.h"

/* Make the LP's launch-key MSRs hold hash (lp held by the caller). */
void sgx_update_lepubkeyhash(struct sgx_platform *platform, struct sgx_lp *lp,
			     const uint64_t hash[4]);

/*
 * One EINIT attempt: take an LP, set its launch-key MSRs to mrsigner (with FLC), run EINIT, put
 * the LP. Returns what EINIT returned (0, an SGX_* code or the fault flag).
 */
int sgx_launch_einit(struct sgx_platform *platform, const void *sigstruct, const void *token,
		     sgx_paddr_t secs, const uint64_t mrsigner[4]);

/* Something other than sgx_update_lepubkeyhash wrote this LP's MSRs (lp held by the caller). */
void sgx_launch_cache_invalidate(struct sgx_platform *platform, struct sgx_lp *lp);

#endif /* SGXEMU_KERNEL_LAUNCH_H */
