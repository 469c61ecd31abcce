/* SPDX-License-Identifier: MIT */
/*
 * Per-enclave storage slices: one sparse memfd of SECS.SIZE bytes per enclave, holding each child
 * page at its linear offset, mapped once read-write in the CPU's view. The runtime maps the same
 * memfd at ELRANGE (one VMA per permission run), so what EADD writes here is what the enclave
 * sees there, with no copy.
 *
 * Slices are keyed by the enclave's EID, which lives inside the SECS page, so a slice survives
 * its SECS being evicted and reloaded into another frame. References: the kernel layer's (for the
 * enclave's lifetime), the SECS frame's, and one per child frame stored in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

#define SLICE_BUCKETS 64

struct sgx_slice {
	LIST_ENTRY(sgx_slice) link;
	struct sgx_cpu *cpu;
	uint64_t eid;
	uint64_t size;
	int fd;
	uint8_t *kva;
	uint32_t refs; /* changed atomically; the last put happens under the table lock */
};

LIST_HEAD(sgx_slice_list, sgx_slice);

struct sgx_slice_table {
	pthread_mutex_t lock;
	struct sgx_slice_list buckets[SLICE_BUCKETS];
};

static struct sgx_slice_list *bucket(struct sgx_slice_table *t, uint64_t eid)
{
	return &t->buckets[(eid * 0x9E3779B97F4A7C15ULL) >> 58];
}

int sgx_slice_table_init(struct sgx_cpu *cpu)
{
	struct sgx_slice_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	pthread_mutex_init(&t->lock, NULL);
	for (unsigned int i = 0; i < SLICE_BUCKETS; i++)
		LIST_INIT(&t->buckets[i]);
	cpu->slices = t;
	return 0;
}

static void slice_free(struct sgx_slice *slice)
{
	munmap(slice->kva, slice->size);
	close(slice->fd);
	free(slice);
}

void sgx_slice_table_destroy(struct sgx_cpu *cpu)
{
	struct sgx_slice_table *t = cpu->slices;
	struct sgx_slice *slice;

	if (!t)
		return;
	for (unsigned int i = 0; i < SLICE_BUCKETS; i++) {
		while ((slice = LIST_FIRST(&t->buckets[i]))) {
			LIST_REMOVE(slice, link);
			slice_free(slice);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
	cpu->slices = NULL;
}

static struct sgx_slice *slice_create(struct sgx_cpu *cpu, uint64_t eid, uint64_t size)
{
	struct sgx_slice *slice = calloc(1, sizeof(*slice));
	void *kva;

	if (!slice)
		return NULL;
	slice->fd = memfd_create("sgxemu-enclave", MFD_CLOEXEC);
	if (slice->fd < 0)
		goto fail;
	if (ftruncate(slice->fd, (off_t)size))
		goto fail_fd;
	kva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, slice->fd, 0);
	if (kva == MAP_FAILED)
		goto fail_fd;
	/* A forked child must never write the enclave's pages through a copy of this view. */
	madvise(kva, size, MADV_DONTFORK);
	slice->cpu = cpu;
	slice->eid = eid;
	slice->size = size;
	slice->kva = kva;
	slice->refs = 1;
	return slice;

fail_fd:
	close(slice->fd);
fail:
	pr_warn("cannot create the storage of enclave %llu (%llu bytes): %s\n",
		(unsigned long long)eid, (unsigned long long)size, strerror(errno));
	free(slice);
	return NULL;
}

struct sgx_slice *sgx_slice_get_or_create(struct sgx_cpu *cpu, uint64_t eid, uint64_t size)
{
	struct sgx_slice_table *t = cpu->slices;
	struct sgx_slice_list *list = bucket(t, eid);
	struct sgx_slice *slice;

	pthread_mutex_lock(&t->lock);
	LIST_FOREACH(slice, list, link)
	{
		if (slice->eid == eid) {
			__atomic_add_fetch(&slice->refs, 1, __ATOMIC_RELAXED);
			goto out;
		}
	}
	slice = slice_create(cpu, eid, size);
	if (slice)
		LIST_INSERT_HEAD(list, slice, link);
out:
	pthread_mutex_unlock(&t->lock);
	return slice;
}

struct sgx_slice *sgx_slice_ref(struct sgx_slice *slice)
{
	__atomic_add_fetch(&slice->refs, 1, __ATOMIC_RELAXED);
	return slice;
}

void sgx_slice_put(struct sgx_slice *slice)
{
	struct sgx_slice_table *t;
	uint32_t refs = __atomic_load_n(&slice->refs, __ATOMIC_RELAXED);

	/* Fast path: not the last reference, so no lookup can be racing to revive it. */
	while (refs > 1)
		if (__atomic_compare_exchange_n(&slice->refs, &refs, refs - 1, true,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;

	t = slice->cpu->slices;
	pthread_mutex_lock(&t->lock);
	if (__atomic_sub_fetch(&slice->refs, 1, __ATOMIC_ACQ_REL)) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	LIST_REMOVE(slice, link);
	pthread_mutex_unlock(&t->lock);
	slice_free(slice);
}

int sgx_slice_fd(const struct sgx_slice *slice)
{
	return slice->fd;
}

uint64_t sgx_slice_size(const struct sgx_slice *slice)
{
	return slice->size;
}

uint8_t *sgx_slice_kva(const struct sgx_slice *slice)
{
	return slice->kva;
}

void sgx_slice_punch(struct sgx_slice *slice, uint64_t offset)
{
	if (fallocate(slice->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)SGX_PAGE_SIZE))
		pr_warn_once("cannot punch enclave storage: %s\n", strerror(errno));
}
