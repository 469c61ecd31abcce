/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu run [OPTIONS] -- PROG [ARGS...]`: runs an unmodified program on the emulated SGX
 * machine. PROG starts with the compat shim (libsgxemu-preload.so, found next to this binary or in
 * ../lib) in LD_PRELOAD and the platform's configuration in SGXEMU_* variables; the platform boots
 * inside PROG the first time it touches SGX (so `sgxemu run -- sh -c ...` costs nothing in the
 * children that do not). A static executable cannot take the shim: it needs --syscall-dispatch.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sgxemu/config.h>

#include "cli.h"
#include "compat/dispatch.h"

#define SHIM_NAME "libsgxemu-preload.so"

static const char *const config_env[] = {
	"SGXEMU_EPC",
	"SGXEMU_SGX2",
	"SGXEMU_FLC",
	"SGXEMU_LAUNCH_CACHE",
	"SGXEMU_ROOT_SEED",
	"SGXEMU_LPS",
	"SGXEMU_LOG",
	"SGXEMU_STATS",
	"SGXEMU_BACKING_DIR",
	"SGXEMU_INJECT_EREMOVE",
	"SGXEMU_INJECT_POISON",
	"SGXEMU_INJECT_EINIT_UNMASKED",
	"SGXEMU_SUSPEND_SIGNAL",
};
_Static_assert(sizeof(config_env) / sizeof(config_env[0]) == CLI_CONFIG_NR_KEYS,
	       "one variable for every configuration flag, in cli_config_keys order");

/* The shim: next to this binary (the build tree), or in ../lib or ../lib/sgxemu (installed). */
static int find_shim(char *out, size_t size)
{
	static const char *const rel[] = { "", "/../lib", "/../lib/sgxemu" };
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if ((size_t)snprintf(out, size, "%s%s/%s", self, rel[i], SHIM_NAME) >= size)
			continue;
		if (!access(out, R_OK)) {
			char *real = realpath(out, NULL);

			if (real && strlen(real) < size)
				strcpy(out, real);
			free(real);
			return 0;
		}
	}
	return -1;
}

/* PROG as execvp would find it: a path with a slash as is, a bare name through PATH. */
static int resolve_program(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");
	int err = ENOENT;

	if (strchr(prog, '/')) {
		if (strlen(prog) >= size)
			return ENAMETOOLONG;
		strcpy(out, prog);
		return access(out, X_OK) ? errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		if ((size_t)snprintf(out, size, "%.*s/%s", (int)n, n ? p : ".", prog) < size &&
		    !stat(out, &st) && S_ISREG(st.st_mode)) {
			if (!access(out, X_OK))
				return 0;
			err = EACCES;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return err;
}

enum elf_kind { ELF_NOT, ELF_DYNAMIC, ELF_STATIC };

/* Is PROG a static ELF executable (no PT_INTERP)? Scripts and dynamic programs take the shim. */
static enum elf_kind program_kind(const char *path)
{
	Elf64_Ehdr eh;
	enum elf_kind kind = ELF_STATIC;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ELF_NOT;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return ELF_NOT;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP) {
			kind = ELF_DYNAMIC;
			break;
		}
	}
	close(fd);
	return kind;
}

/* LD_PRELOAD gets the shim after what is there (a sanitizer runtime must stay first). */
static int add_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	char *value;
	int ret;

	if (!old || !*old)
		return setenv("LD_PRELOAD", shim, 1);
	if (strstr(old, shim))
		return 0;
	if (asprintf(&value, "%s:%s", old, shim) < 0)
		return -1;
	ret = setenv("LD_PRELOAD", value, 1);
	free(value);
	return ret;
}

static int append_list(char **list, const char *item)
{
	char *n;

	if (!*list) {
		*list = strdup(item);
		return *list ? 0 : -1;
	}
	if (asprintf(&n, "%s:%s", *list, item) < 0)
		return -1;
	free(*list);
	*list = n;
	return 0;
}

enum {
	OPT_PATCH_CPUID = 0x100,
	OPT_SYSCALL_DISPATCH,
	OPT_NO_CPUID_FAULTING,
};

static int run(const struct sgxemu_command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "patch-cpuid", required_argument, NULL, OPT_PATCH_CPUID },
		{ "syscall-dispatch", no_argument, NULL, OPT_SYSCALL_DISPATCH },
		{ "no-cpuid-faulting", no_argument, NULL, OPT_NO_CPUID_FAULTING },
		CLI_CONFIG_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *values[CLI_CONFIG_NR_KEYS] = { 0 };
	struct sgxemu_config config;
	char err[256], prog[PATH_MAX], shim[PATH_MAX];
	char *patch = NULL;
	bool dispatch = false, faulting = true;
	enum elf_kind kind;
	int c, ret;

	sgxemu_config_defaults(&config);
	if (sgxemu_config_from_env(&config, err, sizeof(err)))
		return cli_error(cmd, "%s (fix or unset the variable)", err);
	/* '+': options end at the first non-option, which is PROG (the rest is PROG's). */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case OPT_PATCH_CPUID:
			if (!*optarg || strchr(optarg, ':'))
				return cli_usage_error(cmd, "--patch-cpuid needs one library name "
							    "(repeat the option for more)");
			if (append_list(&patch, optarg))
				return cli_error(cmd, "out of memory");
			continue;
		case OPT_SYSCALL_DISPATCH:
			dispatch = true;
			continue;
		case OPT_NO_CPUID_FAULTING:
			faulting = false;
			continue;
		default:
			break;
		}
		ret = cli_config_option(cmd, &config, c, optarg);
		if (ret < 0)
			return EXIT_USAGE;
		if (ret == 0)
			return cli_bad_option(cmd, argv, c);
		values[c - CLI_CONFIG_OPTION_BASE] = optarg;
	}
	if (optind >= argc)
		return cli_usage_error(cmd,
				       "no program to run (sgxemu run [OPTIONS] -- PROG ARGS...)");
	if (sgxemu_config_validate(&config, err, sizeof(err)))
		return cli_usage_error(cmd, "impossible configuration: %s", err);

	ret = resolve_program(argv[optind], prog, sizeof(prog));
	if (ret) {
		fprintf(stderr, "sgxemu run: %s: %s\n", argv[optind],
			ret == ENOENT ? "command not found" : strerror(ret));
		return ret == ENOENT ? 127 : 126;
	}
	kind = program_kind(prog);
	if (kind == ELF_STATIC && !dispatch) {
		fprintf(stderr,
			"sgxemu run: %s is a static executable: LD_PRELOAD cannot reach it; run it "
			"with --syscall-dispatch\n",
			argv[optind]);
		return EXIT_FAIL;
	}
	if (dispatch && kind != ELF_STATIC) {
		fprintf(stderr,
			"sgxemu run: --syscall-dispatch is for static executables; %s is %s\n",
			argv[optind],
			kind == ELF_DYNAMIC ? "dynamic (it takes the shim)" : "not ELF");
		return EXIT_USAGE;
	}

	/* The platform's configuration travels in the environment; it boots inside PROG. */
	for (int i = 0; i < CLI_CONFIG_NR_KEYS; i++)
		if (values[i] && setenv(config_env[i], values[i], 1))
			return cli_error(cmd, "cannot set %s: %m", config_env[i]);
	if (faulting && setenv("SGXEMU_CPUID_FAULTING", "1", 1))
		return cli_error(cmd, "cannot set the environment: %m");
	if (patch && setenv("SGXEMU_PATCH_CPUID", patch, 1))
		return cli_error(cmd, "cannot set the environment: %m");
	free(patch);

	if (find_shim(shim, sizeof(shim))) {
		if (!dispatch)
			return cli_error(cmd,
					 "cannot find %s next to the sgxemu binary or in ../lib",
					 SHIM_NAME);
	} else if (add_preload(shim)) {
		return cli_error(cmd, "cannot set LD_PRELOAD: %m");
	}
	/*
	 * A static program runs inside this process; the shim in its environment is for the
	 * dynamic programs it executes (a static one runs under sgxemu again: dispatch.c).
	 */
	if (dispatch)
		return compat_dispatch_run(prog, argc - optind, argv + optind);
	execv(prog, argv + optind);
	fprintf(stderr, "sgxemu run: %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

const struct sgxemu_command cmd_run = {
	.name = "run",
	.summary = "run an unmodified SGX program on the emulated machine",
	.synopsis = "sgxemu run [OPTIONS] [--] PROG [ARGS...]",
	.help = "Runs PROG as on a Linux machine with SGX: /dev/sgx_enclave,\n"
		"/dev/sgx_provision and /dev/sgx_vepc exist, the SGX_IOC_* ioctls of\n"
		"<asm/sgx.h>, mmap/mprotect/munmap of enclave memory, the vDSO's\n"
		"__vdso_sgx_enter_enclave and a raw ENCLU all work, and /proc/cpuinfo shows sgx\n"
		"and sgx_lc. PROG starts with libsgxemu-preload.so in LD_PRELOAD (added after\n"
		"any preload already there) and the configuration below in SGXEMU_* variables;\n"
		"the emulated platform boots inside PROG when it first uses SGX, and every\n"
		"process of PROG (a shell's children too) gets its own. docs/compat.md describes\n"
		"exactly what a program sees (fork, signals, CPUID, tools).\n"
		"\n"
		"Options (the platform, the same for every command that runs "
		"one):\n" CLI_CONFIG_HELP "Options (the program):\n"
		"  --patch-cpuid LIB     rewrite the CPUID instructions in library LIB (a file "
		"name\n"
		"                        like libfoo.so, or a path; with --syscall-dispatch also\n"
		"                        the program itself) so that they see the emulated SGX\n"
		"                        leaves; repeat for more. For hosts without CPUID "
		"faulting\n"
		"                        (programs can also call sgxemu_cpuid)\n"
		"  --no-cpuid-faulting   do not turn CPUID faulting on where the host has it\n"
		"  --syscall-dispatch    run a static executable (no LD_PRELOAD reaches it): "
		"sgxemu\n"
		"                        loads it and catches its system calls with syscall user\n"
		"                        dispatch (Linux 5.11+); threads, signals and fork work\n"
		"  -h, --help            print this help\n"
		"\n"
		"A static executable without --syscall-dispatch (or a dynamic one with it), a\n"
		"missing program (exit 127), an unknown option or an impossible configuration\n"
		"(exit 2) are refused with one line.\n"
		"\n"
		"Examples:\n"
		"  $ sgxemu run -- ./my-sgx-app --flag\n"
		"  $ sgxemu run --epc 1M --stats 1 -- ./my-sgx-app    # EPC oversubscribed\n"
		"  $ sgxemu run --patch-cpuid libsgx_urts.so -- ./app\n"
		"  $ sgxemu run --syscall-dispatch -- ./my-static-sgx-app\n"
		"  $ sgxemu run --suspend-signal USR2 -- ./app & sleep 5; kill -USR2 $!\n"
		"                        (the machine sleeps: does ./app rebuild its enclaves?)\n",
	.run = run,
};
