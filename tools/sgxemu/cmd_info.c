/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu info`: the emulated platform's configuration and the SGX CPUID leaves exactly as the
 * emulated CPU answers them (sgx_cpu_cpuid), decoded. Nothing here is computed from the
 * configuration directly: what is printed is what software running on sgxemu will see.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sgxemu/config.h>

#include "cli.h"
#include "cpu/cpu.h"
#include "kernel/sgx.h"

static void print_size(uint64_t bytes)
{
	if (bytes && !(bytes % (1ULL << 30)))
		printf("%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes && !(bytes % (1ULL << 20)))
		printf("%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes && !(bytes % (1ULL << 10)))
		printf("%llu KiB", (unsigned long long)(bytes >> 10));
	else
		printf("%llu bytes", (unsigned long long)bytes);
}

static const char *on_off(bool v)
{
	return v ? "on" : "off";
}

static const char *log_level_name(int level)
{
	switch (level) {
	case 3:
		return "err";
	case 4:
		return "warn";
	case 6:
		return "info";
	case 7:
		return "debug";
	}
	return NULL;
}

/* Injected failures are listed only when configured: the default machine has none. */
static void print_frames(const char *key, const uint64_t *frames, unsigned int nr)
{
	if (!nr)
		return;
	printf("  %s", key);
	for (unsigned int i = 0; i < nr; i++)
		printf(frames[i] >= SGXEMU_FRAME_ADDR_MIN ? "%s0x%" PRIx64 : "%s%" PRIu64,
		       i ? "," : " ", frames[i]);
	printf("\n");
}

static void print_config(const struct sgxemu_config *config)
{
	const char *level = log_level_name(config->log_level);

	printf("configuration\n");
	printf("  epc           ");
	print_size(sgxemu_config_epc_total(config));
	printf(" in %u section%s (", config->nr_epc_sections,
	       config->nr_epc_sections == 1 ? "" : "s");
	for (unsigned int i = 0; i < config->nr_epc_sections; i++) {
		if (i)
			printf(", ");
		print_size(config->epc_section_size[i]);
	}
	printf(")\n");
	printf("  sgx2          %s\n", on_off(config->sgx2));
	printf("  flc           %s\n", on_off(config->flc));
	printf("  launch-cache  %s\n", on_off(config->launch_cache));
	printf("  root key      %s\n",
	       config->fixed_root_key ? "fixed (from root-seed)" : "random per run");
	printf("  lps           %u\n", config->nr_lps);
	if (level)
		printf("  log           %s\n", level);
	else
		printf("  log           %d\n", config->log_level);
	printf("  stats         %s\n", on_off(config->stats_at_exit));
	printf("  backing-dir   %s\n", *config->backing_dir ? config->backing_dir : "(memory)");
	print_frames("inject-eremove", config->inject_eremove, config->nr_inject_eremove);
	print_frames("inject-poison", config->inject_poison, config->nr_inject_poison);
	if (config->inject_einit_unmasked)
		printf("  inject-einit-unmasked %u\n", config->inject_einit_unmasked);
	if (config->suspend_signal)
		printf("  suspend-signal %s (%d)\n", strsignal(config->suspend_signal),
		       config->suspend_signal);
}

static void print_bit(const char *name, uint32_t reg, unsigned int bit)
{
	printf("    %-34s %u\n", name, (reg >> bit) & 1);
}

static void print_regs(uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	printf("cpuid 0x%x.%u: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", leaf, subleaf, r[0],
	       r[1], r[2], r[3]);
}

static void print_leaf7(const struct sgx_cpu *cpu)
{
	uint32_t r[4];

	sgx_cpu_cpuid(cpu, 7, 0, r);
	print_regs(7, 0, r);
	print_bit("ebx[2] SGX", r[1], 2);
	print_bit("ecx[30] SGX_LC (launch control)", r[2], 30);
	print_bit("edx[1] SGX_KEYS (attestation)", r[3], 1);
}

static void print_leaf12(const struct sgx_cpu *cpu)
{
	uint32_t r[4];
	uint64_t flags, xfrm;

	sgx_cpu_cpuid(cpu, 0x12, 0, r);
	print_regs(0x12, 0, r);
	print_bit("eax[0] SGX1", r[0], 0);
	print_bit("eax[1] SGX2", r[0], 1);
	print_bit("eax[5] ENCLV (oversubscription)", r[0], 5);
	print_bit("eax[6] ETRACKC/ERDINFO/ELDBC/ELDUC", r[0], 6);
	print_bit("eax[7] EVERIFYREPORT2", r[0], 7);
	print_bit("eax[10] EUPDATESVN", r[0], 10);
	print_bit("eax[11] EDECCSSA (AEX-Notify)", r[0], 11);
	printf("    %-34s 0x%x%s\n", "ebx MISCSELECT supported", r[1],
	       (r[1] & 1) ? " (EXINFO)" : "");
	printf("    %-34s 2^%u bytes\n", "edx[7:0] max enclave size, 32-bit", r[3] & 0xff);
	printf("    %-34s 2^%u bytes\n", "edx[15:8] max enclave size, 64-bit", (r[3] >> 8) & 0xff);

	sgx_cpu_cpuid(cpu, 0x12, 1, r);
	print_regs(0x12, 1, r);
	flags = (uint64_t)r[1] << 32 | r[0];
	xfrm = (uint64_t)r[3] << 32 | r[2];
	printf("    %-34s 0x%llx (", "ebx:eax settable ATTRIBUTES", (unsigned long long)flags);
	cli_print_attribute_flags(stdout, flags);
	printf(")\n");
	printf("    %-34s 0x%llx\n", "edx:ecx settable XFRM", (unsigned long long)xfrm);

	for (uint32_t sub = 2;; sub++) {
		uint64_t base, size;

		sgx_cpu_cpuid(cpu, 0x12, sub, r);
		if ((r[0] & 0xf) != 1) {
			print_regs(0x12, sub, r);
			printf("    %-34s %s\n", "eax[3:0] type",
			       (r[0] & 0xf) ? "unknown" : "0 (no more EPC sections)");
			break;
		}
		print_regs(0x12, sub, r);
		base = ((uint64_t)(r[1] & 0xfffff) << 32) | (r[0] & 0xfffff000U);
		size = ((uint64_t)(r[3] & 0xfffff) << 32) | (r[2] & 0xfffff000U);
		printf("    EPC section %u: base 0x%llx, size 0x%llx (", sub - 2,
		       (unsigned long long)base, (unsigned long long)size);
		print_size(size);
		printf("), %s\n", (r[2] & 0xf) == 1   ? "confidentiality and integrity protected"
				  : (r[2] & 0xf) == 2 ? "confidentiality protected only"
						      : "protection unknown");
	}
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
	struct sgx_cpu *cpu;
	char err[256];
	int c, ret;

	sgxemu_config_defaults(&config);
	if (sgxemu_config_from_env(&config, err, sizeof(err)))
		return cli_error(cmd, "%s (fix or unset the variable)", err);
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
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
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (sgxemu_config_validate(&config, err, sizeof(err)))
		return cli_usage_error(cmd, "%s", err);

	cpu = sgx_cpu_create(&config);
	if (!cpu)
		return cli_error(cmd, "cannot power on the emulated CPU: %m");
	print_config(&config);
	print_leaf7(cpu);
	print_leaf12(cpu);
	sgx_cpu_destroy(cpu);

	/* The kernel's view of a freshly booted platform, with its (zero) statistics. */
	platform = sgx_platform_create(&config, err, sizeof(err));
	if (!platform)
		return cli_error(cmd, "cannot boot the platform: %s", err);
	printf("platform\n");
	sgx_platform_print_info(platform, stdout);
	sgx_platform_destroy(platform);
	return EXIT_OK;
}

const struct sgxemu_command cmd_info = {
	.name = "info",
	.summary = "show the emulated platform: configuration, SGX CPUID leaves, EPC, statistics",
	.synopsis = "sgxemu info [--epc SIZE[,SIZE...]] [--sgx2 0|1] [--flc 0|1] [OPTIONS]",
	.help = "Prints the emulated platform's configuration (from the SGXEMU_* environment\n"
		"variables, then these flags) and CPUID leaves 7 and 0x12 exactly as the emulated\n"
		"CPU reports them to software, decoded: SGX1/SGX2 and the other leaf-group bits,\n"
		"supported MISCSELECT, maximum enclave sizes, settable ATTRIBUTES and XFRM, and "
		"each\n"
		"EPC section's base and size. Only implemented features are advertised. Then the\n"
		"platform as the kernel layer sees it after boot: EPC sections and free pages, the\n"
		"device nodes, launch control, and the statistics `sgxemu stat` prints.\n"
		"\n"
		"Options (the same for every command that runs a platform):\n" CLI_CONFIG_HELP
		"  -h, --help            print this help\n"
		"\n"
		"Example:\n"
		"  $ sgxemu info --epc 64M,32M --sgx2 0\n",
	.run = run,
};
