// SPDX-License-Identifier: MIT
/*
 * Local attestation (ref/sgx-isa.md §6). The reporting enclave EREPORTs for a target: the CPU MACs
 * the REPORT body with the target's report key. The target derives the same key with EGETKEY
 * (KEYNAME = REPORT, KEYID from the report) and recomputes the AES-128-CMAC over bytes 0..383.
 * Only the target enclave on the same CPU (same boot) can derive that key, so a matching MAC
 * proves the report came from an enclave on this platform, with the identity the body states.
 */
#include "crypto/aes128.h"
#include "enclave.h"

void hello_ereport(const struct sgx_targetinfo *ti, const uint8_t reportdata[64],
		   struct sgx_report *out)
{
	/* EREPORT's operands: TARGETINFO and REPORT 512-aligned, REPORTDATA 128-aligned. */
	struct sgx_targetinfo target __attribute__((aligned(512)));
	uint8_t data[64] __attribute__((aligned(128)));
	struct sgx_report report __attribute__((aligned(512)));

	if (ti)
		memcpy(&target, ti, sizeof(target));
	else
		memset(&target, 0, sizeof(target));
	if (reportdata)
		memcpy(data, reportdata, sizeof(data));
	else
		memset(data, 0, sizeof(data));
	hello_enclu(EREPORT, (uint64_t)&target, (uint64_t)data, (uint64_t)&report, NULL);
	memcpy(out, &report, sizeof(report));
}

int64_t hello_self_target(struct hello_target *t)
{
	struct sgx_targetinfo ti;
	struct sgx_report self;

	/* Our own identity, from a report for no one (its MAC is of no use, its body is). */
	hello_ereport(NULL, NULL, &self);
	memset(&ti, 0, sizeof(ti));
	memcpy(ti.measurement, self.body.mrenclave, sizeof(ti.measurement));
	ti.attributes = self.body.attributes;
	ti.miscselect = self.body.miscselect;
	ti.config_svn = self.body.configsvn;
	memcpy(ti.config_id, self.body.config_id, sizeof(ti.config_id));
	memcpy(t->targetinfo, &ti, sizeof(ti));
	return HELLO_OK;
}

int64_t hello_report(struct hello_report *r)
{
	struct sgx_targetinfo ti;
	struct sgx_report report;

	memcpy(&ti, r->targetinfo, sizeof(ti));
	hello_ereport(&ti, r->reportdata, &report);
	memcpy(r->report, &report, sizeof(report));
	return HELLO_OK;
}

int64_t hello_verify(struct hello_report *r)
{
	struct sgx_keyrequest req __attribute__((aligned(512)));
	uint8_t key[16] __attribute__((aligned(16)));
	struct sgx_report report;
	uint8_t mac[16];
	int zf, ok;

	memcpy(&report, r->report, sizeof(report));
	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_REPORT;
	memcpy(req.keyid, report.keyid, sizeof(req.keyid));
	hello_enclu(EGETKEY, (uint64_t)&req, (uint64_t)key, 0, &zf);
	if (zf)
		return HELLO_ERR_KEY;

	aes128_cmac(key, &report.body, sizeof(report.body), mac);
	ok = crypto_equal(mac, report.mac, sizeof(mac));
	crypto_wipe(key, sizeof(key));
	return ok ? HELLO_OK : HELLO_ERR_MAC;
}
