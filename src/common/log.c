/* SPDX-License-Identifier: MIT */
#include "common/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SGX_LOG_RING_ENTRIES 1024
#define SGX_LOG_LINE_MAX 256

struct sgx_log_entry {
	uint64_t seq;
	enum sgx_log_level level;
	char text[SGX_LOG_LINE_MAX];
};

static struct {
	pthread_mutex_t lock;
	uint64_t next_seq;
	enum sgx_log_level level;
	struct sgx_log_entry ring[SGX_LOG_RING_ENTRIES];
} sgx_log_state = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.level = SGX_LOG_WARNING,
};

void sgx_log_set_level(enum sgx_log_level level)
{
	__atomic_store_n(&sgx_log_state.level, level, __ATOMIC_RELAXED);
}

enum sgx_log_level sgx_log_get_level(void)
{
	return __atomic_load_n(&sgx_log_state.level, __ATOMIC_RELAXED);
}

bool sgx_log_parse_level(const char *text, enum sgx_log_level *level)
{
	static const struct {
		const char *name;
		enum sgx_log_level level;
	} names[] = {
		{ "err", SGX_LOG_ERR },		{ "error", SGX_LOG_ERR }, { "warn", SGX_LOG_WARNING },
		{ "warning", SGX_LOG_WARNING }, { "info", SGX_LOG_INFO }, { "debug", SGX_LOG_DEBUG },
	};
	char *end;
	long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(text, names[i].name)) {
			*level = names[i].level;
			return true;
		}
	}
	n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || n < 0 || n > 7)
		return false;
	*level = (enum sgx_log_level)n;
	return true;
}

static void vlog(enum sgx_log_level level, bool may_block, const char *fmt, va_list ap)
{
	struct sgx_log_entry *entry;
	char line[SGX_LOG_LINE_MAX + 1];
	int len;

	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (len < 0)
		return;
	if ((size_t)len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	if (may_block ? !pthread_mutex_lock(&sgx_log_state.lock)
		      : !pthread_mutex_trylock(&sgx_log_state.lock)) {
		entry = &sgx_log_state.ring[sgx_log_state.next_seq % SGX_LOG_RING_ENTRIES];
		entry->seq = sgx_log_state.next_seq++;
		entry->level = level;
		memcpy(entry->text, line, (size_t)len);
		entry->text[len < SGX_LOG_LINE_MAX ? len : SGX_LOG_LINE_MAX - 1] = '\0';
		pthread_mutex_unlock(&sgx_log_state.lock);
	}

	if (level > sgx_log_get_level())
		return;
	/* One write(2) per line keeps lines from different threads whole. */
	line[len] = '\n';
	if (write(STDERR_FILENO, line, (size_t)len + 1) < 0)
		return;
}

void sgx_vlog(enum sgx_log_level level, const char *fmt, va_list ap)
{
	vlog(level, true, fmt, ap);
}

void sgx_log_atomic(enum sgx_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, false, fmt, ap);
	va_end(ap);
}

void sgx_log(enum sgx_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sgx_vlog(level, fmt, ap);
	va_end(ap);
}

uint64_t sgx_log_seq(void)
{
	uint64_t seq;

	pthread_mutex_lock(&sgx_log_state.lock);
	seq = sgx_log_state.next_seq;
	pthread_mutex_unlock(&sgx_log_state.lock);
	return seq;
}

/* The oldest sequence number still in the ring. Called with the lock held. */
static uint64_t sgx_log_oldest(void)
{
	if (sgx_log_state.next_seq < SGX_LOG_RING_ENTRIES)
		return 0;
	return sgx_log_state.next_seq - SGX_LOG_RING_ENTRIES;
}

size_t sgx_log_read(uint64_t *seq, char *buf, size_t size)
{
	size_t used = 0, copied = 0;
	uint64_t s;

	if (size)
		buf[0] = '\0';
	pthread_mutex_lock(&sgx_log_state.lock);
	s = *seq < sgx_log_oldest() ? sgx_log_oldest() : *seq;
	for (; s < sgx_log_state.next_seq; s++) {
		const struct sgx_log_entry *entry = &sgx_log_state.ring[s % SGX_LOG_RING_ENTRIES];
		int n = snprintf(buf + used, size - used, "%s\n", entry->text);

		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
		copied++;
	}
	*seq = s;
	pthread_mutex_unlock(&sgx_log_state.lock);
	return copied;
}

size_t sgx_log_count_since(uint64_t seq, const char *needle)
{
	size_t count = 0;
	uint64_t s;

	pthread_mutex_lock(&sgx_log_state.lock);
	s = seq < sgx_log_oldest() ? sgx_log_oldest() : seq;
	for (; s < sgx_log_state.next_seq; s++) {
		if (strstr(sgx_log_state.ring[s % SGX_LOG_RING_ENTRIES].text, needle))
			count++;
	}
	pthread_mutex_unlock(&sgx_log_state.lock);
	return count;
}
