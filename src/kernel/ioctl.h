/* SPDX-License-Identifier: MIT */
/*
 * What the enclave ioctls share between ioctl.c (SGX1: CREATE, ADD_PAGES, INIT, PROVISION and the
 * dispatcher) and sgx2.c (RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES).
 */
#ifndef SGXEMU_KERNEL_IOCTL_H
#define SGXEMU_KERNEL_IOCTL_H

#include <stdint.h>

struct sgx_encl;

/* sgx_validate_offset_length(): -EINVAL unless [offset, offset + length) is whole pages in SIZE. */
int sgx_validate_offset_length(struct sgx_encl *encl, uint64_t offset, uint64_t length);

/* The SGX2 ioctls (sgx2.c): 0 or -errno, with the argument struct at user address arg. */
long sgx_ioc_enclave_restrict_permissions(struct sgx_encl *encl, uint64_t arg);
long sgx_ioc_enclave_modify_types(struct sgx_encl *encl, uint64_t arg);
long sgx_ioc_enclave_remove_pages(struct sgx_encl *encl, uint64_t arg);

#endif /* SGXEMU_KERNEL_IOCTL_H */
