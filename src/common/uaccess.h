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

#endif /* SGXEMU_COMMON_UACCESS_H */
