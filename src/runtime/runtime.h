/* SPDX-License-Identifier: MIT */
/*
 * Process-wide runtime state: the things the process itself owns (DESIGN.md "Style") — the
 * userfaultfd of its address space, the table of threads, the signal dispositions — and the
 * callbacks the kernel layer calls (zap, kick).
 */
#ifndef SGXEMU_RUNTIME_RUNTIME_H
#define SGXEMU_RUNTIME_RUNTIME_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

struct sgx_platform;
struct sgx_thread;

/* Brings the runtime up once (signal handlers, userfaultfd); 0 or -errno. */
int sgx_runtime_init(void);
/* The process's userfaultfd (MISSING|MINOR, SIGBUS mode), or -1 before init. */
int sgx_runtime_uffd(void);
/*
 * The compat layer's dispatch mode registers these: the runtime calls them for a thread whose
 * record says `guest` (sgx_thread.guest), outside enclave mode.
 */
struct sgx_guest_ops {
	/* A system call the guest made (SIGSYS from syscall user dispatch): emulate or re-issue. */
	void (*syscall)(struct sgx_thread *t, siginfo_t *info, ucontext_t *uc);
	/* Any other signal: fix the interrupted context up first (a re-issued system call). */
	void (*fixup)(struct sgx_thread *t, ucontext_t *uc);
};
void sgx_runtime_set_guest_ops(const struct sgx_guest_ops *ops);
const struct sgx_guest_ops *sgx_runtime_guest_ops(void);

/* pthread_atfork's handlers, for a fork made without glibc's fork (the dispatch mode). */
void sgx_runtime_fork_prepare(void);
void sgx_runtime_fork_parent(void);
void sgx_runtime_fork_child(void);

/* In a forked child: drops the parent's userfaultfd (the next init makes the child's own). */
void sgx_runtime_fork_child_uffd(void);
/* Registers the runtime's zap/kick with a platform whose enclaves are being mapped. */
void sgx_runtime_attach_platform(struct sgx_platform *platform);

/* The IPI handler's acknowledgement (the reclaimer waits for it). */
void sgx_runtime_ipi_ack(struct sgx_thread *t);

#endif /* SGXEMU_RUNTIME_RUNTIME_H */
