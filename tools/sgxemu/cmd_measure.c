/* SPDX-License-Identifier: MIT */
/* `sgxemu measure FILE.sgxs`: the MRENCLAVE of an SGXS stream. */
#include <stdio.h>

#include <sgxemu/sgxs.h>

#include "cli.h"

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct sgxemu_sgxs_stats *stats;
	const struct sgxemu_sgxs_info *info;
	struct sgxemu_sgxs_reader *r;
	bool verbose = false;
	uint8_t mr[32];
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option(cmd, argv, c);
		}
	}
	if (optind == argc)
		return cli_usage_error(cmd, "which SGXS file?");
	if (argc - optind > 1)
		return cli_usage_error(cmd, "one SGXS file at a time (got %d)", argc - optind);

	r = sgxemu_sgxs_open(argv[optind], SGXEMU_SGXS_MEASURE, err, sizeof(err));
	if (!r)
		return cli_error(cmd, "%s", err);
	if (sgxemu_sgxs_mrenclave(r, mr, err, sizeof(err))) {
		sgxemu_sgxs_close(r);
		return cli_error(cmd, "%s", err);
	}
	printf("mrenclave ");
	cli_print_hex(stdout, mr, sizeof(mr));
	putchar('\n');
	if (verbose) {
		info = sgxemu_sgxs_info(r);
		stats = sgxemu_sgxs_stats(r);
		printf("size 0x%llx\n", (unsigned long long)info->size);
		printf("ssaframesize %u\n", info->ssa_frame_size);
		printf("pages %llu (tcs %llu)\n", (unsigned long long)stats->pages,
		       (unsigned long long)stats->tcs_pages);
		printf("chunks measured %llu, unmeasured %llu\n",
		       (unsigned long long)stats->measured_chunks,
		       (unsigned long long)stats->unmeasured_chunks);
		printf("bytes %llu\n", (unsigned long long)stats->bytes);
	}
	sgxemu_sgxs_close(r);
	return EXIT_OK;
}

const struct sgxemu_command cmd_measure = {
	.name = "measure",
	.summary = "print the MRENCLAVE of an SGXS enclave stream",
	.synopsis = "sgxemu measure [--verbose] FILE.sgxs",
	.help = "Prints the MRENCLAVE that the CPU computes while building the enclave that\n"
		"FILE.sgxs describes (Fortanix's SGXS stream format; '-' reads standard input):\n"
		"\n"
		"  mrenclave <64 hex digits>\n"
		"\n"
		"The stream is checked first and refused, with the record index and file offset\n"
		"of the problem, unless it is canonical: ECREATE first and only there, a "
		"power-of-\n"
		"two SIZE of at least 8 KiB, pages in ascending order inside SIZE, REG or TCS "
		"pages\n"
		"with valid permissions, each chunk right after its own page and only once, "
		"reserved\n"
		"bytes zero, nothing truncated. An UNSIZED (unfinished) stream cannot be "
		"measured.\n"
		"\n"
		"Options:\n"
		"  -v, --verbose  also print SIZE, SSAFRAMESIZE and the number of pages and "
		"chunks\n"
		"  -h, --help     print this help\n"
		"\n"
		"Example:\n"
		"  $ sgxemu measure enclave.sgxs\n"
		"  mrenclave 784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc\n",
	.run = run,
};
