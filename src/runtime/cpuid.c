/* SPDX-License-Identifier: MIT */
/*
 * CPUID as software on the emulated machine sees it (DESIGN.md "CPUID").
 *
 *   - sgxemu_cpuid(): leaves 0, 7 and 0x12 from the default platform's emulated CPU
 *     (sgx_cpu_cpuid), every other leaf the real CPU's. A program points itself at the emulator
 *     with one weak reference.
 *   - CPUID faulting (arch_prctl(ARCH_SET_CPUID, 0), where the host has it): every `cpuid` outside
 *     an enclave raises #GP (SIGSEGV, SI_KERNEL) and is answered here; inside an enclave it is
 *     the #UD hardware gives (trap.c). sgxemu's own `cpuid`s (the platform reads the host's
 *     leaves while it boots) get the real answer.
 *   - Patched sites (`sgxemu run --patch-cpuid=LIB`): `cpuid` (0f a2) rewritten to `ud2` (0f 0b)
 *     in the named libraries' code; the SIGILL at such a site is answered here. The table of
 *     patched addresses tells them from every other ud2.
 */
#include "runtime/cpuid.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "cpu/cpu.h"
#include "kernel/driver.h"

/* --- the answers -------------------------------------------------------------------------- */

static int cpuid_faulting; /* enabled by sgx_cpuid_enable_faulting in this process */

static void real_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	bool faulting = __atomic_load_n(&cpuid_faulting, __ATOMIC_RELAXED);

	/* CPUID faulting is per thread; lift it around our own instruction. */
	if (faulting)
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
	if (faulting)
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}

__attribute__((visibility("default"))) void sgxemu_cpuid(uint32_t leaf, uint32_t subleaf,
							  uint32_t regs[4])
{
	struct sgx_platform *platform;

	if (leaf != 0 && leaf != 7 && leaf != 0x12) {
		real_cpuid(leaf, subleaf, regs);
		return;
	}
	/* The emulated CPU of the default platform (booting it if need be). */
	platform = sgx_default_platform();
	if (!platform) {
		real_cpuid(leaf, subleaf, regs); /* SGX did not come up: the host's answer */
		return;
	}
	if (__atomic_load_n(&cpuid_faulting, __ATOMIC_RELAXED))
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	sgx_cpu_cpuid(platform->cpu, leaf, subleaf, regs);
	if (__atomic_load_n(&cpuid_faulting, __ATOMIC_RELAXED))
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}

/* --- CPUID faulting ------------------------------------------------------------------------- */

/* sgxemu's own code: its `cpuid`s (the platform's boot) get the real CPU. */
static uint64_t self_text_start, self_text_end;

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t me = (uint64_t)sgxemu_cpuid;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && me >= start && me < end) {
			self_text_start = start;
			self_text_end = end;
			return 1;
		}
	}
	return 0;
}

int sgx_cpuid_enable_faulting(void)
{
	dl_iterate_phdr(find_self, NULL);
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0))
		return -errno;
	__atomic_store_n(&cpuid_faulting, 1, __ATOMIC_RELEASE);
	return 0;
}

bool sgx_cpuid_faulting(void)
{
	return __atomic_load_n(&cpuid_faulting, __ATOMIC_ACQUIRE);
}

/* --- patched sites ---------------------------------------------------------------------------- */

/* An open-addressing set of addresses: lock-free lookups from the SIGILL path. */
#define PATCH_SLOTS 16384

static uint64_t patch_slots[PATCH_SLOTS];
static uint32_t nr_patches;

static uint32_t patch_hash(uint64_t addr)
{
	return (uint32_t)((addr * 0x9E3779B97F4A7C15ULL) >> 50) & (PATCH_SLOTS - 1);
}

int sgx_cpuid_patch_add(uint64_t addr)
{
	uint32_t i = patch_hash(addr);

	if (__atomic_load_n(&nr_patches, __ATOMIC_RELAXED) >= PATCH_SLOTS / 2)
		return -ENOSPC;
	for (uint32_t n = 0; n < PATCH_SLOTS; n++, i = (i + 1) & (PATCH_SLOTS - 1)) {
		uint64_t cur = __atomic_load_n(&patch_slots[i], __ATOMIC_ACQUIRE);

		if (cur == addr)
			return 0;
		if (!cur && __atomic_compare_exchange_n(&patch_slots[i], &cur, addr, false,
							 __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&nr_patches, 1, __ATOMIC_RELAXED);
			return 0;
		}
		if (cur == addr)
			return 0;
	}
	return -ENOSPC;
}

bool sgx_cpuid_is_patched(uint64_t addr)
{
	uint32_t i = patch_hash(addr);

	for (uint32_t n = 0; n < PATCH_SLOTS; n++, i = (i + 1) & (PATCH_SLOTS - 1)) {
		uint64_t cur = __atomic_load_n(&patch_slots[i], __ATOMIC_ACQUIRE);

		if (cur == addr)
			return true;
		if (!cur)
			return false;
	}
	return false;
}

unsigned int sgx_cpuid_nr_patches(void)
{
	return __atomic_load_n(&nr_patches, __ATOMIC_RELAXED);
}

/* --- the trap ------------------------------------------------------------------------------ */

static void answer(ucontext_t *uc, bool real)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t regs[4];

	if (real)
		real_cpuid((uint32_t)g[REG_RAX], (uint32_t)g[REG_RCX], regs);
	else
		sgxemu_cpuid((uint32_t)g[REG_RAX], (uint32_t)g[REG_RCX], regs);
	/* CPUID writes the 32-bit registers: the upper halves of RAX..RDX become zero. */
	g[REG_RAX] = regs[0];
	g[REG_RBX] = regs[1];
	g[REG_RCX] = regs[2];
	g[REG_RDX] = regs[3];
	g[REG_RIP] += 2;
}

bool sgx_cpuid_trap(int sig, const siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	const uint8_t *p = (const uint8_t *)rip;

	if (sig == SIGILL && p[0] == 0x0f && p[1] == 0x0b && sgx_cpuid_is_patched(rip)) {
		answer(uc, false);
		return true;
	}
	if (sig == SIGSEGV && info->si_code == SI_KERNEL && sgx_cpuid_faulting() && p[0] == 0x0f &&
	    p[1] == 0xa2) {
		answer(uc, rip >= self_text_start && rip < self_text_end);
		return true;
	}
	return false;
}
