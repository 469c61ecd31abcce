/* SPDX-License-Identifier: MIT */
/*
 * Canonical SGXS (ref/sgxs.md §4), including the checks Fortanix's canonical reader misses but
 * the hardware or a loader would fail on: SIZE a power of two >= 8 KiB, every page below SIZE,
 * page type REG or TCS, no W without R, no SGX2 state or reserved SECINFO bits, SSAFRAMESIZE >= 1,
 * reserved header bytes zero, and duplicate chunks 1..15 (Fortanix only catches chunk 0).
 */
#include "lib/sgxs_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sgxemu/arch.h>

int sgxs_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define record_error(c, err, errlen, fmt, ...)                                                   \
	sgxs_error(err, errlen, "record %" PRIu64 " at offset 0x%" PRIx64 ": " fmt, (c)->record, \
		   (c)->file_offset, ##__VA_ARGS__)

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Index of the first non-zero byte in header[from..64), or -1. from is a multiple of 4. */
static int first_nonzero(const uint8_t header[64], int from)
{
	uint64_t any = 0;
	int i = from;

	/* The common case, all zero, in a few word loads: this runs once per 320 bytes measured. */
	if (i % 8) {
		any = get_u32(header + i);
		i += 4;
	}
	for (; i < SGXEMU_SGXS_HEADER_SIZE; i += 8)
		any |= get_u64(header + i);
	if (!any)
		return -1;
	for (i = from; i < SGXEMU_SGXS_HEADER_SIZE; i++)
		if (header[i])
			return i;
	return -1;
}

static const char *tag_name(uint64_t tag)
{
	switch (tag) {
	case SGXEMU_SGXS_TAG_ECREATE:
		return "ECREATE";
	case SGXEMU_SGXS_TAG_UNSIZED:
		return "UNSIZED";
	case SGXEMU_SGXS_TAG_EADD:
		return "EADD";
	case SGXEMU_SGXS_TAG_EEXTEND:
		return "EEXTEND";
	case SGXEMU_SGXS_TAG_UNMEASRD:
		return "UNMEASRD";
	}
	return NULL;
}

static const char *page_type_name(unsigned int type)
{
	switch (type) {
	case SGX_PAGE_TYPE_SECS:
		return "SECS";
	case SGX_PAGE_TYPE_TCS:
		return "TCS";
	case SGX_PAGE_TYPE_REG:
		return "REG";
	case SGX_PAGE_TYPE_VA:
		return "VA";
	case SGX_PAGE_TYPE_TRIM:
		return "TRIM";
	case SGX_PAGE_TYPE_SS_FIRST:
		return "SS_FIRST";
	case SGX_PAGE_TYPE_SS_REST:
		return "SS_REST";
	}
	return "unknown";
}

void sgxs_canon_init(struct sgxs_canon *c)
{
	memset(c, 0, sizeof(*c));
}

static int check_ecreate(struct sgxs_canon *c, const uint8_t *h, char *err, size_t errlen)
{
	uint32_t ssa_frame_size = get_u32(h + 8);
	uint64_t size = get_u64(h + 12);
	int nz;

	if ((nz = first_nonzero(h, 20)) >= 0)
		return record_error(c, err, errlen,
				    "reserved byte %d of the ECREATE header is not zero", nz);
	if (ssa_frame_size == 0)
		return record_error(c, err, errlen,
				    "ECREATE SSAFRAMESIZE is 0 (must be at least 1)");
	if (size < SGXEMU_SGXS_MIN_SIZE || (size & (size - 1)))
		return record_error(c, err, errlen,
				    "ECREATE SIZE 0x%" PRIx64 " is not a power of two >= 0x2000",
				    size);
	c->info.ssa_frame_size = ssa_frame_size;
	c->info.size = size;
	return 0;
}

static int check_eadd(struct sgxs_canon *c, const uint8_t *h, struct sgxs_record *rec, char *err,
		      size_t errlen)
{
	uint64_t offset = get_u64(h + 8), flags = get_u64(h + 16);
	uint64_t rwx = flags & SGX_SECINFO_PERMISSION_MASK;
	unsigned int type = sgx_secinfo_page_type(flags);
	int nz;

	if ((nz = first_nonzero(h, 24)) >= 0)
		return record_error(c, err, errlen,
				    "reserved byte %d of the EADD header (SECINFO) is not zero",
				    nz);
	if (offset & (SGX_PAGE_SIZE - 1))
		return record_error(c, err, errlen, "EADD offset 0x%" PRIx64 " is not page aligned",
				    offset);
	if (c->in_page && offset <= c->page)
		return record_error(c, err, errlen,
				    "EADD offset 0x%" PRIx64
				    " is not above the previous EADD's 0x%" PRIx64
				    " (pages must come in ascending order, each once)",
				    offset, c->page);
	if (offset >= c->info.size)
		return record_error(c, err, errlen,
				    "EADD offset 0x%" PRIx64
				    " is outside the enclave (SIZE 0x%" PRIx64 ")",
				    offset, c->info.size);
	if (flags & SGX_SECINFO_RESERVED_MASK)
		return record_error(c, err, errlen,
				    "SECINFO.FLAGS 0x%" PRIx64 " has reserved bits set (0x%" PRIx64
				    ")",
				    flags, (uint64_t)(flags & SGX_SECINFO_RESERVED_MASK));
	if (flags & (SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR))
		return record_error(
			c, err, errlen,
			"SECINFO.FLAGS 0x%" PRIx64
			" has SGX2 state bits (PENDING/MODIFIED/PR) set; EADD takes none",
			flags);
	if (type != SGX_PAGE_TYPE_REG && type != SGX_PAGE_TYPE_TCS)
		return record_error(c, err, errlen,
				    "page type %u (%s) cannot be added by EADD (only REG and TCS)",
				    type, page_type_name(type));
	if (type == SGX_PAGE_TYPE_TCS && rwx)
		return record_error(c, err, errlen,
				    "TCS page at 0x%" PRIx64 " has R/W/X bits (flags 0x%" PRIx64
				    "); the CPU measures a TCS as 0x100, so they must be clear",
				    offset, flags);
	if ((rwx & SGX_SECINFO_W) && !(rwx & SGX_SECINFO_R))
		return record_error(c, err, errlen,
				    "page at 0x%" PRIx64
				    " is writable but not readable (flags 0x%" PRIx64
				    "); EADD refuses W without R",
				    offset, flags);
	c->in_page = true;
	c->page = offset;
	c->page_chunks = 0;
	rec->offset = offset;
	rec->flags = flags;
	return 0;
}

static int check_chunk(struct sgxs_canon *c, const uint8_t *h, const char *name,
		       struct sgxs_record *rec, char *err, size_t errlen)
{
	uint64_t offset = get_u64(h + 8);
	uint16_t bit;
	int nz;

	if ((nz = first_nonzero(h, 16)) >= 0)
		return record_error(c, err, errlen, "reserved byte %d of the %s header is not zero",
				    nz, name);
	if (!c->in_page)
		return record_error(c, err, errlen, "%s before any EADD", name);
	if (offset & (SGXEMU_SGXS_CHUNK_SIZE - 1))
		return record_error(c, err, errlen,
				    "%s offset 0x%" PRIx64 " is not 256-byte aligned", name,
				    offset);
	if ((offset & ~(SGX_PAGE_SIZE - 1)) != c->page)
		return record_error(c, err, errlen,
				    "%s offset 0x%" PRIx64
				    " is not inside the page of the preceding EADD (0x%" PRIx64 ")",
				    name, offset, c->page);
	bit = (uint16_t)(1U << ((offset & (SGX_PAGE_SIZE - 1)) / SGXEMU_SGXS_CHUNK_SIZE));
	if (c->page_chunks & bit)
		return record_error(c, err, errlen,
				    "chunk 0x%" PRIx64 " of page 0x%" PRIx64 " is given twice",
				    offset, c->page);
	c->page_chunks |= bit;
	rec->offset = offset;
	rec->flags = 0;
	return 0;
}

int sgxs_canon_check(struct sgxs_canon *c, const uint8_t header[64], struct sgxs_record *rec,
		     char *err, size_t errlen)
{
	uint64_t tag = get_u64(header);
	const char *name = tag_name(tag);
	int ret;

	if (!name)
		return record_error(c, err, errlen, "unknown record tag 0x%016" PRIx64, tag);
	if (c->record == 0) {
		if (tag == SGXEMU_SGXS_TAG_UNSIZED)
			return record_error(
				c, err, errlen,
				"the stream is UNSIZED (unfinished: its SIZE is not known "
				"yet); finalise it before measuring or loading it");
		if (tag != SGXEMU_SGXS_TAG_ECREATE)
			return record_error(c, err, errlen,
					    "the stream must start with ECREATE, not %s", name);
		rec->kind = SGXS_ECREATE;
		rec->offset = rec->flags = 0;
		ret = check_ecreate(c, header, err, errlen);
	} else {
		switch (tag) {
		case SGXEMU_SGXS_TAG_EADD:
			rec->kind = SGXS_EADD;
			ret = check_eadd(c, header, rec, err, errlen);
			break;
		case SGXEMU_SGXS_TAG_EEXTEND:
			rec->kind = SGXS_EEXTEND;
			ret = check_chunk(c, header, name, rec, err, errlen);
			break;
		case SGXEMU_SGXS_TAG_UNMEASRD:
			rec->kind = SGXS_UNMEASRD;
			ret = check_chunk(c, header, name, rec, err, errlen);
			break;
		default: /* ECREATE or UNSIZED again */
			return record_error(c, err, errlen,
					    "%s after the first record (only record 0 may be one)",
					    name);
		}
	}
	if (ret)
		return ret; /* the checks above change c only once they have all passed */
	c->record++;
	c->file_offset += sgxs_record_size(rec->kind);
	return 0;
}
