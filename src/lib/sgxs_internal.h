/* SPDX-License-Identifier: MIT */
/*
 * The canonical-stream rules of ref/sgxs.md §4, shared by the SGXS reader and writer so that the
 * writer can never produce a stream the reader rejects.
 */
#ifndef SGXEMU_LIB_SGXS_INTERNAL_H
#define SGXEMU_LIB_SGXS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sgxemu/sgxs.h>

enum sgxs_record_kind {
	SGXS_ECREATE,
	SGXS_EADD,
	SGXS_EEXTEND,
	SGXS_UNMEASRD,
};

/* Where the stream is: what the next record is checked against. */
struct sgxs_canon {
	uint64_t record;      /* index of the next record (ECREATE is 0) */
	uint64_t file_offset; /* byte offset of the next record */
	struct sgxemu_sgxs_info info;
	bool in_page;
	uint64_t page;	      /* offset of the last EADD */
	uint16_t page_chunks; /* chunks of that page seen so far (EEXTEND or UNMEASRD) */
};

/* What a checked header says. */
struct sgxs_record {
	enum sgxs_record_kind kind;
	uint64_t offset; /* EADD: page offset; EEXTEND/UNMEASRD: chunk offset */
	uint64_t flags;	 /* EADD: SECINFO.FLAGS */
};

static inline size_t sgxs_record_size(enum sgxs_record_kind kind)
{
	return SGXEMU_SGXS_HEADER_SIZE +
	       (kind == SGXS_EEXTEND || kind == SGXS_UNMEASRD ? SGXEMU_SGXS_CHUNK_SIZE : 0);
}

__attribute__((visibility("hidden"))) void sgxs_canon_init(struct sgxs_canon *c);

/*
 * The common record of a measured stream, an in-order EEXTEND of the current page, checked
 * inline: this runs once per 320 bytes hashed. Returns true if the record is a valid EEXTEND
 * (then *rec is filled and c advanced, as sgxs_canon_check would); false means "not this case":
 * call sgxs_canon_check, which also finds and names anything wrong.
 */
static inline uint64_t sgxs_load64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool sgxs_canon_fast_eextend(struct sgxs_canon *c, const uint8_t header[64],
					   struct sgxs_record *rec)
{
	uint64_t reserved, offset;
	uint16_t bit;

	if (sgxs_load64(header) != SGXEMU_SGXS_TAG_EEXTEND || !c->in_page)
		return false;
	offset = sgxs_load64(header + 8);
	reserved = sgxs_load64(header + 16) | sgxs_load64(header + 24) | sgxs_load64(header + 32) |
		   sgxs_load64(header + 40) | sgxs_load64(header + 48) | sgxs_load64(header + 56);
	if (reserved || (offset & ~0xF00ULL) != c->page)
		return false;
	bit = (uint16_t)(1U << ((offset >> 8) & 0xF));
	if (c->page_chunks & bit)
		return false;
	c->page_chunks |= bit;
	rec->kind = SGXS_EEXTEND;
	rec->offset = offset;
	rec->flags = 0;
	c->record++;
	c->file_offset += SGXEMU_SGXS_HEADER_SIZE + SGXEMU_SGXS_CHUNK_SIZE;
	return true;
}

/*
 * Checks the 64-byte header of record c->record against the rules and the records before it.
 * On success fills *rec and advances c past the record (header and data); on failure returns -1
 * with "record N at offset 0xX: reason" in err and leaves c unchanged.
 */
__attribute__((visibility("hidden"))) int sgxs_canon_check(struct sgxs_canon *c,
							   const uint8_t header[64],
							   struct sgxs_record *rec, char *err,
							   size_t errlen);

__attribute__((visibility("hidden"), format(printf, 3, 4))) int sgxs_error(char *err, size_t errlen,
									   const char *fmt, ...);

#endif /* SGXEMU_LIB_SGXS_INTERNAL_H */
