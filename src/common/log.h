/* SPDX-License-Identifier: MIT */
/*
 * The one logging module (DESIGN.md "Errors, messages, logging"): kernel-side messages keep the
 * kernel's wording and go to a dmesg-like ring and, at or above the configured level, to stderr.
 * The ring is process-wide because the process is the machine here, as dmesg is machine-wide.
 */
#ifndef SGXEMU_COMMON_LOG_H
#define SGXEMU_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sgx_log_level {
	SGX_LOG_ERR = 3,
	SGX_LOG_WARNING = 4,
	SGX_LOG_INFO = 6,
	SGX_LOG_DEBUG = 7,
};

/* Messages below this level (numerically greater) are kept in the ring but not printed. */
void sgx_log_set_level(enum sgx_log_level level);
enum sgx_log_level sgx_log_get_level(void);
/* Parses "err", "warn", "info", "debug" or a number 0-7; returns false for anything else. */
bool sgx_log_parse_level(const char *text, enum sgx_log_level *level);

__attribute__((format(printf, 2, 3))) void sgx_log(enum sgx_log_level level, const char *fmt, ...);
void sgx_vlog(enum sgx_log_level level, const char *fmt, va_list ap);
/*
 * For code that runs in a signal handler (the ENCLU/AEX path): never waits for the ring's lock,
 * which another thread may hold. If the lock is busy the message goes to stderr only (one
 * write(2)) and misses the ring. No allocation.
 */
__attribute__((format(printf, 2, 3))) void sgx_log_atomic(enum sgx_log_level level, const char *fmt,
							  ...);

/* The ring: every message gets a sequence number; readers ask for what came after theirs. */
uint64_t sgx_log_seq(void);
/*
 * Copies the messages with sequence >= *seq, one per line, into buf (NUL-terminated, truncated to
 * size) and advances *seq past the last one copied. Returns the number of messages copied.
 */
size_t sgx_log_read(uint64_t *seq, char *buf, size_t size);
/* Counts messages since seq that contain needle; tests use it to check "appears once". */
size_t sgx_log_count_since(uint64_t seq, const char *needle);

#define pr_err(fmt, ...) sgx_log(SGX_LOG_ERR, "sgx: " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) sgx_log(SGX_LOG_WARNING, "sgx: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) sgx_log(SGX_LOG_INFO, "sgx: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) sgx_log(SGX_LOG_DEBUG, "sgx: " fmt, ##__VA_ARGS__)

/* A warning printed at most once per call site, as the kernel's WARN_ONCE/pr_*_once. */
#define pr_warn_once(fmt, ...)                                                                   \
	do {                                                                                     \
		static int __warned;                                                             \
		if (!__atomic_exchange_n(&__warned, 1, __ATOMIC_RELAXED))                        \
			pr_warn(fmt, ##__VA_ARGS__);                                             \
	} while (0)

/* pr_warn_once for signal-handler context (see sgx_log_atomic). */
#define pr_warn_once_atomic(fmt, ...)                                                            \
	do {                                                                                     \
		static int __warned;                                                             \
		if (!__atomic_exchange_n(&__warned, 1, __ATOMIC_RELAXED))                        \
			sgx_log_atomic(SGX_LOG_WARNING, "sgx: " fmt, ##__VA_ARGS__);             \
	} while (0)

#endif /* SGXEMU_COMMON_LOG_H */
