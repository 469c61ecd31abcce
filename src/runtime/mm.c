/* SPDX-License-Identifier: MIT */
/*
 * The MMU for enclave mappings (see mm.h and docs/internals.md).
 *
 * A VMA here is what the application asked for with one mmap of an enclave fd. Its ELRANGE part
 * is a MAP_SHARED mapping of the enclave's storage slice at offset (addr - base), registered with
 * userfaultfd (MISSING|MINOR, SIGBUS mode): a page without a host PTE faults into sgx_mm_fault(),
 * which asks the kernel layer and installs the PTE with UFFDIO_CONTINUE. Parts outside ELRANGE,
 * and whole mappings made before SGX_IOC_ENCLAVE_CREATE, map an empty memfd instead, so that an
 * access is a SIGBUS, as the kernel's fault handler answers for an address without a page.
 *
 * Locking: mm_lock is the runtime address-space lock of DESIGN.md's lock order, above the
 * enclave lock.
 */
#include "runtime/mm.h"

#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "cpu/enclu.h"
#include "kernel/encl.h"
#include "kernel/err.h"
#include "kernel/lockdep.h"
#include "kernel/mm.h"
#include "runtime/mm_internal.h"
#include "runtime/runtime.h"

#define PAGE_SIZE 4096ULL
#define PAGE_MASK (~(PAGE_SIZE - 1))

struct sgx_vma {
	uint64_t start;
	uint64_t end;
	unsigned long vm_flags;	 /* the application's PROT_READ/WRITE/EXEC */
	struct sgx_encl *encl;	 /* a reference, as a VMA holds its file */
	/* The part of [start, end) that maps the enclave's storage (empty until attached). */
	uint64_t storage_start;
	uint64_t storage_end;
	/* Some page got a host protection below vm_flags (the EPCM allows less). */
	bool lowered;
	TAILQ_ENTRY(sgx_vma) link;
};

TAILQ_HEAD(sgx_vma_list, sgx_vma);

static struct {
	pthread_rwlock_t lock;
	struct sgx_vma_list vmas; /* sorted by start, non-overlapping */
	int hole_fd;		  /* an empty memfd: any access to a mapping of it is SIGBUS */
} mm = {
	/* Writers (zaps) must get in between the faults of busy threads. */
	.lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP,
	.vmas = TAILQ_HEAD_INITIALIZER(mm.vmas),
	.hole_fd = -1,
};

static void mm_read_lock(void)
{
	sgx_lockdep_acquire(SGX_LOCK_MM);
	pthread_rwlock_rdlock(&mm.lock);
}

static void mm_write_lock(void)
{
	sgx_lockdep_acquire(SGX_LOCK_MM);
	pthread_rwlock_wrlock(&mm.lock);
}

static void mm_unlock(void)
{
	pthread_rwlock_unlock(&mm.lock);
	sgx_lockdep_release(SGX_LOCK_MM);
}

static struct sgx_vma *find_vma(uint64_t addr)
{
	struct sgx_vma *vma;

	TAILQ_FOREACH (vma, &mm.vmas, link) {
		if (addr < vma->start)
			return NULL;
		if (addr < vma->end)
			return vma;
	}
	return NULL;
}

static void insert_vma(struct sgx_vma *new)
{
	struct sgx_vma *vma;

	TAILQ_FOREACH (vma, &mm.vmas, link) {
		if (vma->start > new->start) {
			TAILQ_INSERT_BEFORE(vma, new, link);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&mm.vmas, new, link);
}

static int hole_fd(void)
{
	if (mm.hole_fd < 0)
		mm.hole_fd = memfd_create("sgxemu-hole", MFD_CLOEXEC);
	return mm.hole_fd;
}

static int uffd_register(uint64_t start, uint64_t end)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR,
	};

	if (ioctl(sgx_runtime_uffd(), UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/*
 * Maps the enclave's storage over the ELRANGE part of vma, if the enclave has been created.
 * Called with mm.lock held for writing.
 */
static int attach_storage(struct sgx_vma *vma)
{
	uint64_t base, size, start, end;
	void *p;
	int fd, ret;

	if (vma->storage_start != vma->storage_end)
		return 0;
	ret = sgx_encl_storage(vma->encl, &fd, &base, &size);
	if (ret)
		return ret;
	start = vma->start > base ? vma->start : base;
	end = vma->end < base + size ? vma->end : base + size;
	if (start >= end)
		return -ENOENT; /* no part of this mapping is inside ELRANGE */
	/* Atomically replaces the placeholder: the range is never unmapped in between. */
	p = mmap((void *)start, end - start, (int)vma->vm_flags, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)(start - base));
	if (p == MAP_FAILED)
		return -errno;
	ret = uffd_register(start, end);
	if (ret) {
		mmap((void *)start, end - start, (int)vma->vm_flags, MAP_SHARED | MAP_FIXED,
		     hole_fd(), 0);
		pr_warn("runtime: userfaultfd registration of %#llx-%#llx failed (%d)",
			(unsigned long long)start, (unsigned long long)end, ret);
		return ret;
	}
	vma->storage_start = start;
	vma->storage_end = end;
	return 0;
}

/* Splits vma at `at` (strictly inside it); the new VMA is [at, end). Called with the write lock. */
static struct sgx_vma *split_vma(struct sgx_vma *vma, uint64_t at)
{
	struct sgx_vma *tail = malloc(sizeof(*tail));

	if (!tail)
		return NULL;
	*tail = *vma;
	tail->start = at;
	vma->end = at;
	if (vma->storage_start != vma->storage_end) {
		/* Keep each piece's storage range inside the piece (it may become empty). */
		tail->storage_start = tail->storage_start > at ? tail->storage_start : at;
		vma->storage_end = vma->storage_end < at ? vma->storage_end : at;
		if (tail->storage_start >= tail->storage_end)
			tail->storage_start = tail->storage_end = 0;
		if (vma->storage_start >= vma->storage_end)
			vma->storage_start = vma->storage_end = 0;
	}
	sgx_encl_get(tail->encl);
	TAILQ_INSERT_AFTER(&mm.vmas, vma, tail, link);
	return tail;
}

/*
 * Makes start and end VMA boundaries and calls fn on every VMA piece inside [start, end).
 * fn may remove the piece it is given. Returns -ENOMEM if a split failed (nothing was called).
 */
static int for_each_vma_piece(uint64_t start, uint64_t end,
			      void (*fn)(struct sgx_vma *vma, void *arg), void *arg)
{
	struct sgx_vma *vma, *next;

	TAILQ_FOREACH (vma, &mm.vmas, link) {
		if (vma->start < start && vma->end > start && !split_vma(vma, start))
			return -ENOMEM;
		if (vma->start < end && vma->end > end && !split_vma(vma, end))
			return -ENOMEM;
	}
	for (vma = TAILQ_FIRST(&mm.vmas); vma; vma = next) {
		next = TAILQ_NEXT(vma, link);
		if (vma->start >= start && vma->end <= end)
			fn(vma, arg);
	}
	return 0;
}

static void forget_vma(struct sgx_vma *vma, void *arg)
{
	/* The CPU's PTEs of this mapping go with it; the host's go with the munmap/mmap. */
	sgx_encl_unmap(vma->encl, vma->start, vma->end);
	TAILQ_REMOVE(&mm.vmas, vma, link);
	sgx_encl_put(vma->encl);
	free(vma);
}

/* Drops the records of enclave mappings in [start, end), which the caller is replacing. */
static int forget_range_locked(uint64_t start, uint64_t end)
{
	return for_each_vma_piece(start, end, forget_vma, NULL);
}

/* --- mmap, mprotect, munmap -------------------------------------------------------------- */

static unsigned long prot_to_vm(int prot)
{
	return (unsigned long)prot & SGX_VM_ACCESS_FLAGS;
}

__attribute__((visibility("default"))) void *sgxemu_mmap(void *addr, size_t len, int prot,
							  int flags, int fd, off_t offset)
{
	struct sgx_encl *encl;
	struct sgx_vma *vma;
	uint64_t start;
	void *p;
	int ret;

	encl = sgx_encl_from_fd(fd);
	if (IS_ERR(encl))
		return mmap(addr, len, prot, flags, fd, offset);
	ret = sgx_runtime_init();
	if (ret)
		goto fail_put;
	sgx_runtime_attach_platform(encl->platform);

	/* The driver's get_unmapped_area refuses MAP_PRIVATE: only shared mappings exist. */
	ret = -EINVAL;
	if ((flags & MAP_TYPE) != MAP_SHARED || !len)
		goto fail_put;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;

	vma = calloc(1, sizeof(*vma));
	ret = -ENOMEM;
	if (!vma)
		goto fail_put;

	mm_write_lock();
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		/* Known address: refuse before anything there is replaced. */
		ret = sgx_encl_may_map(encl, (uint64_t)addr, (uint64_t)addr + len, prot_to_vm(prot));
		if (ret)
			goto fail_unlock;
	}
	p = mmap(addr, len, prot, (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) | MAP_SHARED,
		 hole_fd(), 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto fail_unlock;
	}
	start = (uint64_t)p;
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
		ret = sgx_encl_may_map(encl, start, start + len, prot_to_vm(prot));
		if (ret) {
			munmap(p, len);
			goto fail_unlock;
		}
	}
	/* A MAP_FIXED mapping replaces whatever enclave mappings were there. */
	forget_range_locked(start, start + len);
	vma->start = start;
	vma->end = start + len;
	vma->vm_flags = prot_to_vm(prot);
	vma->encl = encl;
	attach_storage(vma); /* before CREATE there is nothing to attach yet */
	insert_vma(vma);
	mm_unlock();
	return p;

fail_unlock:
	mm_unlock();
	free(vma);
fail_put:
	sgx_encl_put(encl);
	errno = -ret;
	return MAP_FAILED;
}

__attribute__((visibility("default"))) int sgxemu_munmap(void *addr, size_t len)
{
	uint64_t start = (uint64_t)addr, end;
	int ret;

	if (start & ~PAGE_MASK || !len) {
		errno = EINVAL;
		return -1;
	}
	end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	mm_write_lock();
	ret = forget_range_locked(start, end);
	if (!ret && munmap(addr, end - start))
		ret = -errno;
	mm_unlock();
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

struct mprotect_args {
	unsigned long vm_flags;
	int ret;
};

static void check_vma_prot(struct sgx_vma *vma, void *arg)
{
	struct mprotect_args *a = arg;

	if (!a->ret)
		a->ret = sgx_encl_may_map(vma->encl, vma->start, vma->end, a->vm_flags);
}

static void apply_vma_prot(struct sgx_vma *vma, void *arg)
{
	struct mprotect_args *a = arg;

	vma->vm_flags = a->vm_flags;
	vma->lowered = false;
	/*
	 * mprotect() gave every present page the new protection, also pages whose EPCM allows
	 * less: drop the PTEs so that each is re-installed through the fault path's checks.
	 */
	sgx_encl_unmap(vma->encl, vma->start, vma->end);
	if (vma->storage_start != vma->storage_end)
		madvise((void *)vma->storage_start, vma->storage_end - vma->storage_start,
			MADV_DONTNEED);
}

__attribute__((visibility("default"))) int sgxemu_mprotect(void *addr, size_t len, int prot)
{
	struct mprotect_args args = { .vm_flags = prot_to_vm(prot) };
	uint64_t start = (uint64_t)addr, end;
	int ret;

	if (start & ~PAGE_MASK) {
		errno = EINVAL;
		return -1;
	}
	end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	mm_write_lock();
	/* The driver's rules first, for every enclave piece, before anything changes. */
	ret = for_each_vma_piece(start, end, check_vma_prot, &args);
	if (!ret)
		ret = args.ret;
	if (!ret && mprotect(addr, end - start, prot))
		ret = -errno;
	if (!ret)
		for_each_vma_piece(start, end, apply_vma_prot, &args);
	mm_unlock();
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* --- the fault path ---------------------------------------------------------------------- */

/*
 * The host PTE of a page the kernel layer just mapped: no more than the VMA allows and the EPCM
 * allows, so native code faults wherever hardware would. A page the EPCM allows nothing (a TCS,
 * a PENDING page) gets no host PTE at all.
 */
static enum sgx_mm_fault_result install_pte(struct sgx_vma *vma, uint64_t page)
{
	struct uffdio_continue cont = { .range = { .start = page, .len = PAGE_SIZE } };
	unsigned long allowed = sgx_cpu_epcm_access(vma->encl->platform->cpu, page);
	unsigned long eff = vma->vm_flags & allowed;

	if (!eff)
		return SGX_MM_FAULT_NO_ACCESS;
	if (eff != vma->vm_flags) {
		mprotect((void *)page, PAGE_SIZE, (int)eff);
		vma->lowered = true;
	} else if (vma->lowered) {
		mprotect((void *)page, PAGE_SIZE, (int)vma->vm_flags);
	}
	if (ioctl(sgx_runtime_uffd(), UFFDIO_CONTINUE, &cont) && errno != EEXIST) {
		pr_warn("runtime: cannot map enclave page %#llx (%s)", (unsigned long long)page,
			strerror(errno));
		return SGX_MM_FAULT_SIGBUS;
	}
	return SGX_MM_FAULT_MAPPED;
}

/* A mapping made before CREATE gets its storage now; called with the write lock. */
static bool attach_for_fault(uint64_t page)
{
	struct sgx_vma *vma = find_vma(page);

	if (!vma)
		return false;
	attach_storage(vma);
	return page >= vma->storage_start && page < vma->storage_end;
}

enum sgx_mm_fault_result sgx_mm_fault(uint64_t addr, unsigned int access)
{
	uint64_t page = addr & PAGE_MASK;
	enum sgx_mm_fault_result ret;
	struct sgx_fault_answer answer = { .wait_word = NULL };
	struct sgx_vma *vma;

	mm_read_lock();
	vma = find_vma(page);
	if (!vma) {
		mm_unlock();
		return SGX_MM_FAULT_NOT_OURS;
	}
	if (page < vma->storage_start || page >= vma->storage_end) {
		bool attached;

		mm_unlock();
		mm_write_lock();
		attached = attach_for_fault(page);
		mm_unlock();
		/* Outside ELRANGE, or no enclave yet: the kernel has no page for this address. */
		if (!attached)
			return SGX_MM_FAULT_SIGBUS;
		mm_read_lock();
		vma = find_vma(page);
		if (!vma || page < vma->storage_start || page >= vma->storage_end) {
			mm_unlock();
			return SGX_MM_FAULT_MAPPED; /* changed under us: just retry the access */
		}
	}

	switch (sgx_vma_fault(vma->encl, page, vma->vm_flags, &answer)) {
	case SGX_FAULT_MAPPED:
		ret = install_pte(vma, page);
		break;
	case SGX_FAULT_RETRY:
		ret = SGX_MM_FAULT_MAPPED;
		break;
	case SGX_FAULT_SIGBUS:
	default:
		ret = SGX_MM_FAULT_SIGBUS;
		break;
	}
	mm_unlock();
	/*
	 * A page being written back, or no free EPC page: sleep until the reclaimer moved on, with
	 * our lock dropped (its zap needs it), then let the access run again.
	 */
	sgx_fault_wait(&answer);
	return ret;
}

/*
 * The kernel's zap_vma_ptes(). The write lock waits out every fault in flight: a fault installs
 * its host PTE after the kernel layer answered, and a zap that slipped in between would leave
 * that PTE behind - on a page the reclaimer is about to write back.
 */
void sgx_mm_zap_encl(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	struct sgx_vma *vma;

	mm_write_lock();
	TAILQ_FOREACH (vma, &mm.vmas, link) {
		uint64_t s = start > vma->storage_start ? start : vma->storage_start;
		uint64_t e = end < vma->storage_end ? end : vma->storage_end;

		if (vma->encl == encl && s < e)
			madvise((void *)s, e - s, MADV_DONTNEED);
	}
	mm_unlock();
}

struct sgx_cpu *sgx_mm_cpu_at(uint64_t addr)
{
	struct sgx_cpu *cpu = NULL;
	struct sgx_vma *vma;

	mm_read_lock();
	vma = find_vma(addr);
	if (vma)
		cpu = vma->encl->platform->cpu;
	mm_unlock();
	return cpu;
}

int sgx_mm_prot_at(uint64_t addr)
{
	struct sgx_vma *vma;
	int prot = -1;

	mm_read_lock();
	vma = find_vma(addr);
	if (vma)
		prot = (int)vma->vm_flags;
	mm_unlock();
	return prot;
}
