/* SPDX-License-Identifier: MIT */
#include "common/uaccess.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

static pid_t sgx_self_pid(void)
{
	/* getpid() is cached by neither glibc nor us: fork must see the child's pid. */
	return getpid();
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
