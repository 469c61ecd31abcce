// SPDX-License-Identifier: MIT
/*
 * Epoch tracking (ref/sgx-isa.md §7.4): how the processor knows that no logical processor can
 * still hold a TLB translation for a page that was blocked (EBLOCK) or restricted (EMODPR, EMODT).
 *
 * The SDM hides the algorithm ("tracking not correct"); this is the model of Costan & Devadas
 * §5.5, which is consistent with every public fact. Per SECS, in its hidden area:
 *
 *   epoch     the enclave's current epoch; ETRACK advances it
 *   cur_cnt   LPs inside the enclave that entered during `epoch`
 *   prev_cnt  LPs inside the enclave that entered during `epoch - 1`
 *
 * and per LP the epoch it entered in (struct sgx_tlp.entry_epoch). Because ETRACK refuses to
 * start a cycle while prev_cnt != 0 (SGX_PREV_TRK_INCMPL), every LP inside entered in `epoch` or
 * in `epoch - 1`, so the two counters account for all of them.
 *
 * A page stamped BEPOCH = b is "tracked" once no LP that could have cached a translation before
 * the stamp is still inside:
 *   - b == epoch: no ETRACK since the stamp, LPs that entered before it may still be inside;
 *   - b == epoch - 1: exactly one ETRACK since; tracked once everyone that was inside at that
 *     ETRACK (prev_cnt) has left;
 *   - b <= epoch - 2: at least two ETRACKs since; the second one started only when the first
 *     cycle's LPs had all left, so the page is tracked.
 *
 * These functions run in the runtime's signal handlers (EENTER/ERESUME/EEXIT/AEX) as well as in
 * ENCLS leaves, so the lock is a spinlock over a few instructions, never a mutex, and nothing
 * here allocates. The state lives inside the SECS page (DESIGN.md, docs/internals.md), so it is
 * carried by EWB/ELDU of the SECS and lost by a power cycle like everything else in the EPC.
 *
 * The enter/exit functions also own lps_inside (the number of LPs in enclave mode in this
 * enclave), which EREMOVE reads for SGX_ENCLAVE_ACT; it always equals cur_cnt + prev_cnt.
 */
#include "cpu/cpu_internal.h"

static inline void track_lock(struct sgx_secs_hidden *h)
{
	while (__atomic_exchange_n(&h->track_spin, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&h->track_spin, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	}
}

static inline void track_unlock(struct sgx_secs_hidden *h)
{
	__atomic_store_n(&h->track_spin, 0, __ATOMIC_RELEASE);
}

void sgx_track_enter(struct sgx_secs_hidden *h, struct sgx_tlp *tlp)
{
	track_lock(h);
	tlp->entry_epoch = h->epoch;
	h->cur_cnt++;
	/*
	 * seq_cst: EREMOVE raises `removing` and then reads lps_inside, an entry counts itself here
	 * and then reads `removing`; a full barrier on both sides means one always sees the other.
	 */
	__atomic_add_fetch(&h->lps_inside, 1, __ATOMIC_SEQ_CST);
	track_unlock(h);
}

void sgx_track_exit(struct sgx_secs_hidden *h, const struct sgx_tlp *tlp)
{
	track_lock(h);
	/*
	 * An LP inside entered in epoch or epoch - 1 (see the top of this file). Anything else is a
	 * caller bug (an exit without an enter); the counters are left alone rather than wrapped,
	 * since a wrapped counter would make tracking wait forever.
	 */
	if (tlp->entry_epoch == h->epoch && h->cur_cnt) {
		h->cur_cnt--;
	} else if (tlp->entry_epoch + 1 == h->epoch && h->prev_cnt) {
		h->prev_cnt--;
	} else {
		track_unlock(h);
		return;
	}
	__atomic_sub_fetch(&h->lps_inside, 1, __ATOMIC_SEQ_CST);
	track_unlock(h);
}

int sgx_track_start(struct sgx_secs_hidden *h)
{
	int ret = 0;

	track_lock(h);
	if (h->prev_cnt) {
		ret = SGX_PREV_TRK_INCMPL;
	} else {
		h->prev_cnt = h->cur_cnt;
		h->cur_cnt = 0;
		h->epoch++;
	}
	track_unlock(h);
	return ret;
}

uint64_t sgx_track_epoch(struct sgx_secs_hidden *h)
{
	uint64_t epoch;

	/*
	 * Under the lock, so that a stamp taken after the page's BLOCKED/PR/MODIFIED bit was set is
	 * ordered against a concurrent ETRACK: either the ETRACK saw the LPs that might hold the old
	 * translation (stamp < its new epoch), or the stamp is its new epoch and one more ETRACK is
	 * needed. Both are safe; the second is merely conservative.
	 */
	track_lock(h);
	epoch = h->epoch;
	track_unlock(h);
	return epoch;
}

bool sgx_track_done(struct sgx_secs_hidden *h, uint64_t bepoch)
{
	bool done;

	track_lock(h);
	if (bepoch >= h->epoch)
		done = false;
	else if (bepoch + 1 == h->epoch)
		done = h->prev_cnt == 0;
	else
		done = true;
	track_unlock(h);
	return done;
}
