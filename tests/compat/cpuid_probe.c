/* SPDX-License-Identifier: MIT */
/*
 * Asks libcpuidprobe.so (which executes CPUID itself) whether the CPU has SGX. Under
 * `sgxemu run --patch-cpuid libcpuidprobe.so` it must; without, on a machine without SGX, it must
 * not. Prints "sgx=N sgx1=N lc=N epc_mib=N immediate=0x... ud2=SIGNAL faulting=N" (faulting: CPUID
 * faulting is on for this thread, ARCH_GET_CPUID).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asm/prctl.h>

void probe_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
uint32_t probe_immediate(void);
void probe_ud2(void);

static sigjmp_buf jmp;
static volatile int got;

static void on_ill(int sig)
{
	got = sig;
	siglongjmp(jmp, 1);
}

int main(void)
{
	uint32_t r[4], max;
	struct sigaction sa;
	static int sgx, sgx1, lc;
	static uint64_t epc;

	probe_cpuid(0, 0, r);
	max = r[0];
	probe_cpuid(7, 0, r);
	sgx = !!(r[1] & (1U << 2));
	lc = !!(r[2] & (1U << 30));
	if (max >= 0x12) {
		probe_cpuid(0x12, 0, r);
		sgx1 = r[0] & 1;
		probe_cpuid(0x12, 2, r);
		if ((r[0] & 0xf) == 1)
			epc = (((uint64_t)(r[3] & 0xfffff) << 32) | (r[2] & ~0xfffU)) >> 20;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_ill;
	sigaction(SIGILL, &sa, NULL);
	if (!sigsetjmp(jmp, 1))
		probe_ud2();
	printf("sgx=%d sgx1=%d lc=%d epc_mib=%llu immediate=%#x ud2=%d faulting=%d\n", sgx, sgx1,
	       lc, (unsigned long long)epc, probe_immediate(), got,
	       syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) == 0);
	return 0;
}
