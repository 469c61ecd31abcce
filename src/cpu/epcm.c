/* SPDX-License-Identifier: MIT */
/*
 * EPC frames: address <-> index, the per-page leaf locks of ref §10, the SECS page and its hidden
 * state, and where each frame's 4 KiB live (docs/internals.md "EPC addresses, frames, storage").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/cpu_internal.h"

/* --- addresses ------------------------------------------------------------------------------ */

int64_t sgx_frame_index(const struct sgx_cpu *cpu, sgx_paddr_t addr)
{
	for (unsigned int i = 0; i < cpu->nr_sections; i++) {
		const struct sgx_section *s = &cpu->sections[i];

		if (addr >= s->base && addr - s->base < s->size)
			return (int64_t)(s->first_frame + ((addr - s->base) >> SGX_PAGE_SHIFT));
	}
	return -1;
}

sgx_paddr_t sgx_frame_paddr(const struct sgx_cpu *cpu, uint64_t index)
{
	for (unsigned int i = 0; i < cpu->nr_sections; i++) {
		const struct sgx_section *s = &cpu->sections[i];

		if (index >= s->first_frame && index - s->first_frame < s->nr_frames)
			return s->base + ((index - s->first_frame) << SGX_PAGE_SHIFT);
	}
	return 0;
}

/* --- leaf locks ------------------------------------------------------------------------------ */

bool sgx_page_trylock_excl(struct sgx_cpu *cpu, uint64_t index)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(&cpu->epcm[index].lock, &expected, SGX_PAGE_LOCK_EXCL,
					   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

bool sgx_page_trylock_shared(struct sgx_cpu *cpu, uint64_t index)
{
	uint32_t *word = &cpu->epcm[index].lock;
	uint32_t v = __atomic_load_n(word, __ATOMIC_RELAXED);

	do {
		if (v >= SGX_PAGE_LOCK_EXCL_SGX2)
			return false;
	} while (!__atomic_compare_exchange_n(word, &v, v + 1, true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

bool sgx_page_trylock_excl_sgx2(struct sgx_cpu *cpu, uint64_t index)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(&cpu->epcm[index].lock, &expected,
					   SGX_PAGE_LOCK_EXCL_SGX2, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

bool sgx_page_held_by_sgx2(struct sgx_cpu *cpu, uint64_t index)
{
	return __atomic_load_n(&cpu->epcm[index].lock, __ATOMIC_RELAXED) == SGX_PAGE_LOCK_EXCL_SGX2;
}

void sgx_page_unlock_excl(struct sgx_cpu *cpu, uint64_t index)
{
	__atomic_store_n(&cpu->epcm[index].lock, 0, __ATOMIC_RELEASE);
}

void sgx_page_unlock_shared(struct sgx_cpu *cpu, uint64_t index)
{
	__atomic_sub_fetch(&cpu->epcm[index].lock, 1, __ATOMIC_RELEASE);
}

bool sgx_trylock(uint32_t *word)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(word, &expected, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void sgx_unlock(uint32_t *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

/* --- SECS ------------------------------------------------------------------------------------ */

struct sgx_secs *sgx_secs_page(struct sgx_cpu *cpu, uint64_t secs_index)
{
	return (struct sgx_secs *)cpu->frames[secs_index].kva;
}

struct sgx_secs_hidden *sgx_secs_hidden(struct sgx_cpu *cpu, uint64_t secs_index)
{
	return (struct sgx_secs_hidden *)(cpu->frames[secs_index].kva + SGX_SECS_HIDDEN_OFFSET);
}

/*
 * The slice of the enclave whose SECS is in this frame, created on first use. The SECS frame
 * keeps one reference; after the SECS moves frames (EWB/ELDU) the new frame finds the same slice
 * again by the EID that travelled inside the page.
 */
static struct sgx_slice *secs_frame_slice(struct sgx_cpu *cpu, uint64_t secs_index)
{
	struct sgx_frame *secs = &cpu->frames[secs_index];
	struct sgx_slice *slice = __atomic_load_n(&secs->slice, __ATOMIC_ACQUIRE);
	struct sgx_slice *expected = NULL;

	if (slice)
		return slice;
	slice = sgx_slice_get_or_create(cpu, sgx_secs_hidden(cpu, secs_index)->eid,
					sgx_secs_page(cpu, secs_index)->size);
	if (!slice)
		return NULL;
	if (!__atomic_compare_exchange_n(&secs->slice, &expected, slice, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		sgx_slice_put(slice); /* another leaf attached it first: same slice, drop ours */
		slice = expected;
	}
	return slice;
}

struct sgx_slice *sgx_cpu_secs_slice(struct sgx_cpu *cpu, sgx_paddr_t secs)
{
	int64_t index = sgx_frame_index(cpu, secs);
	struct sgx_epcm_entry *e;
	struct sgx_slice *slice;

	if (index < 0 || (secs & (SGX_PAGE_SIZE - 1)))
		return NULL;
	e = sgx_epcm(cpu, (uint64_t)index);
	if (!__atomic_load_n(&e->valid, __ATOMIC_ACQUIRE) || e->page_type != SGX_PAGE_TYPE_SECS)
		return NULL;
	slice = secs_frame_slice(cpu, (uint64_t)index);
	return slice ? sgx_slice_ref(slice) : NULL;
}

/* --- storage --------------------------------------------------------------------------------- */

/* A file bound with sgx_cpu_bind_frame_storage(), mapped once for all its frames. */
struct sgx_bound_map {
	struct sgx_bound_map *next;
	dev_t dev;
	ino_t ino;
	int fd; /* our own dup, for punching */
	uint8_t *kva;
	uint64_t size;
	unsigned int refs; /* under cpu->bind_lock */
};

uint8_t *sgx_frame_attach_child(struct sgx_cpu *cpu, uint64_t index, uint64_t secs_index,
				uint64_t linaddr)
{
	struct sgx_frame *f = &cpu->frames[index];
	struct sgx_slice *slice;
	uint64_t offset = linaddr - sgx_secs_page(cpu, secs_index)->base;

	sgx_frame_touch(cpu, index);
	if (f->bound_kva)
		return f->kva = f->bound_kva;
	slice = secs_frame_slice(cpu, secs_index);
	if (!slice || offset >= sgx_slice_size(slice))
		return NULL;
	f->slice = sgx_slice_ref(slice);
	f->kva = sgx_slice_kva(slice) + offset;
	return f->kva;
}

uint8_t *sgx_frame_attach_pool(struct sgx_cpu *cpu, uint64_t index)
{
	struct sgx_frame *f = &cpu->frames[index];

	sgx_frame_touch(cpu, index);
	if (f->bound_kva)
		return f->kva = f->bound_kva;
	f->kva = cpu->pool_kva + (index << SGX_PAGE_SHIFT);
	return f->kva;
}

void sgx_frame_clear(struct sgx_cpu *cpu, uint64_t index)
{
	uint64_t offset;
	int fd = sgx_frame_storage(cpu, index, &offset);

	if (fd >= 0 && !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
				  (off_t)SGX_PAGE_SIZE))
		return;
	if (cpu->frames[index].kva)
		memset(cpu->frames[index].kva, 0, SGX_PAGE_SIZE);
}

int sgx_frame_write(struct sgx_cpu *cpu, uint64_t index, const void *src)
{
	uint64_t offset;
	int fd = sgx_frame_storage(cpu, index, &offset);

	if (fd >= 0 && pwrite(fd, src, SGX_PAGE_SIZE, (off_t)offset) == (ssize_t)SGX_PAGE_SIZE)
		return 0;
	if (!cpu->frames[index].kva)
		return -1;
	/* Not a file we can write to (or it refused): through the mapping, as a last resort. */
	memcpy(cpu->frames[index].kva, src, SGX_PAGE_SIZE);
	return 0;
}

static void punch(int fd, uint64_t offset)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)SGX_PAGE_SIZE))
		pr_warn_once("cannot punch EPC storage: %s\n", strerror(errno));
}

void sgx_frame_detach(struct sgx_cpu *cpu, uint64_t index)
{
	struct sgx_frame *f = &cpu->frames[index];
	uint8_t *pool_end = cpu->pool_kva + (cpu->nr_frames << SGX_PAGE_SHIFT);

	if (f->kva) {
		if (f->bound_kva)
			punch(f->bound_map->fd, (uint64_t)(f->bound_kva - f->bound_map->kva));
		else if (f->kva >= cpu->pool_kva && f->kva < pool_end)
			punch(cpu->pool_fd, index << SGX_PAGE_SHIFT);
		else if (f->slice)
			sgx_slice_punch(f->slice, (uint64_t)(f->kva - sgx_slice_kva(f->slice)));
	}
	if (f->slice)
		sgx_slice_put(f->slice);
	f->slice = NULL;
	f->kva = NULL;
	sgx_frame_touch(cpu, index);
}

/*
 * The file and offset that hold a valid frame's 4 KiB (paging's pread/pwrite path). Moving a
 * whole page with one pread/pwrite instead of through kva leaves it unmapped in the CPU's view,
 * so the punch that evicts it needs no TLB shootdown (~45 us on a PVM guest, 20x the crypto).
 */
int sgx_frame_storage(struct sgx_cpu *cpu, uint64_t index, uint64_t *offset)
{
	struct sgx_frame *f = &cpu->frames[index];
	uint8_t *pool_end = cpu->pool_kva + (cpu->nr_frames << SGX_PAGE_SHIFT);

	if (!f->kva)
		return -1;
	if (f->bound_kva) {
		*offset = (uint64_t)(f->bound_kva - f->bound_map->kva);
		return f->bound_map->fd;
	}
	if (f->kva >= cpu->pool_kva && f->kva < pool_end) {
		*offset = index << SGX_PAGE_SHIFT;
		return cpu->pool_fd;
	}
	if (!f->slice)
		return -1;
	*offset = (uint64_t)(f->kva - sgx_slice_kva(f->slice));
	return sgx_slice_fd(f->slice);
}

static struct sgx_bound_map *bound_map_get(struct sgx_cpu *cpu, int fd, uint64_t offset)
{
	struct sgx_bound_map *map;
	struct stat st;
	void *kva;

	if (fstat(fd, &st))
		return NULL;
	for (map = cpu->bound_maps; map; map = map->next) {
		if (map->dev == st.st_dev && map->ino == st.st_ino &&
		    offset + SGX_PAGE_SIZE <= map->size) {
			map->refs++;
			return map;
		}
	}
	if ((uint64_t)st.st_size < offset + SGX_PAGE_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	map = calloc(1, sizeof(*map));
	if (!map)
		return NULL;
	kva = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd,
		   0);
	if (kva == MAP_FAILED) {
		free(map);
		return NULL;
	}
	madvise(kva, (size_t)st.st_size, MADV_DONTFORK); /* never a forked child's to write */
	map->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (map->fd < 0) {
		munmap(kva, (size_t)st.st_size);
		free(map);
		return NULL;
	}
	map->dev = st.st_dev;
	map->ino = st.st_ino;
	map->kva = kva;
	map->size = (uint64_t)st.st_size;
	map->refs = 1;
	map->next = cpu->bound_maps;
	cpu->bound_maps = map;
	return map;
}

static void bound_map_put(struct sgx_cpu *cpu, struct sgx_bound_map *map)
{
	struct sgx_bound_map **pp;

	if (--map->refs)
		return;
	for (pp = &cpu->bound_maps; *pp != map; pp = &(*pp)->next)
		;
	*pp = map->next;
	munmap(map->kva, map->size);
	close(map->fd);
	free(map);
}

void sgx_bound_maps_destroy(struct sgx_cpu *cpu)
{
	while (cpu->bound_maps) {
		cpu->bound_maps->refs = 1;
		bound_map_put(cpu, cpu->bound_maps);
	}
}

int sgx_cpu_bind_frame_storage(struct sgx_cpu *cpu, sgx_paddr_t frame, int fd, uint64_t offset)
{
	int64_t index = sgx_frame_index(cpu, frame);
	struct sgx_frame *f;
	struct sgx_bound_map *map = NULL;
	int ret = 0;

	if (index < 0 || (frame & (SGX_PAGE_SIZE - 1)) || (offset & (SGX_PAGE_SIZE - 1)))
		return -EINVAL;
	f = &cpu->frames[index];
	pthread_mutex_lock(&cpu->bind_lock);
	if (__atomic_load_n(&cpu->epcm[index].valid, __ATOMIC_ACQUIRE)) {
		ret = -EBUSY;
		goto out;
	}
	if (fd >= 0) {
		map = bound_map_get(cpu, fd, offset);
		if (!map) {
			ret = errno ? -errno : -ENOMEM;
			goto out;
		}
	}
	if (f->bound_map)
		bound_map_put(cpu, f->bound_map);
	f->bound_map = map;
	f->bound_kva = map ? map->kva + offset : NULL;
out:
	pthread_mutex_unlock(&cpu->bind_lock);
	return ret;
}
