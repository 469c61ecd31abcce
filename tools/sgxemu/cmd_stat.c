/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu stat`: a platform's statistics — the EPC, resident and evicted pages, the reclaimer's
 * counters (evictions, reloads, EWB retries by reason, forced AEXes), leaf counts. The platform
 * lives inside the process that uses it, so there are two ways to look:
 *
 *   sgxemu stat [OPTIONS]                 boots a platform with this configuration and prints its
 *                                         statistics (what a program starts from);
 *   sgxemu stat [OPTIONS] -- PROG ARGS    runs PROG as `sgxemu run` does, with the statistics of
 *                                         its platform printed to stderr when it exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sgxemu/config.h>

#include "cli.h"
#include "kernel/sgx.h"

extern const struct sgxemu_command cmd_run;

/* `sgxemu run --stats 1 [the same options] -- PROG ARGS`. */
static int stat_program(int argc, char **argv)
{
	char **run_argv = calloc((size_t)argc + 3, sizeof(*run_argv));
	int n = 0, ret;

	if (!run_argv)
		return EXIT_FAIL;
	run_argv[n++] = "run";
	run_argv[n++] = "--stats";
	run_argv[n++] = "1";
	for (int i = 1; i < argc; i++)
		run_argv[n++] = argv[i];
	cli_getopt_reset();
	ret = cmd_run.run(&cmd_run, n, run_argv);
	free(run_argv);
	return ret;
}

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		CLI_CONFIG_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct sgxemu_config config;
	struct sgx_platform *platform;
	char err[256];
	int c, ret;

	sgxemu_config_defaults(&config);
	if (sgxemu_config_from_env(&config, err, sizeof(err)))
		return cli_error(cmd, "%s (fix or unset the variable)", err);
	/* '+': options end at the first non-option, which is PROG (the rest is PROG's). */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		}
		ret = cli_config_option(cmd, &config, c, optarg);
		if (ret < 0)
			return EXIT_USAGE;
		if (ret == 0)
			return cli_bad_option(cmd, argv, c);
	}
	if (optind < argc)
		return stat_program(argc, argv);
	if (sgxemu_config_validate(&config, err, sizeof(err)))
		return cli_usage_error(cmd, "%s", err);

	platform = sgx_platform_create(&config, err, sizeof(err));
	if (!platform)
		return cli_error(cmd, "%s", err);
	sgx_platform_print_stats(platform, stdout);
	sgx_platform_destroy(platform);
	return EXIT_OK;
}

const struct sgxemu_command cmd_stat = {
	.name = "stat",
	.summary = "show a platform's statistics: EPC, paging, reclaim, leaf counts",
	.synopsis = "sgxemu stat [OPTIONS] [-- PROG [ARGS...]]",
	.help = "Prints the statistics of an emulated platform: EPC pages (free, leaked), pages\n"
		"resident and evicted, the reclaimer's batches, second chances, evictions and\n"
		"reloads (SECS included), EWB retries by reason (not tracked, after the kick,\n"
		"conflicts, deferred), forced AEXes and kicks that timed out, faults that waited,\n"
		"and every ENCLS/ENCLU leaf count.\n"
		"\n"
		"The platform lives in the process that uses it. Without PROG, a platform is booted\n"
		"with the configuration and its statistics printed (what every program starts from).\n"
		"With PROG, PROG runs as under `sgxemu run` and the statistics of its platform are\n"
		"printed to stderr when it exits (the same as `sgxemu run --stats 1`).\n"
		"\n"
		"Options (the platform):\n" CLI_CONFIG_HELP
		"  -h, --help            print this help\n"
		"\n"
		"Examples:\n"
		"  $ sgxemu stat --epc 64M\n"
		"  $ sgxemu stat --epc 8M -- ./my-sgx-app\n",
	.run = run,
};
