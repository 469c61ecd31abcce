/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD and EDBGWR (ref §3). Check -> test, with the later check a second operand breaks:
 *
 *   address not 8-aligned: #GP                     debug_operands (+ not EPC)
 *   not EPC: #PF(addr)                             debug_operands
 *   page in use by an EPCM-modifying leaf: #GP     debug_conflict (+ page invalid)
 *   page invalid: #PF(addr)                        debug_page_types (+ non-debug enclave)
 *   type not REG/TCS (RD: or VA): #PF              debug_page_types (+ non-debug enclave)
 *   PENDING or MODIFIED: SGX_PAGE_NOT_DEBUGGABLE   debug_not_debuggable (+ non-debug enclave)
 *   TCS: RD beyond the fields, WR not FLAGS: #GP   debug_tcs
 *   enclave not DEBUG: #GP                         debug_requires_debug
 *   VA slot: all-ones if used, else 0              debug_va
 *   success: read and write the page's bytes       debug_read_write
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu_fixture.h"

#define NOT_EPC 0x3000ULL

static struct cpu_fixture *f;
static struct fixture_enclave e;

static int setup(void **state)
{
	f = cpu_fixture_create(NULL);
	memset(&e, 0, sizeof(e));
	return 0;
}

static int teardown(void **state)
{
	fixture_enclave_destroy(&e);
	cpu_fixture_destroy(f);
	return 0;
}

static struct sgx_lp *lp(void)
{
	return f->lp;
}

static sgx_paddr_t page(uint64_t offset)
{
	return fixture_page_frame(&e, offset);
}

static void test_debug_operands(void **state)
{
	uint64_t v;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	fixture_assert_gp(lp(), __edbgrd(lp(), NOT_EPC + 4, &v));
	fixture_assert_gp(lp(), __edbgwr(lp(), NOT_EPC + 1, 0));
	fixture_assert_gp(lp(), __edbgrd(lp(), page(FIXTURE_DATA_OFFSET) + 12, &v));
	fixture_assert_pf(lp(), __edbgrd(lp(), NOT_EPC + 8, &v), NOT_EPC + 8, true);
	fixture_assert_pf(lp(), __edbgwr(lp(), NOT_EPC, 0), NOT_EPC, true);
}

static void test_debug_conflict(void **state)
{
	sgx_paddr_t data, invalid = cpu_fixture_alloc(f);
	uint64_t index, v;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	data = page(FIXTURE_DATA_OFFSET);
	index = (uint64_t)sgx_frame_index(f->cpu, data);
	assert_true(sgx_page_trylock_excl(f->cpu, index));
	fixture_assert_gp(lp(), __edbgrd(lp(), data, &v));
	fixture_assert_gp(lp(), __edbgwr(lp(), data, 0));
	sgx_page_unlock_excl(f->cpu, index);
	/* An SGX2 leaf modifying the EPCM (EMODPR, EACCEPT) conflicts too. */
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, index));
	fixture_assert_gp(lp(), __edbgrd(lp(), data, &v));
	sgx_page_unlock_excl(f->cpu, index);
	/* Readers that only share the page (EEXTEND, EBLOCK) do not. */
	assert_true(sgx_page_trylock_shared(f->cpu, index));
	fixture_assert_ok(lp(), __edbgrd(lp(), data, &v));
	sgx_page_unlock_shared(f->cpu, index);
	/* In use and invalid: #GP first. */
	index = (uint64_t)sgx_frame_index(f->cpu, invalid);
	assert_true(sgx_page_trylock_excl(f->cpu, index));
	fixture_assert_gp(lp(), __edbgrd(lp(), invalid, &v));
	sgx_page_unlock_excl(f->cpu, index);
	fixture_assert_pf(lp(), __edbgrd(lp(), invalid + 0x10, &v), invalid + 0x10, true);
	cpu_fixture_free(f, invalid);
}

static void test_debug_page_types(void **state)
{
	static struct fixture_enclave prod;
	sgx_paddr_t invalid = cpu_fixture_alloc(f);
	static struct sgx_secinfo secinfo;
	uint64_t v;

	/* A production enclave: the type checks (#PF) come before the DEBUG check (#GP). */
	fixture_enclave_create(&prod, f, SGX_ATTR_MODE64BIT);
	fixture_assert_pf(lp(), __edbgrd(lp(), prod.secs + 8, &v), prod.secs + 8, true);
	fixture_assert_pf(lp(), __edbgwr(lp(), prod.secs, 0), prod.secs, true);
	fixture_assert_pf(lp(), __edbgrd(lp(), invalid, &v), invalid, true);
	secinfo.flags = SGX_SECINFO_TRIM;
	fixture_assert_ok(lp(),
			  __emodt(lp(), &secinfo, fixture_page_frame(&prod, FIXTURE_CODE_OFFSET)));
	/* TRIM is not a debuggable type; it is MODIFIED as well, which is checked later: #PF. */
	fixture_assert_pf(lp(), __edbgrd(lp(), fixture_page_frame(&prod, FIXTURE_CODE_OFFSET), &v),
			  fixture_page_frame(&prod, FIXTURE_CODE_OFFSET), true);
	fixture_enclave_destroy(&prod);
	cpu_fixture_free(f, invalid);
}

static void test_debug_not_debuggable(void **state)
{
	static struct fixture_enclave prod;
	static struct sgx_secinfo secinfo;
	static struct sgx_pageinfo pginfo;
	sgx_paddr_t aug = cpu_fixture_alloc(f), code;
	uint64_t v;

	/* An EAUGed page (PENDING) of a production enclave: NOT_DEBUGGABLE before DEBUG's #GP. */
	fixture_enclave_create(&prod, f, SGX_ATTR_MODE64BIT);
	pginfo = (struct sgx_pageinfo){ .addr = FIXTURE_BASE + 0x9000, .secs = prod.secs };
	fixture_assert_ok(lp(), __eaug(lp(), &pginfo, aug));
	fixture_assert_status(lp(), __edbgrd(lp(), aug, &v), SGX_PAGE_NOT_DEBUGGABLE, false);
	fixture_assert_status(lp(), __edbgwr(lp(), aug + 8, 1), SGX_PAGE_NOT_DEBUGGABLE, false);
	/* MODIFIED after EMODT(TCS) on a REG page. */
	code = fixture_page_frame(&prod, FIXTURE_CODE_OFFSET);
	secinfo.flags = SGX_SECINFO_TCS;
	fixture_assert_ok(lp(), __emodt(lp(), &secinfo, code));
	fixture_assert_status(lp(), __edbgrd(lp(), code, &v), SGX_PAGE_NOT_DEBUGGABLE, false);
	assert_int_equal(__eremove(lp(), aug), 0);
	cpu_fixture_free(f, aug);
	fixture_enclave_destroy(&prod);
}

static void test_debug_tcs(void **state)
{
	sgx_paddr_t tcs;
	uint64_t v;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	tcs = page(FIXTURE_TCS_OFFSET);
	/* Every architectural field reads; the reserved area does not. */
	fixture_assert_ok(lp(), __edbgrd(lp(), tcs + 16, &v));
	assert_int_equal(v, FIXTURE_SSA_OFFSET);
	fixture_assert_ok(lp(), __edbgrd(lp(), tcs + 64, &v)); /* FSLIMIT, GSLIMIT */
	assert_int_equal(v, 0x00000FFF00000FFFULL);
	fixture_assert_gp(lp(), __edbgrd(lp(), tcs + 72, &v));
	fixture_assert_gp(lp(), __edbgrd(lp(), tcs + 4088, &v));
	/* Only FLAGS is writable: that is how a debugger opts a thread in. */
	fixture_assert_gp(lp(), __edbgwr(lp(), tcs, 1));
	fixture_assert_gp(lp(), __edbgwr(lp(), tcs + 16, 0));
	fixture_assert_ok(lp(), __edbgwr(lp(), tcs + 8, SGX_TCS_DBGOPTIN));
	fixture_assert_ok(lp(), __edbgrd(lp(), tcs + 8, &v));
	assert_int_equal(v, SGX_TCS_DBGOPTIN);
}

static void test_debug_requires_debug(void **state)
{
	uint64_t v = 0;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	fixture_assert_gp(lp(), __edbgrd(lp(), page(FIXTURE_DATA_OFFSET), &v));
	fixture_assert_gp(lp(), __edbgwr(lp(), page(FIXTURE_DATA_OFFSET), 0));
	fixture_assert_gp(lp(), __edbgrd(lp(), page(FIXTURE_TCS_OFFSET) + 8, &v));
	assert_int_equal(v, 0);
}

static void test_debug_va(void **state)
{
	sgx_paddr_t va = cpu_fixture_alloc(f);
	uint64_t *slots, v = 1;

	fixture_assert_ok(lp(), __epa(lp(), va));
	fixture_assert_ok(lp(), __edbgrd(lp(), va + 8, &v));
	assert_int_equal(v, 0);
	/* A version in a slot is never revealed, only that the slot is used. */
	slots = (uint64_t *)sgx_frame_kva(f->cpu, (uint64_t)sgx_frame_index(f->cpu, va));
	slots[1] = 0x1234;
	fixture_assert_ok(lp(), __edbgrd(lp(), va + 8, &v));
	assert_int_equal(v, ~0ULL);
	/* VA pages are not writable by a debugger. */
	fixture_assert_pf(lp(), __edbgwr(lp(), va + 8, 0), va + 8, true);
	assert_int_equal(slots[1], 0x1234);
	assert_int_equal(__eremove(lp(), va), 0);
	cpu_fixture_free(f, va);
}

static void test_debug_read_write(void **state)
{
	sgx_paddr_t data, code;
	uint64_t v;
	uint8_t *kva;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	data = page(FIXTURE_DATA_OFFSET);
	code = page(FIXTURE_CODE_OFFSET);
	fixture_assert_ok(lp(), __edbgrd(lp(), data + 0xFF8, &v));
	assert_int_equal(v, 0xDADADADADADADADAULL);
	/* Permissions do not matter to a debugger: the RX page is writable through EDBGWR. */
	fixture_assert_ok(lp(), __edbgwr(lp(), code + 0x100, 0x0123456789ABCDEFULL));
	fixture_assert_ok(lp(), __edbgrd(lp(), code + 0x100, &v));
	assert_int_equal(v, 0x0123456789ABCDEFULL);
	kva = sgx_frame_kva(f->cpu, (uint64_t)sgx_frame_index(f->cpu, code));
	assert_int_equal(kva[0x100], 0xEF);
	assert_int_equal(kva[0x108], 0xC3);
}

#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(debug_operands),   T(debug_conflict),
		T(debug_page_types), T(debug_not_debuggable),
		T(debug_tcs),	     T(debug_requires_debug),
		T(debug_va),	     T(debug_read_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
