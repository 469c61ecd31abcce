/* SPDX-License-Identifier: MIT */
/*
 * The SGXS writer (include/sgxemu/sgxs.h): every record goes through the reader's canonical
 * checks before it is written, so what it produces always reads back, and it keeps the MRENCLAVE
 * of what it wrote so that a packer needs no second pass to sign.
 */
#include <sgxemu/sgxs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/measure.h"
#include "lib/sgxs_internal.h"

struct sgxemu_sgxs_writer {
	FILE *out;
	struct sgxs_canon canon;
	struct sgx_measurement measurement;
	bool failed;
	char failure[256];
};

static int writer_fail(struct sgxemu_sgxs_writer *w, char *err, size_t errlen)
{
	w->failed = true;
	return sgxs_error(err, errlen, "%s", w->failure);
}

/* Checks header (+ chunk) as the reader would, then writes and measures it. */
static int emit(struct sgxemu_sgxs_writer *w, const uint8_t header[64], const uint8_t *chunk,
		char *err, size_t errlen)
{
	struct sgxs_record rec;

	if (w->failed)
		return sgxs_error(err, errlen, "an earlier write failed: %s", w->failure);
	if (sgxs_canon_check(&w->canon, header, &rec, w->failure, sizeof(w->failure)))
		return writer_fail(w, err, errlen);
	if (fwrite(header, SGXEMU_SGXS_HEADER_SIZE, 1, w->out) != 1 ||
	    (chunk && fwrite(chunk, SGXEMU_SGXS_CHUNK_SIZE, 1, w->out) != 1)) {
		sgxs_error(w->failure, sizeof(w->failure), "write error: %s", strerror(errno));
		return writer_fail(w, err, errlen);
	}
	if (rec.kind != SGXS_UNMEASRD) {
		sgx_measure_blocks(&w->measurement, header, SGXEMU_SGXS_HEADER_SIZE);
		if (chunk)
			sgx_measure_blocks(&w->measurement, chunk, SGXEMU_SGXS_CHUNK_SIZE);
	}
	return 0;
}

struct sgxemu_sgxs_writer *sgxemu_sgxs_writer_new(FILE *out, uint32_t ssa_frame_size, uint64_t size,
						  char *err, size_t errlen)
{
	struct sgxemu_sgxs_writer *w = calloc(1, sizeof(*w));
	uint8_t header[64];

	if (!w) {
		sgxs_error(err, errlen, "out of memory");
		return NULL;
	}
	w->out = out;
	sgxs_canon_init(&w->canon);
	sgx_measure_init(&w->measurement);
	sgx_measure_ecreate_block(header, ssa_frame_size, size);
	if (emit(w, header, NULL, err, errlen)) {
		free(w);
		return NULL;
	}
	return w;
}

int sgxemu_sgxs_write_eadd(struct sgxemu_sgxs_writer *w, uint64_t offset, uint64_t secinfo_flags,
			   char *err, size_t errlen)
{
	uint8_t header[64];

	sgx_measure_eadd_block(header, offset, secinfo_flags);
	return emit(w, header, NULL, err, errlen);
}

int sgxemu_sgxs_write_eextend(struct sgxemu_sgxs_writer *w, uint64_t offset,
			      const uint8_t data[256], char *err, size_t errlen)
{
	uint8_t header[64];

	sgx_measure_eextend_block(header, offset);
	return emit(w, header, data, err, errlen);
}

int sgxemu_sgxs_write_unmeasured(struct sgxemu_sgxs_writer *w, uint64_t offset,
				 const uint8_t data[256], char *err, size_t errlen)
{
	uint8_t header[64];

	/* Same layout as EEXTEND (ref/sgxs.md §2), another tag. */
	sgx_measure_eextend_block(header, offset);
	memcpy(header, "UNMEASRD", 8);
	return emit(w, header, data, err, errlen);
}

int sgxemu_sgxs_write_page(struct sgxemu_sgxs_writer *w, uint64_t offset, uint64_t secinfo_flags,
			   const uint8_t data[4096], uint16_t measured, uint16_t unmeasured,
			   char *err, size_t errlen)
{
	if (measured & unmeasured)
		return sgxs_error(err, errlen,
				  "page 0x%llx: chunk mask 0x%04x is both measured and unmeasured",
				  (unsigned long long)offset, measured & unmeasured);
	if (sgxemu_sgxs_write_eadd(w, offset, secinfo_flags, err, errlen))
		return -1;
	for (unsigned int i = 0; i < SGXEMU_SGXS_CHUNKS_PER_PAGE; i++) {
		uint64_t chunk = offset + i * SGXEMU_SGXS_CHUNK_SIZE;
		const uint8_t *p = data + i * SGXEMU_SGXS_CHUNK_SIZE;

		if ((measured >> i) & 1) {
			if (sgxemu_sgxs_write_eextend(w, chunk, p, err, errlen))
				return -1;
		} else if ((unmeasured >> i) & 1) {
			if (sgxemu_sgxs_write_unmeasured(w, chunk, p, err, errlen))
				return -1;
		}
	}
	return 0;
}

void sgxemu_sgxs_writer_mrenclave(const struct sgxemu_sgxs_writer *w, uint8_t mrenclave[32])
{
	sgx_measure_final(&w->measurement, mrenclave);
}

int sgxemu_sgxs_writer_finish(struct sgxemu_sgxs_writer *w, char *err, size_t errlen)
{
	int ret = 0;

	if (!w)
		return 0;
	if (w->failed)
		ret = sgxs_error(err, errlen, "%s", w->failure);
	else if (fflush(w->out))
		ret = sgxs_error(err, errlen, "write error: %s", strerror(errno));
	free(w);
	return ret;
}
