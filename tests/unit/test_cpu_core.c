/* SPDX-License-Identifier: MIT */
/*
 * The processor core: EPC sections and frame addresses, CPUID leaves 7 and 0x12, the MSRs of
 * launch control, logical processors, the page table, storage slices, the per-page leaf locks and
 * the ENCLS prologue (undefined leaf, SGX2 leaves without SGX2, bad operand pointers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/cpu_internal.h"

static struct sgx_cpu *make_cpu(const char *epc, bool sgx2, bool flc, unsigned int lps)
{
	struct sgxemu_config config;
	char err[128];
	struct sgx_cpu *cpu;

	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "epc", epc, err, sizeof(err)), 0);
	config.sgx2 = sgx2;
	config.flc = flc;
	config.nr_lps = lps;
	cpu = sgx_cpu_create(&config);
	assert_non_null(cpu);
	return cpu;
}

static void test_sections_and_frames(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M,256K", true, true, 2);
	sgx_paddr_t base0, base1;
	uint64_t size0, size1;

	assert_int_equal(sgx_cpu_nr_sections(cpu), 2);
	sgx_cpu_section(cpu, 0, &base0, &size0);
	sgx_cpu_section(cpu, 1, &base1, &size1);
	assert_int_equal(base0, 1ULL << 36);
	assert_int_equal(base1, 2ULL << 36);
	assert_int_equal(size0, 1 << 20);
	assert_int_equal(size1, 256 << 10);

	assert_true(sgx_cpu_is_epc(cpu, base0));
	assert_true(sgx_cpu_is_epc(cpu, base0 + size0 - 1));
	assert_false(sgx_cpu_is_epc(cpu, base0 + size0));
	assert_false(sgx_cpu_is_epc(cpu, base0 - 1));
	assert_true(sgx_cpu_is_epc(cpu, base1 + 4096));
	assert_false(sgx_cpu_is_epc(cpu, 0));

	/* Frames are numbered across sections in order; every byte of a page maps to its frame. */
	assert_int_equal(sgx_frame_index(cpu, base0), 0);
	assert_int_equal(sgx_frame_index(cpu, base0 + 4095), 0);
	assert_int_equal(sgx_frame_index(cpu, base1), 256);
	assert_int_equal(sgx_frame_index(cpu, base1 + 8192 + 17), 258);
	for (uint64_t i = 0; i < cpu->nr_frames; i++)
		assert_int_equal(sgx_frame_index(cpu, sgx_frame_paddr(cpu, i)), (int64_t)i);
	assert_int_equal(cpu->nr_frames, 256 + 64);
	sgx_cpu_destroy(cpu);
}

/* The largest EPC costs nothing until it is touched: the EPCM and storage are sparse. */
static void test_large_epc_is_sparse(void **state)
{
	struct sgx_cpu *cpu = make_cpu("32G,32G", true, true, 1);

	assert_int_equal(cpu->nr_frames, 16ULL << 20);
	assert_int_equal(cpu->epcm[cpu->nr_frames - 1].valid, 0);
	sgx_cpu_destroy(cpu);
}

static void test_invalid_config(void **state)
{
	struct sgxemu_config config;

	sgxemu_config_defaults(&config);
	config.epc_section_size[0] = 4096; /* below the minimum section */
	errno = 0;
	assert_null(sgx_cpu_create(&config));
	assert_int_equal(errno, EINVAL);
}

static void test_cpuid_sgx_leaf(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M,512K", true, true, 1);
	uint32_t r[4];
	uint64_t base, size;

	assert_true(sgx_cpu_cpuid(cpu, 0x12, 0, r));
	assert_int_equal(r[0], 0x3); /* SGX1 | SGX2, nothing else */
	assert_int_equal(r[1], SGX_MISC_EXINFO);
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3] & 0xff, 31);
	assert_int_equal((r[3] >> 8) & 0xff, 56);

	assert_true(sgx_cpu_cpuid(cpu, 0x12, 1, r));
	assert_int_equal(r[0], SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY |
				       SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2] & 0x3, 0x3); /* x87 and SSE are always settable */
	assert_false(r[0] & (SGX_ATTR_INIT | SGX_ATTR_CET | SGX_ATTR_ASYNC_EXIT_NOTIFY));

	for (unsigned int i = 0; i < 2; i++) {
		sgx_paddr_t want_base;
		uint64_t want_size;

		assert_true(sgx_cpu_cpuid(cpu, 0x12, 2 + i, r));
		assert_int_equal(r[0] & 0xf, 1);
		assert_int_equal(r[2] & 0xf, 1);
		base = (r[0] & 0xFFFFF000ULL) | ((uint64_t)(r[1] & 0xFFFFF) << 32);
		size = (r[2] & 0xFFFFF000ULL) | ((uint64_t)(r[3] & 0xFFFFF) << 32);
		sgx_cpu_section(cpu, i, &want_base, &want_size);
		assert_int_equal(base, want_base);
		assert_int_equal(size, want_size);
	}
	assert_true(sgx_cpu_cpuid(cpu, 0x12, 4, r));
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);

	assert_true(sgx_cpu_cpuid(cpu, 0, 0, r));
	assert_true(r[0] >= 0x12);
	sgx_cpu_destroy(cpu);
}

static void test_cpuid_feature_bits_follow_config(void **state)
{
	struct sgx_cpu *on = make_cpu("1M", true, true, 1), *off = make_cpu("1M", false, false, 1);
	uint32_t r[4];

	assert_true(sgx_cpu_cpuid(on, 7, 0, r));
	assert_true(r[1] & (1U << 2));	/* SGX */
	assert_true(r[2] & (1U << 30)); /* SGX_LC */
	assert_false(r[3] & (1U << 1)); /* no SGX-KEYS */
	assert_true(sgx_cpu_cpuid(off, 7, 0, r));
	assert_true(r[1] & (1U << 2));
	assert_false(r[2] & (1U << 30));
	assert_true(sgx_cpu_cpuid(off, 0x12, 0, r));
	assert_int_equal(r[0], 0x1);		   /* SGX1 only */
	assert_false(sgx_cpu_cpuid(off, 1, 0, r)); /* not emulated: the host's */
	sgx_cpu_destroy(on);
	sgx_cpu_destroy(off);
}

static void test_xfrm_rules(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);

	assert_true(sgx_xfrm_legal(cpu, 0x3));
	assert_false(sgx_xfrm_legal(cpu, 0x1));
	assert_false(sgx_xfrm_legal(cpu, 0x2));
	assert_false(sgx_xfrm_legal(cpu, 0x3 | (1ULL << 62)));
	assert_int_equal(sgx_xsave_size(cpu, 0x3), 576);
	if (cpu->xfrm_mask & 0x4) {
		assert_true(sgx_xfrm_legal(cpu, 0x7));
		assert_true(sgx_xsave_size(cpu, 0x7) >= 576 + 256);
	}
	if ((cpu->xfrm_mask & 0xE7) == 0xE7) {
		assert_true(sgx_xfrm_legal(cpu, 0xE7));
		assert_false(sgx_xfrm_legal(cpu, 0x67)); /* AVX-512 is all three or none */
		assert_false(sgx_xfrm_legal(cpu, 0xE3)); /* and needs AVX */
	}
	sgx_cpu_destroy(cpu);
}

static void test_msrs_with_flc(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 2);
	struct sgx_lp *lp = sgx_cpu_get_lp_id(cpu, 0), *other = sgx_cpu_get_lp_id(cpu, 1);
	struct sgx_fault fault;
	struct sgx_cpu_stats stats;
	uint64_t v;

	assert_int_equal(sgx_rdmsr(lp, MSR_IA32_FEAT_CTL, &v, &fault), 0);
	assert_int_equal(v, FEAT_CTL_LOCKED | FEAT_CTL_SGX_ENABLED | FEAT_CTL_SGX_LC_ENABLED);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(sgx_rdmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, &v, &fault), 0);
		assert_int_equal(v, sgx_intel_lepubkeyhash[i]);
	}
	assert_int_equal(sgx_intel_lepubkeyhash[0], 0xA6053E051270B7ACULL);

	assert_int_equal(sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + 2, 0x1234, &fault), 0);
	assert_int_equal(sgx_rdmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + 2, &v, &fault), 0);
	assert_int_equal(v, 0x1234);
	/* Per LP: the other LP still has the reset value. */
	assert_int_equal(sgx_rdmsr(other, MSR_IA32_SGXLEPUBKEYHASH0 + 2, &v, &fault), 0);
	assert_int_equal(v, sgx_intel_lepubkeyhash[2]);
	sgx_cpu_get_stats(cpu, &stats);
	assert_int_equal(stats.msr_writes, 1);

	/* FEAT_CTL is locked; unknown MSRs do not exist. */
	assert_int_equal(sgx_wrmsr(lp, MSR_IA32_FEAT_CTL, 0, &fault), -1);
	assert_int_equal(fault.vector, X86_TRAP_GP);
	assert_int_equal(sgx_rdmsr(lp, 0x10, &v, &fault), -1);
	assert_int_equal(fault.vector, X86_TRAP_GP);
	assert_int_equal(sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH3 + 1, 0, &fault), -1);
	sgx_cpu_get_stats(cpu, &stats);
	assert_int_equal(stats.msr_writes, 1);
	sgx_cpu_put_lp(lp);
	sgx_cpu_put_lp(other);
	sgx_cpu_destroy(cpu);
}

static void test_msrs_locked_without_flc(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, false, 1);
	struct sgx_lp *lp = sgx_cpu_get_lp(cpu);
	struct sgx_fault fault = { 0 };
	uint64_t v;

	assert_int_equal(sgx_rdmsr(lp, MSR_IA32_FEAT_CTL, &v, &fault), 0);
	assert_int_equal(v, FEAT_CTL_LOCKED | FEAT_CTL_SGX_ENABLED);
	assert_int_equal(sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0, 1, &fault), -1);
	assert_int_equal(fault.vector, X86_TRAP_GP);
	assert_int_equal(sgx_rdmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0, &v, &fault), 0);
	assert_int_equal(v, sgx_intel_lepubkeyhash[0]);
	sgx_cpu_put_lp(lp);
	sgx_cpu_destroy(cpu);
}

struct lp_waiter {
	struct sgx_cpu *cpu;
	unsigned int got;
};

static void *take_any_lp(void *arg)
{
	struct lp_waiter *w = arg;
	struct sgx_lp *lp = sgx_cpu_get_lp(w->cpu);

	w->got = sgx_lp_id(lp);
	sgx_cpu_put_lp(lp);
	return NULL;
}

static void test_lps(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 2);
	struct sgx_lp *a = sgx_cpu_get_lp(cpu), *b = sgx_cpu_get_lp(cpu);
	struct lp_waiter w = { .cpu = cpu, .got = 99 };
	pthread_t thread;

	assert_int_equal(sgx_cpu_nr_lps(cpu), 2);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(sgx_lp_cpu(a), cpu);
	assert_null(sgx_cpu_get_lp_id(cpu, 2));

	/* Both LPs are held: the thread waits until one is put, then gets exactly that one. */
	assert_int_equal(pthread_create(&thread, NULL, take_any_lp, &w), 0);
	sgx_cpu_put_lp(b);
	pthread_join(thread, NULL);
	assert_int_equal(w.got, sgx_lp_id(b));
	sgx_cpu_put_lp(a);
	sgx_cpu_destroy(cpu);
}

static void test_pgtable(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	const uint64_t la = 0x7f1234567000ULL;
	sgx_paddr_t frame = 0;
	unsigned int prot = 0;

	assert_false(sgx_pt_lookup(cpu, la, &frame, &prot));
	sgx_pt_set(cpu, la, (1ULL << 36) + 0x5000, PROT_READ | PROT_EXEC);
	assert_true(sgx_pt_lookup(cpu, la + 0xabc, &frame, &prot));
	assert_int_equal(frame, (1ULL << 36) + 0x5000);
	assert_int_equal(prot, PROT_READ | PROT_EXEC);
	assert_false(sgx_pt_lookup(cpu, la + 0x1000, NULL, NULL));
	assert_false(sgx_pt_lookup(cpu, la - 0x1000, NULL, NULL));

	/* Rewriting an entry changes it in place; clearing removes it. */
	sgx_pt_set(cpu, la, (1ULL << 36) + 0x6000, PROT_READ | PROT_WRITE);
	assert_true(sgx_pgtable_walk(cpu, la, &frame, &prot));
	assert_int_equal(frame, (1ULL << 36) + 0x6000);
	assert_int_equal(prot, PROT_READ | PROT_WRITE);
	sgx_pt_clear(cpu, la);
	assert_false(sgx_pt_lookup(cpu, la, NULL, NULL));

	/* A range spanning table boundaries at several levels. */
	for (uint64_t a = 0x3ffff000ULL; a < 0x40003000ULL; a += 0x1000)
		sgx_pt_set(cpu, a, 1ULL << 36, PROT_READ);
	sgx_pt_set(cpu, 0x50000000ULL, 1ULL << 36, PROT_READ);
	sgx_pgtable_clear_range(cpu, 0x3ffff000ULL, 0x40002000ULL);
	for (uint64_t a = 0x3ffff000ULL; a < 0x40002000ULL; a += 0x1000)
		assert_false(sgx_pt_lookup(cpu, a, NULL, NULL));
	assert_true(sgx_pt_lookup(cpu, 0x40002000ULL, NULL, NULL));
	assert_true(sgx_pt_lookup(cpu, 0x50000000ULL, NULL, NULL));

	/* Beyond 48 bits there is nothing to map. */
	sgx_pt_set(cpu, 1ULL << 48, 1ULL << 36, PROT_READ);
	assert_false(sgx_pt_lookup(cpu, 1ULL << 48, NULL, NULL));
	assert_false(sgx_pt_lookup(cpu, ~0ULL, NULL, NULL));
	sgx_cpu_destroy(cpu);
}

static void test_slices(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	struct sgx_slice *a = sgx_slice_get_or_create(cpu, 7, 1 << 20);
	struct sgx_slice *b = sgx_slice_get_or_create(cpu, 7, 1 << 20);
	struct sgx_slice *c = sgx_slice_get_or_create(cpu, 8, 1 << 16);
	uint8_t buf[16];

	assert_non_null(a);
	assert_ptr_equal(a, b); /* keyed by EID */
	assert_ptr_not_equal(a, c);
	assert_int_equal(sgx_slice_size(a), 1 << 20);
	assert_int_equal(sgx_slice_size(c), 1 << 16);

	/* The CPU's view and the memfd are the same bytes; punching makes a hole (zeros). */
	memset(sgx_slice_kva(a) + 0x3000, 0xAB, 4096);
	assert_int_equal(pread(sgx_slice_fd(a), buf, sizeof(buf), 0x3000), (ssize_t)sizeof(buf));
	assert_int_equal(buf[0], 0xAB);
	sgx_slice_punch(a, 0x3000);
	assert_int_equal(sgx_slice_kva(a)[0x3000], 0);
	assert_int_equal(pread(sgx_slice_fd(a), buf, sizeof(buf), 0x3000), (ssize_t)sizeof(buf));
	assert_int_equal(buf[15], 0);

	sgx_slice_put(b);
	sgx_slice_put(a);
	/* The last reference is gone: the same EID gets fresh storage. */
	a = sgx_slice_get_or_create(cpu, 7, 1 << 16);
	assert_int_equal(sgx_slice_size(a), 1 << 16);
	sgx_slice_put(a);
	sgx_slice_put(c);
	sgx_cpu_destroy(cpu);
}

static void test_page_locks(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	uint32_t word = 0;

	assert_true(sgx_page_trylock_shared(cpu, 3));
	assert_true(sgx_page_trylock_shared(cpu, 3));
	assert_false(sgx_page_trylock_excl(cpu, 3));
	sgx_page_unlock_shared(cpu, 3);
	assert_false(sgx_page_trylock_excl(cpu, 3));
	sgx_page_unlock_shared(cpu, 3);
	assert_true(sgx_page_trylock_excl(cpu, 3));
	assert_false(sgx_page_trylock_shared(cpu, 3));
	assert_false(sgx_page_trylock_excl(cpu, 3));
	assert_true(sgx_page_trylock_excl(cpu, 4)); /* per page */
	sgx_page_unlock_excl(cpu, 3);
	sgx_page_unlock_excl(cpu, 4);
	assert_true(sgx_page_trylock_shared(cpu, 3));
	sgx_page_unlock_shared(cpu, 3);

	assert_true(sgx_trylock(&word));
	assert_false(sgx_trylock(&word));
	sgx_unlock(&word);
	assert_true(sgx_trylock(&word));
	sgx_cpu_destroy(cpu);
}

static void test_frame_storage(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	sgx_paddr_t base = SGX_EPC_SECTION_BASE(0);
	int fd = memfd_create("vepc", 0);
	uint8_t *kva, buf[4];

	/* Pool frames (SECS/VA) live at frame offsets of one memfd. */
	kva = sgx_frame_attach_pool(cpu, 5);
	assert_ptr_equal(kva, cpu->pool_kva + 5 * 4096);
	memset(kva, 0x5A, 4096);
	sgx_frame_detach(cpu, 5);
	assert_null(sgx_frame_kva(cpu, 5));
	assert_int_equal(cpu->pool_kva[5 * 4096], 0);

	/* A bound frame (vEPC) lives in its file at the given offset, until unbound. */
	assert_int_equal(ftruncate(fd, 4 * 4096), 0);
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, base + 6 * 4096, fd, 2 * 4096), 0);
	kva = sgx_frame_attach_pool(cpu, 6);
	memcpy(kva, "vepc", 4);
	assert_int_equal(pread(fd, buf, 4, 2 * 4096), 4);
	assert_memory_equal(buf, "vepc", 4);
	sgx_frame_detach(cpu, 6);
	assert_int_equal(pread(fd, buf, 4, 2 * 4096), 4);
	assert_int_equal(buf[0], 0);
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, base + 6 * 4096, fd, 4 * 4096), -EINVAL);
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, base + 6 * 4096, fd, 100), -EINVAL);
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, 0x1000, fd, 0), -EINVAL);
	cpu->epcm[7].valid = 1;
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, base + 7 * 4096, fd, 0), -EBUSY);
	cpu->epcm[7].valid = 0;
	assert_int_equal(sgx_cpu_bind_frame_storage(cpu, base + 6 * 4096, -1, 0), 0);
	assert_ptr_equal(sgx_frame_attach_pool(cpu, 6), cpu->pool_kva + 6 * 4096);
	sgx_frame_detach(cpu, 6);
	close(fd);
	sgx_cpu_destroy(cpu);
}

static void test_encls_prologue(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", false, true, 1);
	struct sgx_lp *lp = sgx_cpu_get_lp(cpu);
	struct sgx_cpu_stats stats;
	int ret;

	/* ERDINFO and beyond are not implemented: undefined leaf, #GP. */
	ret = sgx_encls(lp, 0x10, 0, 0, 0, NULL);
	assert_true(encls_faulted(ret));
	assert_int_equal(SGX_ENCLS_FAULT_VECTOR(ret), X86_TRAP_GP);
	ret = sgx_encls(lp, 0xFFFFFFFF, 0, 0, 0, NULL);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP);

	/* SGX2 leaves on an SGX1 processor: #UD, before any operand is looked at. */
	ret = __eaug(lp, NULL, 1);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_UD);
	assert_int_equal(sgx_lp_last_fault(lp)->vector, X86_TRAP_UD);
	ret = __emodpr(lp, NULL, 1);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_UD);
	ret = __emodt(lp, NULL, 1);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_UD);

	sgx_cpu_get_stats(cpu, &stats);
	assert_int_equal(stats.encls[EAUG], 1);
	assert_int_equal(stats.encls[EMODPR], 1);
	assert_int_equal(stats.encls[EMODT], 1);
	assert_int_equal(stats.encls[ECREATE], 0);
	sgx_cpu_put_lp(lp);
	sgx_cpu_destroy(cpu);
}

static void test_operand_access(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	struct sgx_lp *lp = sgx_cpu_get_lp(cpu);
	uint8_t *pages =
		mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[64];
	int ret;

	/* PROT_NONE, not munmap: a later mmap could land in a hole. */
	assert_int_equal(mprotect(pages + 4096, 4096, PROT_NONE), 0);
	assert_int_equal(mprotect(pages + 2 * 4096, 4096, PROT_READ), 0);
	memset(pages, 1, 4096);

	assert_int_equal(sgx_encls_read(lp, buf, (uint64_t)(uintptr_t)pages, sizeof(buf)), 0);
	/* A read straddling into the hole faults at the first missing byte, not the pointer. */
	ret = sgx_encls_read(lp, buf, (uint64_t)(uintptr_t)pages + 4096 - 8, sizeof(buf));
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->addr, (uint64_t)(uintptr_t)pages + 4096);
	assert_int_equal(sgx_lp_last_fault(lp)->error_code & X86_PF_WRITE, 0);
	ret = sgx_encls_read(lp, buf, 8, sizeof(buf));
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->addr, 8);

	/* Writes: a missing page is W without P; a read-only page is W with P. */
	ret = sgx_encls_write(lp, (uint64_t)(uintptr_t)pages + 4096, buf, 8);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->error_code, X86_PF_WRITE);
	ret = sgx_encls_write(lp, (uint64_t)(uintptr_t)pages + 2 * 4096 + 8, buf, 8);
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(sgx_lp_last_fault(lp)->addr, (uint64_t)(uintptr_t)pages + 2 * 4096 + 8);
	assert_int_equal(sgx_lp_last_fault(lp)->error_code, X86_PF_WRITE | X86_PF_PROT);

	/* Status codes set ZF, informational ones CF. */
	lp->rflags = 0;
	assert_int_equal(sgx_encls_status(lp, SGX_INVALID_SIGNATURE, false), SGX_INVALID_SIGNATURE);
	assert_int_equal(sgx_lp_last_rflags(lp), X86_EFLAGS_ZF);
	lp->rflags = 0;
	assert_int_equal(sgx_encls_status(lp, SGX_BLKSTATE, true), SGX_BLKSTATE);
	assert_int_equal(sgx_lp_last_rflags(lp), X86_EFLAGS_CF);

	munmap(pages, 3 * 4096);
	sgx_cpu_put_lp(lp);
	sgx_cpu_destroy(cpu);
}

struct hook_log {
	unsigned int calls, leaf_class, leaf;
	sgx_paddr_t frame;
};

static void record_hook(void *arg, unsigned int leaf_class, unsigned int leaf, sgx_paddr_t frame)
{
	struct hook_log *log = arg;

	log->calls++;
	log->leaf_class = leaf_class;
	log->leaf = leaf;
	log->frame = frame;
}

static void test_hooks(void **state)
{
	struct sgx_cpu *cpu = make_cpu("1M", true, true, 1);
	struct hook_log log = { 0 };

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, 0x1000); /* no hook: nothing */
	sgx_cpu_set_pause_hook(cpu, record_hook, &log);
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLU, EACCEPT, 0x2000);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.leaf_class, SGX_LEAF_CLASS_ENCLU);
	assert_int_equal(log.leaf, EACCEPT);
	assert_int_equal(log.frame, 0x2000);
	sgx_cpu_set_pause_hook(cpu, NULL, NULL);
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, 0x1000);
	assert_int_equal(log.calls, 1);

	sgx_cpu_inject_unmasked_event(cpu, 2);
	assert_int_equal(cpu->unmasked_events, 2);
	sgx_cpu_destroy(cpu);
}

static void test_cregs(void **state)
{
	struct sgxemu_config config;
	struct sgx_cpu *a, *b;
	char err[64];

	sgxemu_config_defaults(&config);
	a = sgx_cpu_create(&config);
	b = sgx_cpu_create(&config);
	/* Random per boot: root key, report KEYID, paging key. Fixed: CPUSVN and friends. */
	assert_memory_not_equal(a->root_key, b->root_key, 16);
	assert_memory_not_equal(a->report_keyid, b->report_keyid, 32);
	assert_memory_not_equal(a->paging_key, b->paging_key, 16);
	assert_memory_equal(a->cpusvn, b->cpusvn, 16);
	assert_memory_equal(a->owner_epoch, b->owner_epoch, 16);
	assert_memory_equal(a->seal_fuses, b->seal_fuses, 16);
	sgx_cpu_destroy(a);
	sgx_cpu_destroy(b);

	assert_int_equal(sgxemu_config_set(&config, "root-seed", "fixed", err, sizeof(err)), 0);
	a = sgx_cpu_create(&config);
	b = sgx_cpu_create(&config);
	assert_memory_equal(a->root_key, b->root_key, 16);
	assert_memory_equal(a->root_key, config.root_key, 16);
	assert_memory_not_equal(a->report_keyid, b->report_keyid, 32);
	sgx_cpu_destroy(a);
	sgx_cpu_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_frames),
		cmocka_unit_test(test_large_epc_is_sparse),
		cmocka_unit_test(test_invalid_config),
		cmocka_unit_test(test_cpuid_sgx_leaf),
		cmocka_unit_test(test_cpuid_feature_bits_follow_config),
		cmocka_unit_test(test_xfrm_rules),
		cmocka_unit_test(test_msrs_with_flc),
		cmocka_unit_test(test_msrs_locked_without_flc),
		cmocka_unit_test(test_lps),
		cmocka_unit_test(test_pgtable),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_page_locks),
		cmocka_unit_test(test_frame_storage),
		cmocka_unit_test(test_encls_prologue),
		cmocka_unit_test(test_operand_access),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_cregs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
