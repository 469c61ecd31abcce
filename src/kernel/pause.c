/* SPDX-License-Identifier: MIT */
#include "kernel/pause.h"

#include "kernel/sgx.h"

void sgx_pause_state_init(struct sgx_pause_state *state)
{
	*state = (struct sgx_pause_state){ 0 };
	pthread_mutex_init(&state->lock, NULL);
	pthread_cond_init(&state->cond, NULL);
}

void sgx_pause_state_destroy(struct sgx_pause_state *state)
{
	pthread_cond_destroy(&state->cond);
	pthread_mutex_destroy(&state->lock);
}

void sgx_pause_arm(struct sgx_platform *platform, enum sgx_pause_point point, const void *filter,
		   unsigned int skip)
{
	struct sgx_pause_state *state = &platform->pause;
	struct sgx_pause_slot *slot = &state->slots[point];

	pthread_mutex_lock(&state->lock);
	*slot = (struct sgx_pause_slot){ .armed = true, .skip = skip, .filter = filter };
	__atomic_fetch_or(&state->armed_mask, 1U << point, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&state->lock);
}

const void *sgx_pause_wait(struct sgx_platform *platform, enum sgx_pause_point point)
{
	struct sgx_pause_state *state = &platform->pause;
	struct sgx_pause_slot *slot = &state->slots[point];
	const void *ctx;

	pthread_mutex_lock(&state->lock);
	while (!slot->held)
		pthread_cond_wait(&state->cond, &state->lock);
	ctx = slot->held_ctx;
	pthread_mutex_unlock(&state->lock);
	return ctx;
}

static void sgx_pause_disarm_locked(struct sgx_pause_state *state, enum sgx_pause_point point)
{
	state->slots[point].armed = false;
	__atomic_fetch_and(&state->armed_mask, ~(1U << point), __ATOMIC_RELEASE);
}

void sgx_pause_release(struct sgx_platform *platform, enum sgx_pause_point point)
{
	struct sgx_pause_state *state = &platform->pause;

	pthread_mutex_lock(&state->lock);
	state->slots[point].released = true;
	sgx_pause_disarm_locked(state, point);
	pthread_cond_broadcast(&state->cond);
	pthread_mutex_unlock(&state->lock);
}

void sgx_pause_disarm(struct sgx_platform *platform, enum sgx_pause_point point)
{
	struct sgx_pause_state *state = &platform->pause;

	pthread_mutex_lock(&state->lock);
	sgx_pause_disarm_locked(state, point);
	pthread_mutex_unlock(&state->lock);
}

void __sgx_pause(struct sgx_pause_state *state, enum sgx_pause_point point, const void *ctx)
{
	struct sgx_pause_slot *slot = &state->slots[point];

	pthread_mutex_lock(&state->lock);
	if (!slot->armed || slot->held || (slot->filter && slot->filter != ctx)) {
		pthread_mutex_unlock(&state->lock);
		return;
	}
	if (slot->skip) {
		slot->skip--;
		pthread_mutex_unlock(&state->lock);
		return;
	}
	slot->held = true;
	slot->held_ctx = ctx;
	pthread_cond_broadcast(&state->cond);
	while (!slot->released)
		pthread_cond_wait(&state->cond, &state->lock);
	pthread_mutex_unlock(&state->lock);
}
