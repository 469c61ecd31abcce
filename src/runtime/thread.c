/* SPDX-License-Identifier: MIT */
/*
 * The per-thread record table. Built to be called from signal handlers that interrupted enclave
 * code: no TLS, no allocation, no locks that the interrupted thread could hold. Compiled without
 * the stack protector (see src/runtime/CMake flags) because its callers may run before the host's
 * FS base is restored.
 */
#include "runtime/thread.h"

#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SGX_MAX_THREADS 4096
#define SGX_THREAD_SLOTS 8192 /* power of two, twice the records: short probe runs */
#define SLOT_EMPTY 0
#define SLOT_DELETED (-1)

struct sgx_thread_slot {
	int32_t tid;      /* SLOT_EMPTY, SLOT_DELETED or a tid */
	uint32_t record;  /* index into sgx_threads */
};

static struct sgx_thread sgx_threads[SGX_MAX_THREADS];
static struct sgx_thread_slot sgx_thread_slots[SGX_THREAD_SLOTS];
/* Records are handed out in order; released ones go on a free stack guarded by a spinlock. */
static uint32_t sgx_thread_next;
static uint32_t sgx_thread_free[SGX_MAX_THREADS];
static uint32_t sgx_thread_nfree;
static uint32_t sgx_thread_pool_lock;

static pthread_key_t sgx_thread_key;
static pthread_once_t sgx_thread_key_once = PTHREAD_ONCE_INIT;

int32_t sgx_raw_gettid(void)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "0"((long)SYS_gettid) : "rcx", "r11", "memory");
	return (int32_t)ret;
}

static uint32_t slot_hash(int32_t tid)
{
	return ((uint32_t)tid * 2654435761U) & (SGX_THREAD_SLOTS - 1);
}

struct sgx_thread *sgx_thread_find(int32_t tid)
{
	uint32_t i = slot_hash(tid);

	for (uint32_t n = 0; n < SGX_THREAD_SLOTS; n++, i = (i + 1) & (SGX_THREAD_SLOTS - 1)) {
		int32_t slot_tid = __atomic_load_n(&sgx_thread_slots[i].tid, __ATOMIC_ACQUIRE);

		if (slot_tid == SLOT_EMPTY)
			return NULL;
		if (slot_tid == tid)
			return &sgx_threads[sgx_thread_slots[i].record];
	}
	return NULL;
}

static void pool_lock(void)
{
	while (__atomic_exchange_n(&sgx_thread_pool_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void pool_unlock(void)
{
	__atomic_store_n(&sgx_thread_pool_lock, 0, __ATOMIC_RELEASE);
}

static int64_t record_alloc(void)
{
	int64_t idx = -1;

	pool_lock();
	if (sgx_thread_nfree)
		idx = sgx_thread_free[--sgx_thread_nfree];
	else if (sgx_thread_next < SGX_MAX_THREADS)
		idx = sgx_thread_next++;
	pool_unlock();
	return idx;
}

static bool slot_insert(int32_t tid, uint32_t record)
{
	uint32_t i = slot_hash(tid);

	for (uint32_t n = 0; n < SGX_THREAD_SLOTS; n++, i = (i + 1) & (SGX_THREAD_SLOTS - 1)) {
		int32_t cur = __atomic_load_n(&sgx_thread_slots[i].tid, __ATOMIC_ACQUIRE);

		if (cur != SLOT_EMPTY && cur != SLOT_DELETED)
			continue;
		/* Publish the record index before the tid makes the slot visible to finders. */
		sgx_thread_slots[i].record = record;
		if (__atomic_compare_exchange_n(&sgx_thread_slots[i].tid, &cur, tid, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void slot_remove(int32_t tid)
{
	uint32_t i = slot_hash(tid);

	for (uint32_t n = 0; n < SGX_THREAD_SLOTS; n++, i = (i + 1) & (SGX_THREAD_SLOTS - 1)) {
		int32_t cur = __atomic_load_n(&sgx_thread_slots[i].tid, __ATOMIC_ACQUIRE);

		if (cur == SLOT_EMPTY)
			return;
		if (cur == tid) {
			__atomic_store_n(&sgx_thread_slots[i].tid, SLOT_DELETED, __ATOMIC_RELEASE);
			return;
		}
	}
}

static void sgx_thread_destructor(void *arg)
{
	struct sgx_thread *t = arg;

	/* A record reused for a new thread with the same tid is no longer this thread's. */
	if (t->tid != sgx_raw_gettid())
		return;
	sgx_trap_thread_exit(t);
	sgx_thread_release(t);
}

static void sgx_thread_key_init(void)
{
	pthread_key_create(&sgx_thread_key, sgx_thread_destructor);
}

static void record_reset(struct sgx_thread *t, int32_t tid, uint64_t host_fsbase,
			 uint64_t host_gsbase)
{
	/*
	 * Byte by byte rather than memset(): this file runs uninstrumented on the signal path, and a
	 * sanitizer's memset interceptor would record writes whose publication (the release CAS of
	 * slot_insert) it cannot see.
	 */
	for (size_t i = 0; i < sizeof(*t); i++)
		((volatile uint8_t *)t)[i] = 0;
	t->tid = tid;
	t->host_fsbase = host_fsbase;
	t->host_gsbase = host_gsbase;
	t->app_altstack.ss_flags = SS_DISABLE;
}

struct sgx_thread *sgx_thread_current(uint64_t host_fsbase, uint64_t host_gsbase)
{
	int32_t tid = sgx_raw_gettid();
	struct sgx_thread *t = sgx_thread_find(tid);
	int64_t idx;

	if (t) {
		/* Same tid, different thread pointer: the old thread died and its tid was reused. */
		if (t->host_fsbase != host_fsbase)
			record_reset(t, tid, host_fsbase, host_gsbase);
		return t;
	}

	idx = record_alloc();
	if (idx < 0)
		return NULL;
	t = &sgx_threads[idx];
	record_reset(t, tid, host_fsbase, host_gsbase);
	if (!slot_insert(tid, (uint32_t)idx))
		return NULL;

	/* Release the record when the thread exits normally (tid reuse covers the rest). */
	pthread_once(&sgx_thread_key_once, sgx_thread_key_init);
	pthread_setspecific(sgx_thread_key, t);
	return t;
}

void sgx_thread_for_each(sgx_thread_fn fn, void *arg)
{
	uint32_t n = __atomic_load_n(&sgx_thread_next, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++) {
		struct sgx_thread *t = &sgx_threads[i];

		if (__atomic_load_n(&t->registered, __ATOMIC_ACQUIRE))
			fn(t, arg);
	}
}

void sgx_thread_release(struct sgx_thread *t)
{
	sigset_t all, old;
	uint32_t idx = (uint32_t)(t - sgx_threads);

	/* The pool lock is also taken on the signal path: keep signals out while holding it. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	__atomic_store_n(&t->registered, 0, __ATOMIC_RELEASE);
	slot_remove(t->tid);
	pool_lock();
	sgx_thread_free[sgx_thread_nfree++] = idx;
	pool_unlock();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
