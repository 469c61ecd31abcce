/* SPDX-License-Identifier: MIT */
/*
 * measure_mb_s: measuring a 64 MiB SGXS stream (checks included) against the limit, OpenSSL
 * SHA-256 over the same bytes. The stream is a fully measured enclave (every page EADD + 16
 * EEXTENDs, one TCS per 64 pages), so MRENCLAVE must equal SHA-256 of the bytes; the figure
 * checks that too, so that a fast wrong answer cannot score. Both sides are single-threaded
 * computation, timed on this thread's CPU clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <sgxemu/sgxs.h>

#include "bench.h"

#define STREAM_BYTES (64ULL << 20)
#define ROUNDS 11

struct measure_bench {
	const uint8_t *stream;
	size_t len;
	uint8_t mrenclave[32];
	uint8_t sha256[32];
	int failed;
	char err[256];
};

/* A 64 MiB stream of measured pages; NULL with a reason in err. */
static uint8_t *make_stream(size_t *len, char *err, size_t errlen)
{
	const size_t page_record = 64 + 16 * (64 + 256);
	const uint64_t pages = STREAM_BYTES / page_record + 1;
	uint64_t size = 0x2000;
	struct sgxemu_sgxs_writer *w;
	uint8_t page[4096];
	char *buf = NULL;
	FILE *out;

	while (size < pages * 4096)
		size <<= 1;
	out = open_memstream(&buf, len);
	if (!out) {
		snprintf(err, errlen, "open_memstream failed");
		return NULL;
	}
	w = sgxemu_sgxs_writer_new(out, 1, size, err, errlen);
	for (uint64_t i = 0; w && i < pages; i++) {
		uint64_t flags = i % 64 == 63 ? 0x100 : 0x203;

		for (size_t j = 0; j < sizeof(page); j++)
			page[j] = (uint8_t)(i * 131 + j * 7);
		if (sgxemu_sgxs_write_page(w, i * 4096, flags, page, SGXEMU_SGXS_MEASURE_ALL, 0,
					   err, errlen))
			break;
	}
	if (!w || sgxemu_sgxs_writer_finish(w, err, errlen) || fclose(out)) {
		if (w == NULL)
			fclose(out);
		free(buf);
		return NULL;
	}
	return (uint8_t *)buf;
}

static void measure(void *arg)
{
	struct measure_bench *b = arg;

	if (sgxemu_sgxs_measure_mem(b->stream, b->len, b->mrenclave, NULL, b->err, sizeof(b->err)))
		b->failed = 1;
}

static void sha256(void *arg)
{
	struct measure_bench *b = arg;
	unsigned int n = 32;

	if (!EVP_Digest(b->stream, b->len, b->sha256, &n, EVP_sha256(), NULL))
		b->failed = 1;
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct measure_bench b = { 0 };
	double t, t_limit;
	uint8_t *stream;

	stream = make_stream(&b.len, err, errlen);
	if (!stream)
		return -1;
	b.stream = stream;
	bench_best_of_cpu(ROUNDS, measure, sha256, &b, &t, &t_limit);
	free(stream);
	if (b.failed) {
		snprintf(err, errlen, "%s", *b.err ? b.err : "SHA-256 failed");
		return -1;
	}
	if (memcmp(b.mrenclave, b.sha256, 32)) {
		snprintf(err, errlen, "MRENCLAVE of a plain stream is not SHA-256 of its bytes");
		return -1;
	}
	result->value = (double)b.len / 1e6 / t;
	result->limit = (double)b.len / 1e6 / t_limit;
	return 0;
}

const struct bench_figure bench_measure_mb_s = {
	.name = "measure_mb_s",
	.unit = "MB/s",
	.description = "MRENCLAVE of a 64 MiB SGXS in memory (checks included) vs OpenSSL SHA-256 "
		       "over the same bytes",
	.run = run,
};
