/* SPDX-License-Identifier: MIT */
/*
 * SGXS, Fortanix's "SGX stream" enclave format (ref/sgxs.md): the ECREATE/EADD/EEXTEND
 * measurement blocks in build order, EEXTEND blocks followed by their 256 data bytes, plus the
 * unmeasured UNMEASRD chunks. For a plain stream SHA-256(file) = MRENCLAVE.
 *
 * The reader is strict: it accepts only canonical streams (ref/sgxs.md §4) that a loader can
 * build and whose measurement is what the CPU computes, and names the record index and file
 * offset of the first thing that is wrong. One reader serves both users:
 *   - measuring: sgxemu_sgxs_mrenclave() (no page is assembled; runs at SHA-256 speed);
 *   - loading: sgxemu_sgxs_next_page() gives each page with its SECINFO flags, its measured-chunk
 *     mask and its 4 KiB contents, in ascending address order.
 * The writer produces canonical streams only (it runs the same checks as the reader).
 */
#ifndef SGXEMU_SGXS_H
#define SGXEMU_SGXS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Record tags: the first 8 bytes of each 64-byte header, as a little-endian u64. */
#define SGXEMU_SGXS_TAG_ECREATE 0x0045544145524345ULL  /* "ECREATE\0" */
#define SGXEMU_SGXS_TAG_UNSIZED 0x0044455A49534E55ULL  /* "UNSIZED\0" */
#define SGXEMU_SGXS_TAG_EADD 0x0000000044444145ULL     /* "EADD\0\0\0\0" */
#define SGXEMU_SGXS_TAG_EEXTEND 0x00444E4554584545ULL  /* "EEXTEND\0" */
#define SGXEMU_SGXS_TAG_UNMEASRD 0x44525341454D4E55ULL /* "UNMEASRD" */

#define SGXEMU_SGXS_HEADER_SIZE 64
#define SGXEMU_SGXS_CHUNK_SIZE 256
#define SGXEMU_SGXS_CHUNKS_PER_PAGE 16
#define SGXEMU_SGXS_MIN_SIZE 0x2000ULL

/* What ECREATE says about the enclave. */
struct sgxemu_sgxs_info {
	uint32_t ssa_frame_size; /* pages per SSA frame, >= 1 */
	uint64_t size;		 /* ELRANGE size: a power of two >= 8 KiB */
};

/* One page of the enclave, as a loader adds it. */
struct sgxemu_sgxs_page {
	uint64_t offset;	/* from the enclave base; 4 KiB aligned, < SIZE */
	uint64_t secinfo_flags; /* REG with R/W/X, or TCS (RWX clear) */
	uint16_t measured;	/* bit i: chunk i (bytes 256i..256i+255) was EEXTENDed */
	uint16_t loaded;	/* bit i: chunk i has data (EEXTEND or UNMEASRD); the rest is 0 */
	/*
	 * The EEXTENDed chunks in stream order. A canonical stream may measure a page's chunks in
	 * any order, and MRENCLAVE depends on that order; a loader that issues EEXTEND itself uses
	 * this to reproduce the stream's measurement (the kernel uAPI always goes 0..15).
	 */
	uint8_t nr_measured;
	uint8_t measure_order[SGXEMU_SGXS_CHUNKS_PER_PAGE];
	uint64_t record;      /* index of its EADD record (ECREATE is record 0) */
	uint64_t file_offset; /* byte offset of its EADD record */
	uint8_t data[4096];
};

/* Stream statistics, complete once the stream has been read to the end. */
struct sgxemu_sgxs_stats {
	uint64_t records;
	uint64_t pages;
	uint64_t tcs_pages;
	uint64_t measured_chunks;
	uint64_t unmeasured_chunks;
	uint64_t bytes; /* consumed so far */
};

struct sgxemu_sgxs_reader;

/* Open flags */
#define SGXEMU_SGXS_MEASURE (1U << 0) /* keep MRENCLAVE while reading (sgxemu_sgxs_mrenclave) */

/*
 * Open a stream and read its ECREATE. path "-" is standard input. The fd variant reads from the
 * current position and never closes fd; the memory variant reads buf in place (buf must outlive
 * the reader). All return NULL with a one-line reason in err: unreadable file, empty stream,
 * first record not a valid ECREATE, an UNSIZED (unfinished) stream.
 */
struct sgxemu_sgxs_reader *sgxemu_sgxs_open(const char *path, unsigned int flags, char *err,
					    size_t errlen);
struct sgxemu_sgxs_reader *sgxemu_sgxs_open_fd(int fd, unsigned int flags, char *err,
					       size_t errlen);
struct sgxemu_sgxs_reader *sgxemu_sgxs_open_mem(const void *buf, size_t len, unsigned int flags,
						char *err, size_t errlen);
void sgxemu_sgxs_close(struct sgxemu_sgxs_reader *r);

const struct sgxemu_sgxs_info *sgxemu_sgxs_info(const struct sgxemu_sgxs_reader *r);
const struct sgxemu_sgxs_stats *sgxemu_sgxs_stats(const struct sgxemu_sgxs_reader *r);

/*
 * The next page in address order: 1 with *page filled, 0 at the clean end of the stream, -1 with
 * the reason in err ("record 7 at offset 0x200: ..."). After -1 every call fails again.
 */
int sgxemu_sgxs_next_page(struct sgxemu_sgxs_reader *r, struct sgxemu_sgxs_page *page, char *err,
			  size_t errlen);

/*
 * Reads (and checks) the rest of the stream and gives its MRENCLAVE. Needs SGXEMU_SGXS_MEASURE.
 * Pages already returned by next_page are part of it. 0, or -1 with the reason in err.
 */
int sgxemu_sgxs_mrenclave(struct sgxemu_sgxs_reader *r, uint8_t mrenclave[32], char *err,
			  size_t errlen);

/* Convenience: the MRENCLAVE (and, if info is not NULL, the ECREATE fields) of a whole stream. */
int sgxemu_sgxs_measure_file(const char *path, uint8_t mrenclave[32], struct sgxemu_sgxs_info *info,
			     char *err, size_t errlen);
int sgxemu_sgxs_measure_mem(const void *buf, size_t len, uint8_t mrenclave[32],
			    struct sgxemu_sgxs_info *info, char *err, size_t errlen);

/* --- writer ------------------------------------------------------------------------------- */

struct sgxemu_sgxs_writer;

/* Starts a stream on out with its ECREATE record. NULL with a reason in err. */
struct sgxemu_sgxs_writer *sgxemu_sgxs_writer_new(FILE *out, uint32_t ssa_frame_size, uint64_t size,
						  char *err, size_t errlen);

/*
 * Appends records. Pages must come in ascending order, chunks right after their page's EADD, no
 * chunk twice; flags are checked as the reader checks them. 0, or -1 with the reason in err (the
 * writer then refuses everything else).
 */
int sgxemu_sgxs_write_eadd(struct sgxemu_sgxs_writer *w, uint64_t offset, uint64_t secinfo_flags,
			   char *err, size_t errlen);
int sgxemu_sgxs_write_eextend(struct sgxemu_sgxs_writer *w, uint64_t offset,
			      const uint8_t data[256], char *err, size_t errlen);
int sgxemu_sgxs_write_unmeasured(struct sgxemu_sgxs_writer *w, uint64_t offset,
				 const uint8_t data[256], char *err, size_t errlen);

/*
 * A whole page: EADD, then EEXTEND for each chunk in `measured` and UNMEASRD for each chunk in
 * `unmeasured` (ascending; the masks must not overlap). Unmentioned chunks load as zero.
 * SGXEMU_SGXS_MEASURE_ALL measures the whole page, as the kernel's SGX_PAGE_MEASURE does.
 */
#define SGXEMU_SGXS_MEASURE_ALL 0xFFFFU
int sgxemu_sgxs_write_page(struct sgxemu_sgxs_writer *w, uint64_t offset, uint64_t secinfo_flags,
			   const uint8_t data[4096], uint16_t measured, uint16_t unmeasured,
			   char *err, size_t errlen);

/* MRENCLAVE of what was written so far. */
void sgxemu_sgxs_writer_mrenclave(const struct sgxemu_sgxs_writer *w, uint8_t mrenclave[32]);

/* Flushes out (which stays open) and frees w. 0, or -1 if a write failed (reason in err). */
int sgxemu_sgxs_writer_finish(struct sgxemu_sgxs_writer *w, char *err, size_t errlen);

#endif /* SGXEMU_SGXS_H */
