/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu`: one binary, one file per subcommand. To add one, write cmd_NAME.c defining
 * `const struct sgxemu_command cmd_NAME` (see cli.h) and add X(NAME) below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define SGXEMU_COMMANDS(X) \
	X(pack)            \
	X(measure)         \
	X(sign)            \
	X(verify)          \
	X(info)            \
	X(run)             \
	X(stat)

#define DECLARE(name) extern const struct sgxemu_command cmd_##name;
SGXEMU_COMMANDS(DECLARE)
#undef DECLARE

#define ENTRY(name) &cmd_##name,
static const struct sgxemu_command *const commands[] = { SGXEMU_COMMANDS(ENTRY) };
#undef ENTRY

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct sgxemu_command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_overview(FILE *out)
{
	fprintf(out,
		"Usage: sgxemu COMMAND [ARGS...]\n"
		"\n"
		"sgxemu is the Linux SGX subsystem rebuilt in userspace on a software SGX CPU.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n"
		     "'sgxemu help COMMAND' or 'sgxemu COMMAND --help' describes a command.\n"
		     "Exit status: 0 success, 1 failure, 2 wrong usage.\n");
}

static int help(int argc, char **argv)
{
	const struct sgxemu_command *cmd;

	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr,
			"sgxemu help: one command at a time\nUsage: sgxemu help [COMMAND]\n");
		return EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "sgxemu help: no command '%s'; 'sgxemu --help' lists them\n",
			argv[1]);
		return EXIT_USAGE;
	}
	cli_print_help(cmd, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct sgxemu_command *cmd;

	if (argc < 2) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(1, argv + 1);
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("sgxemu %s\n", SGXEMU_VERSION);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "sgxemu: no command '%s'; 'sgxemu --help' lists them\n", argv[1]);
		return EXIT_USAGE;
	}
	cli_getopt_reset();
	return cmd->run(cmd, argc - 1, argv + 1);
}
