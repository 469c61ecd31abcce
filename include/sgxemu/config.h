/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform's configuration, in one place (DESIGN.md "Configuration"): environment
 * variables and `sgxemu` flags both go through sgxemu_config_set(), so they accept the same
 * values and fail with the same messages.
 *
 *   key          env                  value                       default
 *   epc          SGXEMU_EPC           size[,size...] (K/M/G)       128M (one section)
 *   sgx2         SGXEMU_SGX2          0|1                          1
 *   flc          SGXEMU_FLC           0|1                          1
 *   launch-cache SGXEMU_LAUNCH_CACHE  0|1                          0 (mainline: write before EINIT)
 *   root-seed    SGXEMU_ROOT_SEED     any text                     unset (random root key per boot)
 *   lps          SGXEMU_LPS           1..256                       number of host CPUs
 *   log          SGXEMU_LOG           err|warn|info|debug|0-7      warn
 *   stats        SGXEMU_STATS         0|1                          0 (print statistics at exit)
 *   backing-dir  SGXEMU_BACKING_DIR   a directory, or empty         empty (evicted pages in memory)
 *
 * backing-dir: where evicted EPC pages are kept. Empty: an anonymous memory file per enclave (the
 * kernel's shmem backing). A directory: an unlinked file per enclave in it, so that an enclave
 * much larger than the EPC pages to disk instead of memory.
 *
 * Fault injection, off by default (FRAME is an EPC address such as 0x1000003000, as `sgxemu
 * info` prints the sections, or a decimal frame number counted over all sections in order):
 *
 *   inject-eremove         SGXEMU_INJECT_EREMOVE          FRAME[,FRAME...]   the kernel's EREMOVE
 *       of these frames fails (SGX_ENCLAVE_ACT): the leak warning, the frame is never reused
 *   inject-poison          SGXEMU_INJECT_POISON           FRAME[,FRAME...]   these frames have a
 *       memory error from boot on: quarantined, never allocated
 *   inject-einit-unmasked  SGXEMU_INJECT_EINIT_UNMASKED   N                  the first N EINITs
 *       answer SGX_UNMASKED_EVENT (an interrupt in their window): the kernel's retry loop
 *
 * Simulated suspend (sgxemu_platform_suspend/resume, a power cycle that loses the EPC):
 *
 *   suspend-signal         SGXEMU_SUSPEND_SIGNAL          USR2, SIGUSR2, 12, RTMIN+3, off
 *       the signal (sent to the process, e.g. with kill) that suspends and resumes the platform;
 *       taken by sgxemu for good once the runtime starts (sgxemu_suspend_on_signal)
 */
#ifndef SGXEMU_CONFIG_H
#define SGXEMU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SGXEMU_MAX_EPC_SECTIONS 8
#define SGXEMU_MAX_LPS 256
#define SGXEMU_MIN_EPC_SECTION_SIZE (16ULL * 4096)
#define SGXEMU_MAX_EPC_TOTAL_SIZE (64ULL << 30)
#define SGXEMU_BACKING_DIR_MAX 256
#define SGXEMU_MAX_INJECT_FRAMES 16

struct sgxemu_config {
	unsigned int nr_epc_sections;
	uint64_t epc_section_size[SGXEMU_MAX_EPC_SECTIONS];
	bool sgx2;
	bool flc;
	bool launch_cache;
	/* With a fixed root key, sealed data survives restarts; otherwise it is random per boot. */
	bool fixed_root_key;
	uint8_t root_key[16];
	unsigned int nr_lps;
	int log_level;
	bool stats_at_exit;
	char backing_dir[SGXEMU_BACKING_DIR_MAX]; /* "" = memory */
	/* Fault injection (above). Frames: values < SGXEMU_FRAME_ADDR_MIN are frame numbers. */
	unsigned int nr_inject_eremove;
	uint64_t inject_eremove[SGXEMU_MAX_INJECT_FRAMES];
	unsigned int nr_inject_poison;
	uint64_t inject_poison[SGXEMU_MAX_INJECT_FRAMES];
	unsigned int inject_einit_unmasked;
	int suspend_signal; /* 0: none */
};

/* Parses a signal for suspend-signal ("USR2", "SIGUSR2", "12", "RTMIN+3"); -1 if invalid. */
int sgxemu_parse_signal(const char *text);

/*
 * A FRAME value of the injection keys at or above this is an EPC address (4 KiB aligned); below
 * it, a frame number. (EPC sections sit at (i + 1) << 36, so no address is below it.)
 */
#define SGXEMU_FRAME_ADDR_MIN (1ULL << 36)

void sgxemu_config_defaults(struct sgxemu_config *config);

/* Sets one key (table above). Returns 0, or -1 with a one-line reason in err. */
int sgxemu_config_set(struct sgxemu_config *config, const char *key, const char *value, char *err,
		      size_t errlen);

/* Applies every SGXEMU_* variable that is set. Returns 0, or -1 with a reason in err. */
int sgxemu_config_from_env(struct sgxemu_config *config, char *err, size_t errlen);

/* Checks the whole configuration for consistency. Returns 0, or -1 with a reason in err. */
int sgxemu_config_validate(const struct sgxemu_config *config, char *err, size_t errlen);

uint64_t sgxemu_config_epc_total(const struct sgxemu_config *config);

/* Parses "128M", "4096", "2G"; returns false for junk, overflow or a missing number. */
bool sgxemu_parse_size(const char *text, uint64_t *bytes);

#endif /* SGXEMU_CONFIG_H */
