/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing memory whose address came from a user, the way the kernel's
 * copy_{from,to}_user do: a bad pointer is -EFAULT, never a crash. process_vm_readv/writev on our
 * own pid give exactly that, with no signal handler involved.
 */
#ifndef SGXEMU_COMMON_UACCESS_H
#define SGXEMU_COMMON_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success, -EFAULT if any byte of [src, src+n) is not readable. */
int sgx_copy_from_user(void *dst, uint64_t src, size_t n);
/* 0 on success, -EFAULT if any byte of [dst, dst+n) is not writable. */
int sgx_copy_to_user(uint64_t dst, const void *src, size_t n);

/*
 * Several ranges in one system call (a leaf with several operands to read or write at once; each
 * copy costs a kernel entry, which is the price of a whole AES-GCM page pass on some VMs).
 * kaddr[i] <-> uaddr[i], n[i] bytes each. 0 if every byte moved, else -EFAULT with some ranges
 * possibly done: the caller redoes them one by one to learn which one faults.
 */
struct sgx_uiov {
	void *kaddr;
	uint64_t uaddr;
	size_t n;
};
#define SGX_UIOV_MAX 8
int sgx_copy_from_user_vec(const struct sgx_uiov *iov, unsigned int nr);
int sgx_copy_to_user_vec(const struct sgx_uiov *iov, unsigned int nr);

#endif /* SGXEMU_COMMON_UACCESS_H */
