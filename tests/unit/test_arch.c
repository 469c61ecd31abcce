/* SPDX-License-Identifier: MIT */
/*
 * The architectural structures decode and re-encode byte-exactly. For each structure: fill a
 * buffer with a pattern, read every field through the struct and compare it with the bytes at
 * the SDM's offset (ref/sgx-isa.md §1, read here independently of arch.h), then write every field
 * (reserved ones included) into a zeroed struct and compare the whole thing with the buffer: the
 * fields are at the right places, have the right sizes, and tile the structure without gaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <sgxemu/arch.h>

static uint8_t buf[4096];

static void fill(size_t n)
{
	/* No two neighbouring bytes equal, no zero: a misplaced field cannot match by luck. */
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 151 + (i >> 8) * 7 + 1) | 1;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* An integer field: decoded value, then copied into the re-encoded struct. */
#define U(field, off, size)                                          \
	do {                                                         \
		assert_int_equal(sizeof(s->field), (size));          \
		assert_int_equal(s->field, le(buf + (off), (size))); \
		t->field = s->field;                                 \
	} while (0)
/* A byte-array field. */
#define A(field, off, size)                                         \
	do {                                                        \
		assert_int_equal(sizeof(s->field), (size));         \
		assert_memory_equal(s->field, buf + (off), (size)); \
		memcpy(t->field, s->field, (size));                 \
	} while (0)
/* An ATTRIBUTES pair. */
#define ATTR(field, off)                     \
	do {                                 \
		U(field.flags, (off), 8);    \
		U(field.xfrm, (off) + 8, 8); \
	} while (0)

#define DECODE(type, size)                      \
	static type s_, t_;                     \
	type *s = &s_, *t = &t_;                \
	assert_int_equal(sizeof(type), (size)); \
	fill(size);                             \
	memcpy(s, buf, (size));                 \
	memset(t, 0, (size))

#define REENCODED(size) assert_memory_equal(t, buf, (size))

static void test_secs(void **state)
{
	DECODE(struct sgx_secs, 4096);
	U(size, 0, 8);
	U(base, 8, 8);
	U(ssa_frame_size, 16, 4);
	U(miscselect, 20, 4);
	A(reserved1, 24, 24);
	ATTR(attributes, 48);
	A(mrenclave, 64, 32);
	A(reserved2, 96, 32);
	A(mrsigner, 128, 32);
	A(reserved3, 160, 32);
	A(config_id, 192, 64);
	U(isv_prod_id, 256, 2);
	U(isv_svn, 258, 2);
	U(config_svn, 260, 2);
	A(reserved4, 262, 3834);
	REENCODED(4096);
}

static void test_tcs(void **state)
{
	DECODE(struct sgx_tcs, 4096);
	U(state, 0, 8);
	U(flags, 8, 8);
	U(ossa, 16, 8);
	U(cssa, 24, 4);
	U(nssa, 28, 4);
	U(oentry, 32, 8);
	U(aep, 40, 8);
	U(ofsbase, 48, 8);
	U(ogsbase, 56, 8);
	U(fslimit, 64, 4);
	U(gslimit, 68, 4);
	A(reserved, 72, 4024);
	REENCODED(4096);
}

static void test_gprsgx(void **state)
{
	DECODE(struct sgx_gprsgx, 184);
	U(rax, 0, 8);
	U(rcx, 8, 8);
	U(rdx, 16, 8);
	U(rbx, 24, 8);
	U(rsp, 32, 8);
	U(rbp, 40, 8);
	U(rsi, 48, 8);
	U(rdi, 56, 8);
	U(r8, 64, 8);
	U(r9, 72, 8);
	U(r10, 80, 8);
	U(r11, 88, 8);
	U(r12, 96, 8);
	U(r13, 104, 8);
	U(r14, 112, 8);
	U(r15, 120, 8);
	U(rflags, 128, 8);
	U(rip, 136, 8);
	U(ursp, 144, 8);
	U(urbp, 152, 8);
	U(exitinfo, 160, 4);
	A(reserved, 164, 3);
	U(aexnotify, 167, 1);
	U(fsbase, 168, 8);
	U(gsbase, 176, 8);
	REENCODED(184);
}

static void test_exinfo(void **state)
{
	DECODE(struct sgx_exinfo, 16);
	U(maddr, 0, 8);
	U(errcd, 8, 4);
	U(reserved, 12, 4);
	REENCODED(16);
}

static void test_pageinfo(void **state)
{
	DECODE(struct sgx_pageinfo, 32);
	U(addr, 0, 8);
	U(contents, 8, 8);
	U(metadata, 16, 8);
	U(secs, 24, 8);
	REENCODED(32);
	assert_int_equal(_Alignof(struct sgx_pageinfo), 32);
}

static void test_secinfo(void **state)
{
	DECODE(struct sgx_secinfo, 64);
	U(flags, 0, 8);
	A(reserved, 8, 56);
	REENCODED(64);
	assert_int_equal(_Alignof(struct sgx_secinfo), 64);
	/* The flag values of ref §1.7. */
	assert_int_equal(SGX_SECINFO_REG | SGX_SECINFO_R, 0x201);
	assert_int_equal(SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, 0x203);
	assert_int_equal(SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, 0x205);
	assert_int_equal(SGX_SECINFO_TCS, 0x100);
	assert_int_equal(sgx_secinfo_page_type(0x403), SGX_PAGE_TYPE_TRIM);
}

static void test_pcmd(void **state)
{
	DECODE(struct sgx_pcmd, 128);
	U(secinfo.flags, 0, 8);
	A(secinfo.reserved, 8, 56);
	U(enclave_id, 64, 8);
	A(reserved, 72, 40);
	A(mac, 112, 16);
	REENCODED(128);
	assert_int_equal(_Alignof(struct sgx_pcmd), 128);
}

static void test_sigstruct(void **state)
{
	DECODE(struct sgx_sigstruct, 1808);
	A(header.header1, 0, 16);
	U(header.vendor, 16, 4);
	U(header.date, 20, 4);
	A(header.header2, 24, 16);
	U(header.swdefined, 40, 4);
	A(header.reserved, 44, 84);
	A(modulus, 128, 384);
	U(exponent, 512, 4);
	A(signature, 516, 384);
	U(body.miscselect, 900, 4);
	U(body.misc_mask, 904, 4);
	U(body.cet_attributes, 908, 1);
	U(body.cet_attributes_mask, 909, 1);
	A(body.reserved1, 910, 2);
	A(body.isvfamilyid, 912, 16);
	ATTR(body.attributes, 928);
	ATTR(body.attributes_mask, 944);
	A(body.enclavehash, 960, 32);
	A(body.reserved2, 992, 16);
	A(body.isvextprodid, 1008, 16);
	U(body.isvprodid, 1024, 2);
	U(body.isvsvn, 1026, 2);
	A(reserved4, 1028, 12);
	A(q1, 1040, 384);
	A(q2, 1424, 384);
	REENCODED(1808);

	/* The fixed headers of ref §1.9. */
	static const uint8_t h1[16] = SGX_SIGSTRUCT_HEADER1, h2[16] = SGX_SIGSTRUCT_HEADER2;
	static const uint8_t want1[16] = { 6, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
	static const uint8_t want2[16] = { 1, 1, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 1, 0, 0, 0 };
	assert_memory_equal(h1, want1, 16);
	assert_memory_equal(h2, want2, 16);
}

static void test_einittoken(void **state)
{
	DECODE(struct sgx_einittoken, 304);
	U(valid, 0, 4);
	A(reserved1, 4, 44);
	ATTR(attributes, 48);
	A(mrenclave, 64, 32);
	A(reserved2, 96, 32);
	A(mrsigner, 128, 32);
	A(reserved3, 160, 32);
	A(cpusvnle, 192, 16);
	U(isvprodidle, 208, 2);
	U(isvsvnle, 210, 2);
	A(reserved4, 212, 24);
	U(maskedmiscselectle, 236, 4);
	ATTR(maskedattributesle, 240);
	A(keyid, 256, 32);
	A(mac, 288, 16);
	REENCODED(304);
}

static void test_report(void **state)
{
	DECODE(struct sgx_report, 432);
	A(body.cpusvn, 0, 16);
	U(body.miscselect, 16, 4);
	U(body.cet_attributes, 20, 1);
	A(body.reserved1, 21, 11);
	A(body.isvextprodid, 32, 16);
	ATTR(body.attributes, 48);
	A(body.mrenclave, 64, 32);
	A(body.reserved2, 96, 32);
	A(body.mrsigner, 128, 32);
	A(body.reserved3, 160, 32);
	A(body.config_id, 192, 64);
	U(body.isvprodid, 256, 2);
	U(body.isvsvn, 258, 2);
	U(body.configsvn, 260, 2);
	A(body.reserved4, 262, 42);
	A(body.isvfamilyid, 304, 16);
	A(body.reportdata, 320, 64);
	A(keyid, 384, 32);
	A(mac, 416, 16);
	REENCODED(432);
}

static void test_targetinfo(void **state)
{
	DECODE(struct sgx_targetinfo, 512);
	A(measurement, 0, 32);
	ATTR(attributes, 32);
	U(cet_attributes, 48, 1);
	U(reserved1, 49, 1);
	U(config_svn, 50, 2);
	U(miscselect, 52, 4);
	A(reserved2, 56, 8);
	A(config_id, 64, 64);
	A(reserved3, 128, 384);
	REENCODED(512);
}

static void test_keyrequest(void **state)
{
	DECODE(struct sgx_keyrequest, 512);
	U(keyname, 0, 2);
	U(keypolicy, 2, 2);
	U(isvsvn, 4, 2);
	U(reserved1, 6, 2);
	A(cpusvn, 8, 16);
	ATTR(attributemask, 24);
	A(keyid, 40, 32);
	U(miscmask, 72, 4);
	U(configsvn, 76, 2);
	A(reserved2, 78, 434);
	REENCODED(512);
}

static void test_va_page(void **state)
{
	DECODE(struct sgx_va_page, 4096);
	for (unsigned int i = 0; i < SGX_VA_SLOT_COUNT; i++)
		U(slot[i], 8 * i, 8);
	REENCODED(4096);
}

static void test_attributes(void **state)
{
	DECODE(struct sgx_attributes, 16);
	U(flags, 0, 8);
	U(xfrm, 8, 8);
	REENCODED(16);
	/* ref §1.1 bit positions; reserved = bits 3, 6, 8, 9 and 63:11 as the kernel defines it */
	assert_int_equal(SGX_ATTR_INIT, 1);
	assert_int_equal(SGX_ATTR_DEBUG, 2);
	assert_int_equal(SGX_ATTR_MODE64BIT, 4);
	assert_int_equal(SGX_ATTR_PROVISIONKEY, 0x10);
	assert_int_equal(SGX_ATTR_EINITTOKENKEY, 0x20);
	assert_int_equal(SGX_ATTR_KSS, 0x80);
	assert_int_equal(SGX_ATTR_ASYNC_EXIT_NOTIFY, 0x400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributes), cmocka_unit_test(test_secs),
		cmocka_unit_test(test_tcs),	   cmocka_unit_test(test_gprsgx),
		cmocka_unit_test(test_exinfo),	   cmocka_unit_test(test_pageinfo),
		cmocka_unit_test(test_secinfo),	   cmocka_unit_test(test_pcmd),
		cmocka_unit_test(test_sigstruct),  cmocka_unit_test(test_einittoken),
		cmocka_unit_test(test_report),	   cmocka_unit_test(test_targetinfo),
		cmocka_unit_test(test_keyrequest), cmocka_unit_test(test_va_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
