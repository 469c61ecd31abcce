/* SPDX-License-Identifier: MIT */
/*
 * Per-thread runtime state, found without TLS.
 *
 * A signal that interrupts enclave code arrives with the enclave's FS base loaded, so neither
 * glibc's TLS nor the stack protector's canary (%fs:0x28) may be touched before the host's FS base
 * is back. The assembly stubs therefore find a thread's record by its kernel tid (raw gettid) in a
 * lock-free table, restore the host FS/GS bases from it, and only then call C.
 *
 * The record is created the first time a thread executes ENCLU (possibly inside a signal handler),
 * from a preallocated pool: nothing on this path allocates. A record whose tid was reused by a new
 * thread is recognised by its host FS base (glibc's thread pointer, unique among live threads).
 */
#ifndef SGXEMU_RUNTIME_THREAD_H
#define SGXEMU_RUNTIME_THREAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/enclu.h"

struct sgx_platform;

struct sgx_thread {
	/* Read by trap_entry.S: keep these first and in this order (checked below). */
	uint64_t host_fsbase;  /* the thread's own FS/GS bases outside enclave mode */
	uint64_t host_gsbase;
	uint64_t encl_fsbase;  /* what to load when a handler returns into enclave mode */
	uint64_t encl_gsbase;
	uint8_t fs_swapped;    /* 1 while FS/GS hold the enclave's bases */
	uint8_t sud_selector;  /* syscall user dispatch: 0 allow, 1 block (#UD) */
	uint8_t sud_enabled;
	uint8_t registered;
	int32_t tid;
	/*
	 * A thread of a program loaded by the compat layer's dispatch mode (a "guest"): outside
	 * sgxemu's handlers it runs with the guest's FS/GS bases and the selector at "block", so
	 * every system call it makes comes to sgxemu as a SIGSYS. Read by trap_entry.S.
	 */
	uint64_t guest_fsbase;
	uint64_t guest_gsbase;
	uint8_t guest;

	/* The ENCLU logical processor of this thread. */
	struct sgx_tlp tlp;
	struct sgx_platform *platform;

	/* The application's signal mask at the last EENTER/ERESUME, restored at EEXIT/AEX. */
	uint64_t app_sigmask;

	/* sgxemu's own alternate signal stack, and the application's, which it stands in for. */
	void *altstack;
	size_t altstack_size;
	stack_t app_altstack;

	/* The reclaimer's "IPI": requests sent, and acknowledged by the handler (futex word). */
	uint32_t ipi_pending;
	uint32_t ipi_acks;

	/* Statistics, for `sgxemu stat` and the tests. */
	uint64_t aex_count;
	uint64_t enclu_count;
	uint64_t direct_entries; /* EENTER/ERESUME by sgxemu_enter_enclave without a trap */
};

#define SGX_THREAD_OFF_HOST_FS 0
#define SGX_THREAD_OFF_HOST_GS 8
#define SGX_THREAD_OFF_ENCL_FS 16
#define SGX_THREAD_OFF_ENCL_GS 24
#define SGX_THREAD_OFF_FS_SWAPPED 32
#define SGX_THREAD_OFF_SUD_SELECTOR 33
#define SGX_THREAD_OFF_GUEST_FS 40
#define SGX_THREAD_OFF_GUEST_GS 48
#define SGX_THREAD_OFF_GUEST 56
_Static_assert(offsetof(struct sgx_thread, host_fsbase) == SGX_THREAD_OFF_HOST_FS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, host_gsbase) == SGX_THREAD_OFF_HOST_GS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, encl_fsbase) == SGX_THREAD_OFF_ENCL_FS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, encl_gsbase) == SGX_THREAD_OFF_ENCL_GS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, fs_swapped) == SGX_THREAD_OFF_FS_SWAPPED, "asm layout");
_Static_assert(offsetof(struct sgx_thread, sud_selector) == SGX_THREAD_OFF_SUD_SELECTOR,
	       "asm layout");
_Static_assert(offsetof(struct sgx_thread, guest_fsbase) == SGX_THREAD_OFF_GUEST_FS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, guest_gsbase) == SGX_THREAD_OFF_GUEST_GS, "asm layout");
_Static_assert(offsetof(struct sgx_thread, guest) == SGX_THREAD_OFF_GUEST, "asm layout");

/* The raw kernel thread id, without glibc (safe with a foreign FS base). */
int32_t sgx_raw_gettid(void);

/* The record of thread tid, or NULL. Lock-free and TLS-free: trap_entry.S calls it. */
struct sgx_thread *sgx_thread_find(int32_t tid);

/*
 * The calling thread's record, created on first use. host_fsbase is the thread's current FS base
 * (it must be the host's: callers are host code or the signal path after the FS restore).
 * Returns NULL only if the pool is exhausted. Async-signal-safe.
 */
struct sgx_thread *sgx_thread_current(uint64_t host_fsbase, uint64_t host_gsbase);

/* Every registered record, for the reclaimer's "IPI" and for statistics. */
typedef void (*sgx_thread_fn)(struct sgx_thread *t, void *arg);
void sgx_thread_for_each(sgx_thread_fn fn, void *arg);

/* Undoes what the first enclave entry set up on this thread (trap.c): dispatch, alternate stack. */
void sgx_trap_thread_exit(struct sgx_thread *t);

/* Drops the record of an exiting thread (pthread key destructor). */
void sgx_thread_release(struct sgx_thread *t);

#endif /* SGXEMU_RUNTIME_THREAD_H */
