/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY (ref §6). Keys come from sgx_derive_key() over one KEYDEPENDENCIES layout,
 * so that EREPORT's MAC key for a target is exactly what the target gets from EGETKEY(REPORT),
 * and EGETKEY(EINITTOKEN) in a launch enclave is exactly what EINIT re-derives for its token.
 *
 * These are the only ENCLU leaves that allocate: OpenSSL's CMAC takes a context from the heap.
 * They are synchronous traps of enclave code, which holds no malloc or OpenSSL lock, so the
 * allocation cannot deadlock against the interrupted code.
 */
#include <string.h>

#include "cpu/enclu_internal.h"

#define TARGETINFO_ALIGN 512
#define REPORTDATA_ALIGN 128
#define REPORT_ALIGN 512
#define KEYREQUEST_ALIGN 512
#define KEY_ALIGN 16

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* An in-enclave data operand: walked and checked in the order the leaves use (see below). */
struct operand {
	uint64_t la;
	unsigned int access;
	uint64_t index;
};

/*
 * EREPORT and EGETKEY check all operands a step at a time: every alignment, then every ELRANGE
 * check (#GP), then every page walk (#PF), then every EPCM check (#PF with SGX).
 */
static int check_operands(struct sgx_tlp *tlp, struct operand *ops, unsigned int n,
			  const uint64_t *align, struct sgx_fault *fault)
{
	for (unsigned int i = 0; i < n; i++)
		if (ops[i].la & (align[i] - 1))
			return enclu_gp(fault);
	for (unsigned int i = 0; i < n; i++)
		if (!enclu_in_elrange(tlp, ops[i].la))
			return enclu_gp(fault);
	for (unsigned int i = 0; i < n; i++)
		if (enclu_walk(tlp->cpu, ops[i].la, ops[i].access, true, &ops[i].index, fault))
			return -1;
	for (unsigned int i = 0; i < n; i++)
		if (enclu_epcm_check(tlp, ops[i].la, ops[i].index, ops[i].access, fault))
			return -1;
	return 0;
}

/* --- EREPORT ------------------------------------------------------------------------------- */

static bool targetinfo_reserved_clear(const struct sgx_targetinfo *ti)
{
	/* CET is not implemented, so CET_ATTRIBUTES is reserved too. */
	return !ti->cet_attributes && !ti->reserved1 &&
	       all_zero(ti->reserved2, sizeof(ti->reserved2)) &&
	       all_zero(ti->reserved3, sizeof(ti->reserved3));
}

int sgx_ereport(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault)
{
	static const uint64_t align[3] = { TARGETINFO_ALIGN, REPORTDATA_ALIGN, REPORT_ALIGN };
	struct operand ops[3] = {
		{ regs->rbx, SGX_ACCESS_READ, 0 },
		{ regs->rcx, SGX_ACCESS_READ, 0 },
		{ regs->rdx, SGX_ACCESS_WRITE, 0 },
	};
	struct sgx_cpu *cpu = tlp->cpu;
	uint64_t secs_index = enclu_secs_index(tlp);
	const struct sgx_secs *secs = sgx_secs_page(cpu, secs_index);
	const struct sgx_secs_hidden *hidden = sgx_secs_hidden(cpu, secs_index);
	struct sgx_targetinfo ti;
	struct sgx_report report;
	struct sgx_keydep dep;
	uint8_t key[16];

	if (check_operands(tlp, ops, 3, align, fault))
		return -1;
	memcpy(&ti, enclu_kva(cpu, ops[0].index, ops[0].la), sizeof(ti));
	if (!targetinfo_reserved_clear(&ti))
		return enclu_gp(fault);

	memset(&report, 0, sizeof(report));
	memcpy(report.body.cpusvn, cpu->cpusvn, sizeof(report.body.cpusvn));
	report.body.miscselect = secs->miscselect;
	memcpy(report.body.isvextprodid, hidden->isvextprodid, sizeof(report.body.isvextprodid));
	report.body.attributes = secs->attributes;
	memcpy(report.body.mrenclave, secs->mrenclave, sizeof(report.body.mrenclave));
	memcpy(report.body.mrsigner, secs->mrsigner, sizeof(report.body.mrsigner));
	memcpy(report.body.config_id, secs->config_id, sizeof(report.body.config_id));
	report.body.isvprodid = secs->isv_prod_id;
	report.body.isvsvn = secs->isv_svn;
	report.body.configsvn = secs->config_svn;
	memcpy(report.body.isvfamilyid, hidden->isvfamilyid, sizeof(report.body.isvfamilyid));
	memcpy(report.body.reportdata, enclu_kva(cpu, ops[1].index, ops[1].la),
	       sizeof(report.body.reportdata));
	memcpy(report.keyid, cpu->report_keyid, sizeof(report.keyid));

	/* The target's report key: what the target's EGETKEY(REPORT) derives from its own SECS. */
	memset(&dep, 0, sizeof(dep));
	dep.keyname = SGX_KEYNAME_REPORT;
	memcpy(dep.owner_epoch, cpu->owner_epoch, sizeof(dep.owner_epoch));
	dep.attributes = ti.attributes;
	memcpy(dep.mrenclave, ti.measurement, sizeof(dep.mrenclave));
	memcpy(dep.keyid, cpu->report_keyid, sizeof(dep.keyid));
	memcpy(dep.seal_key_fuses, cpu->seal_fuses, sizeof(dep.seal_key_fuses));
	memcpy(dep.cpusvn, cpu->cpusvn, sizeof(dep.cpusvn));
	dep.miscselect = ti.miscselect;
	memcpy(dep.config_id, ti.config_id, sizeof(dep.config_id));
	dep.configsvn = ti.config_svn;
	/* Every initialized enclave's PADDING is the same fixed PKCS#1 pattern (EINIT checked it). */
	memcpy(dep.padding, hidden->padding, sizeof(dep.padding));
	sgx_derive_key(cpu, &dep, key);
	sgx_cmac(key, &report.body, sizeof(report.body), report.mac);
	memset(key, 0, sizeof(key));

	memcpy(enclu_kva(cpu, ops[2].index, ops[2].la), &report, sizeof(report));
	return 0;
}

/* --- EGETKEY ------------------------------------------------------------------------------- */

/* "CPUSVN beyond the current one" [model, ref §6]: some byte is above the processor's. */
static bool cpusvn_beyond(const uint8_t req[16], const uint8_t cur[16])
{
	for (int i = 0; i < 16; i++)
		if (req[i] > cur[i])
			return true;
	return false;
}

static void keydep_common(const struct sgx_secs_hidden *hidden, struct sgx_keydep *dep,
			  uint16_t keyname)
{
	memset(dep, 0, sizeof(*dep));
	dep->keyname = keyname;
	memcpy(dep->padding, hidden->padding, sizeof(dep->padding));
}

/* The identity fields a SEAL or PROVISION_SEAL key binds, as KEYPOLICY selects them. */
static void keydep_policy(struct sgx_keydep *dep, const struct sgx_keyrequest *req,
			  const struct sgx_secs *secs, const struct sgx_secs_hidden *hidden,
			  bool mr_policy)
{
	dep->isvprodid = (req->keypolicy & SGX_KEYPOLICY_NOISVPRODID) ? 0 : secs->isv_prod_id;
	if (mr_policy && (req->keypolicy & SGX_KEYPOLICY_MRENCLAVE))
		memcpy(dep->mrenclave, secs->mrenclave, sizeof(dep->mrenclave));
	if (mr_policy && (req->keypolicy & SGX_KEYPOLICY_MRSIGNER))
		memcpy(dep->mrsigner, secs->mrsigner, sizeof(dep->mrsigner));
	if (req->keypolicy & SGX_KEYPOLICY_ISVFAMILYID)
		memcpy(dep->isvfamilyid, hidden->isvfamilyid, sizeof(dep->isvfamilyid));
	if (req->keypolicy & SGX_KEYPOLICY_ISVEXTPRODID)
		memcpy(dep->isvextprodid, hidden->isvextprodid, sizeof(dep->isvextprodid));
	if (req->keypolicy & SGX_KEYPOLICY_CONFIGID) {
		memcpy(dep->config_id, secs->config_id, sizeof(dep->config_id));
		dep->configsvn = req->configsvn;
	}
	dep->keypolicy = req->keypolicy;
}

/*
 * Fills *dep for the requested key, or returns the status code that refuses it (ref §6 table).
 * The SDM lets the pre-checks run in any order; this is the order of its pseudocode.
 */
static int egetkey_keydep(const struct sgx_cpu *cpu, const struct sgx_keyrequest *req,
			  const struct sgx_secs *secs, const struct sgx_secs_hidden *hidden,
			  struct sgx_keydep *dep)
{
	struct sgx_attributes tmp_attr = {
		/* INIT and DEBUG are always bound */
		.flags = (req->attributemask.flags | SGX_ATTR_INIT | SGX_ATTR_DEBUG) &
			 secs->attributes.flags,
		.xfrm = req->attributemask.xfrm & secs->attributes.xfrm,
	};
	uint32_t tmp_misc = req->miscmask & secs->miscselect;

	switch (req->keyname) {
	case SGX_KEYNAME_SEAL:
		if (cpusvn_beyond(req->cpusvn, cpu->cpusvn))
			return SGX_INVALID_CPUSVN;
		if (req->isvsvn > secs->isv_svn || req->configsvn > secs->config_svn)
			return SGX_INVALID_ISVSVN;
		keydep_common(hidden, dep, SGX_KEYNAME_SEAL);
		keydep_policy(dep, req, secs, hidden, true);
		dep->attributes = tmp_attr;
		dep->attribute_mask = req->attributemask;
		memcpy(dep->owner_epoch, cpu->owner_epoch, sizeof(dep->owner_epoch));
		memcpy(dep->cpusvn, req->cpusvn, sizeof(dep->cpusvn));
		dep->isvsvn = req->isvsvn;
		memcpy(dep->keyid, req->keyid, sizeof(dep->keyid));
		memcpy(dep->seal_key_fuses, cpu->seal_fuses, sizeof(dep->seal_key_fuses));
		dep->miscselect = tmp_misc;
		dep->miscmask = ~req->miscmask;
		return 0;

	case SGX_KEYNAME_REPORT:
		keydep_common(hidden, dep, SGX_KEYNAME_REPORT);
		dep->attributes = secs->attributes;
		memcpy(dep->mrenclave, secs->mrenclave, sizeof(dep->mrenclave));
		dep->miscselect = secs->miscselect;
		memcpy(dep->config_id, secs->config_id, sizeof(dep->config_id));
		dep->configsvn = secs->config_svn;
		memcpy(dep->owner_epoch, cpu->owner_epoch, sizeof(dep->owner_epoch));
		memcpy(dep->cpusvn, cpu->cpusvn, sizeof(dep->cpusvn));
		memcpy(dep->keyid, req->keyid, sizeof(dep->keyid));
		memcpy(dep->seal_key_fuses, cpu->seal_fuses, sizeof(dep->seal_key_fuses));
		return 0;

	case SGX_KEYNAME_EINITTOKEN:
		if (!(secs->attributes.flags & SGX_ATTR_EINITTOKENKEY))
			return SGX_INVALID_ATTRIBUTE;
		if (cpusvn_beyond(req->cpusvn, cpu->cpusvn))
			return SGX_INVALID_CPUSVN;
		if (req->isvsvn > secs->isv_svn)
			return SGX_INVALID_ISVSVN;
		/* Exactly the fields EINIT rebuilds from the token (ref §5). */
		keydep_common(hidden, dep, SGX_KEYNAME_EINITTOKEN);
		dep->attributes = tmp_attr;
		memcpy(dep->owner_epoch, cpu->owner_epoch, sizeof(dep->owner_epoch));
		memcpy(dep->cpusvn, req->cpusvn, sizeof(dep->cpusvn));
		dep->isvsvn = req->isvsvn;
		dep->isvprodid = secs->isv_prod_id;
		memcpy(dep->mrsigner, secs->mrsigner, sizeof(dep->mrsigner));
		memcpy(dep->keyid, req->keyid, sizeof(dep->keyid));
		memcpy(dep->seal_key_fuses, cpu->seal_fuses, sizeof(dep->seal_key_fuses));
		dep->miscselect = tmp_misc;
		return 0;

	case SGX_KEYNAME_PROVISION:
	case SGX_KEYNAME_PROVISION_SEAL:
		if (!(secs->attributes.flags & SGX_ATTR_PROVISIONKEY))
			return SGX_INVALID_ATTRIBUTE;
		if (cpusvn_beyond(req->cpusvn, cpu->cpusvn))
			return SGX_INVALID_CPUSVN;
		if (req->isvsvn > secs->isv_svn)
			return SGX_INVALID_ISVSVN;
		if (req->keyname == SGX_KEYNAME_PROVISION_SEAL && req->configsvn > secs->config_svn)
			return SGX_INVALID_ISVSVN;
		keydep_common(hidden, dep, req->keyname);
		dep->attributes = tmp_attr;
		dep->attribute_mask = req->attributemask;
		memcpy(dep->cpusvn, req->cpusvn, sizeof(dep->cpusvn));
		dep->isvsvn = req->isvsvn;
		dep->isvprodid = secs->isv_prod_id;
		memcpy(dep->mrsigner, secs->mrsigner, sizeof(dep->mrsigner));
		dep->miscselect = tmp_misc;
		dep->miscmask = ~req->miscmask;
		/*
		 * PROVISION is the platform's identity: no OWNEREPOCH, no fuses, no KEYID, so it
		 * survives an owner change. PROVISION_SEAL adds the fuses and the KSS policy fields.
		 */
		if (req->keyname == SGX_KEYNAME_PROVISION_SEAL) {
			memcpy(dep->seal_key_fuses, cpu->seal_fuses, sizeof(dep->seal_key_fuses));
			keydep_policy(dep, req, secs, hidden, false);
		}
		return 0;

	default:
		return SGX_INVALID_KEYNAME;
	}
}

int sgx_egetkey(struct sgx_tlp *tlp, struct sgx_regs *regs, struct sgx_fault *fault)
{
	static const uint64_t align[2] = { KEYREQUEST_ALIGN, KEY_ALIGN };
	struct operand ops[2] = {
		{ regs->rbx, SGX_ACCESS_READ, 0 },
		{ regs->rcx, SGX_ACCESS_WRITE, 0 },
	};
	struct sgx_cpu *cpu = tlp->cpu;
	uint64_t secs_index = enclu_secs_index(tlp);
	const struct sgx_secs *secs = sgx_secs_page(cpu, secs_index);
	const struct sgx_secs_hidden *hidden = sgx_secs_hidden(cpu, secs_index);
	struct sgx_keyrequest req;
	struct sgx_keydep dep;
	uint8_t key[16];
	int code;

	if (check_operands(tlp, ops, 2, align, fault))
		return -1;
	memcpy(&req, enclu_kva(cpu, ops[0].index, ops[0].la), sizeof(req));
	if (req.reserved1 || !all_zero(req.reserved2, sizeof(req.reserved2)) ||
	    (req.keypolicy & SGX_KEYPOLICY_RESERVED_MASK))
		return enclu_gp(fault);
	if (!(secs->attributes.flags & SGX_ATTR_KSS) &&
	    ((req.keypolicy & SGX_KEYPOLICY_KSS_MASK) || req.configsvn))
		return enclu_gp(fault);

	code = egetkey_keydep(cpu, &req, secs, hidden, &dep);
	if (code) {
		enclu_status(regs, code);
		return 0;
	}
	sgx_derive_key(cpu, &dep, key);
	memcpy(enclu_kva(cpu, ops[1].index, ops[1].la), key, sizeof(key));
	memset(key, 0, sizeof(key));
	enclu_status(regs, 0);
	return 0;
}
