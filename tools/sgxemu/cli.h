/* SPDX-License-Identifier: MIT */
/*
 * What every `sgxemu` subcommand shares: its table entry, exit codes, messages, and parsers for
 * numbers, hex strings and the platform-configuration flags.
 *
 * Adding a subcommand: write cmd_NAME.c defining `const struct sgxemu_command cmd_NAME`, and add
 * one X(NAME) line to SGXEMU_COMMANDS in main.c.
 */
#ifndef SGXEMU_TOOLS_CLI_H
#define SGXEMU_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sgxemu/config.h>

/* Exit codes: success, the operation failed (bad file, failed check), wrong usage. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct sgxemu_command {
	const char *name;
	const char *summary;  /* one line for `sgxemu --help` */
	const char *synopsis; /* "sgxemu NAME [OPTIONS] ARGS", shown with usage errors */
	const char *help;     /* the rest of `sgxemu help NAME`: description, options, examples */
	/* argv[0] is the command's name; returns an exit code. */
	int (*run)(const struct sgxemu_command *cmd, int argc, char **argv);
};

/* Prints the synopsis and help of cmd to out. */
void cli_print_help(const struct sgxemu_command *cmd, FILE *out);

/* "sgxemu NAME: message" and the synopsis on stderr; returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const struct sgxemu_command *cmd,
							  const char *fmt, ...);
/* "sgxemu NAME: message" on stderr; returns EXIT_FAIL. */
__attribute__((format(printf, 2, 3))) int cli_error(const struct sgxemu_command *cmd,
						    const char *fmt, ...);

/*
 * getopt_long's result for an option the command does not know or one missing its value (the
 * optstring must start with ':'); returns EXIT_USAGE after saying which.
 */
int cli_bad_option(const struct sgxemu_command *cmd, char **argv, int c);

/* Resets getopt for a fresh parse of a subcommand's argv (argv[0] is the command). */
void cli_getopt_reset(void);

/* Decimal or 0x-hex, no sign, no junk, at most max. */
bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out);
/* Exactly 2*n hex digits (optional 0x), byte i from digits 2i and 2i+1. */
bool cli_parse_hex_bytes(const char *text, uint8_t *out, size_t n);

void cli_print_hex(FILE *out, const uint8_t *p, size_t n);
/* ATTRIBUTES.FLAGS by name: "MODE64BIT|DEBUG", "0" for none, unknown bits in hex. */
void cli_print_attribute_flags(FILE *out, uint64_t flags);

/* Reads a file that must be exactly size bytes. 0, or -1 with the reason in err. */
int cli_read_exact(const char *path, void *buf, size_t size, char *err, size_t errlen);
/* Writes a file through a temporary and rename, so a failure leaves no partial file. */
int cli_write_file(const char *path, const void *buf, size_t size, char *err, size_t errlen);

/*
 * The platform-configuration flags (--epc, --sgx2, ...), one per sgxemu_config_set key, for
 * commands that build a platform (`info`, `run`). Append CLI_CONFIG_LONG_OPTIONS to a long-option
 * table; getopt_long then returns CLI_CONFIG_OPTION_BASE + i for key i.
 */
#define CLI_CONFIG_OPTION_BASE 0x1000
#define CLI_CONFIG_NR_KEYS 13
extern const char *const cli_config_keys[CLI_CONFIG_NR_KEYS];
#define CLI_CONFIG_LONG_OPTIONS                                                                    \
	{ "epc", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 0 },                            \
		{ "sgx2", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 1 },                   \
		{ "flc", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 2 },                    \
		{ "launch-cache", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 3 },           \
		{ "root-seed", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 4 },              \
		{ "lps", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 5 },                    \
		{ "log", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 6 },                    \
		{ "stats", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 7 },                  \
		{ "backing-dir", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 8 },            \
		{ "inject-eremove", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 9 },         \
		{ "inject-poison", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 10 },         \
		{ "inject-einit-unmasked", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 11 }, \
	{                                                                                          \
		"suspend-signal", required_argument, NULL, CLI_CONFIG_OPTION_BASE + 12             \
	}
/* Help lines for those flags, to paste into a command's help text. */
/* clang-format off */
#define CLI_CONFIG_HELP \
	"  --epc SIZE[,SIZE...]  EPC sections, e.g. 128M or 64M,64M  [128M; SGXEMU_EPC]\n" \
	"  --sgx2 0|1            SGX2 (EDMM) leaves                   [1; SGXEMU_SGX2]\n" \
	"  --flc 0|1             flexible launch control              [1; SGXEMU_FLC]\n" \
	"  --launch-cache 0|1    cache the launch-key MSRs, writing them only on change\n" \
	"                        (mainline writes before every EINIT) [0; SGXEMU_LAUNCH_CACHE]\n" \
	"  --root-seed TEXT      fixed root key from TEXT: sealed data survives restarts\n" \
	"                                          [random per run; SGXEMU_ROOT_SEED]\n" \
	"  --lps N               logical processors for ENCLS         [host CPUs; SGXEMU_LPS]\n" \
	"  --log LEVEL           err, warn, info, debug or 0-7        [warn; SGXEMU_LOG]\n" \
	"  --stats 0|1           print statistics at exit             [0; SGXEMU_STATS]\n" \
	"  --backing-dir DIR     keep evicted EPC pages in files in DIR (default: memory)\n" \
	"                                          [memory; SGXEMU_BACKING_DIR]\n" \
	"  --inject-eremove FRAME[,FRAME...]\n" \
	"                        the kernel's EREMOVE of these EPC frames fails: the\n" \
	"                        leak warning, the frame is never reused\n" \
	"                                          [none; SGXEMU_INJECT_EREMOVE]\n" \
	"  --inject-poison FRAME[,FRAME...]\n" \
	"                        memory errors in these frames from boot on: they are\n" \
	"                        quarantined, never handed out [none; SGXEMU_INJECT_POISON]\n" \
	"                        (FRAME: an EPC page address such as 0x1000003000, or a\n" \
	"                        frame number counted over all sections; at most 16)\n" \
	"  --inject-einit-unmasked N\n" \
	"                        the first N EINITs answer SGX_UNMASKED_EVENT; the kernel\n" \
	"                        retries them         [0; SGXEMU_INJECT_EINIT_UNMASKED]\n" \
	"  --suspend-signal SIG  each SIG the process receives (kill -USR2 PID) suspends\n" \
	"                        and resumes the platform: the EPC is lost, enclaves must\n" \
	"                        be rebuilt; sgxemu keeps SIG for itself\n" \
	"                                          [off; SGXEMU_SUSPEND_SIGNAL]\n"
/* clang-format on */

/*
 * Handles getopt_long's result c if it is a configuration flag: applies it to config and returns
 * 1, or prints the reason and returns -1 (a usage error); returns 0 if c is not one.
 */
int cli_config_option(const struct sgxemu_command *cmd, struct sgxemu_config *config, int c,
		      const char *value);

#endif /* SGXEMU_TOOLS_CLI_H */
