/* SPDX-License-Identifier: MIT */
/*
 * Noticing that we are a forked child, whatever the fork was.
 *
 * An emulated enclave lives in its process's memory: the EPC storage memfds are MAP_SHARED, so a
 * child that kept using its copy of the platform would write its parent's enclave pages. Each
 * layer that holds such state arms a slot once the state exists; in any child created afterwards
 * (glibc's fork with its pthread_atfork handlers, or a raw fork/clone without them) the slot reads
 * as "forked" exactly once, and the layer then abandons its inherited state (see docs/compat.md,
 * "fork"). The slots live in a MADV_WIPEONFORK page: the kernel hands every child a zeroed copy,
 * so no fork can escape notice. CLONE_VM children (threads, vfork) share the page and are not
 * children in this sense.
 */
#ifndef SGXEMU_COMMON_FORKWATCH_H
#define SGXEMU_COMMON_FORKWATCH_H

#include <stdbool.h>

enum sgx_fork_slot {
	SGX_FORK_SLOT_DRIVER,  /* the device files and the default platform (kernel layer) */
	SGX_FORK_SLOT_RUNTIME, /* enclave mappings and the userfaultfd (runtime) */
	SGX_FORK_NR_SLOTS,
};

/* This process holds state of the slot's owner that a child must not use. Idempotent. */
void sgx_fork_arm(enum sgx_fork_slot slot);

/*
 * True exactly once in a child forked after the slot was armed (and re-arms it for the child's
 * own children); the caller then abandons what it inherited. Lock-free and async-signal-safe.
 */
bool sgx_fork_child_check(enum sgx_fork_slot slot);

/* Would sgx_fork_child_check() answer true? (Does not consume the answer.) */
bool sgx_fork_child_pending(enum sgx_fork_slot slot);

#endif /* SGXEMU_COMMON_FORKWATCH_H */
