/* SPDX-License-Identifier: MIT */
/* `sgxemu pack`: an enclave ELF (static PIE) into an SGXS stream, laid out as pack.h says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sgxemu/config.h>
#include <sgxemu/pack.h>

#include "cli.h"

enum {
	OPT_THREADS = 't',
	OPT_STACK = 's',
	OPT_HEAP = 'H',
	OPT_RESERVE = 'r',
	OPT_ENTRY = 'e',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_GUARD = 0x100,
	OPT_NSSA,
	OPT_SSAFRAMESIZE,
	OPT_XFRM,
};

static int parse_size(const struct sgxemu_command *cmd, const char *name, const char *text,
		      uint64_t *out)
{
	if (!sgxemu_parse_size(text, out) || (*out & 4095))
		return cli_usage_error(cmd, "--%s '%s' is not a size in whole pages (e.g. 64K, 2M)",
				       name, text);
	return EXIT_OK;
}

static void print_layout(const struct sgxemu_pack_layout *l)
{
	printf("size 0x%llx\n", (unsigned long long)l->size);
	printf("ssaframesize %u\n", l->ssa_frame_size);
	printf("entry 0x%llx\n", (unsigned long long)l->entry);
	for (unsigned int i = 0; i < l->nr_segments; i++) {
		uint64_t f = l->segments[i].secinfo_flags;

		printf("segment 0x%llx-0x%llx %c%c%c\n", (unsigned long long)l->segments[i].offset,
		       (unsigned long long)(l->segments[i].offset + l->segments[i].size),
		       (f & 1) ? 'r' : '-', (f & 2) ? 'w' : '-', (f & 4) ? 'x' : '-');
	}
	printf("relocations %llu\n", (unsigned long long)l->relocations);
	printf("heap 0x%llx-0x%llx\n", (unsigned long long)l->heap,
	       (unsigned long long)(l->heap + l->heap_size));
	for (unsigned int t = 0; t < l->nr_threads; t++) {
		const struct sgxemu_pack_thread *th = &l->threads[t];

		printf("thread %u: stack 0x%llx-0x%llx tls 0x%llx tcs 0x%llx ssa 0x%llx (nssa "
		       "%u)\n",
		       t, (unsigned long long)th->stack, (unsigned long long)th->tls,
		       (unsigned long long)th->tls, (unsigned long long)th->tcs,
		       (unsigned long long)th->ssa, l->nssa);
	}
	printf("free 0x%llx-0x%llx\n", (unsigned long long)l->image_end,
	       (unsigned long long)l->size);
	printf("pages %llu (measured %llu)\n", (unsigned long long)l->pages,
	       (unsigned long long)l->measured_pages);
}

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "stack", required_argument, NULL, OPT_STACK },
		{ "guard", required_argument, NULL, OPT_GUARD },
		{ "heap", required_argument, NULL, OPT_HEAP },
		{ "reserve", required_argument, NULL, OPT_RESERVE },
		{ "nssa", required_argument, NULL, OPT_NSSA },
		{ "ssaframesize", required_argument, NULL, OPT_SSAFRAMESIZE },
		{ "xfrm", required_argument, NULL, OPT_XFRM },
		{ "entry", required_argument, NULL, OPT_ENTRY },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct sgxemu_pack_options opts;
	struct sgxemu_pack_layout layout;
	bool verbose = false;
	char err[512], *buf = NULL;
	size_t len = 0;
	uint64_t v;
	FILE *out;
	int c, ret;

	sgxemu_pack_options_default(&opts);
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":t:s:H:r:e:vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_THREADS:
			if (!cli_parse_uint(optarg, SGXEMU_PACK_MAX_THREADS, &v) || !v)
				return cli_usage_error(cmd, "--threads '%s' is not 1..%d", optarg,
						       SGXEMU_PACK_MAX_THREADS);
			opts.threads = (unsigned int)v;
			break;
		case OPT_STACK:
			if (parse_size(cmd, "stack", optarg, &opts.stack_size))
				return EXIT_USAGE;
			break;
		case OPT_GUARD:
			if (parse_size(cmd, "guard", optarg, &opts.guard_size))
				return EXIT_USAGE;
			break;
		case OPT_HEAP:
			if (parse_size(cmd, "heap", optarg, &opts.heap_size))
				return EXIT_USAGE;
			break;
		case OPT_RESERVE:
			if (parse_size(cmd, "reserve", optarg, &opts.reserve_size))
				return EXIT_USAGE;
			break;
		case OPT_NSSA:
			if (!cli_parse_uint(optarg, 1024, &v) || v < 2)
				return cli_usage_error(cmd, "--nssa '%s' is not 2..1024", optarg);
			opts.nssa = (uint32_t)v;
			break;
		case OPT_SSAFRAMESIZE:
			if (!cli_parse_uint(optarg, 1024, &v) || !v)
				return cli_usage_error(
					cmd, "--ssaframesize '%s' is not 1..1024 pages", optarg);
			opts.ssa_frame_size = (uint32_t)v;
			break;
		case OPT_XFRM:
			if (!strcmp(optarg, "host"))
				opts.xfrm = sgxemu_host_xcr0();
			else if (!cli_parse_uint(optarg, UINT64_MAX, &opts.xfrm))
				return cli_usage_error(cmd, "--xfrm '%s' is not a number or 'host'",
						       optarg);
			break;
		case OPT_ENTRY:
			opts.entry = optarg;
			break;
		case OPT_VERBOSE:
			verbose = true;
			break;
		case OPT_HELP:
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option(cmd, argv, c);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(cmd, "expected an ELF file and an output file");

	out = open_memstream(&buf, &len);
	if (!out)
		return cli_error(cmd, "out of memory");
	ret = sgxemu_pack_elf_file(argv[optind], &opts, out, &layout, err, sizeof(err));
	if (fclose(out) && !ret) {
		snprintf(err, sizeof(err), "out of memory");
		ret = -1;
	}
	if (!ret && cli_write_file(argv[optind + 1], buf, len, err, sizeof(err)))
		ret = -1;
	free(buf);
	if (ret) {
		if (layout.threads)
			sgxemu_pack_layout_free(&layout);
		return cli_error(cmd, "%s", err);
	}
	printf("mrenclave ");
	cli_print_hex(stdout, layout.mrenclave, sizeof(layout.mrenclave));
	printf("\n");
	if (verbose)
		print_layout(&layout);
	sgxemu_pack_layout_free(&layout);
	return EXIT_OK;
}

const struct sgxemu_command cmd_pack = {
	.name = "pack",
	.summary = "lay out an enclave ELF as an SGXS stream (heap, threads, TCS, SSA)",
	.synopsis = "sgxemu pack [OPTIONS] ENCLAVE.elf OUT.sgxs",
	.help = "Turns a freestanding enclave image (an x86-64 static PIE linked at 0, whose only\n"
		"dynamic relocations are R_X86_64_RELATIVE) into an SGXS stream, and prints its\n"
		"MRENCLAVE. Sign the stream with `sgxemu sign` using the same XFRM.\n"
		"\n"
		"Layout, in address order from the enclave base:\n"
		"  the PT_LOAD segments  page-rounded, permissions from p_flags, measured\n"
		"  heap                  zero pages, added but not measured\n"
		"  per thread            guard gap (no pages); stack (not measured); TLS page\n"
		"                        (measured; include/sgxemu/enclave_tls.h); TCS (measured:\n"
		"                        OENTRY = entry, OFSBASE = OGSBASE = TLS, limits 0xFFF);\n"
		"                        NSSA x SSAFRAMESIZE SSA pages (not measured)\n"
		"  free                  up to SIZE, the next power of two >= image + reserve\n"
		"\n"
		"Options (SIZE accepts K, M and G suffixes; sizes are whole pages):\n"
		"  -t, --threads N        TCSs: threads that can be inside at once   [1]\n"
		"  -s, --stack SIZE       stack per thread                           [64K]\n"
		"      --guard SIZE       unmapped gap below each stack              [64K]\n"
		"  -H, --heap SIZE        heap                                       [1M]\n"
		"  -r, --reserve SIZE     free ELRANGE after the image, for SGX2     [0]\n"
		"      --nssa N           SSA frames per TCS, at least 2             [2]\n"
		"      --xfrm XFRM|host   the XFRM the enclave will be signed with; sets\n"
		"                         SSAFRAMESIZE from this CPU's CPUID leaf 0xD [0x3]\n"
		"      --ssaframesize N   pages per SSA frame, instead of from --xfrm\n"
		"  -e, --entry SYMBOL     entry point (a symbol of .symtab)     [the ELF entry]\n"
		"  -v, --verbose          also print the layout\n"
		"  -h, --help             print this help\n"
		"\n"
		"Refused, with the reason: non-x86-64 or non-PIE images, PT_INTERP, PT_TLS,\n"
		"DT_NEEDED, PLT, REL, RELR or text relocations, relocations other than\n"
		"R_X86_64_RELATIVE, segments sharing a page or writable without being readable,\n"
		"an entry point outside executable code.\n"
		"\n"
		"Example:\n"
		"  $ sgxemu pack --threads 4 --heap 2M --reserve 8M enclave.elf enclave.sgxs\n"
		"  $ sgxemu sign --key key.pem --out enclave.sig enclave.sgxs\n",
	.run = run,
};
