/* SPDX-License-Identifier: MIT */
/*
 * The SGXS reader (include/sgxemu/sgxs.h). The stream comes from memory (read in place) or from
 * a file descriptor (through a buffer). Measuring hashes the consumed bytes directly: runs of
 * consecutive measured records are contiguous in the stream, so they go to SHA-256 in one call
 * per run, not one per record, which keeps `sgxemu measure` at the speed of SHA-256 itself.
 */
#include <sgxemu/sgxs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sgxemu/arch.h>

#include "cpu/measure.h"
#include "lib/sgxs_internal.h"

/* Big enough that read() costs little, small enough to stay in L2 while it is hashed. */
#define SGXS_READ_BUFFER (256 * 1024)
/*
 * Hash what was checked while it is still in cache, instead of checking a whole memory source
 * first and reading it all again from DRAM to hash it.
 */
#define SGXS_HASH_RUN_MAX (64 * 1024)
/*
 * A memory source is hashed ahead of the checks, this much at a time, on the bet that what
 * follows is measured (UNMEASRD is rare): SHA-256 streams through memory at its own pace with
 * the hardware prefetcher's help, and the checks then read headers from cache instead of
 * stalling on DRAM once per 320-byte record. An UNMEASRD record inside the window undoes the
 * bet: the hash returns to its checkpoint and rehashes only the bytes before the record.
 */
#define SGXS_HASH_AHEAD (32 * 1024)

struct sgxemu_sgxs_reader {
	/* the source: window [data, data + len), of which [0, pos) is consumed */
	const uint8_t *data;
	size_t len;
	size_t pos;
	int fd; /* -1: memory source */
	bool own_fd;
	bool eof; /* fd source: read() returned 0 */
	int read_errno;
	uint8_t *buf; /* fd source: the window's storage */

	unsigned int flags;
	char *name; /* prefixes messages: the path, for readers opened by path */
	struct sgxs_canon canon;
	struct sgxemu_sgxs_stats stats;
	bool failed;
	bool done;
	char failure[256]; /* repeated to every call after a failure */

	/* the EADD that ends the page being assembled and starts the next one */
	bool have_next_eadd;
	struct sgxs_record next_eadd;
	uint64_t next_eadd_record, next_eadd_file_offset;

	/* measuring an fd source: [run, run + run_len) is consumed, measured and not hashed yet */
	struct sgx_measurement measurement;
	const uint8_t *run;
	size_t run_len;
	/*
	 * measuring a memory source: SHA-256 has taken everything before hashed_end; all of it
	 * before checkpoint_at is known to be measured, and checkpoint is the state there.
	 */
	const uint8_t *hashed_end;
	const uint8_t *checkpoint_at;
	struct sgx_measurement checkpoint;
};

static void flush_run(struct sgxemu_sgxs_reader *r)
{
	if (r->run_len) {
		sgx_measure_blocks(&r->measurement, r->run, r->run_len);
		r->run_len = 0;
	}
}

/* The reader's hash is only ever finalised, so its block counter is not kept. */
static void hash(struct sgx_measurement *m, const uint8_t *p, size_t n)
{
	SHA256_Update(&m->sha, p, n);
}

/* A memory source's record [p, p + n), measured or not (see SGXS_HASH_AHEAD). */
static void measure_ahead(struct sgxemu_sgxs_reader *r, const uint8_t *p, size_t n, bool measured)
{
	const uint8_t *from, *to;
	size_t left;

	if (!measured) {
		if (p < r->hashed_end) {
			/* Lost the bet: undo the window and hash its measured part again. */
			r->measurement = r->checkpoint;
			hash(&r->measurement, r->checkpoint_at, (size_t)(p - r->checkpoint_at));
			r->hashed_end = p;
		}
		return;
	}
	if (p + n <= r->hashed_end)
		return; /* hashed ahead already */
	/* Everything before the new window is a checked, measured record: commit it. */
	from = p > r->hashed_end ? p : r->hashed_end;
	to = p + n;
	left = r->len - (size_t)(from - r->data);
	if ((size_t)(to - from) < SGXS_HASH_AHEAD)
		to = from + (left < SGXS_HASH_AHEAD ? left : SGXS_HASH_AHEAD);
	r->checkpoint = r->measurement;
	r->checkpoint_at = from;
	hash(&r->measurement, from, (size_t)(to - from));
	r->hashed_end = to;
}

static void measure_bytes(struct sgxemu_sgxs_reader *r, const uint8_t *p, size_t n, bool measured)
{
	if (!(r->flags & SGXEMU_SGXS_MEASURE))
		return;
	if (r->fd < 0) {
		measure_ahead(r, p, n, measured);
		return;
	}
	if (!measured)
		return;
	if (r->run_len && r->run + r->run_len == p && r->run_len < SGXS_HASH_RUN_MAX) {
		r->run_len += n;
		return;
	}
	flush_run(r);
	r->run = p;
	r->run_len = n;
}

/*
 * Makes at least n unconsumed bytes available at r->data + r->pos, unless the stream ends first.
 * Returns the number available (< n only at the end of the stream or on a read error).
 */
static size_t ensure(struct sgxemu_sgxs_reader *r, size_t n)
{
	size_t have = r->len - r->pos;

	if (have >= n || r->fd < 0 || r->eof || r->read_errno)
		return have;
	/* The window moves: hash what points into it first. */
	flush_run(r);
	memmove(r->buf, r->buf + r->pos, have);
	r->pos = 0;
	r->len = have;
	while (r->len < SGXS_READ_BUFFER) {
		ssize_t got = read(r->fd, r->buf + r->len, SGXS_READ_BUFFER - r->len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r->read_errno = errno;
			break;
		}
		if (got == 0) {
			r->eof = true;
			break;
		}
		r->len += (size_t)got;
	}
	return r->len - r->pos;
}

/* The stream is bad: this and every later call report r->failure. */
static int fail(struct sgxemu_sgxs_reader *r, char *err, size_t errlen)
{
	r->failed = true;
	if (r->name)
		return sgxs_error(err, errlen, "%s: %s", r->name, r->failure);
	return sgxs_error(err, errlen, "%s", r->failure);
}

/*
 * Reads one record. 1 with *rec and *chunk (the data of EEXTEND/UNMEASRD, valid until the next
 * read), 0 at the clean end of the stream, -1 with the reason in r->failure.
 */
static int read_record(struct sgxemu_sgxs_reader *r, struct sgxs_record *rec, const uint8_t **chunk)
{
	char *err = r->failure;
	size_t errlen = sizeof(r->failure);
	const struct sgxs_canon *c = &r->canon;
	size_t have = ensure(r, SGXEMU_SGXS_HEADER_SIZE), size;
	const uint8_t *p;

	if (r->read_errno)
		return sgxs_error(err, errlen, "read error at offset 0x%" PRIx64 ": %s",
				  c->file_offset + have, strerror(r->read_errno));
	if (have == 0) {
		if (c->record == 0)
			return sgxs_error(err, errlen, "empty stream (no ECREATE record)");
		return 0;
	}
	if (have < SGXEMU_SGXS_HEADER_SIZE)
		return sgxs_error(err, errlen,
				  "record %" PRIu64 " at offset 0x%" PRIx64
				  ": truncated header (%zu of 64 bytes)",
				  c->record, c->file_offset, have);
	p = r->data + r->pos;
	/*
	 * Records are 320 bytes apart and the check reads only their first line, a stride the
	 * hardware prefetcher follows poorly; ask for the header a few records ahead.
	 */
	__builtin_prefetch(p + 16 * (SGXEMU_SGXS_HEADER_SIZE + SGXEMU_SGXS_CHUNK_SIZE));
	{
		uint64_t record = c->record, file_offset = c->file_offset;

		if (!sgxs_canon_fast_eextend(&r->canon, p, rec) &&
		    sgxs_canon_check(&r->canon, p, rec, err, errlen))
			return -1;
		size = sgxs_record_size(rec->kind);
		if (size > SGXEMU_SGXS_HEADER_SIZE) {
			have = ensure(r, size);
			if (r->read_errno)
				return sgxs_error(err, errlen,
						  "read error at offset 0x%" PRIx64 ": %s",
						  file_offset + have, strerror(r->read_errno));
			if (have < size)
				return sgxs_error(err, errlen,
						  "record %" PRIu64 " at offset 0x%" PRIx64
						  ": %s data truncated (%zu of 256 bytes)",
						  record, file_offset,
						  rec->kind == SGXS_EEXTEND ? "EEXTEND"
									    : "UNMEASRD",
						  have - SGXEMU_SGXS_HEADER_SIZE);
			p = r->data + r->pos; /* ensure() may have moved the window */
		}
	}
	*chunk = p + SGXEMU_SGXS_HEADER_SIZE;
	measure_bytes(r, p, size, rec->kind != SGXS_UNMEASRD);
	r->pos += size;
	r->stats.records++;
	r->stats.bytes += size;
	switch (rec->kind) {
	case SGXS_EADD:
		r->stats.pages++;
		if (sgx_secinfo_page_type(rec->flags) == SGX_PAGE_TYPE_TCS)
			r->stats.tcs_pages++;
		break;
	case SGXS_EEXTEND:
		r->stats.measured_chunks++;
		break;
	case SGXS_UNMEASRD:
		r->stats.unmeasured_chunks++;
		break;
	case SGXS_ECREATE:
		break;
	}
	return 1;
}

static struct sgxemu_sgxs_reader *reader_new(unsigned int flags)
{
	struct sgxemu_sgxs_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->flags = flags;
	sgxs_canon_init(&r->canon);
	sgx_measure_init(&r->measurement);
	return r;
}

/* Reads ECREATE; on failure frees r and returns NULL. */
static struct sgxemu_sgxs_reader *reader_start(struct sgxemu_sgxs_reader *r, char *err,
					       size_t errlen)
{
	struct sgxs_record rec;
	const uint8_t *chunk;

	if (read_record(r, &rec, &chunk) != 1) {
		fail(r, err, errlen);
		sgxemu_sgxs_close(r);
		return NULL;
	}
	return r;
}

struct sgxemu_sgxs_reader *sgxemu_sgxs_open_mem(const void *buf, size_t len, unsigned int flags,
						char *err, size_t errlen)
{
	struct sgxemu_sgxs_reader *r = reader_new(flags);

	if (!r) {
		sgxs_error(err, errlen, "out of memory");
		return NULL;
	}
	r->data = buf;
	r->len = len;
	r->hashed_end = r->checkpoint_at = r->data;
	return reader_start(r, err, errlen);
}

static struct sgxemu_sgxs_reader *open_fd(int fd, const char *name, unsigned int flags, char *err,
					  size_t errlen)
{
	struct sgxemu_sgxs_reader *r = reader_new(flags);

	if (r) {
		r->buf = malloc(SGXS_READ_BUFFER);
		r->name = name ? strdup(name) : NULL;
	}
	if (!r || !r->buf || (name && !r->name)) {
		sgxemu_sgxs_close(r);
		sgxs_error(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->data = r->buf;
	return reader_start(r, err, errlen);
}

struct sgxemu_sgxs_reader *sgxemu_sgxs_open_fd(int fd, unsigned int flags, char *err, size_t errlen)
{
	return open_fd(fd, NULL, flags, err, errlen);
}

struct sgxemu_sgxs_reader *sgxemu_sgxs_open(const char *path, unsigned int flags, char *err,
					    size_t errlen)
{
	struct sgxemu_sgxs_reader *r;
	int fd;

	if (!strcmp(path, "-"))
		return open_fd(STDIN_FILENO, "<stdin>", flags, err, errlen);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sgxs_error(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = open_fd(fd, path, flags, err, errlen);
	if (!r) {
		close(fd);
		return NULL;
	}
	r->own_fd = true;
	return r;
}

void sgxemu_sgxs_close(struct sgxemu_sgxs_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r->name);
	free(r);
}

const struct sgxemu_sgxs_info *sgxemu_sgxs_info(const struct sgxemu_sgxs_reader *r)
{
	return &r->canon.info;
}

const struct sgxemu_sgxs_stats *sgxemu_sgxs_stats(const struct sgxemu_sgxs_reader *r)
{
	return &r->stats;
}

static void add_chunk(struct sgxemu_sgxs_page *page, const struct sgxs_record *rec,
		      const uint8_t *chunk)
{
	unsigned int index =
		(unsigned int)((rec->offset & (SGX_PAGE_SIZE - 1)) / SGXEMU_SGXS_CHUNK_SIZE);

	memcpy(page->data + index * SGXEMU_SGXS_CHUNK_SIZE, chunk, SGXEMU_SGXS_CHUNK_SIZE);
	page->loaded |= (uint16_t)(1U << index);
	if (rec->kind == SGXS_EEXTEND) {
		page->measured |= (uint16_t)(1U << index);
		page->measure_order[page->nr_measured++] = (uint8_t)index;
	}
}

int sgxemu_sgxs_next_page(struct sgxemu_sgxs_reader *r, struct sgxemu_sgxs_page *page, char *err,
			  size_t errlen)
{
	struct sgxs_record rec;
	const uint8_t *chunk;
	uint64_t record, file_offset;
	int ret;

	if (r->failed)
		return fail(r, err, errlen);
	if (r->done)
		return 0;
	if (!r->have_next_eadd) {
		/* The first page: ECREATE is behind us, so this is EADD, the end, or an error. */
		record = r->canon.record;
		file_offset = r->canon.file_offset;
		ret = read_record(r, &rec, &chunk);
		if (ret < 0)
			return fail(r, err, errlen);
		if (ret == 0) {
			r->done = true;
			return 0;
		}
		/* sgxs_canon_check refuses a chunk before any EADD, so this is an EADD. */
		r->next_eadd = rec;
		r->next_eadd_record = record;
		r->next_eadd_file_offset = file_offset;
	}

	memset(page, 0, offsetof(struct sgxemu_sgxs_page, data));
	page->offset = r->next_eadd.offset;
	page->secinfo_flags = r->next_eadd.flags;
	page->record = r->next_eadd_record;
	page->file_offset = r->next_eadd_file_offset;
	memset(page->data, 0, sizeof(page->data));
	r->have_next_eadd = false;

	for (;;) {
		record = r->canon.record;
		file_offset = r->canon.file_offset;
		ret = read_record(r, &rec, &chunk);
		if (ret < 0)
			return fail(r, err, errlen);
		if (ret == 0) {
			r->done = true;
			return 1;
		}
		if (rec.kind == SGXS_EADD) {
			r->have_next_eadd = true;
			r->next_eadd = rec;
			r->next_eadd_record = record;
			r->next_eadd_file_offset = file_offset;
			return 1;
		}
		add_chunk(page, &rec, chunk);
	}
}

int sgxemu_sgxs_mrenclave(struct sgxemu_sgxs_reader *r, uint8_t mrenclave[32], char *err,
			  size_t errlen)
{
	struct sgxs_record rec;
	const uint8_t *chunk;
	int ret;

	if (!(r->flags & SGXEMU_SGXS_MEASURE))
		return sgxs_error(err, errlen,
				  "the reader was not opened with SGXEMU_SGXS_MEASURE");
	if (r->failed)
		return fail(r, err, errlen);
	while (!r->done) {
		ret = read_record(r, &rec, &chunk);
		if (ret < 0)
			return fail(r, err, errlen);
		if (ret == 0)
			r->done = true;
	}
	flush_run(r);
	sgx_measure_final(&r->measurement, mrenclave);
	return 0;
}

static int measure_and_close(struct sgxemu_sgxs_reader *r, uint8_t mrenclave[32],
			     struct sgxemu_sgxs_info *info, char *err, size_t errlen)
{
	int ret;

	if (!r)
		return -1;
	ret = sgxemu_sgxs_mrenclave(r, mrenclave, err, errlen);
	if (!ret && info)
		*info = r->canon.info;
	sgxemu_sgxs_close(r);
	return ret;
}

int sgxemu_sgxs_measure_file(const char *path, uint8_t mrenclave[32], struct sgxemu_sgxs_info *info,
			     char *err, size_t errlen)
{
	return measure_and_close(sgxemu_sgxs_open(path, SGXEMU_SGXS_MEASURE, err, errlen),
				 mrenclave, info, err, errlen);
}

int sgxemu_sgxs_measure_mem(const void *buf, size_t len, uint8_t mrenclave[32],
			    struct sgxemu_sgxs_info *info, char *err, size_t errlen)
{
	return measure_and_close(sgxemu_sgxs_open_mem(buf, len, SGXEMU_SGXS_MEASURE, err, errlen),
				 mrenclave, info, err, errlen);
}
