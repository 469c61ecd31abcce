/* SPDX-License-Identifier: MIT */
/*
 * Injected failures and what each looks like from outside (issue 9, ref §4.9, §4.11, §4.5):
 *   - EREMOVE failing for chosen frames (configuration inject-eremove): the kernel's leak
 *     warning once, the frame leaked and never handed out again, SGX still working;
 *   - poisoned EPC frames (sgx_memory_failure / sgxemu_memory_failure, inject-poison): a free
 *     frame is quarantined at once; a frame in use leaves the reclaimer's LRU, the thread that
 *     touches it gets the machine check's SIGBUS (an enclave thread after its AEX, at the AEP),
 *     and the frame is quarantined when its owner frees it;
 *   - SGX_UNMASKED_EVENT from EINIT (inject-einit-unmasked): the kernel's spin-and-sleep loop.
 * Every scenario ends with the invariant checker: free + allocated + leaked + poisoned = total.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel/virt.h"
#include "kernel_fixture.h"
#include "runtime_fixture.h"

#define PAGE 4096UL

extern char sgxemu_vdso_enclu[];

static bool hog_has(const struct kfix_hog *hog, sgx_paddr_t pa)
{
	for (uint64_t i = 0; i < hog->nr; i++)
		if (hog->pages[i]->paddr == pa)
			return true;
	return false;
}

/* No allocation, however many, ever returns frame pa. */
static void assert_never_allocated(struct sgx_platform *p, sgx_paddr_t pa)
{
	struct kfix_hog hog;

	kfix_hog_epc(p, 0, &hog);
	assert_false(hog_has(&hog, pa));
	kfix_release_epc(p, &hog);
}

static struct sgx_platform_stats stats_of(struct sgx_platform *p)
{
	struct sgx_platform_stats stats;

	sgx_platform_get_stats(p, &stats);
	return stats;
}

/* --- configuration ------------------------------------------------------------------------ */

static void config_keys(void **state)
{
	struct sgxemu_config c;
	char err[256];

	sgxemu_config_defaults(&c);
	assert_int_equal(c.nr_inject_eremove + c.nr_inject_poison + c.inject_einit_unmasked, 0);
	assert_int_equal(
		sgxemu_config_set(&c, "inject-eremove", "3,0x1000002000", err, sizeof(err)), 0);
	assert_int_equal(c.nr_inject_eremove, 2);
	assert_int_equal(c.inject_eremove[0], 3);
	assert_int_equal(c.inject_eremove[1], 0x1000002000ULL);
	assert_int_equal(sgxemu_config_set(&c, "inject-eremove", "0x1001", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "neither an EPC page address"));
	assert_int_equal(sgxemu_config_set(&c, "inject-poison", "x", err, sizeof(err)), -1);
	assert_int_equal(sgxemu_config_set(&c, "inject-poison", "-1", err, sizeof(err)), -1);
	assert_int_equal(sgxemu_config_set(&c, "inject-einit-unmasked", "12", err, sizeof(err)), 0);
	assert_int_equal(c.inject_einit_unmasked, 12);
	assert_int_equal(sgxemu_config_set(&c, "inject-einit-unmasked", "-3", err, sizeof(err)),
			 -1);

	/* A frame number beyond the EPC is refused by validation. */
	assert_int_equal(sgxemu_config_set(&c, "epc", "1M", err, sizeof(err)), 0);
	assert_int_equal(sgxemu_config_set(&c, "inject-poison", "256", err, sizeof(err)), 0);
	assert_int_equal(sgxemu_config_validate(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "beyond the EPC"));

	/* The environment reaches the same keys (what `sgxemu run` passes on). */
	sgxemu_config_defaults(&c);
	setenv("SGXEMU_INJECT_EREMOVE", "7", 1);
	setenv("SGXEMU_INJECT_EINIT_UNMASKED", "2", 1);
	assert_int_equal(sgxemu_config_from_env(&c, err, sizeof(err)), 0);
	unsetenv("SGXEMU_INJECT_EREMOVE");
	unsetenv("SGXEMU_INJECT_EINIT_UNMASKED");
	assert_int_equal(c.nr_inject_eremove, 1);
	assert_int_equal(c.inject_eremove[0], 7);
	assert_int_equal(c.inject_einit_unmasked, 2);
}

/* An address that is no EPC page: the boot fails with the reason. */
static void config_frame_not_epc(void **state)
{
	struct sgxemu_config c;
	char err[256];

	sgxemu_config_defaults(&c);
	assert_int_equal(sgxemu_config_set(&c, "epc", "1M", err, sizeof(err)), 0);
	assert_int_equal(sgxemu_config_set(&c, "inject-eremove", "0x7000000000", err, sizeof(err)),
			 0);
	assert_null(sgx_platform_create(&c, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "0x7000000000 is not an EPC page"));
}

/* --- EREMOVE failing ----------------------------------------------------------------------- */

static void eremove_leak(const char *setting, sgx_paddr_t victim)
{
	struct kfix_config cfg = { .settings = { setting } };
	struct sgx_platform *p = kfix_boot(&cfg);
	uint64_t free_before = kfix_free_pages(p), seq = sgx_log_seq();
	struct sgx_epc_page *page = sgx_epc_page_lookup(p, victim);
	struct kfix_enclave e;

	/* Sanitising at boot was not affected: the frame is free like all others. */
	assert_non_null(page);
	assert_true(page->flags & SGX_EPC_PAGE_IS_FREE);

	/* The first enclave takes the frame (the allocator hands out frames in order). */
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	assert_false(page->flags & SGX_EPC_PAGE_IS_FREE);
	kfix_close(&e);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned 14 (0xe) and an EPC page was "
					     "leaked. SGX may become unusable."),
			 1);
	assert_true(page->flags & SGX_EPC_PAGE_LEAKED);
	assert_int_equal(stats_of(p).leaked_pages, 1);
	assert_int_equal(kfix_free_pages(p), free_before - 1);
	kfix_check(p);

	/* SGX keeps working; the frame is never handed out again (and warned about once). */
	for (int i = 0; i < 3; i++) {
		kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
		kfix_close(&e);
	}
	assert_never_allocated(p, victim);
	assert_int_equal(kfix_free_pages(p), free_before - 1);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 1);
	kfix_shutdown(p);
}

static void eremove_leak_by_frame_number(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	sgx_paddr_t base = p->sections[0].phys_addr;

	kfix_shutdown(p);
	eremove_leak("inject-eremove=1", base + PAGE);
}

static void eremove_leak_by_address(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	sgx_paddr_t base = p->sections[0].phys_addr;
	char setting[64];

	kfix_shutdown(p);
	snprintf(setting, sizeof(setting), "inject-eremove=0x%llx", (unsigned long long)base);
	eremove_leak(setting, base);
}

/* --- SGX_UNMASKED_EVENT -------------------------------------------------------------------- */

static uint64_t einits(struct sgx_platform *p)
{
	struct sgx_cpu_stats stats;

	/* The CPU's own counters: the platform's stats would wait for the enclave lock. */
	sgx_cpu_get_stats(p->cpu, &stats);
	return stats.encls[EINIT];
}

/* 25 interrupted EINITs: a round of 20 spins, one back-off sleep, and success. */
static void einit_unmasked_event_retried(void **state)
{
	struct kfix_config cfg = { .settings = { "inject-einit-unmasked=25" } };
	struct sgx_platform *p = kfix_boot(&cfg);
	struct kfix_enclave e;
	struct kfix_thread t;
	uint64_t before;

	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, NULL);
	before = einits(p);
	sgx_pause_arm(p, SGX_PAUSE_INIT_SLEEP, NULL, 0);
	kfix_thread_start(
		&t, e.fd, SGX_IOC_ENCLAVE_INIT,
		&(struct sgx_enclave_init){ .sigstruct = (uint64_t)(uintptr_t)&e.sigstruct });
	sgx_pause_wait(p, SGX_PAUSE_INIT_SLEEP);
	/* The first round of spins is used up, the loop is about to sleep. */
	assert_int_equal(einits(p) - before, 20);
	sgx_pause_release(p, SGX_PAUSE_INIT_SLEEP);
	assert_int_equal(kfix_thread_join(&t), 0);
	assert_int_equal(einits(p) - before, 26);
	kfix_close(&e);
	kfix_shutdown(p);
}

/* Every attempt interrupted: after 50 rounds of 20 the kernel gives up with EPERM. */
static void einit_unmasked_event_exhausted(void **state)
{
	struct kfix_config cfg = { .settings = { "inject-einit-unmasked=1000" } };
	struct sgx_platform *p = kfix_boot(&cfg);
	struct kfix_enclave e;
	uint64_t before;

	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, NULL);
	before = einits(p);
	assert_int_equal(kfix_init(&e), -EPERM);
	assert_int_equal(einits(p) - before, 1000);
	/* The injection is used up: the next attempt works. */
	assert_int_equal(kfix_init(&e), 0);
	kfix_close(&e);
	kfix_shutdown(p);
}

/* --- poison: the kernel's side ----------------------------------------------------------- */

static void poison_free_frame(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_epc_section *s = &p->sections[0];
	sgx_paddr_t victim = s->phys_addr + (s->nr_pages - 1) * PAGE;
	uint64_t free_before = kfix_free_pages(p);

	assert_int_equal(sgx_memory_failure(p, 0x1234000, 0), -ENXIO);
	assert_int_equal(sgx_memory_failure(p, victim, 0), 0);
	/* Quarantined at once, and only once. */
	assert_int_equal(sgx_memory_failure(p, victim + 8, 0), 0);
	assert_int_equal(kfix_free_pages(p), free_before - 1);
	assert_int_equal(stats_of(p).poisoned_pages, 1);
	assert_int_equal(stats_of(p).sections[0].poisoned_pages, 1);
	assert_true(sgx_epc_page_lookup(p, victim)->flags & SGX_EPC_PAGE_POISONED);
	kfix_check(p);
	assert_never_allocated(p, victim);
	kfix_check(p);
	kfix_shutdown(p);
}

/* A frame in use: off the LRU at once, quarantined when the enclave frees it. */
static void poison_frame_in_use(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	struct sgx_encl *encl;
	struct kfix_enclave e;
	struct sgx_epc_page *page;
	sgx_paddr_t victim;

	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	encl = sgx_encl_from_fd(e.fd);
	assert_false(IS_ERR(encl));
	victim = sgx_encl_page_frame(encl, KFIX_BASE + KFIX_DATA_OFFSET);
	sgx_encl_put(encl);
	page = sgx_epc_page_lookup(p, victim);
	assert_true(page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED);

	assert_int_equal(sgx_memory_failure(p, victim, 0), 0);
	assert_true(page->poison);
	assert_false(page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED); /* never EWB'd */
	assert_int_equal(stats_of(p).poisoned_pages, 0);	    /* still the enclave's */
	kfix_check(p);

	kfix_close(&e);
	assert_int_equal(stats_of(p).poisoned_pages, 1);
	assert_int_equal(kfix_free_pages(p), free_before - 1);
	assert_true(page->flags & SGX_EPC_PAGE_POISONED);
	kfix_check(p);
	assert_never_allocated(p, victim);
	kfix_shutdown(p);
}

static void poison_from_configuration(void **state)
{
	struct kfix_config cfg = { .settings = { "inject-poison=2,5" } };
	struct sgx_platform *p = kfix_boot(&cfg);
	sgx_paddr_t base = p->sections[0].phys_addr;

	assert_int_equal(kfix_free_pages(p), p->nr_total_pages - 2);
	assert_int_equal(stats_of(p).poisoned_pages, 2);
	kfix_check(p);
	assert_never_allocated(p, base + 2 * PAGE);
	assert_never_allocated(p, base + 5 * PAGE);
	kfix_shutdown(p);
}

/* --- poison: the consumer's side ----------------------------------------------------------- */

static sigjmp_buf mce_jmp;
static volatile struct {
	int count, code;
	void *addr;
	uint64_t rip, rax, rbx;
	bool jump;
} mce;

static void on_sigbus(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	mce.count++;
	mce.code = info->si_code;
	mce.addr = info->si_addr;
	mce.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	mce.rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
	mce.rbx = (uint64_t)uc->uc_mcontext.gregs[REG_RBX];
	if (mce.jump)
		siglongjmp(mce_jmp, 1);
}

static void catch_sigbus(struct sigaction *old, bool jump)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	memset((void *)&mce, 0, sizeof(mce));
	mce.jump = jump;
	assert_int_equal(sigaction(SIGBUS, &sa, old), 0);
}

/*
 * The enclave reads its poisoned buffer: the access is an AEX first (RAX = ERESUME, RBX = the
 * TCS, RIP = the AEP, the vDSO's ENCLU), then the machine check's SIGBUS at the AEP: si_code
 * SI_KERNEL as the kernel's force_sig() gives it, never the vDSO's exception report. Host code
 * touching the page gets the same signal.
 */
static void poison_consumed_by_enclave(void **state)
{
	struct sgxemu_enclave *e = rfix_load(NULL);
	struct sgx_platform *p = sgx_default_platform();
	uint64_t free_before, aex_before;
	struct sgx_enclave_run run;
	struct sigaction old;
	struct sgx_encl *encl;
	struct te_args args;
	struct te_info info;
	sgx_paddr_t victim;

	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(e, 0, TE_OP_INFO, &args), TE_OK);
	info = args.u.info;
	memset(&args, 0, sizeof(args));
	args.u.mem.addr = info.buffer;
	args.u.mem.value = 0x1122334455667788ULL;
	assert_int_equal(rfix_call(e, 0, TE_OP_WRITE, &args), TE_OK);

	encl = sgx_encl_from_fd(e->fd);
	assert_false(IS_ERR(encl));
	victim = sgx_encl_page_frame(encl, info.buffer);
	sgx_encl_put(encl);
	assert_int_equal(sgxemu_memory_failure(victim, 0), 0);
	free_before = kfix_free_pages(p);
	aex_before = stats_of(p).cpu.aex;

	catch_sigbus(&old, true);
	if (!sigsetjmp(mce_jmp, 1)) {
		memset(&run, 0, sizeof(run));
		run.tcs = e->tcs[0]; /* its stack is mapped: the only fault is the buffer */
		memset(&args, 0, sizeof(args));
		args.u.mem.addr = info.buffer;
		rfix_enter(e, TE_OP_READ, &args, &run);
		fail_msg("the enclave read a poisoned page (function %u, vector %u)", run.function,
			 run.exception_vector);
	}
	assert_int_equal(mce.count, 1);
	assert_int_equal(mce.code, SI_KERNEL);
	assert_null(mce.addr);
	assert_int_equal(mce.rip, (uint64_t)(uintptr_t)sgxemu_vdso_enclu);
	assert_int_equal(mce.rax, ERESUME);
	assert_int_equal(mce.rbx, e->tcs[0]);
	assert_int_equal(stats_of(p).cpu.aex, aex_before + 1);

	/* Host code reading the page consumes the error too. */
	mce.count = 0;
	if (!sigsetjmp(mce_jmp, 1)) {
		(void)*(volatile uint64_t *)info.buffer;
		fail_msg("host code read a poisoned page");
	}
	assert_int_equal(mce.count, 1);
	assert_int_equal(mce.code, SI_KERNEL);
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);

	/* The rest of the enclave works; at teardown the frame is quarantined, not freed. */
	memset(&args, 0, sizeof(args));
	args.u.mem.addr = info.ro_page;
	assert_int_equal(rfix_call(e, 2, TE_OP_READ, &args), TE_OK);
	rfix_unload(e);
	assert_true(sgx_epc_page_lookup(p, victim)->flags & SGX_EPC_PAGE_POISONED);
	assert_true(kfix_free_pages(p) > free_before);
	kfix_check(p);
	assert_never_allocated(p, victim);
}

/* MF_ACTION_REQUIRED: the caller consumed the error itself and gets SIGBUS right away. */
static void poison_action_required(void **state)
{
	struct sgx_platform *p = sgx_default_platform();
	struct sgx_epc_section *s = &p->sections[0];
	sgx_paddr_t victim = s->phys_addr + (s->nr_pages - 2) * PAGE;
	uint64_t poisoned = stats_of(p).poisoned_pages;
	struct sigaction old;

	catch_sigbus(&old, false);
	assert_int_equal(sgxemu_memory_failure(victim, 1), 0);
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);
	assert_int_equal(mce.count, 1);
	assert_int_equal(mce.code, SI_KERNEL);
	assert_int_equal(stats_of(p).poisoned_pages, poisoned + 1);
	assert_int_equal(sgxemu_memory_failure(0x1000, 0), -1);
	assert_int_equal(errno, ENXIO);
	kfix_check(p);
}

/* A guest's frame: the hypervisor touching it gets the SIGBUS (QEMU would forward an MCE). */
static void poison_consumed_through_vepc(void **state)
{
	struct sgx_platform *p = sgx_default_platform();
	uint64_t poisoned = stats_of(p).poisoned_pages;
	int fd = sgxemu_open("/dev/sgx_vepc", O_RDWR);
	struct sigaction old;
	uint8_t *map;
	sgx_paddr_t pa;

	assert_true(fd >= 0);
	map = sgxemu_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	map[0] = 1;
	map[PAGE] = 2;
	assert_int_equal(sgx_virt_user_epc(p, (uint64_t)(uintptr_t)map, &pa), 0);
	assert_int_equal(sgxemu_memory_failure(pa, 0), 0);

	catch_sigbus(&old, true);
	if (!sigsetjmp(mce_jmp, 1)) {
		(void)*(volatile uint8_t *)map;
		fail_msg("a poisoned vEPC page was read");
	}
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);
	assert_int_equal(mce.code, SI_KERNEL);
	assert_int_equal(map[PAGE], 2);

	assert_int_equal(sgxemu_munmap(map, 2 * PAGE), 0);
	assert_int_equal(sgxemu_close(fd), 0);
	assert_int_equal(stats_of(p).poisoned_pages, poisoned + 1);
	kfix_check(p);
	assert_never_allocated(p, pa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_keys),
		cmocka_unit_test(config_frame_not_epc),
		cmocka_unit_test(eremove_leak_by_frame_number),
		cmocka_unit_test(eremove_leak_by_address),
		cmocka_unit_test(einit_unmasked_event_retried),
		cmocka_unit_test(einit_unmasked_event_exhausted),
		cmocka_unit_test(poison_free_frame),
		cmocka_unit_test(poison_frame_in_use),
		cmocka_unit_test(poison_from_configuration),
		cmocka_unit_test(poison_consumed_by_enclave),
		cmocka_unit_test(poison_action_required),
		cmocka_unit_test(poison_consumed_through_vepc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
