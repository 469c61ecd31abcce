/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 ioctls (the kernel's ioctl.c, SGX2 half): SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
 * _MODIFY_TYPES and _REMOVE_PAGES, with the checks and errnos of ref §1.5 and the flows of §4.8,
 * and the ETRACK flow they share. Adding pages is not an ioctl: the fault handler EAUGs them
 * (encl.c).
 *
 * Each ioctl works page by page, taking the enclave lock for one page at a time. `count` reports
 * the bytes of the pages completed before the one that failed; the argument struct is written back
 * only once the page loop has been reached.
 *
 * EPCM changes and the "TLB". On hardware an EMODPR or EMODT takes effect for other logical
 * processors when the ETRACK flow's IPI makes them leave the enclave, flushing their TLBs; EACCEPT
 * succeeds only after that. Here the host PTEs play the TLB and an AEX does not drop them, so the
 * page's PTEs (host and CPU) are zapped after the leaf and *before* ETRACK: no thread can complete
 * tracking, and so no EACCEPT can succeed, while a translation made under the old EPCM survives.
 * The zap needs the runtime's address-space lock, above the enclave lock, so the page is taken off
 * the reclaimer's LRU (it and the SECS then stay resident) and the lock is dropped around it.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/uaccess.h"
#include "cpu/encls.h"
#include "kernel/encl.h"
#include "kernel/ioctl.h"
#include "kernel/sgx.h"

/* The kernel's SGX_PAGE_TYPE_MASK: SECINFO's page type is one byte. */
#define SGX_PAGE_TYPE_MASK 0xFFULL

/* sgx_ioc_sgx2_ready(): both checks come before the argument is even read. */
/* EMODPR or EMODT of entry's page on a logical processor, or the failure injected for it. */
static int sgx2_modify_page(struct sgx_platform *platform, unsigned int leaf,
			    struct sgx_secinfo *secinfo, struct sgx_encl_page *entry)
{
	sgx_paddr_t page = entry->epc_page->paddr;
	struct sgx_lp *lp;
	int err;

	if (sgx_inject_hit(platform, leaf, page, &err))
		return err;
	lp = sgx_get_lp(platform);
	err = leaf == EMODPR ? __emodpr(lp, secinfo, page) : __emodt(lp, secinfo, page);
	sgx_put_lp(lp);
	return err;
}

static int sgx_ioc_sgx2_ready(struct sgx_encl *encl)
{
	if (!encl->platform->have_sgx2)
		return -ENODEV;
	if (!sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		return -EINVAL;
	return 0;
}

/* --- the ETRACK flow ---------------------------------------------------------------------- */

/* ETRACK on the SECS (paging.c's, which counts it); enclave lock held. */
static int sgx_encl_etrack_locked(struct sgx_encl *encl)
{
	/*
	 * An evicted SECS means that no child page is resident: every page went through EWB, which
	 * itself required every change made to it to be tracked. Nothing is left to track.
	 */
	if (!encl->secs.epc_page)
		return 0;
	return sgx_encl_etrack(encl);
}

/*
 * The kernel's IPI is synchronous: on_each_cpu_mask() returns once every CPU of the enclave has
 * taken it. The runtime's kick is bounded (a stopped thread cannot answer) and also gives up
 * after its timeout on a thread that simply was not scheduled in time on a loaded machine. Kick
 * again while it times out, a bounded number of times: a slow thread is waited for, as the
 * kernel would; a stopped one costs SGX2_KICK_TRIES timeouts. -ETIMEDOUT if it never answered.
 */
#define SGX2_KICK_TRIES 5

static int sgx2_kick(struct sgx_encl *encl)
{
	for (unsigned int i = 0; i < SGX2_KICK_TRIES; i++)
		if (sgx_encl_kick(encl) != -ETIMEDOUT)
			return 0;
	return -ETIMEDOUT;
}

/*
 * The kernel runs this flow with the enclave mutex held, under which the reclaimer's ETRACKs run
 * too: nobody can start a tracking cycle between its ETRACK, its IPI and its second ETRACK, so the
 * second one fails only if the IPI did not reach everyone. Here the lock is dropped for the kick,
 * and the reclaimer may start a cycle of its own meanwhile, with threads inside that entered
 * after the kick; the second ETRACK then finds that cycle incomplete. So "ETRACK again" is tried
 * a few times, each after another kick, as long as the kicks reach every thread: that is the
 * kernel's atomic flow, not a different one. A kick that cannot make a thread leave ends it.
 */
#define SGX2_ETRACK_TRIES 8

int sgx_enclave_etrack(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;
	unsigned int tries;
	int ret;

	sgx_encl_lock(encl);
	ret = sgx_encl_etrack_locked(encl);
	sgx_encl_unlock(encl);
	if (ret) {
		/*
		 * ETRACK fails only when the previous tracking cycle is not finished (threads that
		 * were inside at the last ETRACK are still inside): kick them out and try again.
		 */
		if (sgx_platform_warn_first(platform, SGX_WARN_SGX2_ETRACK))
			sgx_log(SGX_LOG_ERR, "ETRACK returned %d (0x%x)", ret, ret);
		for (tries = 0; ret && tries < SGX2_ETRACK_TRIES; tries++) {
			bool kicked = !sgx2_kick(encl);

			sgx_encl_lock(encl);
			ret = sgx_encl_etrack_locked(encl);
			sgx_encl_unlock(encl);
			if (!kicked)
				break;
		}
		if (ret) {
			if (sgx_platform_warn_first(platform, SGX_WARN_SGX2_ETRACK_REPEAT))
				sgx_log(SGX_LOG_ERR, "ETRACK repeat returned %d (0x%x)", ret, ret);
			return -EFAULT;
		}
	}
	/*
	 * The kernel's IPI: every thread inside leaves (an AEX) and comes back in the new epoch.
	 * A thread that cannot be made to leave (stopped) keeps tracking from completing; the
	 * enclave's EACCEPT then answers SGX_NOT_TRACKED until it does, as on hardware with a CPU
	 * that never takes the IPI. The kernel does not look at the IPI's outcome either.
	 */
	sgx2_kick(encl);
	return 0;
}

/*
 * After EMODPR or EMODT on entry (enclave lock held): zap its PTEs, then run the ETRACK flow
 * (see the top of this file). Returns with the lock held again and the flow's result.
 */
static int sgx_encl_page_track(struct sgx_encl *encl, struct sgx_encl_page *entry)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_epc_page *epc_page = entry->epc_page;
	uint64_t addr = sgx_encl_page_addr(entry);
	bool held;
	int ret;

	/*
	 * Every resident child page is on the LRU between ioctls. If the reclaimer has already
	 * isolated this one it will write it back, and EWB needs the change tracked just the same.
	 */
	held = !sgx_unmark_page_reclaimable(platform, epc_page);
	sgx_encl_unlock(encl);

	sgx_encl_zap(encl, addr, addr + SGX_PAGE_SIZE);
	sgx_pause_point(&platform->pause, SGX_PAUSE_SGX2_TRACK, encl);
	ret = sgx_enclave_etrack(encl);

	sgx_encl_lock(encl);
	if (held)
		sgx_mark_page_reclaimable(platform, epc_page);
	return ret;
}

/* --- RESTRICT_PERMISSIONS ------------------------------------------------------------------ */

static long sgx_enclave_restrict_permissions(struct sgx_encl *encl,
					     struct sgx_enclave_restrict_permissions *modp)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_secinfo secinfo __attribute__((aligned(64)));
	struct sgx_encl_page *entry;
	uint64_t addr, c;
	long ret;
	int err;

	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = modp->permissions & SGX_SECINFO_PERMISSION_MASK;

	for (c = 0; c < modp->length; c += SGX_PAGE_SIZE) {
		addr = encl->base + modp->offset + c;

		/* Room for reloading the page, if it was evicted, before the lock is taken. */
		sgx_reclaim_direct(platform);
		sgx_encl_lock(encl);

		entry = sgx_encl_load_page(encl, addr);
		if (IS_ERR(entry)) {
			ret = PTR_ERR(entry) == -EBUSY ? -EAGAIN : -EFAULT;
			goto out_unlock;
		}

		/* EMODPR works on regular pages only; on any other it would #PF. */
		if (entry->type != SGX_PAGE_TYPE_REG) {
			ret = -EINVAL;
			goto out_unlock;
		}

		/*
		 * Apart from keeping R with W (checked before the loop), the requested bits are not
		 * vetted: EMODPR only removes permissions and ignores any it would have to add.
		 */
		err = sgx2_modify_page(platform, EMODPR, &secinfo, entry);
		if (encls_faulted(err)) {
			/* Unreachable by design: checked parameters, a REG page, no other ENCLS. */
			if (sgx_platform_warn_first(platform, SGX_WARN_EMODPR))
				sgx_log(SGX_LOG_ERR, "EMODPR encountered exception %d",
					SGX_ENCLS_FAULT_VECTOR(err));
			ret = -EFAULT;
			goto out_unlock;
		}
		if (err) {
			/* SGX_PAGE_NOT_MODIFIABLE (PENDING or MODIFIED), SGX_EPC_PAGE_CONFLICT. */
			modp->result = (uint64_t)err;
			ret = -EFAULT;
			goto out_unlock;
		}

		if (sgx_encl_page_track(encl, entry)) {
			ret = -EFAULT;
			goto out_unlock;
		}
		/* vm_max_prot_bits stays what it was: only the EPCM changed. */
		sgx_encl_unlock(encl);
	}
	ret = 0;
	goto out;

out_unlock:
	sgx_encl_unlock(encl);
out:
	modp->count = c;
	return ret;
}

long sgx_ioc_enclave_restrict_permissions(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_restrict_permissions params;
	long ret;

	ret = sgx_ioc_sgx2_ready(encl);
	if (ret)
		return ret;
	if (sgx_copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (sgx_validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.permissions & ~SGX_SECINFO_PERMISSION_MASK)
		return -EINVAL;
	/* EMODPR would #GP on W without R: refuse it before any page is touched. */
	if ((params.permissions & SGX_SECINFO_W) && !(params.permissions & SGX_SECINFO_R))
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;

	ret = sgx_enclave_restrict_permissions(encl, &params);

	if (sgx_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/* --- MODIFY_TYPES ------------------------------------------------------------------------- */

static long sgx_enclave_modify_types(struct sgx_encl *encl, struct sgx_enclave_modify_types *modt)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_secinfo secinfo __attribute__((aligned(64)));
	unsigned int page_type = (unsigned int)(modt->page_type & SGX_PAGE_TYPE_MASK);
	struct sgx_encl_page *entry;
	uint8_t max_prot_restore;
	uint64_t addr, c;
	long ret;
	int err;

	/* The only types EMODT can give a page. */
	if (page_type != SGX_PAGE_TYPE_TCS && page_type != SGX_PAGE_TYPE_TRIM)
		return -EINVAL;

	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = (uint64_t)page_type << SGX_SECINFO_PAGE_TYPE_SHIFT;

	for (c = 0; c < modt->length; c += SGX_PAGE_SIZE) {
		addr = encl->base + modt->offset + c;

		/* Room for reloading the page, if it was evicted, before the lock is taken. */
		sgx_reclaim_direct(platform);
		sgx_encl_lock(encl);

		entry = sgx_encl_load_page(encl, addr);
		if (IS_ERR(entry)) {
			ret = PTR_ERR(entry) == -EBUSY ? -EAGAIN : -EFAULT;
			goto out_unlock;
		}

		/* The SDM's transitions: REG -> TCS, REG -> TRIM, TCS -> TRIM (no CET pages). */
		if (!(entry->type == SGX_PAGE_TYPE_REG ||
		      (entry->type == SGX_PAGE_TYPE_TCS && page_type == SGX_PAGE_TYPE_TRIM))) {
			ret = -EINVAL;
			goto out_unlock;
		}

		max_prot_restore = entry->vm_max_prot_bits;

		/*
		 * A TCS stays a TCS (or is trimmed) and is always RW to the kernel, so its
		 * maximum protection becomes exactly RW: only a page vetted for both R and W may
		 * become one. Mappings with more (X) must refault and be refused, so the PTEs go
		 * now, with the lock dropped and the page kept from the reclaimer.
		 */
		if (entry->type == SGX_PAGE_TYPE_REG && page_type == SGX_PAGE_TYPE_TCS) {
			if (~entry->vm_max_prot_bits & (SGX_VM_READ | SGX_VM_WRITE)) {
				ret = -EPERM;
				goto out_unlock;
			}
			entry->vm_max_prot_bits = SGX_VM_READ | SGX_VM_WRITE;

			if (sgx_unmark_page_reclaimable(platform, entry->epc_page)) {
				ret = -EAGAIN;
				goto out_entry_changed;
			}
			sgx_encl_unlock(encl);
			sgx_encl_zap(encl, addr, addr + SGX_PAGE_SIZE);
			sgx_encl_lock(encl);
			sgx_mark_page_reclaimable(platform, entry->epc_page);
		}

		err = sgx2_modify_page(platform, EMODT, &secinfo, entry);
		if (encls_faulted(err)) {
			/* Unreachable by design: checked parameters and transitions. */
			if (sgx_platform_warn_first(platform, SGX_WARN_EMODT))
				sgx_log(SGX_LOG_ERR, "EMODT encountered exception %d",
					SGX_ENCLS_FAULT_VECTOR(err));
			ret = -EFAULT;
			goto out_entry_changed;
		}
		if (err) {
			modt->result = (uint64_t)err;
			ret = -EFAULT;
			goto out_entry_changed;
		}

		/*
		 * [quirk, as the kernel] If the ETRACK flow fails, neither the old maximum
		 * protection nor the kernel's idea of the type is updated, although the EPCM has
		 * the new type.
		 */
		if (sgx_encl_page_track(encl, entry)) {
			ret = -EFAULT;
			goto out_unlock;
		}

		entry->type = (uint16_t)page_type;
		sgx_encl_unlock(encl);
	}
	ret = 0;
	goto out;

out_entry_changed:
	entry->vm_max_prot_bits = max_prot_restore;
out_unlock:
	sgx_encl_unlock(encl);
out:
	modt->count = c;
	return ret;
}

long sgx_ioc_enclave_modify_types(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_modify_types params;
	long ret;

	ret = sgx_ioc_sgx2_ready(encl);
	if (ret)
		return ret;
	if (sgx_copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (sgx_validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.page_type & ~SGX_PAGE_TYPE_MASK)
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;

	ret = sgx_enclave_modify_types(encl, &params);

	if (sgx_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/* --- REMOVE_PAGES ------------------------------------------------------------------------- */

static long sgx_encl_remove_pages(struct sgx_encl *encl, struct sgx_enclave_remove_pages *params)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_secinfo secinfo __attribute__((aligned(64)));
	struct sgx_encl_page *entry;
	uint64_t addr, c;
	long ret;
	int err;

	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;

	for (c = 0; c < params->length; c += SGX_PAGE_SIZE) {
		addr = encl->base + params->offset + c;

		/* Room for reloading the page, if it was evicted, before the lock is taken. */
		sgx_reclaim_direct(platform);
		sgx_encl_lock(encl);

		entry = sgx_encl_load_page(encl, addr);
		if (IS_ERR(entry)) {
			ret = PTR_ERR(entry) == -EBUSY ? -EAGAIN : -EFAULT;
			goto out_unlock;
		}

		if (entry->type != SGX_PAGE_TYPE_TRIM) {
			ret = -EPERM;
			goto out_unlock;
		}

		/*
		 * EMODPR as a probe, changing nothing: on a TRIM page the enclave has not accepted
		 * yet (MODIFIED) it answers SGX_PAGE_NOT_MODIFIABLE; once accepted, the page is a
		 * TRIM page that EMODPR cannot touch at all: #PF. Only the #PF means "accepted".
		 */
		err = sgx2_modify_page(platform, EMODPR, &secinfo, entry);
		if (!encls_faulted(err) || SGX_ENCLS_FAULT_VECTOR(err) != X86_TRAP_PF) {
			ret = -EPERM;
			goto out_unlock;
		}

		/* Isolated by the reclaimer: it owns the page now. */
		if (sgx_unmark_page_reclaimable(platform, entry->epc_page)) {
			ret = -EBUSY;
			goto out_unlock;
		}

		sgx_encl_unlock(encl);
		sgx_encl_zap(encl, addr, addr + SGX_PAGE_SIZE);
		sgx_encl_lock(encl);

		/*
		 * A thread may have faulted the address in again while the lock was dropped (a TRIM
		 * page gets a CPU PTE but no host PTE): that translation goes with the frame.
		 */
		sgx_encl_pt_clear_page(encl, entry);
		sgx_encl_free_epc_page(platform, entry->epc_page);
		encl->secs_child_cnt--;
		entry->epc_page = NULL;
		sgx_pagemap_erase(&encl->page_array, entry->desc >> SGX_PAGE_SHIFT);
		/* [quirk, as the kernel] page_cnt goes down, but VA pages are never freed here. */
		sgx_encl_shrink(encl, NULL);
		free(entry);

		sgx_encl_unlock(encl);
	}
	ret = 0;
	goto out;

out_unlock:
	sgx_encl_unlock(encl);
out:
	params->count = c;
	return ret;
}

long sgx_ioc_enclave_remove_pages(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_remove_pages params;
	long ret;

	ret = sgx_ioc_sgx2_ready(encl);
	if (ret)
		return ret;
	if (sgx_copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (sgx_validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.count)
		return -EINVAL;

	ret = sgx_encl_remove_pages(encl, &params);

	if (sgx_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}
