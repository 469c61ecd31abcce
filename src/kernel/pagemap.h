/* SPDX-License-Identifier: MIT */
/*
 * The enclave's page array: the kernel's xarray keyed by absolute virtual PFN (addr >> 12),
 * here an open-addressing hash table, since ELRANGEs are sparse (a 64 GiB ELRANGE with a few
 * hundred pages is normal) and lookups must not depend on the enclave's size. The caller
 * serialises access (the enclave lock), as with xa_* under encl->lock.
 */
#ifndef SGXEMU_KERNEL_PAGEMAP_H
#define SGXEMU_KERNEL_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

struct sgx_pagemap_slot;

struct sgx_pagemap {
	struct sgx_pagemap_slot *slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;	 /* live entries */
	size_t used;	 /* live entries + tombstones */
};

void sgx_pagemap_init(struct sgx_pagemap *map);
void sgx_pagemap_destroy(struct sgx_pagemap *map);
/* xa_insert(): 0, -EBUSY if key is present, -ENOMEM. value must not be NULL. */
int sgx_pagemap_insert(struct sgx_pagemap *map, uint64_t key, void *value);
/* xa_load(): the value or NULL. */
void *sgx_pagemap_load(const struct sgx_pagemap *map, uint64_t key);
/* xa_erase(): the removed value or NULL. */
void *sgx_pagemap_erase(struct sgx_pagemap *map, uint64_t key);
static inline size_t sgx_pagemap_count(const struct sgx_pagemap *map)
{
	return map->count;
}
/*
 * Iteration in no particular order: start with *pos = 0; returns the next value (and its key)
 * or NULL at the end. Erasing the entry just returned is allowed; inserting is not.
 */
void *sgx_pagemap_next(const struct sgx_pagemap *map, size_t *pos, uint64_t *key);

#endif /* SGXEMU_KERNEL_PAGEMAP_H */
