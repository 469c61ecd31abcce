/* SPDX-License-Identifier: MIT */
/*
 * EPC oversubscription with the test enclave running natively: data four times the EPC written
 * and verified through EWB/ELDU, the SECS following its last child out and coming back first,
 * evictions on request, and what a tampered, replayed or lost blob does to the next access
 * (SIGBUS from the fault path: vector 14 for a vDSO caller, SIGBUS for raw ENCLU; the data never
 * reaches the enclave).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "kernel/encl.h"
#include "runtime_fixture.h"

#define EPC_SIZE (1ULL << 20) /* 256 frames */
#define HEAP_SIZE (4 * EPC_SIZE)

static struct sgx_platform *boot(const char *epc, const char *backing_dir)
{
	struct sgxemu_config config;
	char err[256];

	sgxemu_shutdown();
	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "epc", epc, err, sizeof(err)), 0);
	if (backing_dir)
		assert_int_equal(
			sgxemu_config_set(&config, "backing-dir", backing_dir, err, sizeof(err)),
			0);
	assert_int_equal(sgxemu_boot(&config), 0);
	return sgx_default_platform();
}

static void check(struct sgx_platform *p)
{
	char err[512];

	if (sgx_platform_check(p, err, sizeof(err)))
		fail_msg("invariant violated: %s", err);
}

static struct sgxemu_enclave *load(uint64_t heap_size, unsigned int threads)
{
	struct rfix_options o = { .threads = threads, .heap_size = heap_size };
	struct sgxemu_enclave *e = rfix_load(&o);

	assert_true(e->has_layout);
	assert_true(e->heap_size >= heap_size);
	return e;
}

static struct sgx_encl *encl_of(struct sgxemu_enclave *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);

	assert_false(IS_ERR(encl));
	sgx_encl_put(encl); /* the fd holds it for as long as the test uses it */
	return encl;
}

/* TE_OP_TOUCH over npages pages from addr (0: the whole heap) on TCS tcs. */
static struct te_touch touch(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr,
			     uint64_t npages, uint64_t seed, uint32_t mode)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = addr;
	args.u.touch.npages = npages;
	args.u.touch.seed = seed;
	args.u.touch.mode = mode;
	assert_int_equal(rfix_call(e, tcs, TE_OP_TOUCH, &args), TE_OK);
	return args.u.touch;
}

static void stats(struct sgx_platform *p, struct sgx_platform_stats *s)
{
	sgx_platform_get_stats(p, s);
}

/*
 * One thread writes the whole heap (4x the EPC), then verifies it, in sequential and in random
 * order: every page goes out and comes back at least once, bit-exact.
 */
static void oversubscribed_heap_round_trips(void **state)
{
	struct sgx_platform *p = boot("1M", NULL);
	struct sgxemu_enclave *e = load(HEAP_SIZE, 1);
	struct sgx_platform_stats s;
	struct te_touch t;

	t = touch(e, 0, 0, 0, 1, TE_TOUCH_WRITE | TE_TOUCH_VERIFY);
	assert_int_equal(t.pages_done, e->heap_size / 4096);
	assert_int_equal(t.mismatches, 0);
	t = touch(e, 0, 0, 0, 2, TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM);
	assert_int_equal(t.mismatches, 0);
	/* The first seed is gone, the second is there, read back in the other order. */
	t = touch(e, 0, 0, 0, 2, TE_TOUCH_VERIFY);
	assert_int_equal(t.mismatches, 0);

	stats(p, &s);
	assert_true(s.reclaim.evicted >= 3 * e->heap_size / 4096);
	assert_true(s.reclaim.loaded >= 2 * e->heap_size / 4096);
	assert_int_equal(s.reclaim.ewb_lost, 0);
	assert_int_equal(s.reclaim.eldu_failures, 0);
	assert_true(s.evicted_pages > 0);
	check(p);
	rfix_unload(e);
	check(p);
	stats(p, &s);
	assert_int_equal(s.free_pages, s.total_pages);
}

/* What ksgxd changes under the enclave lock, read under it. */
static bool secs_resident(struct sgx_encl *encl)
{
	bool resident;

	sgx_encl_lock(encl);
	resident = encl->secs.epc_page != NULL;
	sgx_encl_unlock(encl);
	return resident;
}

static uint64_t children_resident(struct sgx_encl *encl)
{
	uint64_t n;

	sgx_encl_lock(encl);
	n = encl->secs_child_cnt;
	sgx_encl_unlock(encl);
	return n;
}

/*
 * An enclave left alone while another one pages through the EPC goes out entirely, its SECS
 * after its last child; its next entry (an EENTER on an evicted TCS) brings the SECS back first.
 */
static void idle_enclave_goes_out_secs_and_all(void **state)
{
	struct sgx_platform *p = boot("1M", NULL);
	struct sgxemu_enclave *a = load(64 << 10, 1), *b = load(HEAP_SIZE, 1);
	struct sgx_encl *encl_a = encl_of(a);
	struct sgx_platform_stats s;
	struct te_touch t;

	t = touch(a, 0, 0, 0, 7, TE_TOUCH_WRITE);
	for (int pass = 0; pass < 8; pass++) {
		t = touch(b, 0, 0, 0, 100 + pass,
			  TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM);
		assert_int_equal(t.mismatches, 0);
		if (!secs_resident(encl_a))
			break;
	}
	stats(p, &s);
	assert_false(secs_resident(encl_a));
	assert_int_equal(children_resident(encl_a), 0);
	assert_true(s.reclaim.secs_evicted >= 1);
	assert_true(s.evicted_secs >= 1);
	check(p);

	/* A's next call: TCS fault at EENTER, the SECS first, then every page it touches. */
	t = touch(a, 0, 0, 0, 7, TE_TOUCH_VERIFY);
	assert_int_equal(t.mismatches, 0);
	stats(p, &s);
	assert_true(s.reclaim.secs_loaded >= 1);
	assert_true(secs_resident(encl_a));
	check(p);
	rfix_unload(a);
	rfix_unload(b);
	check(p);
}

/* The heap page index i of enclave e, evicted now; returns its address. */
static uint64_t evict_heap_page(struct sgxemu_enclave *e, unsigned int i)
{
	uint64_t addr = e->heap + (uint64_t)i * 4096;

	assert_int_equal(sgx_encl_reclaim_range(encl_of(e), addr, addr + 4096), 1);
	assert_int_equal(sgx_encl_page_frame(encl_of(e), addr), 0);
	return addr;
}

static struct sgx_backing backing_of(struct sgxemu_enclave *e, uint64_t addr)
{
	struct sgx_encl *encl = encl_of(e);
	struct sgx_backing b;

	assert_int_equal(sgx_encl_lookup_backing(encl, sgx_encl_page_index(encl, addr), &b), 0);
	return b;
}

/*
 * An access from the enclave to addr through the vDSO (TE_OP_READ or TE_OP_WRITE on TCS tcs):
 * the fault path answers SIGBUS, which a vDSO caller sees as vector 14 with the ordinary error
 * code of a non-present user page (ref §2.2).
 */
static void assert_vdso_sigbus(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr,
			       bool write)
{
	struct sgx_enclave_run run;
	struct te_args args;

	memset(&run, 0, sizeof(run));
	run.tcs = e->tcs[tcs];
	memset(&args, 0, sizeof(args));
	args.u.mem.addr = addr;
	args.u.mem.value = 0x1234;
	assert_int_equal(rfix_enter(e, write ? TE_OP_WRITE : TE_OP_READ, &args, &run), 0);
	assert_int_equal(run.function, ERESUME);
	assert_int_equal(run.exception_vector, 14);
	assert_int_equal(run.exception_error_code, write ? 0x6 : 0x4);
	assert_int_equal(run.exception_addr & ~0xFFFULL, addr);
	/* What the enclave would have read never reached it: nothing was loaded. */
	assert_int_equal(sgx_encl_page_frame(encl_of(e), addr), 0);
}

static void tampered_or_replayed_blobs_are_sigbus(void **state)
{
	struct sgx_platform *p = boot("1M", NULL);
	struct sgxemu_enclave *e = load(64 << 10, 4);
	static uint8_t old_contents[4096], old_pcmd[128];
	struct sgx_platform_stats s;
	struct sgx_backing b;
	struct te_args args;
	uint64_t addr;

	assert_int_equal(touch(e, 0, 0, 0, 5, TE_TOUCH_WRITE).pages_done, e->heap_size / 4096);

	/* A flipped bit in the blob. */
	addr = evict_heap_page(e, 1);
	backing_of(e, addr).contents[7] ^= 0x10;
	assert_vdso_sigbus(e, 1, addr, false);
	/* ... and it stays that way: the next access (a write) fails too. */
	assert_vdso_sigbus(e, 2, addr, true);

	/* A changed PCMD: the page's SECINFO (now executable) is authenticated with it. */
	addr = evict_heap_page(e, 2);
	backing_of(e, addr).pcmd->secinfo.flags |= SGX_SECINFO_X;
	assert_vdso_sigbus(e, 3, addr, false);

	/* An older blob with its PCMD: out, back in and rewritten by the enclave, out again. */
	rfix_unload(e);
	e = load(64 << 10, 4);
	assert_int_equal(touch(e, 0, 0, 0, 5, TE_TOUCH_WRITE).pages_done, e->heap_size / 4096);
	addr = evict_heap_page(e, 3);
	b = backing_of(e, addr);
	memcpy(old_contents, b.contents, 4096);
	memcpy(old_pcmd, b.pcmd, 128);
	memset(&args, 0, sizeof(args));
	args.u.mem.addr = addr;
	args.u.mem.value = 0xfeedface;
	assert_int_equal(rfix_call(e, 0, TE_OP_WRITE, &args), TE_OK);
	addr = evict_heap_page(e, 3);
	memcpy(b.contents, old_contents, 4096);
	memcpy(b.pcmd, old_pcmd, 128);
	assert_vdso_sigbus(e, 1, addr, false);

	/* The rest of the enclave is unharmed. */
	args.u.mem.addr = e->heap;
	assert_int_equal(rfix_call(e, 0, TE_OP_READ, &args), TE_OK);
	assert_int_equal(args.u.mem.value, te_pattern(5, e->heap - e->base));
	stats(p, &s);
	assert_true(s.reclaim.eldu_failures >= 1);
	check(p);
	rfix_unload(e);
	check(p);
}

uint64_t raw_eenter(uint64_t tcs, uint64_t op, void *args);
extern char raw_aep[];

static struct {
	int count, sig, code;
	uint64_t addr, err, trapno, rip;
	int64_t phase2_status;
} raw_seen;

static void raw_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct te_args phase2;

	raw_seen.count++;
	raw_seen.sig = sig;
	raw_seen.code = si->si_code;
	raw_seen.addr = (uint64_t)si->si_addr;
	raw_seen.err = g[REG_ERR];
	raw_seen.trapno = g[REG_TRAPNO];
	raw_seen.rip = g[REG_RIP];
	/* The second phase skips the faulting read, so that the operation can finish. */
	memset(&phase2, 0, sizeof(phase2));
	raw_eenter(g[REG_RBX], 0, &phase2);
	raw_seen.phase2_status = phase2.status;
}

/* A runtime entering with a bare ENCLU gets the fault path's SIGBUS as a signal at its AEP. */
static void tampered_blob_is_sigbus_for_raw_enclu(void **state)
{
	struct sgxemu_enclave *e;
	struct sigaction sa, old;
	struct te_args args;
	uint64_t addr;

	boot("1M", NULL);
	e = load(64 << 10, 1);
	assert_int_equal(touch(e, 0, 0, 0, 9, TE_TOUCH_WRITE).pages_done, e->heap_size / 4096);
	memset(&args, 0, sizeof(args));
	args.u.policy.action = TE_ACTION_SKIP;
	assert_int_equal(raw_eenter(e->tcs[0], TE_OP_SET_POLICY, &args), TE_OK);
	addr = evict_heap_page(e, 4);
	backing_of(e, addr).contents[4000] ^= 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = raw_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, &old);
	memset(&raw_seen, 0, sizeof(raw_seen));
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_READ;
	args.u.fault.addr = addr + 8;
	assert_int_equal(raw_eenter(e->tcs[0], TE_OP_FAULT, &args), TE_OK);
	sigaction(SIGBUS, &old, NULL);

	assert_int_equal(raw_seen.count, 1);
	assert_int_equal(raw_seen.sig, SIGBUS);
	assert_int_equal(raw_seen.code, BUS_ADRERR);
	assert_int_equal(raw_seen.addr, addr);
	assert_int_equal(raw_seen.err, 0x4);
	assert_int_equal(raw_seen.trapno, 14);
	assert_int_equal(raw_seen.rip, (uint64_t)raw_aep);
	assert_int_equal(raw_seen.phase2_status, TE_EXC_HANDLED);
	/* The read was skipped: RAX still holds the address, not the page's data. */
	assert_int_equal(args.u.fault.rax_out, addr + 8);
	assert_int_equal(sgx_encl_page_frame(encl_of(e), addr), 0);
	rfix_unload(e);
}

/* EENTER on a TCS whose page is in the backing store: ENCLU's operand fault loads it. */
static void evicted_tcs_is_loaded_at_eenter(void **state)
{
	struct sgx_platform *p = boot("1M", NULL);
	struct sgxemu_enclave *e = load(64 << 10, 2);
	struct sgx_platform_stats before, after;
	struct te_args args;

	assert_int_equal(sgx_encl_reclaim_range(encl_of(e), e->tcs[1], e->tcs[1] + 4096), 1);
	stats(p, &before);
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(e, 1, TE_OP_INFO, &args), TE_OK);
	assert_int_equal(args.u.info.tcs, e->tcs[1]);
	stats(p, &after);
	assert_true(after.reclaim.loaded > before.reclaim.loaded);
	assert_true(sgx_encl_page_frame(encl_of(e), e->tcs[1]) != 0);
	check(p);
	rfix_unload(e);
}

/* backing-dir: the same round trips with evicted pages in an unlinked file on disk. */
static void backing_store_on_disk(void **state)
{
	char dir[] = "/tmp/sgxemu-backing-XXXXXX", link[64], target[512];
	struct sgx_platform *p;
	struct sgxemu_enclave *e;
	struct te_touch t;
	ssize_t n;
	int fd;

	assert_non_null(mkdtemp(dir));
	p = boot("1M", dir);
	e = load(HEAP_SIZE, 1);
	t = touch(e, 0, 0, 0, 3, TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM);
	assert_int_equal(t.mismatches, 0);
	/* The store is a file in dir that no name points to. */
	fd = encl_of(e)->backing.fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_int_equal(strncmp(target, dir, strlen(dir)), 0);
	assert_non_null(strstr(target, "(deleted)"));
	check(p);
	rfix_unload(e);
	assert_int_equal(rmdir(dir), 0); /* nothing left in it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oversubscribed_heap_round_trips),
		cmocka_unit_test(idle_enclave_goes_out_secs_and_all),
		cmocka_unit_test(tampered_or_replayed_blobs_are_sigbus),
		cmocka_unit_test(tampered_blob_is_sigbus_for_raw_enclu),
		cmocka_unit_test(evicted_tcs_is_loaded_at_eenter),
		cmocka_unit_test(backing_store_on_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
