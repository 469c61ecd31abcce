/* SPDX-License-Identifier: MIT */
/*
 * The reclaimer (ref §4.6; seed 003): ksgxd, direct reclaim by allocators that may reclaim, and
 * the batch that moves pages out of the EPC:
 *
 *   1. isolate up to SGX_NR_TO_SCAN pages from the head of the LRU, each with an enclave
 *      reference (a page of a dying enclave is left to its teardown);
 *   2. age: a page accessed since the reclaimer last looked gets a second chance (back to the
 *      LRU tail); the others get their backing pages and BEING_RECLAIMED;
 *   3. zap: drop the CPU's and the host's PTEs of both kinds. For the second-chance pages this
 *      clears the emulated accessed bit: the next access faults and sets it (DESIGN.md);
 *   4. block: EBLOCK each page to be evicted;
 *   5. write back: EWB -> SGX_NOT_TRACKED -> ETRACK -> EWB -> force every thread inside the
 *      enclave out (the runtime's kick, the kernel's IPI) -> EWB. Then the SECS, once its last
 *      child is out and the enclave is initialised;
 *   6. free the EPC pages written back, put the others back, drop the references.
 *
 * Kicks and zaps go through the runtime, which takes its address-space lock: they are never
 * issued with an enclave lock held (the kernel may IPI under encl->lock; we may not), so the
 * ladder of step 5 runs per batch: every page's EWB and ETRACK first, then one kick per enclave
 * that still has untracked pages, then the second EWBs.
 *
 * A thread stopped inside an enclave (SIGSTOP, a debugger) cannot take the forced AEX, and the
 * kick gives up on it (-ETIMEDOUT): tracking cannot complete for that enclave until the thread
 * runs again. On hardware a stopped thread has left the enclave long ago; here it has not. Its
 * blocked pages cannot be unblocked either (no leaf does that), so they are set aside on the
 * deferred list - still isolated, still BEING_RECLAIMED, so that faults on them wait - and
 * ksgxd retries their write-back every SGX_DEFERRED_RETRY_MS while it has any. Reclaim of other
 * enclaves goes on meanwhile: a stopped thread costs one failed kick per retry, not a stall.
 *
 * Faults that find a page BEING_RECLAIMED, or no free EPC page, sleep on reclaimer.progress, a
 * futex word bumped at the end of every batch (sgx_fault_wait), instead of spinning through the
 * fault as the kernel's VM_FAULT_NOPAGE does.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "kernel/encl.h"
#include "kernel/mm.h"

/* How often ksgxd retries the write-back of deferred pages. */
#define SGX_DEFERRED_RETRY_MS 10
/* A fault's sleep for progress is bounded, as a safety net against a missed wake-up. */
#define SGX_FAULT_WAIT_MS 50

static long sgx_futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static void sgx_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* --- progress: what faults wait for -------------------------------------------------------- */

uint32_t sgx_reclaim_progress(struct sgx_platform *platform)
{
	return __atomic_load_n(&platform->reclaimer.progress, __ATOMIC_ACQUIRE);
}

static void sgx_reclaim_progressed(struct sgx_platform *platform)
{
	__atomic_add_fetch(&platform->reclaimer.progress, 1, __ATOMIC_RELEASE);
	sgx_futex(&platform->reclaimer.progress, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

void sgx_fault_wait(const struct sgx_fault_answer *answer)
{
	struct timespec timeout = { .tv_nsec = SGX_FAULT_WAIT_MS * 1000000L };

	if (answer->wait_word)
		sgx_futex(answer->wait_word, FUTEX_WAIT_PRIVATE, answer->wait_val, &timeout);
}

/* --- ksgxd --------------------------------------------------------------------------------- */

bool sgx_should_reclaim(struct sgx_platform *platform, uint64_t watermark)
{
	return __atomic_load_n(&platform->nr_free_pages, __ATOMIC_RELAXED) < watermark &&
	       !sgx_active_list_empty(platform);
}

void sgx_reclaimer_wake(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;

	/* Bump, then look: ksgxd sets `sleeping` before it reads the state it sleeps on. */
	__atomic_add_fetch(&r->wake, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->sleeping, __ATOMIC_SEQ_CST))
		sgx_futex(&r->wake, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static bool sgx_have_deferred(struct sgx_platform *platform)
{
	return __atomic_load_n(&platform->reclaimer.nr_deferred, __ATOMIC_RELAXED) != 0;
}

static void sgx_reclaim_deferred(struct sgx_platform *platform);

static void *sgx_ksgxd(void *arg)
{
	struct sgx_platform *platform = arg;
	struct sgx_reclaimer *r = &platform->reclaimer;
	sigset_t all;

	/* A kernel thread takes no signals; the process's go to its other threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "ksgxd");

	for (;;) {
		uint32_t seq = __atomic_load_n(&r->wake, __ATOMIC_SEQ_CST);
		struct timespec retry = { .tv_nsec = SGX_DEFERRED_RETRY_MS * 1000000L };
		bool frozen;

		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
		frozen = __atomic_load_n(&r->frozen, __ATOMIC_ACQUIRE);
		if (!frozen && sgx_should_reclaim(platform, SGX_NR_HIGH_PAGES)) {
			__atomic_store_n(&r->idle, 0, __ATOMIC_RELAXED);
			sgx_reclaim_pages(platform);
			continue;
		}
		if (!frozen && sgx_have_deferred(platform))
			sgx_reclaim_deferred(platform);

		__atomic_store_n(&r->sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->idle, 1, __ATOMIC_RELAXED);
		if (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
		    (frozen || !sgx_should_reclaim(platform, SGX_NR_HIGH_PAGES)))
			sgx_futex(&r->wake, FUTEX_WAIT_PRIVATE, seq,
				  !frozen && sgx_have_deferred(platform) ? &retry : NULL);
		__atomic_store_n(&r->sleeping, 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

void sgx_reclaimer_init(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;
	pthread_rwlockattr_t attr;

	/* Writer-preferring: the checker must get in between the batches of a busy ksgxd. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r->batch_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	TAILQ_INIT(&r->deferred_list);
}

int sgx_reclaimer_start(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;
	int ret = pthread_create(&r->ksgxd, NULL, sgx_ksgxd, platform);

	if (ret)
		return -ret;
	r->running = true;
	return 0;
}

void sgx_reclaimer_stop(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;

	if (!r->running)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->wake, 1, __ATOMIC_SEQ_CST);
	sgx_futex(&r->wake, FUTEX_WAKE_PRIVATE, 1, NULL);
	pthread_join(r->ksgxd, NULL);
	r->running = false;
}

void sgx_reclaimer_freeze(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;

	__atomic_store_n(&r->frozen, 1, __ATOMIC_RELEASE);
	/* Wait out the batch in flight: a frozen ksgxd holds no page. */
	pthread_rwlock_wrlock(&r->batch_lock);
	pthread_rwlock_unlock(&r->batch_lock);
}

void sgx_reclaimer_thaw(struct sgx_platform *platform)
{
	__atomic_store_n(&platform->reclaimer.frozen, 0, __ATOMIC_RELEASE);
	sgx_reclaimer_wake(platform);
}

/* --- a batch ------------------------------------------------------------------------------- */

enum sgx_reclaim_state {
	SGX_RECLAIM_PUT_BACK, /* untouched (or unblocked): back to the LRU tail */
	SGX_RECLAIM_AGED,     /* accessed: zapped, then back to the LRU tail */
	SGX_RECLAIM_WRITE,    /* BEING_RECLAIMED with its backing: to be blocked and written */
	SGX_RECLAIM_KICK,     /* blocked, untracked after ETRACK: EWB again after the kick */
	SGX_RECLAIM_DONE,     /* out of the EPC (written back, or lost): free the EPC page */
	SGX_RECLAIM_DEFER,    /* blocked, tracking cannot complete yet: the deferred list */
};

struct sgx_reclaim_item {
	struct sgx_epc_page *epc_page;
	struct sgx_encl_page *encl_page;
	struct sgx_backing backing;
	enum sgx_reclaim_state state;
	bool was_deferred; /* taken from the deferred list */
	/* DONE: the EPC page may still be valid (EWB failed without a #PF): EREMOVE it. */
	bool remove;
};

/* The enclaves a batch has ETRACKed and kicked: at most once each per batch. */
struct sgx_reclaim_ctx {
	struct sgx_encl *etracked[SGX_NR_TO_SCAN];
	unsigned int nr_etracked;
	struct sgx_encl *kicked[SGX_NR_TO_SCAN];
	unsigned int nr_kicked;
};

static bool sgx_encl_set_add(struct sgx_encl **set, unsigned int *nr, struct sgx_encl *encl)
{
	for (unsigned int i = 0; i < *nr; i++)
		if (set[i] == encl)
			return false;
	set[(*nr)++] = encl;
	return true;
}

static struct sgx_encl *sgx_item_encl(const struct sgx_reclaim_item *item)
{
	return item->encl_page->encl;
}

static void sgx_reclaim_batch_begin(struct sgx_platform *platform)
{
	sgx_lockdep_acquire(SGX_LOCK_RECLAIM);
	pthread_rwlock_rdlock(&platform->reclaimer.batch_lock);
}

static void sgx_reclaim_batch_end(struct sgx_platform *platform)
{
	pthread_rwlock_unlock(&platform->reclaimer.batch_lock);
	sgx_lockdep_release(SGX_LOCK_RECLAIM);
}

/* Step 1: up to SGX_NR_TO_SCAN pages off the LRU head, each with an enclave reference. */
static unsigned int sgx_reclaim_isolate(struct sgx_platform *platform,
					struct sgx_reclaim_item *items)
{
	struct sgx_epc_page *page;
	unsigned int cnt = 0;

	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	while (cnt < SGX_NR_TO_SCAN && (page = TAILQ_FIRST(&platform->active_page_list))) {
		struct sgx_encl_page *encl_page = page->owner;

		TAILQ_REMOVE(&platform->active_page_list, page, list);
		page->list.tqe_prev = NULL;
		page->list.tqe_next = NULL;
		__atomic_sub_fetch(&platform->reclaimer.nr_active, 1, __ATOMIC_RELAXED);
		/*
		 * A dying enclave frees its own pages: untracked and off the list, its teardown
		 * finds the page as not isolated and EREMOVEs it.
		 */
		if (!sgx_encl_get_unless_zero(encl_page->encl)) {
			page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
			continue;
		}
		items[cnt++] = (struct sgx_reclaim_item){ .epc_page = page, .encl_page = encl_page };
	}
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	return cnt;
}

/*
 * Step 2, one page: test and clear the accessed bit (unless forced), then get the backing pages
 * and mark the page BEING_RECLAIMED, from which point a fault on it waits.
 */
static void sgx_reclaim_age(struct sgx_reclaim_item *item, bool force)
{
	struct sgx_encl_page *encl_page = item->encl_page;
	struct sgx_encl *encl = encl_page->encl;
	struct sgx_reclaim_stats *stats = &encl->platform->reclaimer.stats;
	uint64_t index = sgx_encl_page_index(encl, sgx_encl_page_addr(encl_page));

	sgx_encl_lock(encl);
	if (encl_page->accessed && !force) {
		encl_page->accessed = 0;
		item->state = SGX_RECLAIM_AGED;
		sgx_stat_add(&stats->second_chance, 1);
	} else if (sgx_encl_alloc_backing(encl, index, &item->backing)) {
		item->state = SGX_RECLAIM_PUT_BACK;
		sgx_stat_add(&stats->backing_failures, 1);
	} else {
		encl_page->accessed = 0;
		encl_page->desc |= SGX_ENCL_PAGE_BEING_RECLAIMED;
		item->state = SGX_RECLAIM_WRITE;
	}
	sgx_encl_unlock(encl);
}

static bool sgx_reclaim_zaps(const struct sgx_reclaim_item *item)
{
	return item->state == SGX_RECLAIM_AGED || item->state == SGX_RECLAIM_WRITE;
}

/*
 * Step 3: drop the PTEs of aged pages and of pages to be evicted, one zap per run of adjacent
 * pages of one enclave (the LRU keeps pages touched in order next to each other). No lock held.
 */
static void sgx_reclaim_zap(struct sgx_reclaim_item *items, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt;) {
		struct sgx_encl *encl = sgx_item_encl(&items[i]);
		uint64_t start, end;
		unsigned int j;

		if (!sgx_reclaim_zaps(&items[i])) {
			i++;
			continue;
		}
		start = sgx_encl_page_addr(items[i].encl_page);
		end = start + SGX_PAGE_SIZE;
		for (j = i + 1; j < cnt && sgx_reclaim_zaps(&items[j]) &&
				sgx_item_encl(&items[j]) == encl &&
				sgx_encl_page_addr(items[j].encl_page) == end;
		     j++)
			end += SGX_PAGE_SIZE;
		sgx_encl_zap(encl, start, end);
		i = j;
	}
}

/* Step 4, one page: EBLOCK. A leaf holding the page now means "not this time". */
static void sgx_reclaim_block(struct sgx_reclaim_item *item)
{
	struct sgx_encl *encl = sgx_item_encl(item);
	struct sgx_platform *platform = encl->platform;
	struct sgx_lp *lp;
	int ret;

	sgx_encl_lock(encl);
	if (!sgx_inject_hit(platform, EBLOCK, item->epc_page->paddr, &ret)) {
		lp = sgx_get_lp(platform);
		ret = __eblock(lp, item->epc_page->paddr);
		sgx_put_lp(lp);
	}
	if (ret == SGX_EPC_PAGE_CONFLICT || ret == SGX_ENTRYEPOCH_LOCKED) {
		/*
		 * An EACCEPT or EMODPE of the enclave, or an SGX2 flow, holds the page; the kernel
		 * WARNs and carries on into an EWB that cannot succeed. Unmarked, the page is simply
		 * resident again, zapped: a fault maps it.
		 */
		item->encl_page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		item->state = SGX_RECLAIM_PUT_BACK;
		sgx_stat_add(&platform->reclaimer.stats.ewb_conflicts, 1);
	} else if (ret && ret != SGX_BLKSTATE && sgx_encls_failed(platform, ret) &&
		   sgx_platform_warn_first(platform, SGX_WARN_EBLOCK)) {
		/* An invalid page (EPC lost): its EWB faults and the page is lost, below. */
		sgx_log(SGX_LOG_WARNING, "EBLOCK returned %d (0x%x)", ret, ret);
	}
	sgx_encl_unlock(encl);
}

static void sgx_reclaim_evict_secs(struct sgx_encl *encl);

/*
 * A write-back ended (ret = the last EWB's answer) and its VA slot is (va_page, va_offset).
 * Success: the page is in the backing store under that slot. A fault means the EPC was lost (or
 * a leaf held the page): a #PF loses the page, as in the kernel; anything else is tried again
 * later. Enclave lock held.
 */
static void sgx_reclaim_written(struct sgx_reclaim_item *item, int ret,
				struct sgx_encl_va_page *va_page, unsigned int va_offset)
{
	struct sgx_encl_page *encl_page = item->encl_page;
	struct sgx_encl *encl = encl_page->encl;
	struct sgx_platform *platform = encl->platform;
	struct sgx_reclaim_stats *stats = &platform->reclaimer.stats;
	bool lost_pf = encls_faulted(ret) && SGX_ENCLS_FAULT_VECTOR(ret) == X86_TRAP_PF;

	if (ret) {
		sgx_encl_give_va_slot(encl, va_page, va_offset);
		if (ret == SGX_NOT_TRACKED || (encls_faulted(ret) && !lost_pf)) {
			/* Tracking could not complete, or a leaf holds the page: later. */
			if (ret != SGX_NOT_TRACKED)
				sgx_stat_add(&stats->ewb_conflicts, 1);
			item->state = SGX_RECLAIM_DEFER;
			return;
		}
		if (sgx_encls_failed(platform, ret) &&
		    sgx_platform_warn_first(platform, SGX_WARN_EWB))
			sgx_log(SGX_LOG_WARNING, "EWB returned %d (0x%x)", ret, ret);
		/* Gone for good: no version anywhere, a later fault's ELDU answers SIGBUS. */
		encl_page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		encl_page->va_page = NULL;
		item->remove = !lost_pf;
		sgx_stat_add(&stats->ewb_lost, 1);
	} else {
		encl_page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		encl_page->desc |= va_offset;
		encl_page->va_page = va_page;
		encl->nr_evicted++;
		sgx_stat_add(&stats->evicted, 1);
	}
	encl_page->epc_page = NULL;
	encl->secs_child_cnt--;
	item->state = SGX_RECLAIM_DONE;

	if (!encl->secs_child_cnt && sgx_encl_test_flag(encl, SGX_ENCL_INITIALIZED))
		sgx_reclaim_evict_secs(encl);
}

/*
 * The ladder for one blocked page, as far as it goes under the enclave lock: EWB; on
 * SGX_NOT_TRACKED, ETRACK (once per enclave and batch: the batch blocked all its pages before
 * this, so one ETRACK covers them all) and EWB again. Still untracked: threads are inside, and
 * the page waits for the kick (state KICK). After the kick (state KICK on entry), one more EWB;
 * what is still untracked then is deferred. Lock held.
 */
static void sgx_reclaim_ewb(struct sgx_reclaim_item *item, struct sgx_reclaim_ctx *ctx)
{
	struct sgx_encl *encl = sgx_item_encl(item);
	struct sgx_reclaim_stats *stats = &encl->platform->reclaimer.stats;
	bool after_kick = item->state == SGX_RECLAIM_KICK;
	struct sgx_encl_va_page *va_page;
	unsigned int va_offset;
	int ret;

	va_page = sgx_encl_take_va_slot(encl, &va_offset);
	if (!va_page) {
		/* Cannot happen while page_cnt drives VA allocation; do not lose the page over it. */
		if (sgx_platform_warn_first(encl->platform, SGX_WARN_VA_SLOT))
			pr_warn("enclave %llu has no free VA slot", (unsigned long long)encl->id);
		item->state = SGX_RECLAIM_DEFER;
		return;
	}
	ret = __sgx_encl_ewb(encl, item->epc_page, &item->backing, va_page, va_offset);
	if (ret == SGX_NOT_TRACKED && !after_kick) {
		sgx_stat_add(&stats->ewb_not_tracked, 1);
		if (sgx_encl_set_add(ctx->etracked, &ctx->nr_etracked, encl)) {
			sgx_encl_etrack(encl);
			ret = __sgx_encl_ewb(encl, item->epc_page, &item->backing, va_page,
					     va_offset);
		}
		if (ret == SGX_NOT_TRACKED) {
			sgx_encl_give_va_slot(encl, va_page, va_offset);
			sgx_stat_add(&stats->ewb_kicked, 1);
			item->state = SGX_RECLAIM_KICK;
			return;
		}
	}
	sgx_reclaim_written(item, ret, va_page, va_offset);
}

int sgx_encl_kick(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;
	const struct sgx_mm_ops *ops = __atomic_load_n(&platform->mm_ops, __ATOMIC_ACQUIRE);
	int ret;

	sgx_lockdep_assert_not_held(SGX_LOCK_ENCL);
	if (!ops || !ops->kick)
		return 0; /* no runtime, so nobody can be inside */
	sgx_stat_add(&platform->reclaimer.stats.kicks, 1);
	ret = ops->kick(platform->mm_priv, encl);
	if (ret == -ETIMEDOUT)
		sgx_stat_add(&platform->reclaimer.stats.kick_timeouts, 1);
	return ret == -ETIMEDOUT ? ret : 0;
}

/* Step 5: the write-back of every WRITE item, the kicks, and the EWBs after the kicks. */
static void sgx_reclaim_write(struct sgx_reclaim_item *items, unsigned int cnt)
{
	struct sgx_reclaim_ctx ctx = { .nr_etracked = 0 };

	for (unsigned int i = 0; i < cnt; i++) {
		struct sgx_encl *encl = sgx_item_encl(&items[i]);

		if (items[i].state != SGX_RECLAIM_WRITE)
			continue;
		sgx_encl_lock(encl);
		sgx_reclaim_ewb(&items[i], &ctx);
		sgx_encl_unlock(encl);
	}

	for (unsigned int i = 0; i < cnt; i++) {
		struct sgx_encl *encl = sgx_item_encl(&items[i]);

		if (items[i].state != SGX_RECLAIM_KICK)
			continue;
		if (sgx_encl_set_add(ctx.kicked, &ctx.nr_kicked, encl))
			sgx_encl_kick(encl);
		sgx_encl_lock(encl);
		/* The kick closed the tracking cycle: no second ETRACK, as in the kernel. */
		sgx_reclaim_ewb(&items[i], &ctx);
		sgx_encl_unlock(encl);
	}
}

/*
 * The SECS follows its last child (ref §4.6): EWB it (a SECS needs no tracking: EWB refuses it
 * only while it has children), then EREMOVE and free its EPC page. A SECS whose EWB fails stays
 * resident, unless the EPC was lost (#PF): then there is nothing left to keep. Lock held.
 */
static void sgx_reclaim_evict_secs(struct sgx_encl *encl)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_encl_va_page *va_page;
	struct sgx_backing b;
	unsigned int va_offset;
	int ret;

	if (sgx_encl_alloc_backing(encl, sgx_encl_secs_index(encl), &b))
		return;
	va_page = sgx_encl_take_va_slot(encl, &va_offset);
	if (!va_page)
		return;
	ret = __sgx_encl_ewb(encl, encl->secs.epc_page, &b, va_page, va_offset);
	if (!ret) {
		encl->secs.desc |= va_offset;
		encl->secs.va_page = va_page;
		sgx_encl_free_epc_page(platform, encl->secs.epc_page);
		encl->secs.epc_page = NULL;
		sgx_stat_add(&platform->reclaimer.stats.secs_evicted, 1);
		return;
	}
	sgx_encl_give_va_slot(encl, va_page, va_offset);
	if (sgx_encls_failed(platform, ret) && sgx_platform_warn_first(platform, SGX_WARN_EWB))
		sgx_log(SGX_LOG_WARNING, "EWB returned %d (0x%x)", ret, ret);
	if (encls_faulted(ret) && SGX_ENCLS_FAULT_VECTOR(ret) == X86_TRAP_PF) {
		sgx_encl_free_epc_page(platform, encl->secs.epc_page);
		encl->secs.epc_page = NULL;
		encl->secs.va_page = NULL;
	}
}

/* A blocked page waits for tracking on the deferred list, isolated, with its reference. */
static void sgx_reclaim_defer(struct sgx_platform *platform, struct sgx_reclaim_item *item)
{
	struct sgx_reclaimer *r = &platform->reclaimer;
	struct sgx_epc_page *page = item->epc_page;

	if (!item->was_deferred)
		sgx_stat_add(&r->stats.deferred, 1);
	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	page->flags |= SGX_EPC_PAGE_DEFERRED;
	TAILQ_INSERT_TAIL(&r->deferred_list, page, list);
	__atomic_store_n(&r->nr_deferred, r->nr_deferred + 1, __ATOMIC_RELAXED);
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
}

/*
 * Step 6: free what went out, put back what stays, set aside what waits; then drop the enclave
 * references (which may release an enclave closed meanwhile). Returns the EPC pages freed.
 */
static unsigned int sgx_reclaim_finish(struct sgx_platform *platform,
				       struct sgx_reclaim_item *items, unsigned int cnt)
{
	unsigned int freed = 0;

	for (unsigned int i = 0; i < cnt; i++) {
		struct sgx_reclaim_item *item = &items[i];
		struct sgx_epc_page *page = item->epc_page;

		switch (item->state) {
		case SGX_RECLAIM_DEFER:
			sgx_reclaim_defer(platform, item);
			continue; /* the page keeps its enclave reference while it waits */
		case SGX_RECLAIM_DONE:
			sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
			page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
			sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
			/* No EREMOVE after EWB: EWB left the page invalid. */
			if (item->remove)
				sgx_encl_free_epc_page(platform, page);
			else
				sgx_free_epc_page(platform, page);
			freed++;
			break;
		default:
			sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
			TAILQ_INSERT_TAIL(&platform->active_page_list, page, list);
			__atomic_add_fetch(&platform->reclaimer.nr_active, 1, __ATOMIC_RELAXED);
			sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
			break;
		}
		sgx_encl_put(sgx_item_encl(item));
	}
	return freed;
}

/* Steps 2-6 for isolated pages. */
static unsigned int sgx_reclaim_items(struct sgx_platform *platform,
				      struct sgx_reclaim_item *items, unsigned int cnt, bool force)
{
	unsigned int freed;

	sgx_pause_point(&platform->pause, SGX_PAUSE_RECLAIM_BATCH, sgx_item_encl(&items[0]));
	sgx_stat_add(&platform->reclaimer.stats.scanned, cnt);
	for (unsigned int i = 0; i < cnt; i++)
		sgx_reclaim_age(&items[i], force);
	sgx_reclaim_zap(items, cnt);
	for (unsigned int i = 0; i < cnt; i++)
		if (items[i].state == SGX_RECLAIM_WRITE)
			sgx_reclaim_block(&items[i]);
	sgx_pause_point(&platform->pause, SGX_PAUSE_RECLAIM_BLOCKED, sgx_item_encl(&items[0]));
	sgx_reclaim_write(items, cnt);
	freed = sgx_reclaim_finish(platform, items, cnt);
	sgx_reclaim_progressed(platform);
	return freed;
}

unsigned int sgx_reclaim_pages(struct sgx_platform *platform)
{
	struct sgx_reclaim_item items[SGX_NR_TO_SCAN];
	unsigned int cnt, freed = 0;

	sgx_reclaim_batch_begin(platform);
	sgx_stat_add(&platform->reclaimer.stats.batches, 1);
	cnt = sgx_reclaim_isolate(platform, items);
	if (cnt)
		freed = sgx_reclaim_items(platform, items, cnt, false);
	sgx_reclaim_batch_end(platform);
	return freed;
}

void sgx_reclaim_direct(struct sgx_platform *platform)
{
	if (sgx_should_reclaim(platform, SGX_NR_LOW_PAGES)) {
		sgx_stat_add(&platform->reclaimer.stats.direct_batches, 1);
		sgx_reclaim_pages(platform);
	}
}

/*
 * The deferred pages, once more: blocked and zapped already, they go straight to the write-back
 * ladder (whatever kept tracking open may have left since).
 */
static void sgx_reclaim_deferred(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;
	struct sgx_reclaim_item items[SGX_NR_TO_SCAN];
	struct sgx_epc_page *page;
	unsigned int cnt = 0;

	sgx_reclaim_batch_begin(platform);
	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	while (cnt < SGX_NR_TO_SCAN && (page = TAILQ_FIRST(&r->deferred_list))) {
		TAILQ_REMOVE(&r->deferred_list, page, list);
		page->list.tqe_prev = NULL;
		page->list.tqe_next = NULL;
		page->flags &= ~SGX_EPC_PAGE_DEFERRED;
		__atomic_store_n(&r->nr_deferred, r->nr_deferred - 1, __ATOMIC_RELAXED);
		items[cnt++] = (struct sgx_reclaim_item){
			.epc_page = page,
			.encl_page = page->owner,
			.state = SGX_RECLAIM_WRITE,
			.was_deferred = true,
		};
	}
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);

	for (unsigned int i = 0; i < cnt; i++) {
		struct sgx_encl_page *encl_page = items[i].encl_page;
		struct sgx_encl *encl = encl_page->encl;

		/* The backing pages were allocated when the page was prepared: this finds them. */
		sgx_encl_lock(encl);
		if (sgx_encl_alloc_backing(encl, sgx_encl_page_index(encl,
								     sgx_encl_page_addr(encl_page)),
					   &items[i].backing))
			items[i].state = SGX_RECLAIM_DEFER;
		sgx_encl_unlock(encl);
	}
	sgx_reclaim_write(items, cnt);
	sgx_reclaim_finish(platform, items, cnt);
	sgx_reclaim_progressed(platform);
	sgx_reclaim_batch_end(platform);
}

/*
 * Platform shutdown: ksgxd is stopped; deferred pages are given back to their enclaves as
 * resident pages (still blocked in the EPCM, which their EREMOVE at teardown does not mind).
 */
void sgx_reclaimer_release_deferred(struct sgx_platform *platform)
{
	struct sgx_reclaimer *r = &platform->reclaimer;
	struct sgx_epc_page *page;

	for (;;) {
		struct sgx_encl_page *encl_page;

		sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
		page = TAILQ_FIRST(&r->deferred_list);
		if (page) {
			TAILQ_REMOVE(&r->deferred_list, page, list);
			page->list.tqe_prev = NULL;
			page->list.tqe_next = NULL;
			page->flags &= ~(SGX_EPC_PAGE_DEFERRED | SGX_EPC_PAGE_RECLAIMER_TRACKED);
			__atomic_store_n(&r->nr_deferred, r->nr_deferred - 1, __ATOMIC_RELAXED);
		}
		sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
		if (!page)
			break;
		encl_page = page->owner;
		sgx_encl_lock(encl_page->encl);
		encl_page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		sgx_encl_unlock(encl_page->encl);
		sgx_encl_put(encl_page->encl);
	}
}

void sgx_reclaimer_free(struct sgx_platform *platform)
{
	pthread_rwlock_destroy(&platform->reclaimer.batch_lock);
}

/* --- eviction on request ------------------------------------------------------------------- */

/* Take a resident page off the LRU for an eviction on request; false if someone else has it. */
static bool sgx_isolate_page(struct sgx_platform *platform, struct sgx_epc_page *page)
{
	bool ok = false;

	sgx_mutex_lock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	if ((page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) &&
	    !(page->flags & SGX_EPC_PAGE_DEFERRED) && page->list.tqe_prev) {
		TAILQ_REMOVE(&platform->active_page_list, page, list);
		page->list.tqe_prev = NULL;
		page->list.tqe_next = NULL;
		__atomic_sub_fetch(&platform->reclaimer.nr_active, 1, __ATOMIC_RELAXED);
		ok = true;
	}
	sgx_mutex_unlock(&platform->reclaimer_lock, SGX_LOCK_LISTS);
	return ok;
}

/* The addresses of the resident pages of a range, found under the enclave lock. */
struct sgx_range_pages {
	uint64_t *addrs;
	size_t nr, cap;
};

static bool sgx_range_note_page(struct sgx_encl_page *page, void *arg)
{
	struct sgx_range_pages *r = arg;

	if (!page->epc_page || (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED))
		return true;
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		uint64_t *grown = realloc(r->addrs, cap * sizeof(*grown));

		if (!grown)
			return false;
		r->addrs = grown;
		r->cap = cap;
	}
	r->addrs[r->nr++] = sgx_encl_page_addr(page);
	return true;
}

unsigned int sgx_encl_reclaim_range(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	struct sgx_platform *platform = encl->platform;
	struct sgx_reclaim_item items[SGX_NR_TO_SCAN];
	struct sgx_range_pages r = { 0 };
	unsigned int evicted = 0;

	/*
	 * Each page that is resident now, once: in batches, isolated as each batch starts. The
	 * batches hold references only to the pages they have; between two of them, ours keeps
	 * the enclave (the application may close it meanwhile).
	 */
	sgx_encl_get(encl);
	sgx_encl_lock(encl);
	sgx_encl_for_each_page_in(encl, start, end, sgx_range_note_page, &r);
	sgx_encl_unlock(encl);
	for (size_t next = 0; next < r.nr;) {
		unsigned int cnt = 0;

		sgx_reclaim_batch_begin(platform);
		sgx_encl_lock(encl);
		for (; next < r.nr && cnt < SGX_NR_TO_SCAN; next++) {
			struct sgx_encl_page *page =
				sgx_pagemap_load(&encl->page_array, r.addrs[next] >> SGX_PAGE_SHIFT);

			if (!page || !page->epc_page || (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED) ||
			    !sgx_isolate_page(platform, page->epc_page))
				continue;
			sgx_encl_get(encl);
			items[cnt++] = (struct sgx_reclaim_item){ .epc_page = page->epc_page,
								  .encl_page = page };
		}
		sgx_encl_unlock(encl);
		if (cnt)
			evicted += sgx_reclaim_items(platform, items, cnt, true);
		sgx_reclaim_batch_end(platform);
	}
	free(r.addrs);
	sgx_encl_put(encl);
	return evicted;
}
