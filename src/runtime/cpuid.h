/* SPDX-License-Identifier: MIT */
/*
 * CPUID for software on the emulated machine (see cpuid.c): the public sgxemu_cpuid, CPUID
 * faulting, and the sites `--patch-cpuid` rewrote.
 */
#ifndef SGXEMU_RUNTIME_CPUID_H
#define SGXEMU_RUNTIME_CPUID_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Turns CPUID faulting on for the calling thread (and the threads it creates): 0 or -errno. */
int sgx_cpuid_enable_faulting(void);
bool sgx_cpuid_faulting(void);

/* A `cpuid` at addr was rewritten to `ud2`: its SIGILL is answered as CPUID. 0 or -ENOSPC. */
int sgx_cpuid_patch_add(uint64_t addr);
bool sgx_cpuid_is_patched(uint64_t addr);
unsigned int sgx_cpuid_nr_patches(void);

/*
 * Host code (not in enclave mode) trapped at a patched site (SIGILL) or at a `cpuid` under CPUID
 * faulting (SIGSEGV): answers it in uc and returns true; false for any other trap.
 */
bool sgx_cpuid_trap(int sig, const siginfo_t *info, void *uc);

#endif /* SGXEMU_RUNTIME_CPUID_H */
