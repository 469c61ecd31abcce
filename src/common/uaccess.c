/* SPDX-License-Identifier: MIT */
#include "common/uaccess.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Our pid, for process_vm_readv/writev on ourselves. getpid() is a system call (glibc stopped
 * caching it), which would double the cost of every copy; but a cached pid must never survive a
 * fork, or the child would read its parent's memory. So the cache lives in a MADV_WIPEONFORK
 * page: any fork (pthread_atfork or not, even a raw clone) gives the child a zeroed page, and the
 * next copy asks the kernel again. CLONE_VM children (threads, vfork) share the page and the
 * address space, so the cached pid reads the right memory for them too.
 */
static pid_t *pid_cache;
static pthread_once_t pid_cache_once = PTHREAD_ONCE_INIT;

static void pid_cache_init(void)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	if (madvise(page, 4096, MADV_WIPEONFORK)) {
		munmap(page, 4096); /* kernel too old: no cache, getpid() every time */
		return;
	}
	pid_cache = page;
}

static pid_t sgx_self_pid(void)
{
	pid_t pid;

	pthread_once(&pid_cache_once, pid_cache_init);
	if (!pid_cache)
		return getpid();
	pid = __atomic_load_n(pid_cache, __ATOMIC_RELAXED);
	if (!pid) {
		pid = getpid();
		__atomic_store_n(pid_cache, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

int sgx_copy_from_user(void *dst, uint64_t src, size_t n)
{
	struct iovec local = { .iov_base = dst, .iov_len = n };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)src, .iov_len = n };

	if (n == 0)
		return 0;
	if (src + n < src)
		return -EFAULT;
	if (process_vm_readv(sgx_self_pid(), &local, 1, &remote, 1, 0) != (ssize_t)n)
		return -EFAULT;
	return 0;
}

int sgx_copy_to_user(uint64_t dst, const void *src, size_t n)
{
	struct iovec local = { .iov_base = (void *)src, .iov_len = n };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)dst, .iov_len = n };

	if (n == 0)
		return 0;
	if (dst + n < dst)
		return -EFAULT;
	if (process_vm_writev(sgx_self_pid(), &local, 1, &remote, 1, 0) != (ssize_t)n)
		return -EFAULT;
	return 0;
}

static int copy_vec(const struct sgx_uiov *iov, unsigned int nr, bool to_user)
{
	struct iovec local[SGX_UIOV_MAX], remote[SGX_UIOV_MAX];
	size_t total = 0;
	ssize_t done;

	if (nr > SGX_UIOV_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		if (iov[i].uaddr + iov[i].n < iov[i].uaddr)
			return -EFAULT;
		local[i] = (struct iovec){ .iov_base = iov[i].kaddr, .iov_len = iov[i].n };
		remote[i] = (struct iovec){ .iov_base = (void *)(uintptr_t)iov[i].uaddr,
					    .iov_len = iov[i].n };
		total += iov[i].n;
	}
	if (!total)
		return 0;
	if (to_user)
		done = process_vm_writev(sgx_self_pid(), local, nr, remote, nr, 0);
	else
		done = process_vm_readv(sgx_self_pid(), local, nr, remote, nr, 0);
	return done == (ssize_t)total ? 0 : -EFAULT;
}

int sgx_copy_from_user_vec(const struct sgx_uiov *iov, unsigned int nr)
{
	return copy_vec(iov, nr, false);
}

int sgx_copy_to_user_vec(const struct sgx_uiov *iov, unsigned int nr)
{
	return copy_vec(iov, nr, true);
}
