/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_* (the kernel's ioctl.c): the checks in the order of ref §1.4-1.5, the flows of
 * §4.3-4.5. User memory is read with sgx_copy_{from,to}_user, so a bad pointer is EFAULT.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/log.h"
#include "common/uaccess.h"
#include "cpu/encls.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel/ioctl.h"
#include "kernel/launch.h"
#include "kernel/task.h"
#include "kernel/vma.h"

#define SGX_EINIT_SPIN_COUNT 20
#define SGX_EINIT_SLEEP_COUNT 50
#define SGX_EINIT_SLEEP_TIME 20

/* The kernel's SECINFO reserved mask: everything but R/W/X and the page type. */
#define SGX_KERNEL_SECINFO_RESERVED_MASK \
	(~(SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PAGE_TYPE_MASK))

static bool is_power_of_2(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* --- CREATE ------------------------------------------------------------------------------- */

static int sgx_encl_create(struct sgx_encl *encl, struct sgx_secs *secs)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_secinfo secinfo __attribute__((aligned(64)));
	struct sgx_pageinfo pginfo;
	struct sgx_encl_va_page *va_page;
	struct sgx_epc_page *secs_epc;
	uint64_t encl_size, backing_size;
	struct sgx_lp *lp;
	int ret;

	if (!is_power_of_2(secs->size))
		return -EINVAL;

	va_page = sgx_encl_grow(encl, true);
	if (IS_ERR(va_page))
		return PTR_ERR(va_page);
	else if (va_page)
		TAILQ_INSERT_HEAD(&encl->va_pages, va_page, list);
	/* else the tail page of the VA page list had free slots. */

	/*
	 * The backing store for evicted pages: SIZE plus the SECS, plus 1/32 for the PCMDs. The
	 * kernel creates the shmem file here and shmem refuses sizes above MAX_LFS_FILESIZE with
	 * EINVAL. The reclaimer creates its backing memfd when it first needs it (an fd per enclave
	 * is a resource the kernel does not spend), so only the size rule applies here.
	 */
	encl_size = secs->size + SGX_PAGE_SIZE;
	backing_size = encl_size + (encl_size >> 5);
	if (backing_size > (uint64_t)INT64_MAX) {
		ret = -EINVAL;
		goto err_out_shrink;
	}

	secs_epc = sgx_alloc_epc_page(platform, &encl->secs, SGX_EPC_OWNER_SECS, true);
	if (IS_ERR(secs_epc)) {
		ret = (int)PTR_ERR(secs_epc);
		goto err_out_shrink;
	}
	encl->secs.epc_page = secs_epc;

	memset(&secinfo, 0, sizeof(secinfo));
	pginfo.addr = 0;
	pginfo.contents = (uint64_t)(uintptr_t)secs;
	pginfo.metadata = (uint64_t)(uintptr_t)&secinfo;
	pginfo.secs = 0;

	if (!sgx_inject_hit(platform, ECREATE, secs_epc->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __ecreate(lp, &pginfo, secs_epc->paddr);
		sgx_put_lp(lp);
	}
	/* Every other SECS check is the CPU's; whatever it faults on is EIO. */
	if (ret) {
		ret = -EIO;
		goto err_out;
	}

	encl->slice = sgx_cpu_secs_slice(platform->cpu, secs_epc->paddr);
	if (!encl->slice) {
		ret = -ENOMEM;
		goto err_out;
	}

	if (secs->attributes.flags & SGX_ATTR_DEBUG)
		sgx_encl_set_flag(encl, SGX_ENCL_DEBUG);

	encl->secs.encl = encl;
	encl->secs.type = SGX_PAGE_TYPE_SECS;
	encl->base = secs->base;
	encl->size = secs->size;
	encl->attributes = secs->attributes.flags;
	encl->xfrm = secs->attributes.xfrm;
	encl->attributes_mask = SGX_ATTR_UNPRIV_MASK;
	encl->power_cycle = sgx_cpu_power_cycles(platform->cpu);

	/* Set only after completion, as encl->lock has not been taken. */
	sgx_encl_set_flag(encl, SGX_ENCL_CREATED);
	return 0;

err_out:
	sgx_encl_free_epc_page(platform, encl->secs.epc_page);
	encl->secs.epc_page = NULL;
err_out_shrink:
	sgx_encl_shrink(encl, va_page);
	return ret;
}

static long sgx_ioc_enclave_create(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_create create_arg;
	struct sgx_secs *secs;
	int ret;

	if (sgx_encl_test_flag(encl, SGX_ENCL_CREATED))
		return -EINVAL;
	if (sgx_copy_from_user(&create_arg, arg, sizeof(create_arg)))
		return -EFAULT;

	/* ECREATE wants the SECS source page-aligned: a kernel page, as kmalloc(PAGE_SIZE) gives. */
	secs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	if (!secs)
		return -ENOMEM;
	if (sgx_copy_from_user(secs, create_arg.src, SGX_PAGE_SIZE))
		ret = -EFAULT;
	else
		ret = sgx_encl_create(encl, secs);
	free(secs);
	return ret;
}

/* --- ADD_PAGES ---------------------------------------------------------------------------- */

int sgx_validate_offset_length(struct sgx_encl *encl, uint64_t offset, uint64_t length)
{
	if (offset & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	if (!length || (length & (SGX_PAGE_SIZE - 1)))
		return -EINVAL;
	if (offset + length < offset)
		return -EINVAL;
	if (offset + length - SGX_PAGE_SIZE >= encl->size)
		return -EINVAL;
	return 0;
}

static int sgx_validate_secinfo(const struct sgx_secinfo *secinfo)
{
	uint64_t perm = secinfo->flags & SGX_SECINFO_PERMISSION_MASK;
	uint64_t pt = secinfo->flags & SGX_SECINFO_PAGE_TYPE_MASK;

	if (pt != SGX_SECINFO_REG && pt != SGX_SECINFO_TCS)
		return -EINVAL;
	if ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R))
		return -EINVAL;
	/* The CPU would silently zero a TCS's permissions and change the measurement. */
	if (pt == SGX_SECINFO_TCS && perm)
		return -EINVAL;
	if (secinfo->flags & SGX_KERNEL_SECINFO_RESERVED_MASK)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(secinfo->reserved); i++) {
		if (secinfo->reserved[i])
			return -EINVAL;
	}
	return 0;
}

/* Per-ioctl scratch: the kernel's pinned source page and its VMA lookups. */
struct sgx_add_ctx {
	uint8_t *src_page; /* page aligned: EADD wants SRCPGE aligned */
	struct sgx_vma_cache vmas;
};

static int __sgx_encl_add_page(struct sgx_encl *encl, struct sgx_encl_page *encl_page,
			       struct sgx_epc_page *epc_page, struct sgx_secinfo *secinfo,
			       uint64_t src, struct sgx_add_ctx *ctx)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_pageinfo pginfo;
	struct sgx_vma vma;
	struct sgx_lp *lp;
	int ret;

	/* Deny noexec: the source must come from a mapping that could be executable. */
	ret = sgx_find_vma(&ctx->vmas, src, &vma);
	if (ret == -EFAULT)
		return -EFAULT;
	/* (If /proc cannot be read, get_user_pages below decides alone.) */
	if (!ret && !vma.mayexec)
		return -EACCES;

	/* get_user_pages(): the kernel pins the page; a copy is what EADD would read anyway. */
	if (sgx_copy_from_user(ctx->src_page, src, SGX_PAGE_SIZE))
		return -EFAULT;

	pginfo.secs = encl->secs.epc_page->paddr;
	pginfo.addr = encl_page->desc & SGX_ENCL_PAGE_ADDR_MASK;
	pginfo.metadata = (uint64_t)(uintptr_t)secinfo;
	pginfo.contents = (uint64_t)(uintptr_t)ctx->src_page;

	if (!sgx_inject_hit(platform, EADD, epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __eadd(lp, &pginfo, epc_page->paddr);
		sgx_put_lp(lp);
	}
	return ret ? -EIO : 0;
}

/* Measure the page: 16 EEXTENDs, one per 256-byte chunk. */
static int __sgx_encl_extend(struct sgx_encl *encl, struct sgx_epc_page *epc_page)
{
	struct sgx_platform *platform = encl->platform;
	sgx_paddr_t secs = encl->secs.epc_page->paddr;
	int ret = 0;

	for (uint64_t offset = 0; offset < SGX_PAGE_SIZE; offset += SGX_EEXTEND_BLOCK_SIZE) {
		if (!sgx_inject_hit(platform, EEXTEND, epc_page->paddr, &ret)) {
			struct sgx_lp *lp = sgx_get_lp(platform);

			ret = __eextend(lp, secs, epc_page->paddr + offset);
			sgx_put_lp(lp);
		}
		if (ret) {
			if (sgx_encls_failed(platform, ret) &&
			    sgx_platform_warn_first(platform, SGX_WARN_EEXTEND))
				sgx_log(SGX_LOG_WARNING, "EEXTEND returned %d (0x%x)", ret, ret);
			return -EIO;
		}
	}
	return 0;
}

static int sgx_encl_add_page(struct sgx_encl *encl, uint64_t src, uint64_t offset,
			     struct sgx_secinfo *secinfo, uint64_t flags, struct sgx_add_ctx *ctx)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_encl_page *encl_page;
	struct sgx_epc_page *epc_page;
	struct sgx_encl_va_page *va_page;
	int ret;

	encl_page = sgx_encl_page_alloc(encl, offset, secinfo->flags);
	if (IS_ERR(encl_page))
		return (int)PTR_ERR(encl_page);

	epc_page = sgx_alloc_epc_page(platform, encl_page, SGX_EPC_OWNER_ENCL_PAGE, true);
	if (IS_ERR(epc_page)) {
		free(encl_page);
		return (int)PTR_ERR(epc_page);
	}

	va_page = sgx_encl_grow(encl, true);
	if (IS_ERR(va_page)) {
		ret = (int)PTR_ERR(va_page);
		goto err_out_free;
	}

	sgx_encl_lock(encl);

	/* Adding to (and, on error, removing from) encl->va_pages happens under encl->lock. */
	if (va_page)
		TAILQ_INSERT_HEAD(&encl->va_pages, va_page, list);

	/*
	 * Insert before EADD: EADD extends MRENCLAVE and cannot be undone, so the step that can
	 * run out of memory goes first. -EBUSY: the page was already added.
	 */
	ret = sgx_pagemap_insert(&encl->page_array, encl_page->desc >> SGX_PAGE_SHIFT, encl_page);
	if (ret)
		goto err_out_unlock;

	ret = __sgx_encl_add_page(encl, encl_page, epc_page, secinfo, src, ctx);
	if (ret)
		goto err_out;

	/*
	 * Complete the "add" before the "extend", so that the page is whole even if EEXTEND fails
	 * and the enclave is then destroyed.
	 */
	encl_page->encl = encl;
	encl_page->epc_page = epc_page;
	encl_page->type = (uint16_t)sgx_secinfo_page_type(secinfo->flags);
	encl->secs_child_cnt++;

	sgx_pause_point(&platform->pause, SGX_PAUSE_ADD_PAGES_EXTEND, encl);

	if (flags & SGX_PAGE_MEASURE) {
		ret = __sgx_encl_extend(encl, epc_page);
		/*
		 * [quirk, as the kernel] secs_child_cnt stays incremented: the SECS of this enclave
		 * will then never be EREMOVEd at teardown (a WARN and a leaked SECS page).
		 */
		if (ret)
			goto err_out;
	}

	sgx_mark_page_reclaimable(platform, encl_page->epc_page);
	sgx_encl_unlock(encl);
	return 0;

err_out:
	sgx_pagemap_erase(&encl->page_array, encl_page->desc >> SGX_PAGE_SHIFT);
err_out_unlock:
	sgx_encl_shrink(encl, va_page);
	sgx_encl_unlock(encl);
err_out_free:
	sgx_encl_free_epc_page(platform, epc_page);
	free(encl_page);
	return ret;
}

static long sgx_ioc_enclave_add_pages(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_add_pages add_arg;
	struct sgx_secinfo secinfo;
	struct sgx_add_ctx ctx = { 0 };
	uint64_t c;
	int ret = 0;

	if (!sgx_encl_test_flag(encl, SGX_ENCL_CREATED) ||
	    sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		return -EINVAL;
	if (sgx_copy_from_user(&add_arg, arg, sizeof(add_arg)))
		return -EFAULT;
	if (add_arg.src & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	if (sgx_validate_offset_length(encl, add_arg.offset, add_arg.length))
		return -EINVAL;
	if (sgx_copy_from_user(&secinfo, add_arg.secinfo, sizeof(secinfo)))
		return -EFAULT;
	if (sgx_validate_secinfo(&secinfo))
		return -EINVAL;

	ctx.src_page = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	if (!ctx.src_page)
		return -ENOMEM;

	for (c = 0; c < add_arg.length; c += SGX_PAGE_SIZE) {
		if (sgx_signal_pending()) {
			/* Nothing done: restart; otherwise report the progress (partial success). */
			if (!c)
				ret = -ERESTARTSYS;
			break;
		}
		ret = sgx_encl_add_page(encl, add_arg.src + c, add_arg.offset + c, &secinfo,
					add_arg.flags, &ctx);
		if (ret)
			break;
		sgx_pause_point(&encl->platform->pause, SGX_PAUSE_ADD_PAGES_BETWEEN, encl);
	}
	free(ctx.src_page);

	add_arg.count = c;
	if (sgx_copy_to_user(arg, &add_arg, sizeof(add_arg)))
		return -EFAULT;
	return ret;
}

/* --- INIT --------------------------------------------------------------------------------- */

static int sgx_encl_init(struct sgx_encl *encl, struct sgx_sigstruct *sigstruct, void *token)
{
	struct sgx_platform *platform = encl->platform;
	uint64_t mrsigner[4];
	int ret = 0;

	/* Deny attributes (provisioning, the launch key) that were not explicitly allowed. */
	if (encl->attributes & ~encl->attributes_mask)
		return -EACCES;

	/*
	 * Check the SIGSTRUCT's requirements against what the platform could ever provide, for the
	 * bits the signer actually enforces (a signer may set AVX in XFRM and still load where AVX
	 * is missing, if XFRMMASK does not bind it).
	 */
	if (sigstruct->body.attributes.flags & sigstruct->body.attributes_mask.flags &
	    platform->attributes_reserved_mask)
		return -EINVAL;
	if ((uint64_t)(sigstruct->body.miscselect & sigstruct->body.misc_mask) &
	    platform->misc_reserved_mask)
		return -EINVAL;
	if (sigstruct->body.attributes.xfrm & sigstruct->body.attributes_mask.xfrm &
	    platform->xfrm_reserved_mask)
		return -EINVAL;

	/* MRSIGNER: SHA-256 of the modulus, as four little-endian words for the MSRs. */
	SHA256(sigstruct->modulus, SGX_MODULUS_SIZE, (unsigned char *)mrsigner);

	sgx_encl_lock(encl);
	/*
	 * EINIT is interruptible because it is slow: a pending interrupt makes it answer
	 * SGX_UNMASKED_EVENT so that the event can be serviced. Spin a little, then back off.
	 */
	for (int i = 0; i < SGX_EINIT_SLEEP_COUNT; i++) {
		for (int j = 0; j < SGX_EINIT_SPIN_COUNT; j++) {
			sgx_pause_point(&platform->pause, SGX_PAUSE_INIT_EINIT, encl);
			ret = sgx_launch_einit(platform, sigstruct, token,
					       encl->secs.epc_page->paddr, mrsigner);
			if (ret != SGX_UNMASKED_EVENT)
				break;
		}
		if (ret != SGX_UNMASKED_EVENT)
			break;

		sgx_pause_point(&platform->pause, SGX_PAUSE_INIT_SLEEP, encl);
		sgx_msleep_interruptible(SGX_EINIT_SLEEP_TIME);
		if (sgx_signal_pending()) {
			ret = -ERESTARTSYS;
			goto err_out;
		}
	}

	if (encls_faulted(ret)) {
		if (sgx_encls_failed(platform, ret) &&
		    sgx_platform_warn_first(platform, SGX_WARN_EINIT))
			sgx_log(SGX_LOG_WARNING, "EINIT returned %d (0x%x)", ret, ret);
		ret = -EIO;
	} else if (ret) {
		pr_debug("EINIT returned %d", ret);
		ret = -EPERM;
	} else {
		sgx_encl_set_flag(encl, SGX_ENCL_INITIALIZED);
	}
err_out:
	sgx_encl_unlock(encl);
	return ret;
}

static long sgx_ioc_enclave_init(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_sigstruct *sigstruct;
	struct sgx_enclave_init init_arg;
	void *token;
	long ret;

	if (!sgx_encl_test_flag(encl, SGX_ENCL_CREATED) ||
	    sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		return -EINVAL;
	if (sgx_copy_from_user(&init_arg, arg, sizeof(init_arg)))
		return -EFAULT;

	/*
	 * EINIT wants the SIGSTRUCT page aligned and the token 512-byte aligned: one kernel page
	 * holds both, the (all-zero) token at offset 2048.
	 */
	sigstruct = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	if (!sigstruct)
		return -ENOMEM;
	token = (uint8_t *)sigstruct + SGX_PAGE_SIZE / 2;
	memset(token, 0, SGX_LAUNCH_TOKEN_SIZE);

	if (sgx_copy_from_user(sigstruct, init_arg.sigstruct, sizeof(*sigstruct))) {
		ret = -EFAULT;
		goto out;
	}
	/*
	 * A legacy field: 0x8086 marked Intel's architectural enclaves. The CPU accepts only these
	 * two values and they mean nothing else, so anything else is refused here.
	 */
	if (sigstruct->header.vendor != 0x0000 && sigstruct->header.vendor != 0x8086) {
		ret = -EINVAL;
		goto out;
	}
	ret = sgx_encl_init(encl, sigstruct, token);
out:
	free(sigstruct);
	return ret;
}

/* --- PROVISION ---------------------------------------------------------------------------- */

static long sgx_ioc_enclave_provision(struct sgx_encl *encl, uint64_t arg)
{
	struct sgx_enclave_provision params;
	unsigned int fd;

	if (sgx_copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	/* sgx_set_attribute() takes the fd as an unsigned int. */
	fd = (unsigned int)params.fd;
	/* Not open, or not /dev/sgx_provision (file identity, not the path it came from). */
	if (sgx_fd_type((int)fd) != SGX_FILE_PROVISION)
		return -EINVAL;
	/*
	 * [quirk, as the kernel] No state check: before CREATE this is overwritten by CREATE, after
	 * INIT it no longer matters.
	 */
	__atomic_fetch_or(&encl->attributes_mask, SGX_ATTR_PROVISIONKEY, __ATOMIC_RELAXED);
	return 0;
}

/* --- the dispatcher ----------------------------------------------------------------------- */

long sgx_ioctl(struct sgx_encl *encl, unsigned int cmd, unsigned long arg)
{
	long ret;

	/* One ioctl at a time per enclave; a second one does not wait. */
	if (sgx_encl_test_and_set_flag(encl, SGX_ENCL_IOCTL))
		return -EBUSY;

	sgx_pause_point(&encl->platform->pause, SGX_PAUSE_IOCTL_ENTER, encl);

	switch (cmd) {
	case SGX_IOC_ENCLAVE_CREATE:
		ret = sgx_ioc_enclave_create(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_ADD_PAGES:
		ret = sgx_ioc_enclave_add_pages(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_INIT:
		ret = sgx_ioc_enclave_init(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_PROVISION:
		ret = sgx_ioc_enclave_provision(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS:
		ret = sgx_ioc_enclave_restrict_permissions(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_MODIFY_TYPES:
		ret = sgx_ioc_enclave_modify_types(encl, arg);
		break;
	case SGX_IOC_ENCLAVE_REMOVE_PAGES:
		ret = sgx_ioc_enclave_remove_pages(encl, arg);
		break;
	/* SGX_IOC_VEPC_REMOVE_ALL belongs to /dev/sgx_vepc: on an enclave it is unknown. */
	default:
		ret = -ENOIOCTLCMD;
		break;
	}

	sgx_encl_clear_flag(encl, SGX_ENCL_IOCTL);
	return ret;
}
