/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY (ref §6): reports verify with the target's report key and only with it,
 * every key name with its pre-checks and status codes, the KEYREQUEST #GP rules, the operand
 * checks in order, sealing across processor instances and processes with a fixed root seed, and
 * a launch enclave's EINITTOKEN key accepted by EINIT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cpu/sigstruct.h"
#include "enclu_env.h"

/* Operand places inside the enclave's data pages. */
#define TI_OFF 0x000
#define RD_OFF 0x200
#define REPORT_OFF 0x400
#define KR_OFF 0x800
#define KEY_OFF 0xA00

static const char *self_exe;

struct two {
	struct enclu_env *a, *b;
};

static int setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));
	struct enclu_env_opts b = { .base = 0x20000000ULL, .code_seed = 1 };

	t->a = enclu_env_create(NULL);
	b.f = t->a->f;
	t->b = enclu_env_create(&b);
	env_eenter(t->a);
	env_eenter(t->b);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct two *t = *state;

	if (t->b->tlp.enclave_mode)
		env_eexit(t->b);
	if (t->a->tlp.enclave_mode)
		env_eexit(t->a);
	enclu_env_destroy(t->b);
	enclu_env_destroy(t->a);
	free(t);
	return 0;
}

static struct sgx_secs *env_secs(struct enclu_env *env)
{
	return sgx_secs_page(env->cpu, (uint64_t)sgx_frame_index(env->cpu, env->e->secs));
}

static void targetinfo_of(struct enclu_env *env, struct sgx_targetinfo *ti)
{
	const struct sgx_secs *secs = env_secs(env);

	memset(ti, 0, sizeof(*ti));
	memcpy(ti->measurement, secs->mrenclave, 32);
	ti->attributes = secs->attributes;
	ti->miscselect = secs->miscselect;
	ti->config_svn = secs->config_svn;
	memcpy(ti->config_id, secs->config_id, 64);
}

static int ereport(struct enclu_env *env, const struct sgx_targetinfo *ti,
		   const uint8_t reportdata[64], struct sgx_report *report, struct sgx_fault *fault)
{
	int ret;

	memcpy(env_kva(env, env->data + TI_OFF), ti, sizeof(*ti));
	memcpy(env_kva(env, env->data + RD_OFF), reportdata, 64);
	ret = env_enclu(env, EREPORT, env->data + TI_OFF, env->data + RD_OFF,
			env->data + REPORT_OFF, fault);
	memcpy(report, env_kva(env, env->data + REPORT_OFF), sizeof(*report));
	return ret;
}

/* EGETKEY; returns RAX (the status) and asserts ZF agrees with it. */
static int egetkey(struct enclu_env *env, const struct sgx_keyrequest *req, uint8_t key[16])
{
	struct sgx_fault fault;

	memcpy(env_kva(env, env->data + KR_OFF), req, sizeof(*req));
	memset(env_kva(env, env->data + KEY_OFF), 0xEE, 16);
	env->regs.rflags |= X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_SF;
	assert_int_equal(
		env_enclu(env, EGETKEY, env->data + KR_OFF, env->data + KEY_OFF, 0, &fault), 0);
	assert_int_equal(!!(env->regs.rflags & X86_EFLAGS_ZF), env->regs.rax != 0);
	assert_false(env->regs.rflags & (X86_EFLAGS_CF | X86_EFLAGS_SF));
	memcpy(key, env_kva(env, env->data + KEY_OFF), 16);
	if (env->regs.rax) {
		/* On error the output is not written */
		uint8_t untouched[16];

		memset(untouched, 0xEE, sizeof(untouched));
		assert_memory_equal(key, untouched, 16);
	}
	return (int)env->regs.rax;
}

static void seal_request(struct enclu_env *env, struct sgx_keyrequest *req, uint16_t policy)
{
	memset(req, 0, sizeof(*req));
	req->keyname = SGX_KEYNAME_SEAL;
	req->keypolicy = policy;
	req->isvsvn = env_secs(env)->isv_svn;
	memcpy(req->cpusvn, env->cpu->cpusvn, 16);
	req->attributemask.flags = ~0ULL;
	req->attributemask.xfrm = ~0ULL;
	req->miscmask = ~0U;
	memset(req->keyid, 0x11, sizeof(req->keyid));
}

static void get_key(struct enclu_env *env, const struct sgx_keyrequest *req, uint8_t key[16])
{
	assert_int_equal(egetkey(env, req, key), 0);
}

/* --- EREPORT ------------------------------------------------------------------------------- */

static void test_ereport_fields(void **state)
{
	struct two *t = *state;
	struct enclu_env *a = t->a;
	const struct sgx_secs *secs = env_secs(a);
	struct sgx_targetinfo ti;
	struct sgx_report report;
	struct sgx_fault fault;
	uint8_t rd[64], zero[64] = { 0 };
	uint64_t rip = a->regs.rip, rflags = a->regs.rflags;

	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(200 - i);
	targetinfo_of(t->b, &ti);
	assert_int_equal(ereport(a, &ti, rd, &report, &fault), 0);
	assert_int_equal(a->regs.rip, rip + 3);
	assert_int_equal(a->regs.rflags, rflags); /* no status */
	assert_int_equal(a->regs.rax, EREPORT);
	assert_memory_equal(report.body.cpusvn, a->cpu->cpusvn, 16);
	assert_int_equal(report.body.miscselect, secs->miscselect);
	assert_memory_equal(&report.body.attributes, &secs->attributes, 16);
	assert_true(report.body.attributes.flags & SGX_ATTR_INIT);
	assert_memory_equal(report.body.mrenclave, secs->mrenclave, 32);
	assert_memory_equal(report.body.mrsigner, secs->mrsigner, 32);
	assert_int_equal(report.body.isvprodid, secs->isv_prod_id);
	assert_int_equal(report.body.isvsvn, secs->isv_svn);
	assert_memory_equal(report.body.reportdata, rd, 64);
	assert_memory_equal(report.keyid, a->cpu->report_keyid, 32);
	assert_memory_equal(report.body.reserved2, zero, sizeof(report.body.reserved2));
	assert_memory_equal(report.body.reserved4, zero, sizeof(report.body.reserved4));
}

static bool report_verifies(struct enclu_env *verifier, const struct sgx_report *report)
{
	struct sgx_keyrequest req;
	uint8_t key[16], mac[16];

	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_REPORT;
	memcpy(req.keyid, report->keyid, 32);
	get_key(verifier, &req, key);
	sgx_cmac(key, &report->body, sizeof(report->body), mac);
	return !memcmp(mac, report->mac, 16);
}

static void test_report_verifies_for_target_only(void **state)
{
	struct two *t = *state;
	struct sgx_targetinfo ti;
	struct sgx_report report;
	struct sgx_fault fault;
	uint8_t rd[64] = { 1, 2, 3 };

	/* A reports to B: B's report key verifies it, A's own does not. */
	targetinfo_of(t->b, &ti);
	assert_int_equal(ereport(t->a, &ti, rd, &report, &fault), 0);
	assert_true(report_verifies(t->b, &report));
	assert_false(report_verifies(t->a, &report));
	/* A tampered body does not verify */
	report.body.reportdata[0] ^= 1;
	assert_false(report_verifies(t->b, &report));
	/* A report to itself verifies with its own key */
	targetinfo_of(t->a, &ti);
	assert_int_equal(ereport(t->a, &ti, rd, &report, &fault), 0);
	assert_true(report_verifies(t->a, &report));
	assert_false(report_verifies(t->b, &report));
	/* Every TARGETINFO field matters: a wrong MISCSELECT or ATTRIBUTES is another target */
	targetinfo_of(t->b, &ti);
	ti.miscselect = 1;
	assert_int_equal(ereport(t->a, &ti, rd, &report, &fault), 0);
	assert_false(report_verifies(t->b, &report));
	targetinfo_of(t->b, &ti);
	ti.attributes.flags ^= SGX_ATTR_DEBUG;
	assert_int_equal(ereport(t->a, &ti, rd, &report, &fault), 0);
	assert_false(report_verifies(t->b, &report));
}

static void assert_ereport_fault(struct enclu_env *env, uint64_t ti, uint64_t rd, uint64_t out,
				 uint8_t vector, uint64_t addr, uint32_t ec)
{
	uint8_t page[4096];
	struct sgx_regs regs;
	struct sgx_fault fault;
	int ret;

	memcpy(page, env_kva(env, env->data), sizeof(page));
	env->regs.rax = EREPORT;
	env->regs.rbx = ti;
	env->regs.rcx = rd;
	env->regs.rdx = out;
	regs = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault);
	assert_fault(ret, &fault, vector, addr, ec);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_memory_equal(page, env_kva(env, env->data), sizeof(page));
}

static void test_ereport_operand_checks(void **state)
{
	struct two *t = *state;
	struct enclu_env *a = t->a;
	const uint64_t ti = a->data + TI_OFF, rd = a->data + RD_OFF, out = a->data + REPORT_OFF;
	const uint64_t outside = a->base + ENV_SIZE, unmapped = a->free;
	const uint32_t U = X86_PF_USER, P = X86_PF_PROT, W = X86_PF_WRITE, S = X86_PF_SGX;
	struct sgx_targetinfo tinfo;

	targetinfo_of(t->b, &tinfo);
	memcpy(env_kva(a, ti), &tinfo, sizeof(tinfo));

	/* Alignment: TARGETINFO 512, REPORTDATA 128, REPORT 512 */
	assert_ereport_fault(a, ti + 64, rd, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, ti, rd + 64, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, ti, rd, out + 16, X86_TRAP_GP, 0, 0);
	/* ELRANGE */
	assert_ereport_fault(a, outside, rd, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, ti, outside, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, ti, rd, outside, X86_TRAP_GP, 0, 0);
	/* Not mapped: #PF without P (the output is a write) */
	assert_ereport_fault(a, unmapped, rd, out, X86_TRAP_PF, unmapped, U);
	assert_ereport_fault(a, ti, unmapped, out, X86_TRAP_PF, unmapped, U);
	assert_ereport_fault(a, ti, rd, unmapped, X86_TRAP_PF, unmapped, U | W);
	/* Output in a read-only mapping: a paging fault; in a writable mapping of an R page: EPCM */
	assert_ereport_fault(a, ti, rd, a->rodata, X86_TRAP_PF, a->rodata, U | W | P);
	sgx_pt_set(a->cpu, a->rodata, env_frame(a, a->rodata), PROT_READ | PROT_WRITE);
	assert_ereport_fault(a, ti, rd, a->rodata, X86_TRAP_PF, a->rodata, U | W | P | S);
	/* TARGETINFO in the TCS (mapped, but not a REG page) */
	assert_ereport_fault(a, a->tcs, rd, out, X86_TRAP_PF, a->tcs, U | P | S);
	/* REPORTDATA in a page of the other enclave mapped inside our ELRANGE */
	sgx_pt_set(a->cpu, unmapped, env_frame(t->b, t->b->data), PROT_READ | PROT_WRITE);
	assert_ereport_fault(a, ti, unmapped, out, X86_TRAP_PF, unmapped, U | P | S);
	sgx_pt_clear(a->cpu, unmapped);

	/* Order: alignment before ELRANGE before walks before EPCM checks */
	assert_ereport_fault(a, unmapped, rd, out + 16, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, outside, unmapped, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, a->tcs, rd, unmapped, X86_TRAP_PF, unmapped, U | W);
	/* Reserved TARGETINFO bytes: #GP, but only after every operand passed */
	((struct sgx_targetinfo *)env_kva(a, ti))->reserved3[100] = 1;
	assert_ereport_fault(a, ti, rd, out, X86_TRAP_GP, 0, 0);
	assert_ereport_fault(a, ti, rd, a->rodata, X86_TRAP_PF, a->rodata, U | W | P | S);
	((struct sgx_targetinfo *)env_kva(a, ti))->reserved3[100] = 0;
	((struct sgx_targetinfo *)env_kva(a, ti))->reserved1 = 1;
	assert_ereport_fault(a, ti, rd, out, X86_TRAP_GP, 0, 0);
	((struct sgx_targetinfo *)env_kva(a, ti))->reserved1 = 0;
	((struct sgx_targetinfo *)env_kva(a, ti))->cet_attributes = 1; /* no CET here */
	assert_ereport_fault(a, ti, rd, out, X86_TRAP_GP, 0, 0);
}

/* --- EGETKEY ------------------------------------------------------------------------------- */

static void test_egetkey_seal(void **state)
{
	struct two *t = *state;
	struct sgx_keyrequest req;
	uint8_t k1[16], k2[16], kb[16], ks[16], ksb[16];
	uint64_t rip = t->a->regs.rip;

	seal_request(t->a, &req, SGX_KEYPOLICY_MRENCLAVE);
	get_key(t->a, &req, k1);
	assert_int_equal(t->a->regs.rip, rip + 3);
	assert_int_equal(t->a->regs.rax, 0);
	get_key(t->a, &req, k2);
	assert_memory_equal(k1, k2, 16);
	assert_memory_not_equal(k1, (uint8_t[16]){ 0 }, 16);
	/* MRENCLAVE policy: another enclave (same signer) gets another key */
	seal_request(t->b, &req, SGX_KEYPOLICY_MRENCLAVE);
	get_key(t->b, &req, kb);
	assert_memory_not_equal(k1, kb, 16);
	/* MRSIGNER policy: the same signer and product get the same key */
	seal_request(t->a, &req, SGX_KEYPOLICY_MRSIGNER);
	get_key(t->a, &req, ks);
	seal_request(t->b, &req, SGX_KEYPOLICY_MRSIGNER);
	get_key(t->b, &req, ksb);
	assert_memory_equal(ks, ksb, 16);
	assert_memory_not_equal(ks, k1, 16);
}

/* Each KEYREQUEST input of a seal key, changed alone, changes the key. */
static void test_egetkey_seal_inputs(void **state)
{
	struct enclu_env_opts opts = { .isvsvn = 3, .isvprodid = 7 };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_keyrequest base, req;
	uint8_t k0[16], k[16];

	env_eenter(env);
	seal_request(env, &base, SGX_KEYPOLICY_MRENCLAVE);
	get_key(env, &base, k0);
#define CHANGES(stmt)                                                       \
	do {                                                                \
		req = base;                                                 \
		stmt;                                                       \
		get_key(env, &req, k);                                      \
		if (!memcmp(k, k0, 16))                                     \
			fail_msg("%s does not change the seal key", #stmt); \
	} while (0)
	CHANGES(req.keyid[31] ^= 1);
	CHANGES(req.isvsvn = 2);
	CHANGES(req.cpusvn[0]--);
	CHANGES(req.attributemask.flags &= ~SGX_ATTR_MODE64BIT);
	CHANGES(req.attributemask.flags &= ~(1ULL << 40)); /* a bit the enclave does not have */
	CHANGES(req.attributemask.xfrm = 1);
	CHANGES(req.miscmask = 0);
	CHANGES(req.keypolicy = SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER);
	CHANGES(req.keypolicy = 0);
#undef CHANGES
	/* INIT and DEBUG are always bound: masking them out changes nothing but ATTRIBUTEMASK */
	req = base;
	req.attributemask.flags = ~(SGX_ATTR_INIT | SGX_ATTR_DEBUG);
	get_key(env, &req, k);
	assert_memory_not_equal(k, k0, 16);
	env_eexit(env);
	enclu_env_destroy(env);
}

static void test_egetkey_seal_status(void **state)
{
	struct enclu_env_opts opts = { .isvsvn = 3 };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_keyrequest req;
	uint8_t key[16];

	env_eenter(env);
	seal_request(env, &req, SGX_KEYPOLICY_MRENCLAVE);
	req.cpusvn[3]++;
	assert_int_equal(egetkey(env, &req, key), SGX_INVALID_CPUSVN);
	/* CPUSVN and ISVSVN both beyond: CPUSVN is checked first */
	req.isvsvn = 4;
	assert_int_equal(egetkey(env, &req, key), SGX_INVALID_CPUSVN);
	seal_request(env, &req, SGX_KEYPOLICY_MRENCLAVE);
	req.isvsvn = 4;
	assert_int_equal(egetkey(env, &req, key), SGX_INVALID_ISVSVN);
	/* Older SVNs are fine (that is how sealed data migrates forward) */
	seal_request(env, &req, SGX_KEYPOLICY_MRENCLAVE);
	req.isvsvn = 0;
	memset(req.cpusvn, 0, 16);
	assert_int_equal(egetkey(env, &req, key), 0);
	env_eexit(env);
	enclu_env_destroy(env);
}

static void test_egetkey_report_key(void **state)
{
	struct two *t = *state;
	struct sgx_keyrequest req;
	uint8_t k1[16], k2[16], kb[16];

	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_REPORT;
	/* No pre-checks: a CPUSVN or ISVSVN from the future does not matter */
	memset(req.cpusvn, 0xFF, 16);
	req.isvsvn = 0xFFFF;
	get_key(t->a, &req, k1);
	memset(req.cpusvn, 0, 16);
	req.isvsvn = 0;
	get_key(t->a, &req, k2);
	assert_memory_equal(k1, k2, 16);
	get_key(t->b, &req, kb);
	assert_memory_not_equal(k1, kb, 16);
	req.keyid[0] = 1;
	get_key(t->a, &req, k2);
	assert_memory_not_equal(k1, k2, 16);
}

static void test_egetkey_einittoken_status(void **state)
{
	struct two *t = *state;
	struct enclu_env_opts opts = { .attributes = SGX_ATTR_EINITTOKENKEY, .isvsvn = 1 };
	struct enclu_env *le;
	struct sgx_keyrequest req;
	uint8_t key[16];

	/* An enclave without the EINITTOKEN_KEY attribute */
	seal_request(t->a, &req, 0);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	assert_int_equal(egetkey(t->a, &req, key), SGX_INVALID_ATTRIBUTE);
	req.cpusvn[0]++; /* the attribute is checked first */
	assert_int_equal(egetkey(t->a, &req, key), SGX_INVALID_ATTRIBUTE);

	le = enclu_env_create(&opts);
	env_eenter(le);
	seal_request(le, &req, 0);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	assert_int_equal(egetkey(le, &req, key), 0);
	req.cpusvn[0]++;
	assert_int_equal(egetkey(le, &req, key), SGX_INVALID_CPUSVN);
	req.cpusvn[0]--;
	req.isvsvn = 2;
	assert_int_equal(egetkey(le, &req, key), SGX_INVALID_ISVSVN);
	env_eexit(le);
	enclu_env_destroy(le);
}

static void test_egetkey_provision(void **state)
{
	struct two *t = *state;
	struct enclu_env_opts opts = { .attributes = SGX_ATTR_PROVISIONKEY, .isvsvn = 1 };
	struct enclu_env *pce;
	struct sgx_keyrequest req;
	uint8_t kp[16], kp2[16], kps[16], kps2[16];

	for (uint16_t name = SGX_KEYNAME_PROVISION; name <= SGX_KEYNAME_PROVISION_SEAL; name++) {
		seal_request(t->a, &req, 0);
		req.keyname = name;
		assert_int_equal(egetkey(t->a, &req, kp), SGX_INVALID_ATTRIBUTE);
	}

	pce = enclu_env_create(&opts);
	env_eenter(pce);
	seal_request(pce, &req, 0);
	req.keyname = SGX_KEYNAME_PROVISION;
	get_key(pce, &req, kp);
	/* The provisioning key is the platform's: no KEYID, no owner epoch in it */
	req.keyid[0] ^= 0xFF;
	get_key(pce, &req, kp2);
	assert_memory_equal(kp, kp2, 16);
	req.cpusvn[15]++;
	assert_int_equal(egetkey(pce, &req, kp2), SGX_INVALID_CPUSVN);
	req.cpusvn[15]--;
	req.isvsvn = 2;
	assert_int_equal(egetkey(pce, &req, kp2), SGX_INVALID_ISVSVN);

	seal_request(pce, &req, 0);
	req.keyname = SGX_KEYNAME_PROVISION_SEAL;
	get_key(pce, &req, kps);
	assert_memory_not_equal(kp, kps, 16);
	req.keyid[0] ^= 0xFF;
	get_key(pce, &req, kps2);
	assert_memory_equal(kps, kps2, 16);
	req.isvsvn = 2;
	assert_int_equal(egetkey(pce, &req, kps2), SGX_INVALID_ISVSVN);
	env_eexit(pce);
	enclu_env_destroy(pce);
}

static void test_egetkey_invalid_keyname(void **state)
{
	struct two *t = *state;
	struct sgx_keyrequest req;
	uint8_t key[16];

	seal_request(t->a, &req, 0);
	req.keyname = 5;
	assert_int_equal(egetkey(t->a, &req, key), SGX_INVALID_KEYNAME);
	req.keyname = 0xFFFF;
	assert_int_equal(egetkey(t->a, &req, key), SGX_INVALID_KEYNAME);
}

static void assert_egetkey_fault(struct enclu_env *env, uint64_t kr, uint64_t out, uint8_t vector,
				 uint64_t addr, uint32_t ec)
{
	uint8_t page[4096];
	struct sgx_regs regs;
	struct sgx_fault fault;

	memcpy(page, env_kva(env, env->data), sizeof(page));
	env->regs.rax = EGETKEY;
	env->regs.rbx = kr;
	env->regs.rcx = out;
	regs = env->regs;
	assert_fault(sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault), &fault, vector, addr, ec);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_memory_equal(page, env_kva(env, env->data), sizeof(page));
}

static void test_egetkey_request_gp(void **state)
{
	struct two *t = *state;
	struct enclu_env *a = t->a;
	struct sgx_keyrequest req, *kr = (struct sgx_keyrequest *)env_kva(a, a->data + KR_OFF);
	const uint64_t in = a->data + KR_OFF, out = a->data + KEY_OFF;

	seal_request(a, &req, SGX_KEYPOLICY_MRENCLAVE);
#define GP_WITH(stmt)                                                \
	do {                                                         \
		*kr = req;                                           \
		stmt;                                                \
		assert_egetkey_fault(a, in, out, X86_TRAP_GP, 0, 0); \
	} while (0)
	GP_WITH(kr->reserved1 = 1);
	GP_WITH(kr->reserved2[433] = 1);
	GP_WITH(kr->keypolicy |= 1U << 6);
	GP_WITH(kr->keypolicy |= 1U << 15);
	/* KSS policies and CONFIGSVN without KSS */
	GP_WITH(kr->keypolicy |= SGX_KEYPOLICY_NOISVPRODID);
	GP_WITH(kr->keypolicy |= SGX_KEYPOLICY_CONFIGID);
	GP_WITH(kr->keypolicy |= SGX_KEYPOLICY_ISVFAMILYID);
	GP_WITH(kr->keypolicy |= SGX_KEYPOLICY_ISVEXTPRODID);
	GP_WITH(kr->configsvn = 1);
	/* #GP before any status: reserved bits and an invalid key name */
	GP_WITH((kr->reserved1 = 1, kr->keyname = 9));
	/* ...and before INVALID_ATTRIBUTE */
	GP_WITH((kr->configsvn = 1, kr->keyname = SGX_KEYNAME_PROVISION));
#undef GP_WITH
}

static void test_egetkey_operand_checks(void **state)
{
	struct two *t = *state;
	struct enclu_env *a = t->a;
	const uint64_t in = a->data + KR_OFF, out = a->data + KEY_OFF;
	const uint32_t U = X86_PF_USER, P = X86_PF_PROT, W = X86_PF_WRITE, S = X86_PF_SGX;
	struct sgx_keyrequest req;

	seal_request(a, &req, SGX_KEYPOLICY_MRENCLAVE);
	memcpy(env_kva(a, in), &req, sizeof(req));
	assert_egetkey_fault(a, in + 256, out, X86_TRAP_GP, 0, 0);
	assert_egetkey_fault(a, in, out + 8, X86_TRAP_GP, 0, 0);
	assert_egetkey_fault(a, a->base + ENV_SIZE, out, X86_TRAP_GP, 0, 0);
	assert_egetkey_fault(a, in, a->base - 16, X86_TRAP_GP, 0, 0);
	assert_egetkey_fault(a, a->free, out, X86_TRAP_PF, a->free, U);
	assert_egetkey_fault(a, in, a->free, X86_TRAP_PF, a->free, U | W);
	assert_egetkey_fault(a, in, a->code, X86_TRAP_PF, a->code, U | W | P);
	assert_egetkey_fault(a, a->tcs, out, X86_TRAP_PF, a->tcs, U | P | S);
	/* Order: alignment before ELRANGE; walks of both before either EPCM check */
	assert_egetkey_fault(a, a->base + ENV_SIZE, out + 8, X86_TRAP_GP, 0, 0);
	assert_egetkey_fault(a, a->tcs, a->free, X86_TRAP_PF, a->free, U | W);
	/* A pending page (EAUG) is not readable */
	{
		static struct sgx_pageinfo pginfo;
		sgx_paddr_t frame = cpu_fixture_alloc(a->f);

		pginfo.addr = a->free;
		pginfo.secs = a->e->secs;
		assert_int_equal(__eaug(a->f->lp, &pginfo, frame), 0);
		sgx_pt_set(a->cpu, a->free, frame, PROT_READ | PROT_WRITE);
		assert_egetkey_fault(a, a->free, out, X86_TRAP_PF, a->free, U | P | S);
		sgx_pt_clear(a->cpu, a->free);
		env_eexit(a); /* no EREMOVE while an LP is inside */
		assert_int_equal(__eremove(a->f->lp, frame), 0);
		cpu_fixture_free(a->f, frame);
	}
}

/* Key Separation and Sharing: the policies that bind KSS identities. */
static void test_egetkey_kss(void **state)
{
	struct enclu_env_opts opts = {
		.attributes = SGX_ATTR_KSS,
		.configsvn = 2,
		.isvprodid = 5,
		.config_id = { 1, 2, 3 },
		.isvfamilyid = { 4 },
		.isvextprodid = { 5 },
	};
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_keyrequest base, req;
	uint8_t k0[16], k[16];
	static const uint16_t policies[] = { SGX_KEYPOLICY_NOISVPRODID, SGX_KEYPOLICY_CONFIGID,
					     SGX_KEYPOLICY_ISVFAMILYID,
					     SGX_KEYPOLICY_ISVEXTPRODID };

	env_eenter(env);
	seal_request(env, &base, SGX_KEYPOLICY_MRSIGNER);
	get_key(env, &base, k0);
	for (unsigned int i = 0; i < 4; i++) {
		req = base;
		req.keypolicy |= policies[i];
		get_key(env, &req, k);
		assert_memory_not_equal(k, k0, 16);
	}
	/* CONFIGSVN is bound with the CONFIGID policy; above the SECS's it is refused */
	req = base;
	req.keypolicy |= SGX_KEYPOLICY_CONFIGID;
	req.configsvn = 1;
	get_key(env, &req, k0);
	req.configsvn = 2;
	get_key(env, &req, k);
	assert_memory_not_equal(k, k0, 16);
	req.configsvn = 3;
	assert_int_equal(egetkey(env, &req, k), SGX_INVALID_ISVSVN);
	/* The report carries the KSS identities */
	{
		struct sgx_targetinfo ti;
		struct sgx_report report;
		struct sgx_fault fault;
		uint8_t rd[64] = { 0 };

		targetinfo_of(env, &ti);
		assert_int_equal(ereport(env, &ti, rd, &report, &fault), 0);
		assert_int_equal(report.body.configsvn, 2);
		assert_int_equal(report.body.config_id[2], 3);
		assert_int_equal(report.body.isvfamilyid[0], 4);
		assert_int_equal(report.body.isvextprodid[0], 5);
		assert_true(report_verifies(env, &report));
	}
	env_eexit(env);
	enclu_env_destroy(env);
}

/* --- sealing across processor instances and processes ---------------------------------------- */

static void seal_key_with_seed(const char *seed, uint8_t key[16])
{
	struct enclu_env_opts opts = { .root_seed = seed };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_keyrequest req;

	env_eenter(env);
	/* MRENCLAVE policy: the signing key is generated per process, MRENCLAVE is not */
	seal_request(env, &req, SGX_KEYPOLICY_MRENCLAVE);
	get_key(env, &req, key);
	env_eexit(env);
	enclu_env_destroy(env);
}

static void test_seal_key_across_instances(void **state)
{
	uint8_t k1[16], k2[16], k3[16], k4[16];

	seal_key_with_seed("alpha", k1);
	seal_key_with_seed("alpha", k2);
	seal_key_with_seed("beta", k3);
	seal_key_with_seed(NULL, k4); /* a random root key */
	assert_memory_equal(k1, k2, 16);
	assert_memory_not_equal(k1, k3, 16);
	assert_memory_not_equal(k1, k4, 16);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void child_seal_key(const char *seed, char out[33])
{
	int fds[2];
	pid_t pid;
	int status;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl(self_exe, self_exe, "--seal-key", seed, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], out, 32);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, 32);
	out[32] = '\0';
}

static void test_seal_key_across_processes(void **state)
{
	uint8_t key[16];
	char mine[33], theirs[33], other[33];

	seal_key_with_seed("gamma", key);
	hex(key, 16, mine);
	child_seal_key("gamma", theirs);
	child_seal_key("delta", other);
	assert_string_equal(mine, theirs);
	assert_string_not_equal(mine, other);
}

/* --- the launch enclave's token key is what EINIT checks ------------------------------------ */

static void test_einittoken_key_accepted_by_einit(void **state)
{
	struct enclu_env_opts opts = { .attributes = SGX_ATTR_EINITTOKENKEY,
				       .isvprodid = 0x20,
				       .isvsvn = 4 };
	struct enclu_env *le = enclu_env_create(&opts);
	struct fixture_enclave *target = aligned_alloc(4096, (sizeof(*target) + 4095) & ~4095UL);
	const struct sgx_secs *le_secs = env_secs(le);
	struct sgx_einittoken *token;
	struct sgx_keyrequest req;
	EVP_PKEY *other_key;
	uint8_t mrenclave[32], key[16];
	char err[128];

	/* A target signed by someone else: with the MSRs on the LE's signer it needs a token. */
	fixture_enclave_init(target, le->f, SGX_ATTR_MODE64BIT);
	target->secs_image.base = 0x40000000ULL;
	fixture_enclave_build(target);
	sgx_measure_final(&target->measurement, mrenclave);
	other_key = sgxemu_generate_signing_key();
	assert_non_null(other_key);
	assert_int_equal(sgxemu_sign(&target->sign_fields, mrenclave, other_key, &target->sigstruct,
				     err, sizeof(err)),
			 0);
	EVP_PKEY_free(other_key);
	assert_int_equal(fixture_einit(target, le->f->lp), SGX_INVALID_EINITTOKEN);

	/* The LE asks for its token key and MACs a token, as the Intel LE does. */
	env_eenter(le);
	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	req.isvsvn = 4;
	memcpy(req.cpusvn, le->cpu->cpusvn, 16);
	req.attributemask.flags = ~0ULL;
	req.attributemask.xfrm = ~0ULL;
	req.miscmask = ~0U;
	assert_int_equal(RAND_bytes(req.keyid, sizeof(req.keyid)), 1);
	get_key(le, &req, key);

	token = &target->token;
	memset(token, 0, sizeof(*token));
	token->valid = 1;
	token->attributes = target->secs_image.attributes;
	memcpy(token->mrenclave, mrenclave, 32);
	sgx_sigstruct_mrsigner(&target->sigstruct, token->mrsigner);
	memcpy(token->cpusvnle, req.cpusvn, 16);
	token->isvprodidle = le_secs->isv_prod_id;
	token->isvsvnle = req.isvsvn;
	token->maskedattributesle.flags = (req.attributemask.flags | 3) & le_secs->attributes.flags;
	token->maskedattributesle.xfrm = req.attributemask.xfrm & le_secs->attributes.xfrm;
	token->maskedmiscselectle = req.miscmask & le_secs->miscselect;
	memcpy(token->keyid, req.keyid, 32);
	sgx_cmac(key, token, offsetof(struct sgx_einittoken, cpusvnle), token->mac);

	/* A token MACed with any other key is refused; the LE's is accepted. */
	token->mac[0] ^= 1;
	assert_int_equal(fixture_einit(target, le->f->lp), SGX_INVALID_EINITTOKEN);
	token->mac[0] ^= 1;
	assert_int_equal(fixture_einit(target, le->f->lp), 0);

	env_eexit(le);
	fixture_enclave_destroy(target);
	free(target);
	enclu_env_destroy(le);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ereport_fields),
		T(test_report_verifies_for_target_only),
		T(test_ereport_operand_checks),
		T(test_egetkey_seal),
		cmocka_unit_test(test_egetkey_seal_inputs),
		cmocka_unit_test(test_egetkey_seal_status),
		T(test_egetkey_report_key),
		T(test_egetkey_einittoken_status),
		T(test_egetkey_provision),
		T(test_egetkey_invalid_keyname),
		T(test_egetkey_request_gp),
		T(test_egetkey_operand_checks),
		cmocka_unit_test(test_egetkey_kss),
		cmocka_unit_test(test_seal_key_across_instances),
		cmocka_unit_test(test_seal_key_across_processes),
		cmocka_unit_test(test_einittoken_key_accepted_by_einit),
	};
#undef T

	self_exe = "/proc/self/exe";
	/* The helper process of test_seal_key_across_processes: print the seal key for a seed. */
	if (argc == 3 && !strcmp(argv[1], "--seal-key")) {
		uint8_t key[16];
		char text[33];

		seal_key_with_seed(argv[2], key);
		hex(key, 16, text);
		fputs(text, stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
