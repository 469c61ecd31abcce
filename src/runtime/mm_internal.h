/* SPDX-License-Identifier: MIT */
/* Between mm.c and the rest of the runtime. */
#ifndef SGXEMU_RUNTIME_MM_INTERNAL_H
#define SGXEMU_RUNTIME_MM_INTERNAL_H

#include <stdint.h>

struct sgx_encl;
struct sgx_vepc;

/* The kernel's zap: drop the host PTEs of [start, end) in every mapping of encl. */
void sgx_mm_zap_encl(struct sgx_encl *encl, uint64_t start, uint64_t end);
/* The same for file pages [pgoff, pgoff + nr) of a vEPC (CPU PTEs included). */
void sgx_mm_zap_vepc(struct sgx_vepc *vepc, uint64_t pgoff, uint64_t nr);

#endif /* SGXEMU_RUNTIME_MM_INTERNAL_H */
