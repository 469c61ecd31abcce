/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sgxemu/arch.h>

const char *const cli_config_keys[CLI_CONFIG_NR_KEYS] = {
	"epc",
	"sgx2",
	"flc",
	"launch-cache",
	"root-seed",
	"lps",
	"log",
	"stats",
	"backing-dir",
	"inject-eremove",
	"inject-poison",
	"inject-einit-unmasked",
	"suspend-signal",
};

void cli_print_help(const struct sgxemu_command *cmd, FILE *out)
{
	fprintf(out, "Usage: %s\n\n%s", cmd->synopsis, cmd->help);
}

static void vmessage(const struct sgxemu_command *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "sgxemu %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct sgxemu_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Usage: %s\nTry 'sgxemu %s --help' for more.\n", cmd->synopsis, cmd->name);
	return EXIT_USAGE;
}

int cli_error(const struct sgxemu_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int cli_bad_option(const struct sgxemu_command *cmd, char **argv, int c)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", opt);
	if (optopt && optopt < CLI_CONFIG_OPTION_BASE && strncmp(opt, "--", 2))
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", opt);
}

void cli_getopt_reset(void)
{
	optind = 0; /* glibc: 0 also resets its internal state */
	opterr = 0;
}

bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!text || !((*text >= '0' && *text <= '9')))
		return false;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool cli_parse_hex_bytes(const char *text, uint8_t *out, size_t n)
{
	if (!strncmp(text, "0x", 2) || !strncmp(text, "0X", 2))
		text += 2;
	if (strlen(text) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void cli_print_hex(FILE *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

void cli_print_attribute_flags(FILE *out, uint64_t flags)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ SGX_ATTR_INIT, "INIT" },
		{ SGX_ATTR_DEBUG, "DEBUG" },
		{ SGX_ATTR_MODE64BIT, "MODE64BIT" },
		{ SGX_ATTR_PROVISIONKEY, "PROVISIONKEY" },
		{ SGX_ATTR_EINITTOKENKEY, "EINITTOKEN_KEY" },
		{ SGX_ATTR_CET, "CET" },
		{ SGX_ATTR_KSS, "KSS" },
		{ SGX_ATTR_ASYNC_EXIT_NOTIFY, "AEXNOTIFY" },
	};
	const char *sep = "";

	if (!flags) {
		fputs("0", out);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].bit) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = "|";
			flags &= ~names[i].bit;
		}
	}
	if (flags)
		fprintf(out, "%s0x%llx", sep, (unsigned long long)flags);
}

int cli_read_exact(const char *path, void *buf, size_t size, char *err, size_t errlen)
{
	struct stat st;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size != size) {
		snprintf(err, errlen, "%s is %lld bytes, not %zu", path, (long long)st.st_size,
			 size);
		close(fd);
		return -1;
	}
	for (size_t done = 0; done < size; done += (size_t)got) {
		got = read(fd, (uint8_t *)buf + done, size - done);
		if (got < 0 && errno == EINTR) {
			got = 0;
			continue;
		}
		if (got <= 0) {
			snprintf(err, errlen, "cannot read %s: %s", path,
				 got < 0 ? strerror(errno) : "file is too short");
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int cli_write_file(const char *path, const void *buf, size_t size, char *err, size_t errlen)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	mode_t mode;
	int fd = -1;

	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	/* mkstemp made it 0600; give it the mode a plain creat() would have. */
	mode = umask(0);
	umask(mode);
	if (fchmod(fd, 0666 & ~mode) || fsync(fd) || close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	free(tmp);
	return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int cli_config_option(const struct sgxemu_command *cmd, struct sgxemu_config *config, int c,
		      const char *value)
{
	char err[256];
	int i = c - CLI_CONFIG_OPTION_BASE;

	if (i < 0 || i >= CLI_CONFIG_NR_KEYS)
		return 0;
	if (sgxemu_config_set(config, cli_config_keys[i], value, err, sizeof(err))) {
		cli_usage_error(cmd, "--%s", err);
		return -1;
	}
	return 1;
}
