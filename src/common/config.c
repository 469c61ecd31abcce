/* SPDX-License-Identifier: MIT */
#include <sgxemu/config.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "common/log.h"

__attribute__((format(printf, 3, 4))) static int config_error(char *err, size_t errlen,
							       const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void sgxemu_config_defaults(struct sgxemu_config *config)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(config, 0, sizeof(*config));
	config->nr_epc_sections = 1;
	config->epc_section_size[0] = 128ULL << 20;
	config->sgx2 = true;
	config->flc = true;
	config->launch_cache = false;
	config->nr_lps = cpus < 1 ? 1 : (cpus > SGXEMU_MAX_LPS ? SGXEMU_MAX_LPS : (unsigned int)cpus);
	config->log_level = SGX_LOG_WARNING;
}

bool sgxemu_parse_size(const char *text, uint64_t *bytes)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	n = strtoull(text, &end, 0);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++; /* accept "MiB"-style "Mi" */
	if (*end == 'B' && shift)
		end++;
	if (*end != '\0')
		return false;
	if (shift && n > (~0ULL >> shift))
		return false;
	*bytes = (uint64_t)n << shift;
	return true;
}

static int parse_bool(const char *value, bool *out)
{
	if (!strcmp(value, "1") || !strcmp(value, "on") || !strcmp(value, "yes") ||
	    !strcmp(value, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(value, "0") || !strcmp(value, "off") || !strcmp(value, "no") ||
	    !strcmp(value, "false")) {
		*out = false;
		return 0;
	}
	return -1;
}

static int set_epc(struct sgxemu_config *config, const char *value, char *err, size_t errlen)
{
	char copy[256], *save = NULL, *tok;
	unsigned int n = 0;
	uint64_t sizes[SGXEMU_MAX_EPC_SECTIONS];

	if (strlen(value) >= sizeof(copy))
		return config_error(err, errlen, "epc: value too long");
	strcpy(copy, value);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == SGXEMU_MAX_EPC_SECTIONS)
			return config_error(err, errlen, "epc: at most %d sections, got more in '%s'",
					    SGXEMU_MAX_EPC_SECTIONS, value);
		if (!sgxemu_parse_size(tok, &sizes[n]))
			return config_error(err, errlen,
					    "epc: '%s' is not a size (use e.g. 128M or 64M,64M)", tok);
		n++;
	}
	if (n == 0)
		return config_error(err, errlen, "epc: empty value (use e.g. 128M or 64M,64M)");
	config->nr_epc_sections = n;
	memcpy(config->epc_section_size, sizes, n * sizeof(sizes[0]));
	return 0;
}

int sgxemu_parse_signal(const char *text)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },	    { "QUIT", SIGQUIT }, { "ABRT", SIGABRT },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "CHLD", SIGCHLD },   { "CONT", SIGCONT }, { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },   { "URG", SIGURG },	 { "XCPU", SIGXCPU },
		{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
		{ "IO", SIGIO },     { "PWR", SIGPWR },	    { "ILL", SIGILL },	 { "TRAP", SIGTRAP },
		{ "BUS", SIGBUS },   { "FPE", SIGFPE },	    { "SEGV", SIGSEGV }, { "SYS", SIGSYS },
		{ "KILL", SIGKILL }, { "STOP", SIGSTOP },
	};
	char *end;
	long n;
	int sig = -1;

	if (!text || !*text)
		return -1;
	if (!strncmp(text, "SIG", 3))
		text += 3;
	if (*text >= '0' && *text <= '9') {
		errno = 0;
		n = strtol(text, &end, 10);
		if (!errno && !*end && n > 0 && n < NSIG)
			sig = (int)n;
	} else if (!strncmp(text, "RTMIN", 5) || !strncmp(text, "RTMAX", 5)) {
		bool max = text[3] == 'A';

		n = 0;
		if (text[5]) {
			if (text[5] != (max ? '-' : '+') || text[6] < '0' || text[6] > '9')
				return -1;
			n = strtol(text + 6, &end, 10);
			if (*end)
				return -1;
		}
		sig = max ? SIGRTMAX - (int)n : SIGRTMIN + (int)n;
		if (sig < SIGRTMIN || sig > SIGRTMAX)
			return -1;
	} else {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(text, names[i].name))
				sig = names[i].sig;
	}
	return sig;
}

/*
 * The signals sgxemu's runtime always owns (the traps and its "IPI", SIGRTMAX - 1) and those no
 * handler can have: none of them can be the suspend trigger.
 */
static bool signal_reserved(int sig)
{
	return sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGTRAP ||
	       sig == SIGSYS || sig == SIGKILL || sig == SIGSTOP || sig == SIGRTMAX - 1;
}

/* "0x1000003000,17": EPC addresses (hex, 0x) and frame numbers (decimal). */
static int set_frames(const char *key, const char *value, uint64_t *frames, unsigned int *nr,
		      char *err, size_t errlen)
{
	char copy[512], *save = NULL, *tok;
	uint64_t parsed[SGXEMU_MAX_INJECT_FRAMES];
	unsigned int n = 0;

	if (strlen(value) >= sizeof(copy))
		return config_error(err, errlen, "%s: value too long", key);
	strcpy(copy, value);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool hex = tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
		unsigned long long v;
		char *end;

		if (n == SGXEMU_MAX_INJECT_FRAMES)
			return config_error(err, errlen, "%s: at most %d frames", key,
					    SGXEMU_MAX_INJECT_FRAMES);
		errno = 0;
		v = strtoull(tok, &end, hex ? 16 : 10);
		if (errno || end == tok || *end || tok[0] == '-' || tok[0] == '+' ||
		    (hex && (v < SGXEMU_FRAME_ADDR_MIN || (v & 0xFFF))) ||
		    (!hex && v >= SGXEMU_FRAME_ADDR_MIN))
			return config_error(err, errlen,
					    "%s: '%s' is neither an EPC page address (0x..., 4 KiB "
					    "aligned) nor a frame number",
					    key, tok);
		parsed[n++] = v;
	}
	memcpy(frames, parsed, n * sizeof(parsed[0]));
	*nr = n;
	return 0;
}

static void set_root_seed(struct sgxemu_config *config, const char *value)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];

	/* Any text is a seed; the root key is the first 16 bytes of its SHA-256. */
	SHA256((const unsigned char *)value, strlen(value), digest);
	memcpy(config->root_key, digest, sizeof(config->root_key));
	config->fixed_root_key = true;
}

int sgxemu_config_set(struct sgxemu_config *config, const char *key, const char *value, char *err,
		      size_t errlen)
{
	bool *flag = NULL;
	char *end;
	long n;

	if (!value)
		return config_error(err, errlen, "%s: missing value", key);
	if (!strcmp(key, "epc"))
		return set_epc(config, value, err, errlen);
	if (!strcmp(key, "root-seed")) {
		if (!*value)
			return config_error(err, errlen, "root-seed: empty seed");
		set_root_seed(config, value);
		return 0;
	}
	if (!strcmp(key, "inject-eremove"))
		return set_frames(key, value, config->inject_eremove, &config->nr_inject_eremove,
				  err, errlen);
	if (!strcmp(key, "inject-poison"))
		return set_frames(key, value, config->inject_poison, &config->nr_inject_poison, err,
				  errlen);
	if (!strcmp(key, "suspend-signal")) {
		int sig;

		if (!strcmp(value, "0") || !strcmp(value, "off") || !strcmp(value, "none")) {
			config->suspend_signal = 0;
			return 0;
		}
		sig = sgxemu_parse_signal(value);
		if (sig < 0)
			return config_error(err, errlen, "suspend-signal: '%s' is not a signal", value);
		if (signal_reserved(sig))
			return config_error(err, errlen,
					    "suspend-signal: %s cannot be used (sgxemu needs it, or "
					    "it cannot be caught)",
					    value);
		config->suspend_signal = sig;
		return 0;
	}
	if (!strcmp(key, "inject-einit-unmasked")) {
		unsigned long long v;

		errno = 0;
		v = strtoull(value, &end, 10);
		if (*value < '0' || *value > '9' || *end || errno || v > UINT32_MAX)
			return config_error(err, errlen,
					    "inject-einit-unmasked: '%s' is not a count", value);
		config->inject_einit_unmasked = (unsigned int)v;
		return 0;
	}
	if (!strcmp(key, "lps")) {
		n = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || n < 1 || n > SGXEMU_MAX_LPS)
			return config_error(err, errlen, "lps: '%s' is not a number from 1 to %d",
					    value, SGXEMU_MAX_LPS);
		config->nr_lps = (unsigned int)n;
		return 0;
	}
	if (!strcmp(key, "log")) {
		enum sgx_log_level level;

		if (!sgx_log_parse_level(value, &level))
			return config_error(err, errlen,
					    "log: '%s' is not a level (err, warn, info, debug or 0-7)",
					    value);
		config->log_level = level;
		return 0;
	}
	if (!strcmp(key, "backing-dir")) {
		struct stat st;

		if (strlen(value) >= sizeof(config->backing_dir))
			return config_error(err, errlen, "backing-dir: path longer than %zu bytes",
					    sizeof(config->backing_dir) - 1);
		if (*value && (stat(value, &st) || !S_ISDIR(st.st_mode)))
			return config_error(err, errlen, "backing-dir: '%s' is not a directory",
					    value);
		strcpy(config->backing_dir, value);
		return 0;
	}
	if (!strcmp(key, "sgx2"))
		flag = &config->sgx2;
	else if (!strcmp(key, "flc"))
		flag = &config->flc;
	else if (!strcmp(key, "launch-cache"))
		flag = &config->launch_cache;
	else if (!strcmp(key, "stats"))
		flag = &config->stats_at_exit;
	else
		return config_error(err, errlen, "unknown setting '%s'", key);
	if (parse_bool(value, flag))
		return config_error(err, errlen, "%s: '%s' is not 0 or 1", key, value);
	return 0;
}

int sgxemu_config_from_env(struct sgxemu_config *config, char *err, size_t errlen)
{
	static const struct {
		const char *env;
		const char *key;
	} vars[] = {
		{ "SGXEMU_EPC", "epc" },	   { "SGXEMU_SGX2", "sgx2" },
		{ "SGXEMU_FLC", "flc" },	   { "SGXEMU_LAUNCH_CACHE", "launch-cache" },
		{ "SGXEMU_ROOT_SEED", "root-seed" }, { "SGXEMU_LPS", "lps" },
		{ "SGXEMU_LOG", "log" },	   { "SGXEMU_STATS", "stats" },
		{ "SGXEMU_BACKING_DIR", "backing-dir" },
		{ "SGXEMU_INJECT_EREMOVE", "inject-eremove" },
		{ "SGXEMU_INJECT_POISON", "inject-poison" },
		{ "SGXEMU_INJECT_EINIT_UNMASKED", "inject-einit-unmasked" },
		{ "SGXEMU_SUSPEND_SIGNAL", "suspend-signal" },
	};
	char inner[200];

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *value = getenv(vars[i].env);

		if (!value)
			continue;
		if (sgxemu_config_set(config, vars[i].key, value, inner, sizeof(inner)))
			return config_error(err, errlen, "%s: %s", vars[i].env, inner);
	}
	return 0;
}

uint64_t sgxemu_config_epc_total(const struct sgxemu_config *config)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < config->nr_epc_sections; i++)
		total += config->epc_section_size[i];
	return total;
}

int sgxemu_config_validate(const struct sgxemu_config *config, char *err, size_t errlen)
{
	if (config->nr_epc_sections < 1 || config->nr_epc_sections > SGXEMU_MAX_EPC_SECTIONS)
		return config_error(err, errlen, "epc: between 1 and %d sections are needed",
				    SGXEMU_MAX_EPC_SECTIONS);
	for (unsigned int i = 0; i < config->nr_epc_sections; i++) {
		uint64_t size = config->epc_section_size[i];

		if (size % 4096)
			return config_error(err, errlen,
					    "epc: section %u size %llu is not a multiple of 4096", i,
					    (unsigned long long)size);
		if (size < SGXEMU_MIN_EPC_SECTION_SIZE)
			return config_error(err, errlen,
					    "epc: section %u is %llu bytes; the minimum is %llu", i,
					    (unsigned long long)size,
					    (unsigned long long)SGXEMU_MIN_EPC_SECTION_SIZE);
	}
	if (sgxemu_config_epc_total(config) > SGXEMU_MAX_EPC_TOTAL_SIZE)
		return config_error(err, errlen, "epc: total size above the %llu GiB this emulator supports",
				    (unsigned long long)(SGXEMU_MAX_EPC_TOTAL_SIZE >> 30));
	if (config->nr_lps < 1 || config->nr_lps > SGXEMU_MAX_LPS)
		return config_error(err, errlen, "lps: between 1 and %d logical processors are needed",
				    SGXEMU_MAX_LPS);
	for (unsigned int i = 0; i < config->nr_inject_eremove + config->nr_inject_poison; i++) {
		uint64_t frame = i < config->nr_inject_eremove
					 ? config->inject_eremove[i]
					 : config->inject_poison[i - config->nr_inject_eremove];

		if (frame < SGXEMU_FRAME_ADDR_MIN && frame >= sgxemu_config_epc_total(config) / 4096)
			return config_error(err, errlen,
					    "%s: frame %llu is beyond the EPC's %llu frames",
					    i < config->nr_inject_eremove ? "inject-eremove"
									  : "inject-poison",
					    (unsigned long long)frame,
					    (unsigned long long)(sgxemu_config_epc_total(config) /
								 4096));
	}
	if (config->launch_cache && !config->flc)
		return config_error(err, errlen,
				    "launch-cache needs flc=1: without flexible launch control the "
				    "launch-key MSRs are read-only");
	return 0;
}
