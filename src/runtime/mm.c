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
 * A mapping of /dev/sgx_vepc is a VMA too: it maps the vEPC's storage memfd at the file offset,
 * registered the same way; its first touch of a page allocates and binds a frame in the kernel
 * layer (sgx_vepc_fault). It is never inherited by fork (MADV_DONTFORK, the kernel's
 * VM_DONTCOPY), and the host sees what the frames hold (no abort page, see internals.md).
 *
 * Locking: mm_lock is the runtime address-space lock of DESIGN.md's lock order, above the
 * enclave lock.
 */
#include "runtime/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/forkwatch.h"
#include "common/log.h"
#include "common/sys.h"
#include "cpu/enclu.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel/err.h"
#include "kernel/lockdep.h"
#include "kernel/mm.h"
#include "kernel/virt.h"
#include "runtime/mm_internal.h"
#include "runtime/runtime.h"

#define PAGE_SIZE 4096ULL
#define PAGE_MASK (~(PAGE_SIZE - 1))

struct sgx_vma {
	uint64_t start;
	uint64_t end;
	unsigned long vm_flags;	 /* the application's PROT_READ/WRITE/EXEC */
	/* A reference, as a VMA holds its file; NULL in a forked child (every fault: SIGBUS). */
	struct sgx_encl *encl;
	/* A vEPC mapping instead (encl is NULL): a reference, and the file page offset at start. */
	struct sgx_vepc *vepc;
	uint64_t pgoff;
	/* The part of [start, end) that maps the enclave's storage (empty until attached). */
	uint64_t storage_start;
	uint64_t storage_end;
	/* Some page got a host protection below vm_flags (the EPCM allows less). */
	bool lowered;
	TAILQ_ENTRY(sgx_vma) link;
};

TAILQ_HEAD(sgx_vma_list, sgx_vma);

/*
 * Where enclave mappings are, for lock-free readers: the compat layer asks "does this munmap /
 * mprotect / madvise / mremap touch an enclave mapping?" on every such call of the process, from
 * any context (a signal handler, or the kernel layer with an enclave lock held, below the
 * address-space lock). Adjacent VMAs are coalesced into extents; the writer (holding the
 * address-space lock for writing) republishes them under a sequence count.
 */
#define SGX_MM_MAX_EXTENTS 64

struct sgx_mm_extents {
	uint32_t seq;	   /* odd while being rewritten */
	uint32_t nr;	   /* SGX_MM_MAX_EXTENTS + 1: too many, readers must ask under the lock */
	uint64_t start[SGX_MM_MAX_EXTENTS];
	uint64_t end[SGX_MM_MAX_EXTENTS];
};

static struct {
	pthread_rwlock_t lock;
	struct sgx_vma_list vmas; /* sorted by start, non-overlapping */
	int hole_fd;		  /* an empty memfd: any access to a mapping of it is SIGBUS */
	struct sgx_mm_extents extents;
} mm = {
	/* Writers (zaps) must get in between the faults of busy threads. */
	.lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP,
	.vmas = TAILQ_HEAD_INITIALIZER(mm.vmas),
	.hole_fd = -1,
};

static void mm_fork_child_locked(void);

static void mm_write_lock(void);
static void mm_write_unlock(void);

static void mm_read_lock(void)
{
	/* A forked child abandons its inherited mappings first (under the write lock). */
	if (sgx_fork_child_pending(SGX_FORK_SLOT_RUNTIME)) {
		mm_write_lock();
		mm_write_unlock();
	}
	sgx_lockdep_acquire(SGX_LOCK_MM);
	pthread_rwlock_rdlock(&mm.lock);
}

static void mm_write_lock(void)
{
	sgx_lockdep_acquire(SGX_LOCK_MM);
	pthread_rwlock_wrlock(&mm.lock);
	if (sgx_fork_child_check(SGX_FORK_SLOT_RUNTIME))
		mm_fork_child_locked();
}

static void mm_unlock(void)
{
	pthread_rwlock_unlock(&mm.lock);
	sgx_lockdep_release(SGX_LOCK_MM);
}

/* Republishes the extents after the VMA list changed; called with the write lock. */
static void publish_extents(void)
{
	struct sgx_mm_extents *x = &mm.extents;
	struct sgx_vma *vma;
	uint32_t n = 0;

	/*
	 * A seqlock without fences (ThreadSanitizer cannot model them, and GCC refuses to build
	 * them under it): the data are stored with release, so a reader that sees any of them
	 * also sees the odd sequence number stored before; on x86 these are plain moves.
	 */
	__atomic_store_n(&x->seq, x->seq + 1, __ATOMIC_RELEASE);
	TAILQ_FOREACH (vma, &mm.vmas, link) {
		if (n && n <= SGX_MM_MAX_EXTENTS && x->end[n - 1] == vma->start) {
			__atomic_store_n(&x->end[n - 1], vma->end, __ATOMIC_RELEASE);
			continue;
		}
		if (n == SGX_MM_MAX_EXTENTS) {
			n++;
			break;
		}
		__atomic_store_n(&x->start[n], vma->start, __ATOMIC_RELEASE);
		__atomic_store_n(&x->end[n], vma->end, __ATOMIC_RELEASE);
		n++;
	}
	__atomic_store_n(&x->nr, n, __ATOMIC_RELEASE);
	__atomic_store_n(&x->seq, x->seq + 1, __ATOMIC_RELEASE);
}

static void mm_write_unlock(void)
{
	publish_extents();
	mm_unlock();
}

bool sgx_mm_touches_enclave(uint64_t start, uint64_t end)
{
	const struct sgx_mm_extents *x = &mm.extents;

	for (int tries = 0; tries < 1000; tries++) {
		uint32_t seq = __atomic_load_n(&x->seq, __ATOMIC_ACQUIRE), nr;
		bool hit = false;

		if (seq & 1) {
			__builtin_ia32_pause();
			continue;
		}
		/* Acquire loads keep the final sequence load after them (no fence: see above). */
		nr = __atomic_load_n(&x->nr, __ATOMIC_ACQUIRE);
		if (nr > SGX_MM_MAX_EXTENTS)
			hit = true;
		for (uint32_t i = 0; i < nr && !hit; i++)
			hit = start < __atomic_load_n(&x->end[i], __ATOMIC_ACQUIRE) &&
			      end > __atomic_load_n(&x->start[i], __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&x->seq, __ATOMIC_RELAXED) == seq)
			return hit;
	}
	return true; /* a writer interrupted on this very thread: let the slow path decide */
}

static struct sgx_platform *vma_platform(const struct sgx_vma *vma)
{
	return vma->vepc ? vma->vepc->platform : vma->encl->platform;
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
		mm.hole_fd = memfd_create("sgxemu-hole", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	/* Nobody, not even a forked child that kept it, can give it contents. */
	if (mm.hole_fd >= 0)
		fcntl(mm.hole_fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL);
	return mm.hole_fd;
}

static int uffd_register(uint64_t start, uint64_t end)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR,
	};

	if (sgx_sys_ioctl(sgx_runtime_uffd(), UFFDIO_REGISTER, (unsigned long)&reg))
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

	if (vma->storage_start != vma->storage_end || vma->vepc)
		return 0;
	if (!vma->encl)
		return -ENODEV; /* forked: there is no enclave to attach */
	ret = sgx_encl_storage(vma->encl, &fd, &base, &size);
	if (ret)
		return ret;
	start = vma->start > base ? vma->start : base;
	end = vma->end < base + size ? vma->end : base + size;
	if (start >= end)
		return -ENOENT; /* no part of this mapping is inside ELRANGE */
	/* Atomically replaces the placeholder: the range is never unmapped in between. */
	p = sgx_sys_mmap((void *)start, end - start, (int)vma->vm_flags, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)(start - base));
	if (p == MAP_FAILED)
		return -errno;
	/* The enclave's pages must never reach a forked child (docs/compat.md, "fork"). */
	sgx_sys_madvise(p, end - start, MADV_DONTFORK);
	ret = uffd_register(start, end);
	if (ret) {
		sgx_sys_mmap((void *)start, end - start, (int)vma->vm_flags, MAP_SHARED | MAP_FIXED,
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
	if (tail->vepc) {
		tail->pgoff += (at - vma->start) >> 12;
		sgx_vepc_get(tail->vepc);
	} else if (tail->encl) {
		sgx_encl_get(tail->encl);
	}
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
	for (vma = TAILQ_FIRST(&mm.vmas); fn && vma; vma = next) {
		next = TAILQ_NEXT(vma, link);
		if (vma->start >= start && vma->end <= end)
			fn(vma, arg);
	}
	return 0;
}

static void forget_vma(struct sgx_vma *vma, void *arg)
{
	/* The CPU's PTEs of this mapping go with it; the host's go with the munmap/mmap. */
	TAILQ_REMOVE(&mm.vmas, vma, link);
	if (vma->vepc) {
		sgx_vepc_unmap(vma->vepc, vma->start, vma->pgoff, vma->end - vma->start);
		sgx_vepc_put(vma->vepc);
	} else if (vma->encl) {
		sgx_encl_unmap(vma->encl, vma->start, vma->end);
		sgx_encl_put(vma->encl);
	}
	free(vma);
}

/* Drops the records of enclave mappings in [start, end), which the caller is replacing. */
static int forget_range_locked(uint64_t start, uint64_t end)
{
	return for_each_vma_piece(start, end, forget_vma, NULL);
}

/* --- mmap, mprotect, munmap, mremap, madvise ------------------------------------------- */

static unsigned long prot_to_vm(int prot)
{
	return (unsigned long)prot & SGX_VM_ACCESS_FLAGS;
}

/*
 * mmap() of /dev/sgx_vepc: the vEPC's storage at the file offset, MAP_SHARED only, not inherited
 * by fork; frames come with the first touch of each page.
 */
static void *vepc_mmap(void *addr, size_t len, int prot, int flags, struct sgx_vepc *vepc,
		       off_t offset)
{
	struct sgx_vma *vma = NULL;
	uint64_t start;
	int ret, fd;
	void *p;

	ret = sgx_runtime_init();
	if (ret)
		goto fail_put;
	sgx_runtime_attach_platform(vepc->platform);
	ret = -EINVAL;
	if (!len || (offset & ~PAGE_MASK) || offset < 0)
		goto fail_put;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	ret = sgx_vepc_mmap(vepc, (uint64_t)offset >> 12, len, (flags & MAP_TYPE) == MAP_SHARED,
			    &fd);
	if (ret)
		goto fail_put;
	vma = calloc(1, sizeof(*vma));
	ret = -ENOMEM;
	if (!vma)
		goto fail_put;

	mm_write_lock();
	p = sgx_sys_mmap(addr, len, prot, (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) | MAP_SHARED,
			 fd, offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto fail_unlock;
	}
	start = (uint64_t)p;
	ret = uffd_register(start, start + len);
	if (!ret && sgx_sys_madvise(p, len, MADV_DONTFORK))
		ret = -errno;
	if (ret) {
		/* The storage must never be reachable without the fault path: no mapping at all. */
		sgx_sys_munmap(p, len);
		forget_range_locked(start, start + len);
		goto fail_unlock;
	}
	forget_range_locked(start, start + len);
	vma->start = start;
	vma->end = start + len;
	vma->vm_flags = prot_to_vm(prot);
	vma->vepc = vepc;
	vma->pgoff = (uint64_t)offset >> 12;
	vma->storage_start = start;
	vma->storage_end = start + len;
	insert_vma(vma);
	mm_write_unlock();
	return p;

fail_unlock:
	mm_write_unlock();
fail_put:
	free(vma);
	sgx_vepc_put(vepc);
	errno = -ret;
	return MAP_FAILED;
}

__attribute__((visibility("default"))) void *sgxemu_mmap(void *addr, size_t len, int prot,
							  int flags, int fd, off_t offset)
{
	struct sgx_encl *encl;
	struct sgx_vepc *vepc;
	struct sgx_vma *vma;
	uint64_t start;
	void *p;
	int ret;

	encl = sgx_encl_from_fd(fd);
	if (IS_ERR(encl)) {
		/* Not an enclave: a vEPC, or the real system call; a forked child's file: ENODEV. */
		if (PTR_ERR(encl) == -ENODEV) {
			errno = ENODEV;
			return MAP_FAILED;
		}
		vepc = sgx_vepc_from_fd(fd);
		if (!IS_ERR(vepc))
			return vepc_mmap(addr, len, prot, flags, vepc, offset);
		if (PTR_ERR(vepc) == -ENODEV) {
			errno = ENODEV;
			return MAP_FAILED;
		}
		return sgx_sys_mmap(addr, len, prot, flags, fd, offset);
	}
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
	p = sgx_sys_mmap(addr, len, prot, (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) | MAP_SHARED,
			 hole_fd(), 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto fail_unlock;
	}
	start = (uint64_t)p;
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
		ret = sgx_encl_may_map(encl, start, start + len, prot_to_vm(prot));
		if (ret) {
			sgx_sys_munmap(p, len);
			goto fail_unlock;
		}
	}
	sgx_fork_arm(SGX_FORK_SLOT_RUNTIME);
	/* A MAP_FIXED mapping replaces whatever enclave mappings were there. */
	forget_range_locked(start, start + len);
	vma->start = start;
	vma->end = start + len;
	vma->vm_flags = prot_to_vm(prot);
	vma->encl = encl;
	attach_storage(vma); /* before CREATE there is nothing to attach yet */
	insert_vma(vma);
	mm_write_unlock();
	return p;

fail_unlock:
	mm_write_unlock();
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
	if (!ret && sgx_sys_munmap(addr, end - start))
		ret = -errno;
	mm_write_unlock();
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

	/* A vEPC has no mprotect rule of its own (and a forked child's VMA no enclave). */
	if (!a->ret && vma->encl)
		a->ret = sgx_encl_may_map(vma->encl, vma->start, vma->end, a->vm_flags);
}

static void apply_vma_prot(struct sgx_vma *vma, void *arg)
{
	struct mprotect_args *a = arg;

	vma->vm_flags = a->vm_flags;
	vma->lowered = false;
	if (vma->vepc) {
		/* The host PTEs have the new protection already; the CPU's refault with it. */
		sgx_vepc_unmap(vma->vepc, vma->start, vma->pgoff, vma->end - vma->start);
		return;
	}
	/*
	 * mprotect() gave every present page the new protection, also pages whose EPCM allows
	 * less: drop the PTEs so that each is re-installed through the fault path's checks.
	 */
	if (vma->encl)
		sgx_encl_unmap(vma->encl, vma->start, vma->end);
	if (vma->storage_start != vma->storage_end)
		sgx_sys_madvise((void *)vma->storage_start, vma->storage_end - vma->storage_start,
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
	if (!ret && sgx_sys_mprotect(addr, end - start, prot))
		ret = -errno;
	if (!ret)
		for_each_vma_piece(start, end, apply_vma_prot, &args);
	mm_write_unlock();
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/*
 * madvise(2) over enclave mappings answers what the kernel answers for a VMA with
 * VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP (mm/madvise.c), without ever dropping the
 * host PTEs the runtime installed on its own terms:
 *   - EINVAL: the advice that needs pages the kernel can reclaim, populate or guard
 *     (DONTNEED and DONTNEED_LOCKED, FREE, COLD, PAGEOUT: can_madv_lru_vma() refuses VM_PFNMAP;
 *     POPULATE_READ/WRITE: GUP refuses VM_IO | VM_PFNMAP; DODUMP and DOFORK: VM_SPECIAL/VM_IO;
 *     WIPEONFORK: a file mapping; GUARD_INSTALL/REMOVE and COLLAPSE; unknown advice);
 *   - REMOVE: EACCES for a mapping that is not writable, else ENODEV (fallocate on a character
 *     device);
 *   - everything else (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTFORK, KEEPONFORK, DONTDUMP,
 *     MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, ...) succeeds and changes nothing that can
 *     be observed; it is applied to the host mappings too, which our own DONTFORK/DONTDUMP
 *     already carry.
 * A range that also covers ordinary mappings: the kernel applies the advice VMA by VMA and stops
 * at the first error; here an error from an enclave piece is returned before anything is applied.
 */
static int enclave_madvise_answer(int advice, unsigned long vm_flags)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTFORK:
	case MADV_KEEPONFORK:
	case MADV_DONTDUMP:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
		return 0;
	case MADV_REMOVE:
		return (vm_flags & SGX_VM_WRITE) ? -ENODEV : -EACCES;
	default:
		return -EINVAL;
	}
}

struct madvise_args {
	int advice;
	int ret;
};

static void check_vma_advice(struct sgx_vma *vma, void *arg)
{
	struct madvise_args *a = arg;

	if (!a->ret)
		a->ret = enclave_madvise_answer(a->advice, vma->vm_flags);
}

__attribute__((visibility("default"))) int sgxemu_madvise(void *addr, size_t len, int advice)
{
	struct madvise_args args = { .advice = advice };
	uint64_t start = (uint64_t)addr, end;
	int ret;

	if (start & ~PAGE_MASK) {
		errno = EINVAL;
		return -1;
	}
	end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	if (end < start) {
		errno = EINVAL;
		return -1;
	}
	if (!sgx_mm_touches_enclave(start, end))
		return sgx_sys_madvise(addr, len, advice);
	mm_write_lock();
	ret = for_each_vma_piece(start, end, check_vma_advice, &args);
	if (!ret)
		ret = args.ret;
	if (!ret && sgx_sys_madvise(addr, len, advice))
		ret = -errno;
	mm_write_unlock();
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* Moves the enclave VMA [old, old + len) to new (MREMAP_FIXED or MAYMOVE). Write lock held. */
static void *move_vma_locked(struct sgx_vma *vma, uint64_t new, size_t len, int *err)
{
	struct sgx_vma *moved = malloc(sizeof(*moved));
	void *p;

	if (!moved) {
		*err = -ENOMEM;
		return MAP_FAILED;
	}
	p = sgx_sys_mmap((void *)new, len, (int)vma->vm_flags, MAP_SHARED | MAP_FIXED, hole_fd(),
			 0);
	if (p == MAP_FAILED) {
		*err = -errno;
		free(moved);
		return MAP_FAILED;
	}
	/* Whatever enclave mappings were at the destination are gone (the kernel unmaps it). */
	forget_range_locked((uint64_t)p, (uint64_t)p + len);
	*moved = *vma;
	moved->start = (uint64_t)p;
	moved->end = (uint64_t)p + len;
	moved->storage_start = moved->storage_end = 0;
	moved->lowered = false;
	if (moved->encl)
		sgx_encl_get(moved->encl);
	attach_storage(moved);
	insert_vma(moved);
	/* The old VMA goes, as after a move; its pages refault at their new address. */
	forget_range_locked(vma->start, vma->start + len);
	return p;
}

/*
 * mremap(2) of an enclave mapping, as mm/mremap.c answers for a VM_DONTEXPAND | VM_PFNMAP VMA:
 * the argument checks of check_mremap_params(); shrinking in place unmaps the tail; growing is
 * EFAULT (VM_DONTEXPAND), MREMAP_DONTUNMAP is EINVAL, a range beyond the VMA is EFAULT; a move
 * (MREMAP_FIXED, or MAYMOVE without growth) moves the VMA. The kernel moves the present PTEs
 * along, so hardware would then raise EPCM faults at the new address; here the moved mapping
 * starts without host PTEs and every page refaults at its new address (the kernel's answer for
 * the pages that were not present), which is the closest one address space can do.
 */
__attribute__((visibility("default"))) void *sgxemu_mremap(void *old_address, size_t old_size,
							    size_t new_size, int flags, ...)
{
	uint64_t addr = (uint64_t)old_address, new_addr = 0, old_len, new_len;
	struct sgx_vma *vma;
	void *ret = MAP_FAILED;
	int err = 0;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = (uint64_t)va_arg(ap, void *);
		va_end(ap);
	}
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		goto einval;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		goto einval;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_size != new_size))
		goto einval;
	if (addr & ~PAGE_MASK)
		goto einval;
	old_len = (old_size + PAGE_SIZE - 1) & PAGE_MASK;
	new_len = (new_size + PAGE_SIZE - 1) & PAGE_MASK;
	if (!new_len || old_len < old_size || new_len < new_size)
		goto einval;
	if ((flags & MREMAP_FIXED) && (new_addr & ~PAGE_MASK))
		goto einval;
	if ((flags & MREMAP_FIXED) && new_addr < addr + old_len && addr < new_addr + new_len)
		goto einval; /* overlapping source and destination */

	mm_write_lock();
	vma = find_vma(addr);
	if (!vma) {
		mm_write_unlock();
		/* Not an enclave mapping after all (it went meanwhile): the real system call. */
		return sgx_sys_mremap(old_address, old_size, new_size, flags, (void *)new_addr);
	}
	if (flags & MREMAP_DONTUNMAP) {
		err = -EINVAL;
		goto out;
	}
	if (old_len > vma->end - addr) {
		err = -EFAULT;
		goto out;
	}
	if (new_len > old_len) {
		err = -EFAULT; /* VM_DONTEXPAND */
		goto out;
	}
	if (new_len < old_len) {
		/* Shrinking unmaps the tail first, then (unless moving) returns in place. */
		err = forget_range_locked(addr + new_len, addr + old_len);
		if (!err && sgx_sys_munmap((void *)(addr + new_len), old_len - new_len))
			err = -errno;
		if (err)
			goto out;
		if (!(flags & MREMAP_FIXED) || new_addr == addr) {
			ret = old_address;
			goto out;
		}
	} else if (!(flags & MREMAP_FIXED)) {
		ret = old_address; /* same size, no destination: nothing to do */
		goto out;
	}
	/* A move of [addr, addr + new_len): make it one piece, then move it. */
	if (addr > vma->start || addr + new_len < vma->end) {
		err = for_each_vma_piece(addr, addr + new_len, NULL, NULL);
		if (err)
			goto out;
		vma = find_vma(addr);
	}
	ret = move_vma_locked(vma, new_addr, new_len, &err);
	if (ret != MAP_FAILED)
		sgx_sys_munmap(old_address, new_len);
out:
	mm_write_unlock();
	if (err) {
		errno = -err;
		return MAP_FAILED;
	}
	return ret;
einval:
	errno = EINVAL;
	return MAP_FAILED;
}

/* --- fork -------------------------------------------------------------------------------- */

/*
 * In a forked child (docs/compat.md, "fork"): the enclave's storage mappings were not inherited
 * (MADV_DONTFORK), and the inherited enclave references must never be used or dropped (a
 * teardown would EREMOVE the parent's pages). Every enclave mapping becomes a mapping of the
 * sealed empty memfd with the same protection: a touch is SIGBUS, what the kernel answers in a
 * child VMA whose enclave it could not attach. The userfaultfd belongs to the parent's address
 * space and is dropped; the child makes its own if it maps an enclave of its own.
 */
static void mm_fork_child_locked(void)
{
	struct sgx_vma *vma, *next;

	for (vma = TAILQ_FIRST(&mm.vmas); vma; vma = next) {
		next = TAILQ_NEXT(vma, link);
		/* A vEPC mapping is VM_DONTCOPY: the child has none at all (nor the reference). */
		if (vma->vepc) {
			TAILQ_REMOVE(&mm.vmas, vma, link);
			free(vma);
			continue;
		}
		vma->encl = NULL;
		vma->storage_start = vma->storage_end = 0;
		vma->lowered = false;
		sgx_sys_mmap((void *)vma->start, vma->end - vma->start, (int)vma->vm_flags,
			     MAP_SHARED | MAP_FIXED, hole_fd(), 0);
	}
	sgx_runtime_fork_child_uffd();
	publish_extents();
}

static pthread_once_t mm_atfork_once = PTHREAD_ONCE_INIT;

static void mm_fork_prepare(void)
{
	mm_write_lock();
}

static void mm_fork_parent(void)
{
	mm_unlock();
}

static void mm_fork_child(void)
{
	/*
	 * glibc's rwlock remembers its writer by tid, which is not ours in the child: it cannot be
	 * unlocked here, only made anew (the prepare handler held it, so nothing is half-changed).
	 */
	pthread_rwlock_init(&mm.lock, NULL);
	sgx_lockdep_release(SGX_LOCK_MM);
	/* The child's fixup runs at the first use of the lock (forkwatch.h). */
	mm_write_lock();
	mm_write_unlock();
}

/*
 * For a fork that does not go through glibc's fork (the dispatch mode forks with a raw clone):
 * the same handlers pthread_atfork runs, the runtime's and the driver's, in its order.
 */
void sgx_runtime_fork_prepare(void)
{
	mm_fork_prepare();
	sgx_driver_fork_prepare();
}

void sgx_runtime_fork_parent(void)
{
	sgx_driver_fork_parent();
	mm_fork_parent();
}

void sgx_runtime_fork_child(void)
{
	sgx_driver_fork_child();
	mm_fork_child();
}

static void mm_atfork_register(void)
{
	pthread_atfork(mm_fork_prepare, mm_fork_parent, mm_fork_child);
}

void sgx_mm_init(void)
{
	pthread_once(&mm_atfork_once, mm_atfork_register);
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
	struct uffdio_zeropage zero = { .range = { .start = page, .len = PAGE_SIZE } };
	unsigned long allowed = sgx_cpu_epcm_access(vma->encl->platform->cpu, page);
	unsigned long eff = vma->vm_flags & allowed;
	int uffd = sgx_runtime_uffd();

	if (!eff)
		return SGX_MM_FAULT_NO_ACCESS;
	/* Faults of other threads install PTEs in this VMA at the same time (read lock). */
	if (eff != vma->vm_flags) {
		sgx_sys_mprotect((void *)page, PAGE_SIZE, (int)eff);
		__atomic_store_n(&vma->lowered, true, __ATOMIC_RELAXED);
	} else if (__atomic_load_n(&vma->lowered, __ATOMIC_RELAXED)) {
		sgx_sys_mprotect((void *)page, PAGE_SIZE, (int)vma->vm_flags);
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!sgx_sys_ioctl(uffd, UFFDIO_CONTINUE, (unsigned long)&cont) || errno == EEXIST)
			return SGX_MM_FAULT_MAPPED;
		/*
		 * A hole in the storage: a page EAUG made (EAUG zeroes a page by punching it) that
		 * nothing has written yet. Its contents are zeros: put a zero page in the page
		 * cache and map it. EEXIST: someone wrote it meanwhile; map that.
		 */
		if (errno != EFAULT)
			break;
		if (!sgx_sys_ioctl(uffd, UFFDIO_ZEROPAGE, (unsigned long)&zero))
			return SGX_MM_FAULT_MAPPED;
		if (errno != EEXIST)
			break;
	}
	pr_warn("runtime: cannot map enclave page %#llx (%s)", (unsigned long long)page,
		strerror(errno));
	return SGX_MM_FAULT_SIGBUS;
}

/*
 * A vEPC page: the kernel layer binds a frame to the offset and sets the CPU PTE; the host PTE
 * maps the storage page, which must exist in the page cache for UFFDIO_CONTINUE (a frame the
 * guest never wrote is a hole: allocate it, zero-filled).
 */
static enum sgx_mm_fault_result vepc_fault(struct sgx_vma *vma, uint64_t page,
					   struct sgx_fault_answer *wait)
{
	struct uffdio_continue cont = { .range = { .start = page, .len = PAGE_SIZE } };
	uint64_t pgoff = vma->pgoff + ((page - vma->start) >> 12);
	struct sgx_fault_answer answer;

	switch (sgx_vepc_fault(vma->vepc, page, pgoff, vma->vm_flags, &answer)) {
	case SGX_FAULT_MAPPED:
		break;
	case SGX_FAULT_RETRY:
		*wait = answer;
		return SGX_MM_FAULT_MAPPED;
	case SGX_FAULT_HWPOISON:
		return SGX_MM_FAULT_HWPOISON;
	case SGX_FAULT_SIGBUS:
	default:
		return SGX_MM_FAULT_SIGBUS;
	}
	if (fallocate(vma->vepc->storage_fd, 0, (off_t)(pgoff << 12), (off_t)PAGE_SIZE)) {
		pr_warn("runtime: cannot allocate vEPC storage at page %llu (%s)",
			(unsigned long long)pgoff, strerror(errno));
		return SGX_MM_FAULT_SIGBUS;
	}
	if (sgx_sys_ioctl(sgx_runtime_uffd(), UFFDIO_CONTINUE, (unsigned long)&cont) &&
	    errno != EEXIST) {
		pr_warn("runtime: cannot map vEPC page %#llx (%s)", (unsigned long long)page,
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
	if (!vma->encl)
		pr_warn_once_atomic("sgxemu: a forked child touched an enclave mapping it inherited "
				    "(%#llx); an emulated enclave lives in its parent's memory, so "
				    "the child gets SIGBUS, as for an enclave VMA the kernel could not "
				    "attach (docs/compat.md, \"fork\")",
				    (unsigned long long)page);
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
	if (vma->vepc) {
		ret = vepc_fault(vma, page, &answer);
		mm_unlock();
		sgx_fault_wait(&answer);
		return ret;
	}
	if (page < vma->storage_start || page >= vma->storage_end) {
		bool attached;

		mm_unlock();
		mm_write_lock();
		attached = attach_for_fault(page);
		mm_write_unlock();
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
	case SGX_FAULT_HWPOISON:
		ret = SGX_MM_FAULT_HWPOISON;
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
			sgx_sys_madvise((void *)s, e - s, MADV_DONTNEED);
	}
	mm_unlock();
}

void sgx_mm_zap_vepc(struct sgx_vepc *vepc, uint64_t pgoff, uint64_t nr)
{
	struct sgx_vma *vma;

	mm_read_lock();
	TAILQ_FOREACH (vma, &mm.vmas, link) {
		uint64_t vma_pages = (vma->end - vma->start) >> 12, first, last;

		if (vma->vepc != vepc || pgoff >= vma->pgoff + vma_pages || pgoff + nr <= vma->pgoff)
			continue;
		first = pgoff > vma->pgoff ? pgoff : vma->pgoff;
		last = pgoff + nr < vma->pgoff + vma_pages ? pgoff + nr : vma->pgoff + vma_pages;
		sgx_vepc_unmap(vepc, vma->start + ((first - vma->pgoff) << 12), first,
			       (last - first) << 12);
		sgx_sys_madvise((void *)(vma->start + ((first - vma->pgoff) << 12)),
				(last - first) << 12, MADV_DONTNEED);
	}
	mm_unlock();
}

struct sgx_platform *sgx_mm_platform_at(uint64_t addr)
{
	struct sgx_platform *platform = NULL;
	struct sgx_vma *vma;

	mm_read_lock();
	vma = find_vma(addr);
	if (vma && (vma->encl || vma->vepc))
		platform = vma_platform(vma);
	mm_unlock();
	return platform;
}

struct sgx_cpu *sgx_mm_cpu_at(uint64_t addr)
{
	struct sgx_platform *platform = sgx_mm_platform_at(addr);

	return platform ? platform->cpu : NULL;
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
