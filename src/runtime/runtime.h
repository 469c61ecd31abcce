/* SPDX-License-Identifier: MIT */
/*
 * Process-wide runtime state: the things the process itself owns (DESIGN.md "Style") — the
 * userfaultfd of its address space, the table of threads, the signal dispositions — and the
 * callbacks the kernel layer calls (zap, kick).
 */
#ifndef SGXEMU_RUNTIME_RUNTIME_H
#define SGXEMU_RUNTIME_RUNTIME_H

#include <stdint.h>

struct sgx_platform;
struct sgx_thread;

/* Brings the runtime up once (signal handlers, userfaultfd); 0 or -errno. */
int sgx_runtime_init(void);
/* The process's userfaultfd (MISSING|MINOR, SIGBUS mode), or -1 before init. */
int sgx_runtime_uffd(void);
/* In a forked child: drops the parent's userfaultfd (the next init makes the child's own). */
void sgx_runtime_fork_child_uffd(void);
/* Registers the runtime's zap/kick with a platform whose enclaves are being mapped. */
void sgx_runtime_attach_platform(struct sgx_platform *platform);

/* The IPI handler's acknowledgement (the reclaimer waits for it). */
void sgx_runtime_ipi_ack(struct sgx_thread *t);

#endif /* SGXEMU_RUNTIME_RUNTIME_H */
