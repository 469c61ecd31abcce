/* SPDX-License-Identifier: MIT */
#include "kernel/pagemap.h"

#include <errno.h>
#include <stdlib.h>

/* value == NULL: empty; value == TOMBSTONE: erased (keeps probe chains intact). */
struct sgx_pagemap_slot {
	uint64_t key;
	void *value;
};

static char sgx_pagemap_tombstone;
#define TOMBSTONE ((void *)&sgx_pagemap_tombstone)

static size_t sgx_pagemap_hash(uint64_t key, size_t capacity)
{
	/* Fibonacci hashing: consecutive PFNs (the common case) spread over the table. */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & (capacity - 1);
}

void sgx_pagemap_init(struct sgx_pagemap *map)
{
	map->slots = NULL;
	map->capacity = 0;
	map->count = 0;
	map->used = 0;
}

void sgx_pagemap_destroy(struct sgx_pagemap *map)
{
	free(map->slots);
	sgx_pagemap_init(map);
}

static struct sgx_pagemap_slot *sgx_pagemap_find(const struct sgx_pagemap *map, uint64_t key)
{
	size_t i;

	if (!map->capacity)
		return NULL;
	for (i = sgx_pagemap_hash(key, map->capacity);; i = (i + 1) & (map->capacity - 1)) {
		struct sgx_pagemap_slot *slot = &map->slots[i];

		if (!slot->value)
			return NULL;
		if (slot->value != TOMBSTONE && slot->key == key)
			return slot;
	}
}

static int sgx_pagemap_resize(struct sgx_pagemap *map, size_t capacity)
{
	struct sgx_pagemap_slot *old = map->slots, *slots;
	size_t old_capacity = map->capacity;

	slots = calloc(capacity, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	map->slots = slots;
	map->capacity = capacity;
	map->used = map->count;
	for (size_t i = 0; i < old_capacity; i++) {
		size_t j;

		if (!old[i].value || old[i].value == TOMBSTONE)
			continue;
		for (j = sgx_pagemap_hash(old[i].key, capacity); slots[j].value;
		     j = (j + 1) & (capacity - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

int sgx_pagemap_insert(struct sgx_pagemap *map, uint64_t key, void *value)
{
	size_t i;

	if (sgx_pagemap_find(map, key))
		return -EBUSY;
	/* Keep the load (tombstones included) at most 1/2 so probe chains stay short. */
	if ((map->used + 1) * 2 > map->capacity) {
		size_t capacity = map->capacity ? map->capacity : 16;

		/* Rehash to a load of at most 1/4 (tombstones go away), so that we never thrash. */
		while ((map->count + 1) * 4 > capacity)
			capacity *= 2;
		if (sgx_pagemap_resize(map, capacity))
			return -ENOMEM;
	}
	for (i = sgx_pagemap_hash(key, map->capacity);; i = (i + 1) & (map->capacity - 1)) {
		struct sgx_pagemap_slot *slot = &map->slots[i];

		if (!slot->value || slot->value == TOMBSTONE) {
			if (!slot->value)
				map->used++;
			slot->key = key;
			slot->value = value;
			map->count++;
			return 0;
		}
	}
}

void *sgx_pagemap_load(const struct sgx_pagemap *map, uint64_t key)
{
	struct sgx_pagemap_slot *slot = sgx_pagemap_find(map, key);

	return slot ? slot->value : NULL;
}

void *sgx_pagemap_erase(struct sgx_pagemap *map, uint64_t key)
{
	struct sgx_pagemap_slot *slot = sgx_pagemap_find(map, key);
	void *value;

	if (!slot)
		return NULL;
	value = slot->value;
	slot->value = TOMBSTONE;
	map->count--;
	return value;
}

void *sgx_pagemap_next(const struct sgx_pagemap *map, size_t *pos, uint64_t *key)
{
	for (; *pos < map->capacity; (*pos)++) {
		const struct sgx_pagemap_slot *slot = &map->slots[*pos];

		if (slot->value && slot->value != TOMBSTONE) {
			(*pos)++;
			if (key)
				*key = slot->key;
			return slot->value;
		}
	}
	return NULL;
}
