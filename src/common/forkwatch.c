/* SPDX-License-Identifier: MIT */
#include "common/forkwatch.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "common/sys.h"

/* Per slot: armed in this process (ordinary memory, inherited by children). */
static uint8_t slot_armed[SGX_FORK_NR_SLOTS];
/* Per slot: 1 = "this process" (zero in every child: MADV_WIPEONFORK). */
static uint8_t *slot_alive;
static pthread_once_t page_once = PTHREAD_ONCE_INIT;

static void page_init(void)
{
	void *page = sgx_sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

	if (page == MAP_FAILED)
		return;
	if (sgx_sys_madvise(page, 4096, MADV_WIPEONFORK)) {
		/* Before Linux 4.14: only pthread_atfork children are noticed. */
		sgx_sys_munmap(page, 4096);
		return;
	}
	slot_alive = page;
}

void sgx_fork_arm(enum sgx_fork_slot slot)
{
	pthread_once(&page_once, page_init);
	if (slot_alive)
		__atomic_store_n(&slot_alive[slot], 1, __ATOMIC_RELEASE);
	__atomic_store_n(&slot_armed[slot], 1, __ATOMIC_RELEASE);
}

bool sgx_fork_child_check(enum sgx_fork_slot slot)
{
	uint8_t zero = 0;

	if (!__atomic_load_n(&slot_armed[slot], __ATOMIC_ACQUIRE) || !slot_alive)
		return false;
	if (__atomic_load_n(&slot_alive[slot], __ATOMIC_ACQUIRE))
		return false;
	/* Exactly one caller in the child wins. */
	return __atomic_compare_exchange_n(&slot_alive[slot], &zero, 1, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

bool sgx_fork_child_pending(enum sgx_fork_slot slot)
{
	return __atomic_load_n(&slot_armed[slot], __ATOMIC_ACQUIRE) && slot_alive &&
	       !__atomic_load_n(&slot_alive[slot], __ATOMIC_ACQUIRE);
}
