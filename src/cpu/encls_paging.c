// SPDX-License-Identifier: MIT
/*
 * The paging leaves (ref/sgx-isa.md §3, §7): EPA, EBLOCK, ETRACK, EWB, ELDB and ELDU.
 *
 * The kernel's reclaimer drives them as EBLOCK -> ETRACK (+ kick the threads inside) -> EWB into
 * a VA slot, and its fault path as ELDU from the slot. Each leaf checks its operands in the
 * SDM's order, so the first violated check decides the answer: #GP for alignment and operand
 * shape, #PF(operand) for a non-EPC address or wrong EPCM state, a status code (ZF, or CF for
 * the informational ones) for the architectural refusals.
 *
 * Concurrency (ref §10): EPA, EWB and ELDx take their target page exclusively, EBLOCK and ETRACK
 * share it; EWB and ELDx also take the VA page exclusively (one slot read-modify-write at a time),
 * and ELDx of a child page shares its SECS. A lock that is taken answers at once: #GP, or
 * SGX_EPC_PAGE_CONFLICT for EBLOCK. ETRACK additionally serialises on the SECS's tracking
 * facility (frame->track_lock), which EBLOCK reads for SGX_ENTRYEPOCH_LOCKED.
 *
 * SDM ambiguities resolved here (see also docs/cpu-checks.md):
 *   - EBLOCK's SGX_ENTRYEPOCH_LOCKED: the SDM tests "ETRACK executing concurrently" before it
 *     knows the page's enclave. We test it once the page is known to be a valid blockable child
 *     (under the page lock, so the SECS is reliable), just before the BLOCKED test.
 *   - ELDx with RCX and RDX in the same page: the SDM lists it only for EWB. A destination that
 *     is its own VA page cannot be both invalid and a valid VA page; we answer #GP at the same
 *     point as EWB, which is also what the VA page's "being modified" check would give.
 *   - ELDB stamps the page's BEPOCH with the enclave's current epoch, as if EBLOCK had run, so an
 *     EWB straight after ELDB needs one ETRACK like any other blocked page (conservative; the
 *     SDM says nothing about tracking for ELDB).
 *   - #PF error codes for EPCM state: P | SGX, plus W for operands the leaf writes (the VA slot
 *     of EWB and ELDx, the destination of EPA and ELDx), as the other ENCLS leaves do.
 */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "common/uaccess.h"
#include "cpu/cpu_internal.h"

static inline bool page_aligned(uint64_t addr)
{
	return !(addr & (SGX_PAGE_SIZE - 1));
}

static inline bool is_child_type(unsigned int type)
{
	return type == SGX_PAGE_TYPE_REG || type == SGX_PAGE_TYPE_TCS ||
	       type == SGX_PAGE_TYPE_TRIM || type == SGX_PAGE_TYPE_SS_FIRST ||
	       type == SGX_PAGE_TYPE_SS_REST;
}

static inline bool epcm_valid(const struct sgx_epcm_entry *e)
{
	return __atomic_load_n(&e->valid, __ATOMIC_ACQUIRE);
}

static inline uint64_t *va_slot_ptr(struct sgx_cpu *cpu, uint64_t va_index, sgx_paddr_t va_slot)
{
	return (uint64_t *)(sgx_frame_kva(cpu, va_index) + (va_slot & (SGX_PAGE_SIZE - 1)));
}

/*
 * A whole page between a frame's storage and the LP's scratch page. pread/pwrite keep the page
 * out of the CPU's own mapping of the storage, so EWB's punch needs no TLB shootdown (see
 * sgx_frame_storage); kva is the fallback, and equivalent.
 */
static void frame_read(struct sgx_cpu *cpu, uint64_t index, uint8_t *buf)
{
	uint64_t offset;
	int fd = sgx_frame_storage(cpu, index, &offset);

	if (fd >= 0 && pread(fd, buf, SGX_PAGE_SIZE, (off_t)offset) == (ssize_t)SGX_PAGE_SIZE)
		return;
	memcpy(buf, sgx_frame_kva(cpu, index), SGX_PAGE_SIZE);
}

static void frame_write(struct sgx_cpu *cpu, uint64_t index, const uint8_t *buf)
{
	uint64_t offset;
	int fd = sgx_frame_storage(cpu, index, &offset);

	if (fd >= 0 && pwrite(fd, buf, SGX_PAGE_SIZE, (off_t)offset) == (ssize_t)SGX_PAGE_SIZE)
		return;
	memcpy(sgx_frame_kva(cpu, index), buf, SGX_PAGE_SIZE);
}

/* --- EPA ------------------------------------------------------------------------------------ */

int sgx_epa(struct sgx_lp *lp, uint64_t type, sgx_paddr_t page)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_epcm_entry *e;
	uint64_t index = 0;
	uint8_t *kva;
	int ret;

	if (type != SGX_PAGE_TYPE_VA || !page_aligned(page))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	e = sgx_epcm(cpu, index);
	if (epcm_valid(e)) {
		ret = sgx_encls_epcm_pf(lp, page, true);
		goto out;
	}
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EPA, page);

	kva = sgx_frame_attach_pool(cpu, index);
	memset(kva, 0, SGX_PAGE_SIZE); /* every slot empty */
	e->page_type = SGX_PAGE_TYPE_VA;
	e->rwx = 0;
	e->state = 0;
	e->secs = 0;
	e->linaddr = 0;
	e->bepoch = 0;
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
out:
	sgx_page_unlock_excl(cpu, index);
	return ret;
}

/* --- EBLOCK --------------------------------------------------------------------------------- */

/* Every failure of EBLOCK is a status code; the prologue has already cleared the flags. */
int sgx_eblock(struct sgx_lp *lp, sgx_paddr_t page)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_secs_hidden *h;
	struct sgx_epcm_entry *e;
	uint64_t index = 0, secs_index;
	uint8_t old;
	int ret;

	if (!page_aligned(page))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_shared(cpu, index))
		return sgx_encls_status(lp, SGX_EPC_PAGE_CONFLICT, false);
	e = sgx_epcm(cpu, index);
	if (!epcm_valid(e)) {
		ret = sgx_encls_status(lp, SGX_PG_INVLD, false);
		goto out;
	}
	if (!is_child_type(e->page_type)) {
		ret = sgx_encls_status(
			lp, e->page_type == SGX_PAGE_TYPE_SECS ? SGX_PG_IS_SECS : SGX_NOTBLOCKABLE,
			true);
		goto out;
	}
	secs_index = sgx_child_secs_index(cpu, e);
	if (__atomic_load_n(&cpu->frames[secs_index].track_lock, __ATOMIC_ACQUIRE)) {
		ret = sgx_encls_status(lp, SGX_ENTRYEPOCH_LOCKED, false);
		goto out;
	}
	if (__atomic_load_n(&e->state, __ATOMIC_RELAXED) & SGX_EPCM_BLOCKED) {
		ret = sgx_encls_status(lp, SGX_BLKSTATE, true);
		goto out;
	}
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EBLOCK, page);

	/*
	 * EBLOCK shares the page, so two of them may race here: the one that sets the bit stamps
	 * the epoch, the other reports BLKSTATE. The bit is set before the epoch is read (track.c
	 * explains why that order is the safe one against a concurrent ETRACK).
	 */
	old = __atomic_fetch_or(&e->state, SGX_EPCM_BLOCKED, __ATOMIC_SEQ_CST);
	if (old & SGX_EPCM_BLOCKED) {
		ret = sgx_encls_status(lp, SGX_BLKSTATE, true);
		goto out;
	}
	h = sgx_secs_hidden(cpu, secs_index);
	/* Atomic: the page is only shared here, and ENCLU reads EPCM entries without the lock. */
	__atomic_store_n(&e->bepoch, sgx_track_epoch(h), __ATOMIC_RELAXED);
out:
	sgx_page_unlock_shared(cpu, index);
	return ret;
}

/* --- ETRACK --------------------------------------------------------------------------------- */

int sgx_etrack(struct sgx_lp *lp, sgx_paddr_t secs)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_epcm_entry *e;
	uint64_t index = 0;
	int ret;

	if (!page_aligned(secs))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, secs, &index);
	if (ret)
		return ret;
	if (!sgx_page_trylock_shared(cpu, index))
		return sgx_encls_gp(lp);
	if (!sgx_trylock(&cpu->frames[index].track_lock)) {
		sgx_page_unlock_shared(cpu, index);
		return sgx_encls_gp(lp);
	}
	e = sgx_epcm(cpu, index);
	if (!epcm_valid(e) || e->page_type != SGX_PAGE_TYPE_SECS) {
		ret = sgx_encls_epcm_pf(lp, secs, false);
		goto out;
	}
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, ETRACK, secs);
	ret = sgx_encls_status(lp, sgx_track_start(sgx_secs_hidden(cpu, index)), false);
out:
	sgx_unlock(&cpu->frames[index].track_lock);
	sgx_page_unlock_shared(cpu, index);
	return ret;
}

/* --- EWB ------------------------------------------------------------------------------------ */

/*
 * Operand checks shared by EWB and ELDx, in the SDM's order: RBX 32-aligned and RCX 4K-aligned
 * (#GP), EPC(RCX), RDX 8-aligned (#GP), EPC(RDX), RCX and RDX in different pages (#GP), then
 * PAGEINFO is read and its PCMD (128) and SRCPGE (4K) pointers checked (#GP).
 */
static int paging_operands(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page,
			   sgx_paddr_t va_slot, struct sgx_pageinfo *pi, uint64_t *index,
			   uint64_t *va_index)
{
	int ret;

	if ((pageinfo & 31) || !page_aligned(page))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, page, index);
	if (ret)
		return ret;
	if (va_slot & 7)
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, va_slot, va_index);
	if (ret)
		return ret;
	if (*index == *va_index)
		return sgx_encls_gp(lp);
	ret = sgx_encls_read(lp, pi, pageinfo, sizeof(*pi));
	if (ret)
		return ret;
	if ((pi->metadata & 127) || !page_aligned(pi->contents))
		return sgx_encls_gp(lp);
	return 0;
}

/* Take the target page and the VA page exclusively, or answer #GP. */
static int lock_page_and_va(struct sgx_lp *lp, uint64_t index, uint64_t va_index)
{
	struct sgx_cpu *cpu = lp->cpu;

	if (!sgx_page_trylock_excl(cpu, index))
		return sgx_encls_gp(lp);
	if (!sgx_page_trylock_excl(cpu, va_index)) {
		sgx_page_unlock_excl(cpu, index);
		return sgx_encls_gp(lp);
	}
	return 0;
}

static void unlock_page_and_va(struct sgx_cpu *cpu, uint64_t index, uint64_t va_index)
{
	sgx_page_unlock_excl(cpu, va_index);
	sgx_page_unlock_excl(cpu, index);
}

static bool valid_va_page(struct sgx_cpu *cpu, uint64_t va_index)
{
	struct sgx_epcm_entry *va = sgx_epcm(cpu, va_index);

	return epcm_valid(va) && va->page_type == SGX_PAGE_TYPE_VA;
}

int sgx_ewb(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page, sgx_paddr_t va_slot)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_secs_hidden *owner = NULL;
	struct sgx_paging_header hdr;
	struct sgx_epcm_entry *e;
	struct sgx_pageinfo pi;
	struct sgx_pcmd pcmd;
	uint64_t index = 0, va_index = 0, header_eid, version, *slot;
	int ret;

	ret = paging_operands(lp, pageinfo, page, va_slot, &pi, &index, &va_index);
	if (ret)
		return ret;
	if (pi.addr || pi.secs)
		return sgx_encls_gp(lp);
	ret = lock_page_and_va(lp, index, va_index);
	if (ret)
		return ret;

	e = sgx_epcm(cpu, index);
	if (!epcm_valid(e)) {
		ret = sgx_encls_epcm_pf(lp, page, false);
		goto out;
	}
	if (!valid_va_page(cpu, va_index)) {
		ret = sgx_encls_epcm_pf(lp, va_slot, true);
		goto out;
	}

	memset(&pcmd, 0, sizeof(pcmd));
	if (is_child_type(e->page_type)) {
		owner = sgx_secs_hidden(cpu, sgx_child_secs_index(cpu, e));
		if (!(e->state & SGX_EPCM_BLOCKED)) {
			ret = sgx_encls_status(lp, SGX_PAGE_NOT_BLOCKED, false);
			goto out;
		}
		if (!sgx_track_done(owner, e->bepoch)) {
			ret = sgx_encls_status(lp, SGX_NOT_TRACKED, false);
			goto out;
		}
		header_eid = owner->eid;
		pcmd.enclave_id = owner->eid;
	} else if (e->page_type == SGX_PAGE_TYPE_SECS) {
		struct sgx_secs_hidden *h = sgx_secs_hidden(cpu, index);

		/* (VIRTCHILDCNT would count too under VMX EPC virtualisation, which is not modelled.) */
		if (__atomic_load_n(&h->chldcnt, __ATOMIC_ACQUIRE)) {
			ret = sgx_encls_status(lp, SGX_CHILD_PRESENT, false);
			goto out;
		}
		header_eid = 0;
		pcmd.enclave_id = h->eid;
	} else {
		/* PT_VA: no enclave, no handle. */
		header_eid = 0;
		pcmd.enclave_id = 0;
	}

	pcmd.secinfo.flags = ((uint64_t)e->page_type << SGX_SECINFO_PAGE_TYPE_SHIFT) |
			     (e->rwx & SGX_SECINFO_PERMISSION_MASK) |
			     (e->state & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED | SGX_EPCM_PR));
	sgx_paging_header_init(&hdr, header_eid, e->linaddr, &pcmd);
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EWB, page);

	version = sgx_paging_next_version(cpu);
	frame_read(cpu, index, lp->page_buf);
	if (sgx_paging_encrypt(lp, version, &hdr, lp->page_buf, lp->page_buf, pcmd.mac)) {
		ret = sgx_encls_gp(lp); /* OpenSSL out of memory: nothing was committed */
		goto out;
	}

	/*
	 * The outputs, in one system call; a #PF on any of them leaves the EPC untouched. If the
	 * batch fails, redo them in the SDM's order to find which one faults.
	 */
	{
		struct sgx_uiov out[] = {
			{ lp->page_buf, pi.contents, SGX_PAGE_SIZE },
			{ &pcmd, pi.metadata, sizeof(pcmd) },
			{ &e->linaddr, pageinfo + offsetof(struct sgx_pageinfo, addr),
			  sizeof(e->linaddr) },
		};

		if (sgx_encls_write_vec(lp, out, 3)) {
			for (unsigned int i = 0; i < 3 && !ret; i++)
				ret = sgx_encls_write(lp, out[i].uaddr, out[i].kaddr, out[i].n);
			if (ret)
				goto out;
		}
	}

	/* An occupied slot is reported with CF, and EWB completes anyway. */
	slot = va_slot_ptr(cpu, va_index, va_slot);
	if (*slot)
		ret = sgx_encls_status(lp, SGX_VA_SLOT_OCCUPIED, true);
	*slot = version;

	__atomic_store_n(&e->valid, 0, __ATOMIC_RELEASE);
	e->state = 0;
	if (owner)
		__atomic_sub_fetch(&owner->chldcnt, 1, __ATOMIC_RELEASE);
	sgx_frame_detach(cpu, index);
out:
	unlock_page_and_va(cpu, index, va_index);
	return ret;
}

/* --- ELDB / ELDU ---------------------------------------------------------------------------- */

int sgx_eldx(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page, sgx_paddr_t va_slot,
	     bool blocked)
{
	unsigned int leaf = blocked ? ELDB : ELDU;
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_secs_hidden *owner = NULL;
	struct sgx_paging_header hdr;
	struct sgx_epcm_entry *e;
	struct sgx_pageinfo pi;
	struct sgx_pcmd pcmd;
	uint64_t index = 0, va_index = 0, secs_index = 0, header_eid, *slot;
	unsigned int type;
	bool child, contents_read, secs_locked = false;
	uint8_t *kva;
	int ret;

	ret = paging_operands(lp, pageinfo, page, va_slot, &pi, &index, &va_index);
	if (ret)
		return ret;
	ret = lock_page_and_va(lp, index, va_index);
	if (ret)
		return ret;

	e = sgx_epcm(cpu, index);
	if (epcm_valid(e)) {
		ret = sgx_encls_epcm_pf(lp, page, true);
		goto out;
	}
	if (!valid_va_page(cpu, va_index)) {
		ret = sgx_encls_epcm_pf(lp, va_slot, true);
		goto out;
	}
	/*
	 * PCMD and SRCPGE in one system call. SRCPGE is read after the SECS checks in the SDM, so
	 * if the batch fails, PCMD is read alone now and SRCPGE alone after them: a fault is
	 * reported where the SDM reports it.
	 */
	{
		struct sgx_uiov in[] = {
			{ &pcmd, pi.metadata, sizeof(pcmd) },
			{ lp->page_buf, pi.contents, SGX_PAGE_SIZE },
		};

		contents_read = !sgx_encls_read_vec(lp, in, 2);
		if (!contents_read) {
			ret = sgx_encls_read(lp, &pcmd, pi.metadata, sizeof(pcmd));
			if (ret)
				goto out;
		}
	}

	type = sgx_secinfo_page_type(pcmd.secinfo.flags);
	child = is_child_type(type);
	if (child) {
		struct sgx_epcm_entry *se;

		if (!page_aligned(pi.secs)) {
			ret = sgx_encls_gp(lp);
			goto out;
		}
		ret = sgx_encls_epc(lp, pi.secs, &secs_index);
		if (ret)
			goto out;
		/* The SECS is shared while its child loads, so it cannot be evicted or removed. */
		if (!sgx_page_trylock_shared(cpu, secs_index)) {
			ret = sgx_encls_gp(lp);
			goto out;
		}
		secs_locked = true;
		se = sgx_epcm(cpu, secs_index);
		if (!epcm_valid(se) || se->page_type != SGX_PAGE_TYPE_SECS) {
			ret = sgx_encls_epcm_pf(lp, pi.secs, false);
			goto out_secs;
		}
		owner = sgx_secs_hidden(cpu, secs_index);
		header_eid = owner->eid;
	} else {
		/* SECS and VA pages have no parent, hence no EID binding and no PAGEINFO.SECS. */
		if (pi.secs) {
			ret = sgx_encls_gp(lp);
			goto out;
		}
		header_eid = 0;
	}

	if (!contents_read) {
		ret = sgx_encls_read(lp, lp->page_buf, pi.contents, SGX_PAGE_SIZE);
		if (ret)
			goto out_secs;
	}
	sgx_paging_header_init(&hdr, header_eid, pi.addr, &pcmd);
	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, leaf, page);

	/* An empty slot holds 0, a VERSION no blob was ever written with: the MAC fails. */
	slot = va_slot_ptr(cpu, va_index, va_slot);
	ret = sgx_paging_decrypt(lp, *slot, &hdr, lp->page_buf, lp->page_buf, pcmd.mac);
	if (ret < 0) {
		ret = sgx_encls_gp(lp);
		goto out_secs;
	}
	if (ret) {
		ret = sgx_encls_status(lp, SGX_MAC_COMPARE_FAIL, false);
		goto out_secs;
	}

	kva = child ? sgx_frame_attach_child(cpu, index, secs_index, pi.addr)
		    : sgx_frame_attach_pool(cpu, index);
	if (!kva) {
		/* No storage for the page (the host is out of memory): fault, commit nothing. */
		sgx_frame_detach(cpu, index);
		ret = sgx_encls_gp(lp);
		goto out_secs;
	}
	frame_write(cpu, index, lp->page_buf);
	if (type == SGX_PAGE_TYPE_SECS)
		sgx_secs_hidden(cpu, index)->enclavecontext = page;

	*slot = 0; /* each blob loads at most once */

	e->page_type = (uint8_t)type;
	e->rwx = pcmd.secinfo.flags & SGX_SECINFO_PERMISSION_MASK;
	e->state = pcmd.secinfo.flags & (SGX_EPCM_PENDING | SGX_EPCM_MODIFIED | SGX_EPCM_PR);
	e->secs = child ? pi.secs : 0;
	e->linaddr = pi.addr;
	e->bepoch = 0;
	if (blocked && child) {
		e->state |= SGX_EPCM_BLOCKED;
		e->bepoch = sgx_track_epoch(owner);
	}
	if (owner)
		__atomic_add_fetch(&owner->chldcnt, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
out_secs:
	if (secs_locked)
		sgx_page_unlock_shared(cpu, secs_index);
out:
	unlock_page_and_va(cpu, index, va_index);
	return ret;
}
