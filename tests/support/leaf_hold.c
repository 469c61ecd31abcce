// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "leaf_hold.h"

struct leaf_hold {
	struct sgx_cpu *cpu;
	unsigned int leaf_class, leaf;
	int (*fn)(void *arg);
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool paused, released, finished;
	int result;
};

static void hook(void *arg, unsigned int leaf_class, unsigned int leaf, sgx_paddr_t frame)
{
	struct leaf_hold *h = arg;

	if (leaf_class != h->leaf_class || leaf != h->leaf ||
	    !pthread_equal(pthread_self(), h->thread))
		return;
	pthread_mutex_lock(&h->lock);
	if (!h->paused) {
		h->paused = true;
		pthread_cond_broadcast(&h->cond);
		while (!h->released)
			pthread_cond_wait(&h->cond, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
}

static void *runner(void *arg)
{
	struct leaf_hold *h = arg;
	int result;

	/* h->thread is written by pthread_create before the hook can compare against it. */
	pthread_mutex_lock(&h->lock);
	pthread_mutex_unlock(&h->lock);
	result = h->fn(h->arg);
	pthread_mutex_lock(&h->lock);
	h->result = result;
	h->finished = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct leaf_hold *leaf_hold_start(struct sgx_cpu *cpu, unsigned int leaf_class, unsigned int leaf,
				  int (*fn)(void *arg), void *arg)
{
	struct leaf_hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cpu = cpu;
	h->leaf_class = leaf_class;
	h->leaf = leaf;
	h->fn = fn;
	h->arg = arg;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	sgx_cpu_set_pause_hook(cpu, hook, h);

	pthread_mutex_lock(&h->lock);
	if (pthread_create(&h->thread, NULL, runner, h)) {
		pthread_mutex_unlock(&h->lock);
		goto fail;
	}
	while (!h->paused && !h->finished)
		pthread_cond_wait(&h->cond, &h->lock);
	if (h->paused) {
		pthread_mutex_unlock(&h->lock);
		return h;
	}
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
fail:
	sgx_cpu_set_pause_hook(cpu, NULL, NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}

int leaf_hold_release(struct leaf_hold *h)
{
	int result;

	pthread_mutex_lock(&h->lock);
	h->released = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	sgx_cpu_set_pause_hook(h->cpu, NULL, NULL);
	result = h->result;
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return result;
}
