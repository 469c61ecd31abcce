/* SPDX-License-Identifier: MIT */
/*
 * The lock order of DESIGN.md, written down and checked in debug builds:
 *
 *   reclaim batch  ->  runtime address-space lock  ->  enclave lock  ->  LRU / free lists  ->  LP
 *     ->  CPU page try-locks
 *
 * (the platform's enclave list sits between the address-space lock and the enclave locks, since
 * the invariant checker walks enclaves under it). A reclaim batch is outermost: it zaps PTEs
 * (the address-space lock) and takes enclave locks one at a time, so an allocator may run one
 * only when it holds none of these (ioctl context); the fault path never reclaims. A thread may only take a lock whose level is
 * strictly greater than every level it already holds. The CPU's per-page locks are try-locks and
 * never wait, so they cannot take part in a deadlock; they are below everything here.
 *
 * The practical consequence for the kernel layer: it never calls the runtime's zap or kick
 * (which take the address-space lock) while holding an enclave lock, exactly as the kernel drops
 * encl->lock before zapping PTEs because of mmap_lock ordering.
 *
 * In builds without NDEBUG a violation prints both levels and aborts; with NDEBUG the hooks are
 * empty inline functions.
 */
#ifndef SGXEMU_KERNEL_LOCKDEP_H
#define SGXEMU_KERNEL_LOCKDEP_H

#include <pthread.h>

enum sgx_lock_level {
	SGX_LOCK_RECLAIM = 1, /* a reclaim batch (read) or the invariant checker (write) */
	SGX_LOCK_MM,	    /* the runtime's address-space lock */
	SGX_LOCK_ENCL_LIST, /* platform->encl_list_lock */
	SGX_LOCK_ENCL,	    /* encl->lock */
	SGX_LOCK_LISTS,	    /* the reclaimer's LRU lock and the EPC sections' free-list locks */
	SGX_LOCK_LP,	    /* an ENCLS logical processor (sgx_cpu_get_lp) */
	SGX_LOCK_NR_LEVELS,
};

#ifndef NDEBUG
void sgx_lockdep_acquire(enum sgx_lock_level level);
void sgx_lockdep_release(enum sgx_lock_level level);
/* Aborts if the calling thread holds a lock of this level (e.g. "no enclave lock here"). */
void sgx_lockdep_assert_not_held(enum sgx_lock_level level);
void sgx_lockdep_assert_held(enum sgx_lock_level level);
#else
static inline void sgx_lockdep_acquire(enum sgx_lock_level level)
{
}
static inline void sgx_lockdep_release(enum sgx_lock_level level)
{
}
static inline void sgx_lockdep_assert_not_held(enum sgx_lock_level level)
{
}
static inline void sgx_lockdep_assert_held(enum sgx_lock_level level)
{
}
#endif

static inline void sgx_mutex_lock(pthread_mutex_t *lock, enum sgx_lock_level level)
{
	sgx_lockdep_acquire(level);
	pthread_mutex_lock(lock);
}

static inline void sgx_mutex_unlock(pthread_mutex_t *lock, enum sgx_lock_level level)
{
	pthread_mutex_unlock(lock);
	sgx_lockdep_release(level);
}

#endif /* SGXEMU_KERNEL_LOCKDEP_H */
