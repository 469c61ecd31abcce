// SPDX-License-Identifier: MIT
/*
 * A power cycle (S3/S4, hibernation, a VM migration): what the EPC loses (ref §7.1, §9; the
 * kernel side is ref/linux-sgx-subsystem.md's suspend/resume flow).
 *
 * The EPC's contents and the EPCM do not survive the memory-encryption key being regenerated:
 * every entry becomes invalid and every frame's storage is punched. CR_BASE_PK and
 * CR_REPORT_KEYID are new, so a blob written by EWB before the cycle fails its MAC at ELDU and
 * reports from before carry a stale KEYID. The launch-key MSRs come back at their reset value,
 * Intel's hash (the seed thread on the launch-key MSR cache is about exactly this).
 *
 * What stays: CR_NEXT_EID and the paging VERSION counter keep counting (a reused EID would find
 * the storage slice an old enclave's kernel object still holds; a reused VERSION is harmless
 * under a new key but costs nothing to avoid), and the CPU's page table, which is the OS's
 * memory on real hardware and which the kernel layer zaps on resume. Entries it still has point
 * at invalid EPCM entries, so an access faults with PFEC.SGX as on hardware.
 */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

/*
 * New random bytes for a CREG. OpenSSL's DRBG first, then the kernel's; if both fail (they do
 * not, in practice), the old value is hashed with the cycle number so that it still changes:
 * old blobs must never verify under the new key.
 */
static void regenerate(uint8_t *creg, size_t len, uint64_t cycle)
{
	uint8_t input[64 + sizeof(cycle)], digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;

	if (RAND_bytes(creg, (int)len) == 1)
		return;
	if (getrandom(creg, len, 0) == (ssize_t)len)
		return;
	pr_warn("no randomness for the power-cycle keys; deriving them\n");
	len = len < 32 ? len : 32;
	memcpy(input, creg, len);
	memcpy(input + len, &cycle, sizeof(cycle));
	if (EVP_Digest(input, len + sizeof(cycle), digest, &digest_len, EVP_sha256(), NULL))
		memcpy(creg, digest, len);
	else
		creg[0] ^= 0xFF; /* changed, whatever else fails */
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(input, sizeof(input));
}

void sgx_cpu_power_cycle(struct sgx_cpu *cpu)
{
	uint64_t cycle = __atomic_load_n(&cpu->power_cycles, __ATOMIC_RELAXED) + 1;

	/* The caller guarantees no leaf is in flight and no LP is in enclave mode. */
	for (uint64_t i = 0; i < cpu->nr_frames; i++) {
		struct sgx_epcm_entry *e = &cpu->epcm[i];
		struct sgx_frame *f = &cpu->frames[i];

		if (!__atomic_load_n(&e->valid, __ATOMIC_RELAXED) && !f->kva && !f->slice)
			continue;
		__atomic_store_n(&e->valid, 0, __ATOMIC_RELEASE);
		e->page_type = 0;
		e->rwx = 0;
		e->state = 0;
		e->secs = 0;
		e->linaddr = 0;
		e->bepoch = 0;
		sgx_frame_detach(cpu, i);
		f->measure_lock = 0;
		f->track_lock = 0;
	}

	regenerate(cpu->paging_key, sizeof(cpu->paging_key), cycle);
	regenerate(cpu->report_keyid, sizeof(cpu->report_keyid), cycle);
	sgx_lps_reset_msrs(cpu);
	/* Published last: an LP that sees the new count re-keys with the new key (paging_crypto.c). */
	__atomic_store_n(&cpu->power_cycles, cycle, __ATOMIC_RELEASE);
}

uint64_t sgx_cpu_power_cycles(const struct sgx_cpu *cpu)
{
	return __atomic_load_n(&cpu->power_cycles, __ATOMIC_ACQUIRE);
}
