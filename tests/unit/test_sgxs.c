/* SPDX-License-Identifier: MIT */
/*
 * The SGXS reader and writer (ref/sgxs.md). Streams are assembled here byte by byte, so that the
 * malformed ones are exactly what the test says; one test per rule of the canonical format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sgxemu/arch.h>
#include <sgxemu/sgxs.h>

/* --- a stream under construction ---------------------------------------------------------- */

struct stream {
	uint8_t *p;
	size_t len, cap;
};

static void grow(struct stream *s, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->p = realloc(s->p, s->cap);
		assert_non_null(s->p);
	}
}

static void raw(struct stream *s, const void *p, size_t n)
{
	grow(s, n);
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static uint8_t *header(struct stream *s, const char tag[8])
{
	uint8_t h[64] = { 0 };

	memcpy(h, tag, 8);
	raw(s, h, 64);
	return s->p + s->len - 64;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void ecreate(struct stream *s, uint32_t ssa, uint64_t size)
{
	uint8_t *h = header(s, "ECREATE\0");

	memcpy(h + 8, &ssa, 4);
	put64(h + 12, size);
}

static void eadd(struct stream *s, uint64_t offset, uint64_t flags)
{
	uint8_t *h = header(s, "EADD\0\0\0\0");

	put64(h + 8, offset);
	put64(h + 16, flags);
}

static void chunk(struct stream *s, const char tag[8], uint64_t offset, uint8_t fill)
{
	uint8_t data[256];
	uint8_t *h = header(s, tag);

	put64(h + 8, offset);
	memset(data, fill, sizeof(data));
	raw(s, data, sizeof(data));
}

static void eextend(struct stream *s, uint64_t offset, uint8_t fill)
{
	chunk(s, "EEXTEND\0", offset, fill);
}

static void unmeasrd(struct stream *s, uint64_t offset, uint8_t fill)
{
	chunk(s, "UNMEASRD", offset, fill);
}

static void measured_page(struct stream *s, uint64_t offset, uint64_t flags, uint8_t fill)
{
	eadd(s, offset, flags);
	for (uint64_t c = 0; c < 4096; c += 256)
		eextend(s, offset + c, fill);
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	assert_true(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL));
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* --- helpers that run the reader ---------------------------------------------------------- */

/* Reads every page and the MRENCLAVE; returns the reader's verdict and its message. */
static int read_all(const struct stream *s, char *err, size_t errlen)
{
	static struct sgxemu_sgxs_page page;
	struct sgxemu_sgxs_reader *r;
	uint8_t mr[32];
	int ret;

	r = sgxemu_sgxs_open_mem(s->p, s->len, SGXEMU_SGXS_MEASURE, err, errlen);
	if (!r)
		return -1;
	while ((ret = sgxemu_sgxs_next_page(r, &page, err, errlen)) == 1)
		;
	if (ret == 0)
		ret = sgxemu_sgxs_mrenclave(r, mr, err, errlen);
	sgxemu_sgxs_close(r);
	return ret;
}

/* The stream is refused by both the loader's and the measurer's path, with this message. */
static void expect_reject(struct stream *s, const char *message)
{
	char err[512] = "", err2[512] = "";
	uint8_t mr[32];

	assert_int_equal(read_all(s, err, sizeof(err)), -1);
	if (!strstr(err, message))
		print_error("got \"%s\"\nwanted \"%s\"\n", err, message);
	assert_non_null(strstr(err, message));
	assert_int_equal(sgxemu_sgxs_measure_mem(s->p, s->len, mr, NULL, err2, sizeof(err2)), -1);
	assert_string_equal(err, err2);
	free(s->p);
}

static void base(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	ecreate(s, 1, 0x10000);
}

/* --- good streams ------------------------------------------------------------------------- */

static void test_synthetic_examples(void **state)
{
	struct stream s;
	uint8_t mr[32], whole[32];
	struct sgxemu_sgxs_info info;
	char text[65], err[256];

	memset(&s, 0, sizeof(s));
	ecreate(&s, 1, 0x2000);
	assert_int_equal(sgxemu_sgxs_measure_mem(s.p, s.len, mr, &info, err, sizeof(err)), 0);
	hex(mr, 32, text);
	assert_string_equal(text,
			    "9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8");
	assert_int_equal(info.ssa_frame_size, 1);
	assert_int_equal(info.size, 0x2000);

	measured_page(&s, 0, 0x203, 0);
	assert_int_equal(sgxemu_sgxs_measure_mem(s.p, s.len, mr, NULL, err, sizeof(err)), 0);
	hex(mr, 32, text);
	assert_string_equal(text,
			    "1f2cf80bd03ffd8bfac33f7cba128aff511c3af666b93bb66e7ef718418bdade");

	eadd(&s, 0x1000, 0x100);
	assert_int_equal(sgxemu_sgxs_measure_mem(s.p, s.len, mr, NULL, err, sizeof(err)), 0);
	hex(mr, 32, text);
	assert_string_equal(text,
			    "2280eda7599b4f23813224621835d69de20107e0d8b13881e19481578669e02c");
	/* A plain stream's MRENCLAVE is the SHA-256 of the file. */
	sha256(s.p, s.len, whole);
	assert_memory_equal(mr, whole, 32);
	free(s.p);
}

static void test_pages_masks_and_contents(void **state)
{
	static struct sgxemu_sgxs_page page;
	struct sgxemu_sgxs_reader *r;
	struct stream s;
	char err[256];

	base(&s);
	measured_page(&s, 0, 0x205, 0x11); /* record 1, offset 0x40 */
	eadd(&s, 0x2000, 0x203);	   /* record 18: a gap at 0x1000 */
	eextend(&s, 0x2300, 0x22);	   /* chunk 3 */
	unmeasrd(&s, 0x2000, 0x33);	   /* chunk 0, loaded, not measured */
	eextend(&s, 0x2100, 0x44);	   /* chunk 1, after chunk 3 */
	eadd(&s, 0x3000, 0x100);	   /* TCS, no data */
	eadd(&s, 0x4000, 0x201);	   /* unmeasured, zero page */

	r = sgxemu_sgxs_open_mem(s.p, s.len, 0, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(sgxemu_sgxs_info(r)->ssa_frame_size, 1);
	assert_int_equal(sgxemu_sgxs_info(r)->size, 0x10000);

	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 1);
	assert_int_equal(page.offset, 0);
	assert_int_equal(page.secinfo_flags, 0x205);
	assert_int_equal(page.measured, 0xffff);
	assert_int_equal(page.loaded, 0xffff);
	assert_int_equal(page.nr_measured, 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(page.measure_order[i], i);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(page.data[i], 0x11);
	assert_int_equal(page.record, 1);
	assert_int_equal(page.file_offset, 0x40);

	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 1);
	assert_int_equal(page.offset, 0x2000);
	assert_int_equal(page.secinfo_flags, 0x203);
	assert_int_equal(page.measured, (1 << 3) | (1 << 1));
	assert_int_equal(page.loaded, (1 << 3) | (1 << 1) | 1);
	assert_int_equal(page.nr_measured, 2);
	assert_int_equal(page.measure_order[0], 3);
	assert_int_equal(page.measure_order[1], 1);
	assert_int_equal(page.data[0], 0x33);
	assert_int_equal(page.data[255], 0x33);
	assert_int_equal(page.data[256], 0x44);
	assert_int_equal(page.data[512], 0);
	assert_int_equal(page.data[768], 0x22);
	assert_int_equal(page.data[1024], 0);
	assert_int_equal(page.data[4095], 0);
	assert_int_equal(page.record, 18);
	assert_int_equal(page.file_offset, 0x40 + 17 * 64 + 16 * 256);

	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 1);
	assert_int_equal(page.offset, 0x3000);
	assert_int_equal(page.secinfo_flags, 0x100);
	assert_int_equal(page.measured, 0);
	assert_int_equal(page.loaded, 0);
	assert_int_equal(page.nr_measured, 0);

	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 1);
	assert_int_equal(page.offset, 0x4000);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(page.data[i], 0); /* previous page's bytes do not leak */

	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_sgxs_stats(r)->pages, 4);
	assert_int_equal(sgxemu_sgxs_stats(r)->tcs_pages, 1);
	assert_int_equal(sgxemu_sgxs_stats(r)->measured_chunks, 18);
	assert_int_equal(sgxemu_sgxs_stats(r)->unmeasured_chunks, 1);
	assert_int_equal(sgxemu_sgxs_stats(r)->records, 1 + 4 + 18 + 1);
	assert_int_equal(sgxemu_sgxs_stats(r)->bytes, s.len);

	/* Not opened for measuring: it says so. */
	uint8_t mr[32];
	assert_int_equal(sgxemu_sgxs_mrenclave(r, mr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SGXEMU_SGXS_MEASURE"));
	sgxemu_sgxs_close(r);
	free(s.p);
}

/* UNMEASRD loads data but adds nothing to MRENCLAVE; the order of EEXTENDs within a page counts. */
static void test_unmeasured_and_chunk_order(void **state)
{
	struct stream with, without, reordered;
	uint8_t a[32], b[32], c[32], whole[32];
	char err[256];

	base(&with);
	eadd(&with, 0, 0x203);
	eextend(&with, 0x100, 1);
	unmeasrd(&with, 0x200, 2);
	eextend(&with, 0x000, 3);
	base(&without);
	eadd(&without, 0, 0x203);
	eextend(&without, 0x100, 1);
	eextend(&without, 0x000, 3);
	base(&reordered);
	eadd(&reordered, 0, 0x203);
	eextend(&reordered, 0x000, 3);
	eextend(&reordered, 0x100, 1);

	assert_int_equal(sgxemu_sgxs_measure_mem(with.p, with.len, a, NULL, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_sgxs_measure_mem(without.p, without.len, b, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(
		sgxemu_sgxs_measure_mem(reordered.p, reordered.len, c, NULL, err, sizeof(err)), 0);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(b, c, 32);
	sha256(without.p, without.len, whole);
	assert_memory_equal(b, whole, 32);
	free(with.p);
	free(without.p);
	free(reordered.p);
}

/* Through a file (the buffered fd path), big enough to cross many buffer refills. */
static void test_file_source_matches_memory(void **state)
{
	char path[] = "/tmp/sgxemu-test-sgxs-XXXXXX", err[256];
	static struct sgxemu_sgxs_page page;
	uint8_t from_mem[32], from_file[32];
	struct sgxemu_sgxs_reader *r;
	struct stream s;
	uint64_t pages = 0;
	FILE *f;
	int fd, ret;

	memset(&s, 0, sizeof(s));
	ecreate(&s, 2, 0x400000);
	for (uint64_t off = 0; off < 0x300000; off += 0x1000) {
		if ((off >> 12) % 7 == 3) {
			eadd(&s, off, 0x201); /* unmeasured page */
			unmeasrd(&s, off + 0x700, (uint8_t)off);
		} else {
			measured_page(&s, off, (off >> 12) % 5 == 0 ? 0x100 : 0x203,
				      (uint8_t)(off >> 12));
		}
	}
	assert_int_equal(sgxemu_sgxs_measure_mem(s.p, s.len, from_mem, NULL, err, sizeof(err)), 0);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_int_equal(fwrite(s.p, 1, s.len, f), s.len);
	fclose(f);

	assert_int_equal(sgxemu_sgxs_measure_file(path, from_file, NULL, err, sizeof(err)), 0);
	assert_memory_equal(from_mem, from_file, 32);

	/* Pages and measurement together, through the fd path. */
	r = sgxemu_sgxs_open(path, SGXEMU_SGXS_MEASURE, err, sizeof(err));
	assert_non_null(r);
	while ((ret = sgxemu_sgxs_next_page(r, &page, err, sizeof(err))) == 1) {
		assert_int_equal(page.offset, pages * 0x1000);
		if ((pages % 7) == 3) {
			assert_int_equal(page.loaded, 1 << 7);
			assert_int_equal(page.data[0x700], (uint8_t)(pages << 12));
		} else {
			assert_int_equal(page.measured, 0xffff);
			assert_int_equal(page.data[4095], (uint8_t)pages);
		}
		pages++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(pages, 0x300);
	assert_int_equal(sgxemu_sgxs_mrenclave(r, from_file, err, sizeof(err)), 0);
	assert_memory_equal(from_mem, from_file, 32);
	sgxemu_sgxs_close(r);

	/* A stream cut in the middle of a chunk's data, through the file path, names the file. */
	assert_int_equal(truncate(path, 0x40 + 64 + 100), 0);
	assert_int_equal(sgxemu_sgxs_measure_file(path, from_file, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(
		strstr(err, "record 2 at offset 0x80: EEXTEND data truncated (36 of 256 bytes)"));
	unlink(path);
	free(s.p);

	assert_int_equal(
		sgxemu_sgxs_measure_file("/nonexistent.sgxs", from_file, NULL, err, sizeof(err)),
		-1);
	assert_string_equal(err, "cannot open /nonexistent.sgxs: No such file or directory");
}

/*
 * Measured and unmeasured chunks mixed at random, in random order, over a few MiB (many
 * hash-ahead windows): MRENCLAVE through memory and through a file is SHA-256 of the same
 * stream with the UNMEASRD records left out.
 */
static void test_random_mix_of_unmeasured(void **state)
{
	char path[] = "/tmp/sgxemu-test-sgxs-XXXXXX", err[256];
	uint8_t from_mem[32], from_file[32], want[32];
	struct stream full, measured;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	FILE *f;
	int fd;

	memset(&full, 0, sizeof(full));
	memset(&measured, 0, sizeof(measured));
	ecreate(&full, 1, 0x1000000);
	ecreate(&measured, 1, 0x1000000);
	for (uint64_t page = 0; page < 0x800000; page += 0x1000) {
		uint8_t order[16];

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 5 == 0)
			continue; /* a hole */
		eadd(&full, page, 0x203);
		eadd(&measured, page, 0x203);
		for (int i = 0; i < 16; i++)
			order[i] = (uint8_t)i;
		for (int i = 15; i > 0; i--) { /* shuffle the chunk order */
			int j = (int)((x >> (i * 3)) % (uint64_t)(i + 1));
			uint8_t t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < 16; i++) {
			uint64_t chunk = page + order[i] * 256ULL;
			unsigned int what = (unsigned int)((x >> (2 * i)) & 7);

			if (what == 0) {
				unmeasrd(&full, chunk, (uint8_t)i);
			} else if (what != 1) {
				eextend(&full, chunk, (uint8_t)(what + i));
				eextend(&measured, chunk, (uint8_t)(what + i));
			}
		}
	}
	sha256(measured.p, measured.len, want);
	assert_int_equal(
		sgxemu_sgxs_measure_mem(full.p, full.len, from_mem, NULL, err, sizeof(err)), 0);
	assert_memory_equal(from_mem, want, 32);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_int_equal(fwrite(full.p, 1, full.len, f), full.len);
	fclose(f);
	assert_int_equal(sgxemu_sgxs_measure_file(path, from_file, NULL, err, sizeof(err)), 0);
	assert_memory_equal(from_file, want, 32);
	unlink(path);
	free(full.p);
	free(measured.p);
}

static void test_failure_is_sticky(void **state)
{
	static struct sgxemu_sgxs_page page;
	struct sgxemu_sgxs_reader *r;
	struct stream s;
	char err[256], again[256];

	base(&s);
	measured_page(&s, 0, 0x203, 1);
	eadd(&s, 0, 0x203);
	r = sgxemu_sgxs_open_mem(s.p, s.len, SGXEMU_SGXS_MEASURE, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(sgxemu_sgxs_next_page(r, &page, err, sizeof(err)), -1);
	assert_int_equal(sgxemu_sgxs_next_page(r, &page, again, sizeof(again)), -1);
	assert_string_equal(err, again);
	assert_int_equal(sgxemu_sgxs_mrenclave(r, page.data, again, sizeof(again)), -1);
	assert_string_equal(err, again);
	sgxemu_sgxs_close(r);
	free(s.p);
}

/* --- one test per rule ---------------------------------------------------------------------- */

static void test_empty_stream(void **state)
{
	struct stream s = { 0 };
	char err[256];
	uint8_t mr[32];

	assert_int_equal(sgxemu_sgxs_measure_mem("", 0, mr, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "empty stream (no ECREATE record)");
	(void)s;
}

static void test_truncated_first_header(void **state)
{
	struct stream s;

	base(&s);
	s.len = 40;
	expect_reject(&s, "record 0 at offset 0x0: truncated header (40 of 64 bytes)");
}

static void test_truncated_later_header(void **state)
{
	struct stream s;

	base(&s);
	measured_page(&s, 0, 0x203, 0);
	eadd(&s, 0x1000, 0x203);
	s.len -= 1;
	expect_reject(&s, "record 18 at offset 0x1480: truncated header (63 of 64 bytes)");
}

static void test_truncated_eextend_data(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	eextend(&s, 0, 0);
	s.len -= 1;
	expect_reject(&s, "record 2 at offset 0x80: EEXTEND data truncated (255 of 256 bytes)");
}

static void test_truncated_unmeasrd_data(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	unmeasrd(&s, 0, 0);
	s.len -= 256;
	expect_reject(&s, "record 2 at offset 0x80: UNMEASRD data truncated (0 of 256 bytes)");
}

static void test_unknown_tag(void **state)
{
	struct stream s;

	base(&s);
	header(&s, "EREMOVE\0");
	expect_reject(&s, "record 1 at offset 0x40: unknown record tag 0x0045564f4d455245");
}

static void test_must_start_with_ecreate(void **state)
{
	struct stream s = { 0 };

	eadd(&s, 0, 0x203);
	expect_reject(&s, "record 0 at offset 0x0: the stream must start with ECREATE, not EADD");
}

static void test_second_ecreate(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	ecreate(&s, 1, 0x10000);
	expect_reject(&s, "record 2 at offset 0x80: ECREATE after the first record");
}

static void test_unsized_refused(void **state)
{
	struct stream s = { 0 };
	uint8_t *h = header(&s, "UNSIZED\0");

	h[8] = 1;
	h[12] = 0x10; /* the offset where the size will go */
	expect_reject(&s, "record 0 at offset 0x0: the stream is UNSIZED");
}

static void test_unsized_later(void **state)
{
	struct stream s;

	base(&s);
	header(&s, "UNSIZED\0");
	expect_reject(&s, "record 1 at offset 0x40: UNSIZED after the first record");
}

static void test_ecreate_reserved_nonzero(void **state)
{
	struct stream s;

	base(&s);
	s.p[63] = 1;
	expect_reject(&s,
		      "record 0 at offset 0x0: reserved byte 63 of the ECREATE header is not zero");
}

static void test_size_not_power_of_two(void **state)
{
	struct stream s = { 0 };

	ecreate(&s, 1, 0x3000);
	expect_reject(&s, "ECREATE SIZE 0x3000 is not a power of two >= 0x2000");
}

static void test_size_too_small(void **state)
{
	struct stream s = { 0 };

	ecreate(&s, 1, 0x1000);
	expect_reject(
		&s, "record 0 at offset 0x0: ECREATE SIZE 0x1000 is not a power of two >= 0x2000");
}

static void test_ssaframesize_zero(void **state)
{
	struct stream s = { 0 };

	ecreate(&s, 0, 0x2000);
	expect_reject(&s, "record 0 at offset 0x0: ECREATE SSAFRAMESIZE is 0 (must be at least 1)");
}

static void test_eadd_unaligned(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1800, 0x203);
	expect_reject(&s, "record 1 at offset 0x40: EADD offset 0x1800 is not page aligned");
}

static void test_eadd_same_page_twice(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x203);
	eadd(&s, 0x1000, 0x203);
	expect_reject(&s, "record 2 at offset 0x80: EADD offset 0x1000 is not above the previous "
			  "EADD's 0x1000 (pages must come in ascending order, each once)");
}

static void test_eadd_descending(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x2000, 0x203);
	eadd(&s, 0x1000, 0x203);
	expect_reject(&s, "record 2 at offset 0x80: EADD offset 0x1000 is not above the previous "
			  "EADD's 0x2000");
}

static void test_eadd_outside_enclave(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x10000, 0x203);
	expect_reject(&s, "record 1 at offset 0x40: EADD offset 0x10000 is outside the enclave "
			  "(SIZE 0x10000)");
}

static void test_eadd_page_type_not_reg_or_tcs(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x400 | 0x3);
	expect_reject(&s, "record 1 at offset 0x40: page type 4 (TRIM) cannot be added by EADD "
			  "(only REG and TCS)");
	base(&s);
	eadd(&s, 0, 0x300);
	expect_reject(&s, "page type 3 (VA) cannot be added by EADD");
	base(&s);
	eadd(&s, 0, 0x000 | 0x1);
	expect_reject(&s, "page type 0 (SECS) cannot be added by EADD");
}

static void test_eadd_write_without_read(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x202);
	expect_reject(&s, "record 1 at offset 0x40: page at 0x1000 is writable but not readable "
			  "(flags 0x202); EADD refuses W without R");
}

static void test_tcs_with_rwx(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x103);
	expect_reject(&s,
		      "record 1 at offset 0x40: TCS page at 0x1000 has R/W/X bits (flags 0x103)");
}

static void test_eadd_sgx2_bits(void **state)
{
	static const uint64_t bits[] = { SGX_SECINFO_PENDING, SGX_SECINFO_MODIFIED,
					 SGX_SECINFO_PR };

	for (size_t i = 0; i < 3; i++) {
		struct stream s;

		base(&s);
		eadd(&s, 0, 0x203 | bits[i]);
		expect_reject(&s, "has SGX2 state bits (PENDING/MODIFIED/PR) set; EADD takes none");
	}
}

static void test_eadd_reserved_flag_bits(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x10203);
	expect_reject(&s, "record 1 at offset 0x40: SECINFO.FLAGS 0x10203 has reserved bits set "
			  "(0x10000)");
	base(&s);
	eadd(&s, 0, 0x243);
	expect_reject(&s, "SECINFO.FLAGS 0x243 has reserved bits set (0x40)");
}

static void test_eadd_reserved_secinfo_bytes(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	s.p[s.len - 64 + 40] = 0xff;
	expect_reject(&s, "record 1 at offset 0x40: reserved byte 40 of the EADD header (SECINFO) "
			  "is not zero");
}

static void test_eextend_before_eadd(void **state)
{
	struct stream s;

	base(&s);
	eextend(&s, 0, 0);
	expect_reject(&s, "record 1 at offset 0x40: EEXTEND before any EADD");
	base(&s);
	unmeasrd(&s, 0, 0);
	expect_reject(&s, "record 1 at offset 0x40: UNMEASRD before any EADD");
}

static void test_eextend_unaligned(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	eextend(&s, 0x80, 0);
	expect_reject(&s, "record 2 at offset 0x80: EEXTEND offset 0x80 is not 256-byte aligned");
}

static void test_eextend_outside_preceding_page(void **state)
{
	struct stream s;

	/* into a page not yet added */
	base(&s);
	eadd(&s, 0x1000, 0x203);
	eextend(&s, 0x2000, 0);
	expect_reject(&s,
		      "record 2 at offset 0x80: EEXTEND offset 0x2000 is not inside the page of "
		      "the preceding EADD (0x1000)");
	/* back into an earlier page */
	base(&s);
	measured_page(&s, 0x0, 0x203, 0);
	eadd(&s, 0x1000, 0x203);
	eextend(&s, 0x0f00, 0);
	expect_reject(&s, "record 19 at offset 0x14c0: EEXTEND offset 0xf00 is not inside the page "
			  "of the preceding EADD (0x1000)");
	/* UNMEASRD follows the same rule */
	base(&s);
	eadd(&s, 0x1000, 0x203);
	unmeasrd(&s, 0x0, 0);
	expect_reject(&s,
		      "UNMEASRD offset 0x0 is not inside the page of the preceding EADD (0x1000)");
}

static void test_duplicate_chunk_zero(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x203);
	eextend(&s, 0x1000, 1);
	eextend(&s, 0x1000, 2);
	expect_reject(&s, "record 3 at offset 0x1c0: chunk 0x1000 of page 0x1000 is given twice");
}

/* Fortanix's check catches chunk 0 only ("seen & bit == 1"); every chunk counts here. */
static void test_duplicate_chunk_five(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x203);
	eextend(&s, 0x1500, 1);
	eextend(&s, 0x1200, 1);
	eextend(&s, 0x1500, 2);
	expect_reject(&s, "record 4 at offset 0x300: chunk 0x1500 of page 0x1000 is given twice");
}

static void test_duplicate_chunk_measured_and_unmeasured(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0x1000, 0x203);
	unmeasrd(&s, 0x1f00, 1);
	eextend(&s, 0x1f00, 2);
	expect_reject(&s, "record 3 at offset 0x1c0: chunk 0x1f00 of page 0x1000 is given twice");
}

static void test_eextend_reserved_nonzero(void **state)
{
	struct stream s;

	base(&s);
	eadd(&s, 0, 0x203);
	eextend(&s, 0, 0);
	s.p[s.len - 256 - 64 + 16] = 1;
	expect_reject(&s, "record 2 at offset 0x80: reserved byte 16 of the EEXTEND header is not "
			  "zero");
}

/* --- the writer ------------------------------------------------------------------------------ */

static void test_writer_round_trip(void **state)
{
	static uint8_t page[4096];
	static struct sgxemu_sgxs_page got;
	uint8_t written_mr[32], read_mr[32], whole[32];
	struct sgxemu_sgxs_reader *r;
	struct sgxemu_sgxs_writer *w;
	struct stream expected;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (int i = 0; i < 4096; i++)
		page[i] = (uint8_t)(i / 256 + 1);
	w = sgxemu_sgxs_writer_new(out, 1, 0x10000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(sgxemu_sgxs_write_page(w, 0, 0x205, page, SGXEMU_SGXS_MEASURE_ALL, 0, err,
						sizeof(err)),
			 0);
	assert_int_equal(
		sgxemu_sgxs_write_page(w, 0x2000, 0x203, page, 0x00f0, 0x0f00, err, sizeof(err)),
		0);
	assert_int_equal(sgxemu_sgxs_write_eadd(w, 0x3000, 0x100, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_sgxs_write_eextend(w, 0x3000, page, err, sizeof(err)), 0);
	sgxemu_sgxs_writer_mrenclave(w, written_mr);
	assert_int_equal(sgxemu_sgxs_writer_finish(w, err, sizeof(err)), 0);
	fclose(out);

	/* The same stream, built by hand. */
	base(&expected);
	eadd(&expected, 0, 0x205);
	for (int c = 0; c < 16; c++)
		eextend(&expected, (uint64_t)c * 256, (uint8_t)(c + 1));
	eadd(&expected, 0x2000, 0x203);
	for (int c = 4; c < 8; c++)
		eextend(&expected, 0x2000 + (uint64_t)c * 256, (uint8_t)(c + 1));
	for (int c = 8; c < 12; c++)
		unmeasrd(&expected, 0x2000 + (uint64_t)c * 256, (uint8_t)(c + 1));
	eadd(&expected, 0x3000, 0x100);
	eextend(&expected, 0x3000, 1);
	assert_int_equal(len, expected.len);
	assert_memory_equal(buf, expected.p, len);

	r = sgxemu_sgxs_open_mem(buf, len, SGXEMU_SGXS_MEASURE, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(sgxemu_sgxs_next_page(r, &got, err, sizeof(err)), 1);
	assert_memory_equal(got.data, page, 4096);
	assert_int_equal(sgxemu_sgxs_next_page(r, &got, err, sizeof(err)), 1);
	assert_int_equal(got.measured, 0x00f0);
	assert_int_equal(got.loaded, 0x0ff0);
	assert_int_equal(sgxemu_sgxs_mrenclave(r, read_mr, err, sizeof(err)), 0);
	assert_memory_equal(written_mr, read_mr, 32);
	sgxemu_sgxs_close(r);
	free(buf);
	free(expected.p);
	(void)whole;
}

static void test_writer_refuses_non_canonical(void **state)
{
	static const uint8_t zeros[4096];
	struct sgxemu_sgxs_writer *w;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_null(sgxemu_sgxs_writer_new(out, 1, 0x3000, err, sizeof(err)));
	assert_non_null(strstr(err, "not a power of two"));

	w = sgxemu_sgxs_writer_new(out, 1, 0x4000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(sgxemu_sgxs_write_page(w, 0x1000, 0x203, zeros, 1, 1, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "both measured and unmeasured"));
	assert_int_equal(sgxemu_sgxs_write_eadd(w, 0x1000, 0x203, err, sizeof(err)), 0);
	assert_int_equal(sgxemu_sgxs_write_eadd(w, 0x0000, 0x203, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "record 2 at offset 0x80: EADD offset 0x0 is not above"));
	/* After a refusal the writer refuses everything, and finish reports it. */
	assert_int_equal(sgxemu_sgxs_write_eadd(w, 0x2000, 0x203, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "an earlier write failed"));
	assert_int_equal(sgxemu_sgxs_writer_finish(w, err, sizeof(err)), -1);
	fclose(out);
	/* What it did write is still a valid stream: ECREATE and one EADD. */
	assert_int_equal(len, 128);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_examples),
		cmocka_unit_test(test_pages_masks_and_contents),
		cmocka_unit_test(test_unmeasured_and_chunk_order),
		cmocka_unit_test(test_file_source_matches_memory),
		cmocka_unit_test(test_random_mix_of_unmeasured),
		cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_empty_stream),
		cmocka_unit_test(test_truncated_first_header),
		cmocka_unit_test(test_truncated_later_header),
		cmocka_unit_test(test_truncated_eextend_data),
		cmocka_unit_test(test_truncated_unmeasrd_data),
		cmocka_unit_test(test_unknown_tag),
		cmocka_unit_test(test_must_start_with_ecreate),
		cmocka_unit_test(test_second_ecreate),
		cmocka_unit_test(test_unsized_refused),
		cmocka_unit_test(test_unsized_later),
		cmocka_unit_test(test_ecreate_reserved_nonzero),
		cmocka_unit_test(test_size_not_power_of_two),
		cmocka_unit_test(test_size_too_small),
		cmocka_unit_test(test_ssaframesize_zero),
		cmocka_unit_test(test_eadd_unaligned),
		cmocka_unit_test(test_eadd_same_page_twice),
		cmocka_unit_test(test_eadd_descending),
		cmocka_unit_test(test_eadd_outside_enclave),
		cmocka_unit_test(test_eadd_page_type_not_reg_or_tcs),
		cmocka_unit_test(test_eadd_write_without_read),
		cmocka_unit_test(test_tcs_with_rwx),
		cmocka_unit_test(test_eadd_sgx2_bits),
		cmocka_unit_test(test_eadd_reserved_flag_bits),
		cmocka_unit_test(test_eadd_reserved_secinfo_bytes),
		cmocka_unit_test(test_eextend_before_eadd),
		cmocka_unit_test(test_eextend_unaligned),
		cmocka_unit_test(test_eextend_outside_preceding_page),
		cmocka_unit_test(test_duplicate_chunk_zero),
		cmocka_unit_test(test_duplicate_chunk_five),
		cmocka_unit_test(test_duplicate_chunk_measured_and_unmeasured),
		cmocka_unit_test(test_eextend_reserved_nonzero),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_refuses_non_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
