/* SPDX-License-Identifier: MIT */
/*
 * SGX2 growth, natively with the test enclave (ref/linux-sgx-subsystem.md §4.7 step 2,
 * ref/sgx-isa.md §8.6-8.7): a fault in the free ELRANGE of an initialized enclave EAUGs a PENDING
 * page; an access before EACCEPT meets the EPCM (#PF 0x8007 / 0x8005 through the vDSO report); an
 * EACCEPT or EACCEPTCOPY on a missing page adds it on the way, invisibly; EMODPE extends the
 * EPCM permissions, and PROT_EXEC also needs mprotect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/encl.h"
#include "kernel/sgx.h"
#include "sgx2_fixture.h"

static struct sgxemu_enclave *encl;
static struct te_info info;
/* The next unused page of the free ELRANGE: every test grows into fresh addresses. */
static uint64_t next_free;

static int setup(void **state)
{
	encl = s2_load();
	info = s2_info(encl, 0);
	assert_int_equal(info.image_end, encl->free_start);
	next_free = encl->free_start;
	return 0;
}

static int teardown(void **state)
{
	s2_check_platform();
	rfix_unload(encl);
	s2_check_platform();
	return 0;
}

static uint64_t fresh_pages(unsigned int n)
{
	uint64_t addr = next_free;

	next_free += n * S2_PAGE;
	assert_true(next_free <= encl->base + encl->size);
	return addr;
}

static uint64_t eaug_count(void)
{
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(sgx_default_platform()->cpu, &stats);
	return stats.encls[EAUG];
}

static void assert_accepted_rw(uint64_t addr)
{
	struct sgx_epcm_info epcm = s2_epcm(encl, addr);
	unsigned int type;
	uint8_t max_prot;

	assert_true(epcm.valid);
	assert_int_equal(epcm.page_type, SGX_PAGE_TYPE_REG);
	assert_int_equal(epcm.rwx, S2_R | S2_W);
	assert_int_equal(epcm.state, 0);
	assert_int_equal(epcm.linaddr, addr);
	assert_true(s2_kernel_page(encl, addr, &type, &max_prot));
	assert_int_equal(type, SGX_PAGE_TYPE_REG);
	/* EAUG pages may be mapped with anything: the enclave decides with EACCEPT/EMODPE. */
	assert_int_equal(max_prot, SGX_VM_READ | SGX_VM_WRITE | SGX_VM_EXEC);
}

/* EACCEPT first: each EACCEPT faults on its missing operand, the kernel EAUGs, EACCEPT completes. */
static void test_grow_by_eaccept_first(void **state)
{
	uint64_t addr = fresh_pages(16), before = eaug_count();
	struct te_touch t;

	t = s2_touch(encl, 0, addr, 16, 0x1234,
		     TE_TOUCH_EACCEPT | TE_TOUCH_WRITE | TE_TOUCH_VERIFY);
	assert_int_equal(t.eaccept_failures, 0);
	assert_int_equal(t.pages_done, 16);
	assert_int_equal(t.mismatches, 0);
	/* One EAUG per page, and the caller saw nothing (rfix_call asserts a plain EEXIT). */
	assert_int_equal(eaug_count() - before, 16);
	for (unsigned int i = 0; i < 16; i++)
		assert_accepted_rw(addr + i * S2_PAGE);

	/* The data stays: another thread, another call. */
	t = s2_touch(encl, 1, addr, 16, 0x1234, TE_TOUCH_VERIFY | TE_TOUCH_RANDOM);
	assert_int_equal(t.mismatches, 0);
	assert_int_equal(eaug_count() - before, 16);
}

/* A page EAUG adds reads as zeros once accepted. */
static void test_eaug_page_is_zero(void **state)
{
	uint64_t addr = fresh_pages(1);

	assert_int_equal(s2_eaccept(encl, 0, addr, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	assert_int_equal(s2_read(encl, 0, addr), 0);
	assert_int_equal(s2_read(encl, 0, addr + S2_PAGE - 8), 0);
	s2_write(encl, 0, addr + 8, 0xfeedULL);
	assert_int_equal(s2_read(encl, 1, addr + 8), 0xfeedULL);
}

struct touch_first {
	struct sgxemu_enclave *e;
	uint64_t page;
	unsigned int reports;
	struct sgx_enclave_run seen;
	uint64_t eaccept_status;
};

/*
 * The first write reports the EPCM fault of a PENDING page; the handler EACCEPTs the page from
 * another TCS and ERESUMEs the interrupted thread, whose write then completes.
 */
static int touch_first_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			       struct sgx_enclave_run *run)
{
	struct touch_first *tf = (struct touch_first *)run->user_data;

	if (run->function == EEXIT)
		return 0;
	if (tf->reports++)
		return -1;
	tf->seen = *run;
	tf->eaccept_status = s2_eaccept(tf->e, 1, tf->page, S2_REG | S2_R | S2_W | S2_PENDING);
	return ERESUME;
}

static void test_grow_by_touch_then_eaccept(void **state)
{
	struct touch_first tf = { .e = encl, .page = fresh_pages(1) };
	struct sgx_enclave_run run;
	struct sgx_epcm_info epcm;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_WRITE;
	args.u.fault.addr = tf.page + 0x18;
	args.u.fault.seed = 0x7000;
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	run.user_handler = (uint64_t)touch_first_handler;
	run.user_data = (uint64_t)&tf;
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), 0);

	/*
	 * The write met a PENDING page: EPCM #PF, P|W|U|SGX. An AEX reports the page, not the byte
	 * (hardware clears CR2's low 12 bits for faults in enclave mode).
	 */
	assert_int_equal(tf.reports, 1);
	assert_int_equal(tf.seen.function, ERESUME);
	assert_int_equal(tf.seen.exception_vector, 14);
	assert_int_equal(tf.seen.exception_error_code, 0x8007);
	assert_int_equal(tf.seen.exception_addr, tf.page);
	assert_int_equal(tf.eaccept_status, 0);

	/* ERESUME re-executed the write (RDX = seed + 2): it landed. */
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
	assert_int_equal(s2_read(encl, 2, tf.page + 0x18), 0x7000 + 2);
	epcm = s2_epcm(encl, tf.page);
	assert_true(epcm.valid);
	assert_int_equal(epcm.state, 0);
}

/* A read of a PENDING page is the EPCM's read fault, 0x8005; the page stays PENDING. */
static void test_read_before_eaccept(void **state)
{
	uint64_t page = fresh_pages(1);
	struct s2_exception ex = s2_access(encl, 0, TE_FAULT_READ, page + 0x100);
	struct sgx_epcm_info epcm;

	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.function, ERESUME);
	assert_int_equal(ex.vector, 14);
	assert_int_equal(ex.error_code, 0x8005);
	assert_int_equal(ex.addr, page);
	epcm = s2_epcm(encl, page);
	assert_true(epcm.valid);
	assert_int_equal(epcm.state, S2_PENDING);

	/* Accepting other permissions than EAUG's RW changes nothing; the right ones complete it. */
	assert_int_equal(s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_PENDING),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_int_equal(s2_epcm(encl, page).state, S2_PENDING);
	assert_int_equal(s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	ex = s2_access(encl, 0, TE_FAULT_READ, page + 0x100);
	assert_int_equal(ex.count, 0);
}

/* EACCEPTCOPY on a missing page: EAUG on the way, then the copy with the SECINFO's permissions. */
static void test_grow_by_eacceptcopy(void **state)
{
	uint64_t page = fresh_pages(1), before = eaug_count();
	struct sgx_epcm_info epcm;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.buf.offset = 0;
	args.u.buf.len = TE_XFER_MAX;
	for (unsigned int i = 0; i < TE_XFER_MAX; i++)
		args.u.buf.data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(rfix_call(encl, 0, TE_OP_BUF_PUT, &args), TE_OK);

	assert_int_equal(s2_eacceptcopy(encl, 0, page, S2_REG | S2_R, info.buffer), 0);
	assert_int_equal(eaug_count() - before, 1);
	epcm = s2_epcm(encl, page);
	assert_true(epcm.valid);
	assert_int_equal(epcm.rwx, S2_R);
	assert_int_equal(epcm.state, 0);
	for (unsigned int w = 0; w < TE_XFER_MAX / 8; w += 97) {
		uint64_t want;

		memcpy(&want, &args.u.buf.data[w * 8], 8);
		assert_int_equal(s2_read(encl, 1, page + w * 8), want);
	}
	/* Read-only now, in the EPCM (the mapping is RW): a write is the EPCM's 0x8007. */
	assert_int_equal(s2_access(encl, 0, TE_FAULT_WRITE, page).error_code, 0x8007);
}

/*
 * EMODPE extends the EPCM permissions from inside; execution also needs the page table to allow
 * it: PROT_EXEC by mprotect (allowed, as EAUG pages may be RWX).
 */
static void test_emodpe_and_exec(void **state)
{
	uint64_t page = fresh_pages(1);
	struct s2_exception ex;
	struct sgx_epcm_info epcm;

	assert_int_equal(s2_eaccept(encl, 0, page, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	s2_write(encl, 0, page, 0xc3); /* ret */

	/* The mapping is RW: the page walk refuses the fetch, an ordinary #PF (P|U|I). */
	ex = s2_access(encl, 0, TE_FAULT_EXEC, page);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.vector, 14);
	assert_int_equal(ex.error_code, 0x15);
	assert_int_equal(ex.addr, page);

	/* PROT_EXEC, but the EPCM has no X yet: the EPCM's fault, P|U|I|SGX. */
	assert_int_equal(sgxemu_mprotect((void *)page, S2_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC),
			 0);
	ex = s2_access(encl, 0, TE_FAULT_EXEC, page);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.error_code, 0x8015);

	/* EMODPE adds X (it can only add); now the call into the page returns normally. */
	s2_emodpe(encl, 1, page, S2_REG | S2_X);
	epcm = s2_epcm(encl, page);
	assert_int_equal(epcm.rwx, S2_R | S2_W | S2_X);
	ex = s2_access(encl, 0, TE_FAULT_EXEC, page);
	assert_int_equal(ex.count, 0);

	/* Taking PROT_EXEC away again is the page walk's business once more. */
	assert_int_equal(sgxemu_mprotect((void *)page, S2_PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(s2_access(encl, 0, TE_FAULT_EXEC, page).error_code, 0x15);
}

/* The fault handler itself: no EAUG before EINIT (SIGBUS), none outside a mapping's enclave. */
static void test_fault_before_init_is_sigbus(void **state)
{
	struct sgx_fault_answer answer;
	struct sgx_secs secs __attribute__((aligned(4096)));
	struct sgx_enclave_create create = { .src = (uint64_t)&secs };
	struct sgx_encl *kencl;
	uint64_t before = eaug_count();
	int fd;

	fd = sgxemu_open("/dev/sgx_enclave", O_RDWR);
	assert_true(fd >= 0);
	memset(&secs, 0, sizeof(secs));
	secs.base = 0x7f0000000000ULL;
	secs.size = 0x100000;
	secs.ssa_frame_size = 1;
	secs.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	secs.attributes.xfrm = 3;
	assert_int_equal(sgxemu_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create), 0);
	kencl = sgx_encl_from_fd(fd);
	assert_false(IS_ERR(kencl));
	assert_int_equal(
		sgx_vma_fault(kencl, secs.base + 0x5000, SGX_VM_READ | SGX_VM_WRITE, &answer),
		SGX_FAULT_SIGBUS);
	assert_int_equal(eaug_count(), before);
	assert_false(s2_kernel_page(&(struct sgxemu_enclave){ .fd = fd }, secs.base + 0x5000, NULL,
				    NULL));
	sgx_encl_put(kencl);
	assert_int_equal(sgxemu_close(fd), 0);
}

/* EAUG fails (injected): SIGBUS for the access, nothing left behind. */
static void test_eaug_failure_is_sigbus(void **state)
{
	struct sgx_platform *platform = sgx_default_platform();
	uint64_t page = fresh_pages(1), free_before = platform->nr_free_pages;
	struct sgx_fault_answer answer;
	struct sgx_encl *kencl = sgx_encl_from_fd(encl->fd);

	assert_false(IS_ERR(kencl));
	assert_int_equal(sgx_inject_encls(platform, EAUG, SGX_INJECT_ANY_FRAME,
					  SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 1),
			 0);
	assert_int_equal(sgx_vma_fault(kencl, page, SGX_VM_READ | SGX_VM_WRITE, &answer),
			 SGX_FAULT_SIGBUS);
	sgx_inject_clear(platform);
	assert_false(s2_kernel_page(encl, page, NULL, NULL));
	assert_int_equal(platform->nr_free_pages, free_before);
	s2_check_platform();

	/* The next fault at the address succeeds. */
	assert_int_equal(sgx_vma_fault(kencl, page, SGX_VM_READ | SGX_VM_WRITE, &answer),
			 SGX_FAULT_MAPPED);
	assert_int_equal(s2_epcm(encl, page).state, S2_PENDING);
	sgx_encl_put(kencl);
	assert_int_equal(s2_eaccept(encl, 0, page, S2_REG | S2_R | S2_W | S2_PENDING), 0);
}

/* --- SGX2 pages and the reclaimer ---------------------------------------------------------- */

/* Evicts [addr, addr + n pages) through the reclaimer's own path; returns how many went. */
static unsigned int evict(uint64_t addr, unsigned int n)
{
	struct sgx_encl *kencl = sgx_encl_from_fd(encl->fd);
	unsigned int evicted;

	assert_false(IS_ERR(kencl));
	evicted = sgx_encl_reclaim_range(kencl, addr, addr + n * S2_PAGE);
	sgx_encl_put(kencl);
	return evicted;
}

/*
 * EAUG pages are reclaimable like any other, in every SGX2 state: EWB keeps PENDING, MODIFIED and
 * PR in the PCMD and ELDU gives them back, so the enclave's pending EACCEPTs still complete after
 * a round trip through the backing store (the reload is an ELDU, never a second EAUG).
 */
static void test_sgx2_states_survive_eviction(void **state)
{
	uint64_t p = fresh_pages(3), before;
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_enclave_remove_pages rm;
	struct s2_exception ex;

	/* p: PENDING (a read EAUGed it); p+1: accepted, written, restricted to R (PR); p+2: TRIM. */
	assert_int_equal(s2_access(encl, 0, TE_FAULT_READ, p).error_code, 0x8005);
	assert_int_equal(s2_eaccept(encl, 0, p + S2_PAGE, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	s2_write(encl, 0, p + S2_PAGE + 16, 0x1111);
	assert_int_equal(s2_restrict(encl, p + S2_PAGE - encl->base, S2_PAGE, S2_R, &rp), 0);
	assert_int_equal(s2_eaccept(encl, 0, p + 2 * S2_PAGE, S2_REG | S2_R | S2_W | S2_PENDING),
			 0);
	s2_write(encl, 0, p + 2 * S2_PAGE, 0x2222);
	assert_int_equal(
		s2_modt(encl, p + 2 * S2_PAGE - encl->base, S2_PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	assert_int_equal(s2_epcm(encl, p).state, S2_PENDING);
	assert_int_equal(s2_epcm(encl, p + S2_PAGE).state, S2_PR);
	assert_int_equal(s2_epcm(encl, p + 2 * S2_PAGE).state, S2_MODIFIED);

	assert_int_equal(evict(p, 3), 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_false(s2_epcm(encl, p + i * S2_PAGE).valid);
	s2_check_platform();
	before = eaug_count();

	/* Each EACCEPT faults on its evicted operand, ELDU brings the page back, EACCEPT completes. */
	assert_int_equal(s2_eaccept(encl, 1, p, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	assert_int_equal(s2_read(encl, 1, p), 0);
	assert_int_equal(s2_eaccept(encl, 1, p + S2_PAGE, S2_REG | S2_R | S2_PR), 0);
	assert_int_equal(s2_read(encl, 1, p + S2_PAGE + 16), 0x1111);
	ex = s2_access(encl, 0, TE_FAULT_WRITE, p + S2_PAGE);
	assert_int_equal(ex.error_code, 0x8007);
	assert_int_equal(s2_eaccept(encl, 1, p + 2 * S2_PAGE, S2_TRIM | S2_MODIFIED), 0);
	assert_int_equal(eaug_count(), before);

	/* An accepted TRIM page goes out and comes back one, and can then be removed. */
	assert_int_equal(evict(p + 2 * S2_PAGE, 1), 1);
	assert_int_equal(s2_remove(encl, p + 2 * S2_PAGE - encl->base, S2_PAGE, &rm), 0);
	assert_int_equal(rm.count, S2_PAGE);
	assert_false(s2_kernel_page(encl, p + 2 * S2_PAGE, NULL, NULL));
	s2_check_platform();
}

/*
 * EAUG needs the SECS: once every child page has been evicted the SECS goes too, and the fault
 * handler's EAUG path reloads it (ELDU) before adding the page.
 */
static void test_eaug_reloads_evicted_secs(void **state)
{
	uint64_t page = fresh_pages(1), before = eaug_count();
	struct sgx_encl *kencl = sgx_encl_from_fd(encl->fd);
	struct sgx_fault_answer answer;
	bool secs_resident;

	assert_false(IS_ERR(kencl));
	sgx_encl_reclaim_range(kencl, encl->base, encl->base + encl->size);
	sgx_encl_lock(kencl);
	secs_resident = kencl->secs.epc_page != NULL;
	sgx_encl_unlock(kencl);
	assert_false(secs_resident);

	assert_int_equal(sgx_vma_fault(kencl, page, SGX_VM_READ | SGX_VM_WRITE, &answer),
			 SGX_FAULT_MAPPED);
	assert_int_equal(eaug_count() - before, 1);
	sgx_encl_lock(kencl);
	secs_resident = kencl->secs.epc_page != NULL;
	sgx_encl_unlock(kencl);
	assert_true(secs_resident);
	assert_int_equal(s2_epcm(encl, page).state, S2_PENDING);
	sgx_encl_put(kencl);
	s2_check_platform();

	/* The enclave comes back page by page (TCS, code, stack) and accepts the page. */
	assert_int_equal(s2_eaccept(encl, 0, page, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	s2_write(encl, 0, page, 0x3333);
	assert_int_equal(s2_read(encl, 1, page), 0x3333);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_by_eaccept_first),
		cmocka_unit_test(test_eaug_page_is_zero),
		cmocka_unit_test(test_grow_by_touch_then_eaccept),
		cmocka_unit_test(test_read_before_eaccept),
		cmocka_unit_test(test_grow_by_eacceptcopy),
		cmocka_unit_test(test_emodpe_and_exec),
		cmocka_unit_test(test_fault_before_init_is_sigbus),
		cmocka_unit_test(test_eaug_failure_is_sigbus),
		cmocka_unit_test(test_sgx2_states_survive_eviction),
		cmocka_unit_test(test_eaug_reloads_evicted_secs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
