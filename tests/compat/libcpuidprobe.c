/* SPDX-License-Identifier: MIT */
/*
 * A small library that executes CPUID itself (as SDK runtimes do to detect SGX), for
 * `sgxemu run --patch-cpuid`. It also holds the bytes 0f a2 inside another instruction (which must
 * not be rewritten) and a real ud2 (which must stay an ordinary SIGILL).
 */
#include <stdint.h>

void probe_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(subleaf));
}

/* mov $0x00a20f00, %eax: the immediate's bytes are 00 0f a2 00. */
uint32_t probe_immediate(void)
{
	uint32_t v;

	__asm__ volatile("mov $0x00a20f00, %0" : "=a"(v));
	return v;
}

void probe_ud2(void)
{
	__asm__ volatile("ud2");
}
