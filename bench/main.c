/* SPDX-License-Identifier: MIT */
/* sgxemu-bench [--list] [NAME...]: runs every figure, or the named ones. See bench.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define BENCH_FIGURES(X) \
	X(measure_mb_s) X(ewb_eldu_pages_s) X(build_mb_s) X(ecall_roundtrip_ns) X(aex_eresume_ns) \
	X(eaug_accept_ns) X(paging_pages_s) X(paging_scaling)

#define DECLARE(name) extern const struct bench_figure bench_##name;
BENCH_FIGURES(DECLARE)
#undef DECLARE

#define ENTRY(name) &bench_##name,
static const struct bench_figure *const figures[] = { BENCH_FIGURES(ENTRY) };
#undef ENTRY

#define NR_FIGURES (sizeof(figures) / sizeof(figures[0]))

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void best_of(clockid_t clock, unsigned int rounds, void (*fn)(void *),
		    void (*limit_fn)(void *), void *arg, double *fn_seconds, double *limit_seconds)
{
	double best = 0, best_limit = 0;

	for (unsigned int i = 0; i < rounds; i++) {
		double t0 = clock_seconds(clock), t1, t2;

		limit_fn(arg);
		t1 = clock_seconds(clock);
		fn(arg);
		t2 = clock_seconds(clock);
		if (!i || t1 - t0 < best_limit)
			best_limit = t1 - t0;
		if (!i || t2 - t1 < best)
			best = t2 - t1;
	}
	*fn_seconds = best;
	*limit_seconds = best_limit;
}

void bench_best_of(unsigned int rounds, void (*fn)(void *), void (*limit_fn)(void *), void *arg,
		   double *fn_seconds, double *limit_seconds)
{
	best_of(CLOCK_MONOTONIC, rounds, fn, limit_fn, arg, fn_seconds, limit_seconds);
}

void bench_best_of_cpu(unsigned int rounds, void (*fn)(void *), void (*limit_fn)(void *), void *arg,
		       double *fn_seconds, double *limit_seconds)
{
	best_of(CLOCK_THREAD_CPUTIME_ID, rounds, fn, limit_fn, arg, fn_seconds, limit_seconds);
}

static const struct bench_figure *find(const char *name)
{
	for (size_t i = 0; i < NR_FIGURES; i++)
		if (!strcmp(figures[i]->name, name))
			return figures[i];
	return NULL;
}

/* JSON strings here are our own names and messages; escape what JSON requires anyway. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int run_figure(const struct bench_figure *f)
{
	struct bench_result r = { 0 };
	char err[256] = "";
	double ratio;

	if (f->run(&r, err, sizeof(err)) || r.value <= 0 || r.limit <= 0) {
		fprintf(stderr, "sgxemu-bench: %s failed: %s\n", f->name,
			*err ? err : "no measurement");
		return 1;
	}
	ratio = f->lower_is_better ? r.limit / r.value : r.value / r.limit;
	printf("{\"name\":");
	json_string(f->name);
	printf(",\"value\":%.6g,\"unit\":", r.value);
	json_string(f->unit);
	printf(",\"limit\":%.6g,\"ratio\":%.3f}\n", r.limit, ratio);
	fflush(stdout);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: sgxemu-bench [--list] [NAME...]\n"
		     "Prints one JSON line per figure: "
		     "{\"name\",\"value\",\"unit\",\"limit\",\"ratio\"},\n"
		     "the limit measured in the same run; ratio is the fraction of it achieved.\n"
		     "Without NAME, runs every figure.\n");
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--list")) {
			for (size_t j = 0; j < NR_FIGURES; j++)
				printf("%-24s %s\n", figures[j]->name, figures[j]->description);
			return 0;
		}
		if (argv[i][0] == '-' || !find(argv[i])) {
			fprintf(stderr, "sgxemu-bench: no figure '%s' (--list shows them)\n",
				argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (argc == 1) {
		for (size_t j = 0; j < NR_FIGURES; j++)
			failed |= run_figure(figures[j]);
	} else {
		for (int i = 1; i < argc; i++)
			failed |= run_figure(find(argv[i]));
	}
	return failed;
}
