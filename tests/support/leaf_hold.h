/* SPDX-License-Identifier: MIT */
/*
 * Hold a leaf in the middle, deterministically (DESIGN.md "Concurrency tests are deterministic").
 *
 * leaf_hold_start() runs fn(arg) on a new thread and returns once that thread is parked at the
 * CPU's pause hook inside the given leaf, i.e. holding the leaf's page locks and about to commit.
 * The caller then races it from its own thread (the hook ignores every other thread) and lets it
 * finish with leaf_hold_release(), which returns fn's result.
 *
 * One hold per processor at a time: the hook is the processor's single pause hook.
 */
#ifndef SGXEMU_TEST_LEAF_HOLD_H
#define SGXEMU_TEST_LEAF_HOLD_H

#include "cpu/cpu.h"

struct leaf_hold;

/* NULL if fn returned without ever reaching the leaf's pause point (its result is lost). */
struct leaf_hold *leaf_hold_start(struct sgx_cpu *cpu, unsigned int leaf_class, unsigned int leaf,
				  int (*fn)(void *arg), void *arg);
int leaf_hold_release(struct leaf_hold *hold);

#endif /* SGXEMU_TEST_LEAF_HOLD_H */
