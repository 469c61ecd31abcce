// SPDX-License-Identifier: MIT
/*
 * The second-phase exception handler (EENTER with CSSA > 0): read SSA frame CSSA-1, record it,
 * and apply the policy. Frame layout (ref/sgx-isa.md §1.5): XSAVE area at offset 0 (legacy
 * region, then the 64-byte header at 512), GPRSGX in the last 184 bytes, EXINFO in the 16 bytes
 * below GPRSGX (valid for #PF/#GP when SECS.MISCSELECT.EXINFO is set; the enclave cannot see
 * MISCSELECT, so it records the bytes and the host interprets them).
 *
 * Fault sites are found through the fixup table that fault.S emits, as kernels and enclave
 * runtimes do with exception tables, rather than by decoding instructions.
 */
#include "te.h"

#define GPRSGX_SIZE 184
#define EXINFO_SIZE 16
#define XSAVE_MXCSR 24
#define XSAVE_XMM0 160
#define XSAVE_HEADER 512
#define EXITINFO_VALID (1U << 31)

extern const struct te_fixup __start_te_fixup[] TE_HIDDEN;
extern const struct te_fixup __stop_te_fixup[] TE_HIDDEN;

/* Everything below is shared by all threads and guarded by te_exc_lock. */
static uint32_t te_exc_lock;
static struct te_policy te_policy;
static struct te_exc_record te_exc_log[TE_EXC_LOG];
static uint64_t te_exc_seq;   /* handler runs ever; record n lives in slot (n - 1) % TE_EXC_LOG */
static uint64_t te_exc_total; /* handler runs since the last clear */

uint64_t te_exception_seq(void)
{
	return __atomic_load_n(&te_exc_seq, __ATOMIC_ACQUIRE);
}

uint64_t te_fixup_address(const int32_t *field)
{
	return (uint64_t)field + (uint64_t)(int64_t)*field;
}

const struct te_fixup *te_fixup_find(uint64_t rip, uint64_t *resume)
{
	for (const struct te_fixup *e = __start_te_fixup; e < __stop_te_fixup; e++) {
		uint64_t fault = te_fixup_address(&e->fault), res = te_fixup_address(&e->resume);

		if ((e->type != TE_FIXUP_CALL && rip == fault) ||
		    (e->type == TE_FIXUP_TRAP && rip == res)) {
			*resume = res;
			return e;
		}
	}
	return 0;
}

/* A `call *reg` to a bad target faults at the target; the return address is at [RSP]. */
static int fixup_call(struct te_gprsgx *gpr)
{
	const struct sgxemu_tls *tls = te_tls();
	uint64_t base = te_base(), ret;

	if (gpr->rsp < base + tls->stack_bottom || gpr->rsp > base + tls->stack_top - 8)
		return 0;
	ret = *(const uint64_t *)gpr->rsp;
	for (const struct te_fixup *e = __start_te_fixup; e < __stop_te_fixup; e++) {
		if (e->type == TE_FIXUP_CALL && ret == te_fixup_address(&e->resume)) {
			gpr->rsp += 8;
			gpr->rip = ret;
			return 1;
		}
	}
	return 0;
}

static void log_record(struct te_exc_record *rec)
{
	te_lock(&te_exc_lock);
	rec->seq = te_exc_seq + 1;
	te_exc_log[(rec->seq - 1) % TE_EXC_LOG] = *rec;
	te_exc_total++;
	__atomic_store_n(&te_exc_seq, rec->seq, __ATOMIC_RELEASE);
	te_unlock(&te_exc_lock);
}

int64_t te_handle_exception(const struct te_entry_frame *f)
{
	const struct sgxemu_tls *tls = te_tls();
	uint64_t frame_bytes = (uint64_t)tls->ssa_frame_size * TE_PAGE_SIZE;
	uint64_t frame, resume = 0;
	struct te_exc_record rec;
	struct te_gprsgx *gpr;
	struct te_policy pol;
	int nested = 0, corrupt = 0;

	if (f->cssa > tls->nssa || frame_bytes < XSAVE_HEADER + 64 + GPRSGX_SIZE + EXINFO_SIZE)
		return TE_EXC_UNHANDLED; /* EENTER guarantees CSSA < NSSA; be safe anyway */
	frame = te_base() + tls->ssa + (f->cssa - 1) * frame_bytes;
	gpr = (struct te_gprsgx *)(frame + frame_bytes - GPRSGX_SIZE);

	memset(&rec, 0, sizeof(rec));
	rec.tcs = f->tcs;
	rec.cssa = (uint32_t)f->cssa;
	rec.ssa_frame = frame;
	rec.gpr = *gpr;
	rec.exinfo_maddr = *(const uint64_t *)((uint64_t)gpr - EXINFO_SIZE);
	rec.exinfo_errcd = *(const uint32_t *)((uint64_t)gpr - EXINFO_SIZE + 8);
	rec.mxcsr = *(const uint32_t *)(frame + XSAVE_MXCSR);
	memcpy(rec.xmm0, (const void *)(frame + XSAVE_XMM0), sizeof(rec.xmm0));
	rec.xstate_bv = *(const uint64_t *)(frame + XSAVE_HEADER);

	te_lock(&te_exc_lock);
	pol = te_policy;
	if (te_policy.flags & TE_POLICY_CORRUPT_XSAVE) {
		corrupt = 1;
		te_policy.flags &= ~TE_POLICY_CORRUPT_XSAVE;
	}
	if ((te_policy.flags & TE_POLICY_NESTED) && f->cssa == 1) {
		nested = 1;
		te_policy.flags &= ~TE_POLICY_NESTED;
	}
	te_unlock(&te_exc_lock);

	if (!(gpr->exitinfo & EXITINFO_VALID) || pol.action != TE_ACTION_SKIP) {
		rec.outcome = TE_EXC_RECORDED;
	} else if (te_fixup_find(gpr->rip, &resume) || fixup_call(gpr)) {
		if (resume)
			gpr->rip = resume;
		if (pol.flags & TE_POLICY_SET_RAX)
			gpr->rax = pol.rax;
		rec.new_rip = gpr->rip;
		rec.outcome = TE_EXC_HANDLED;
	} else {
		rec.outcome = TE_EXC_UNHANDLED;
	}

	/* Bytes 8..23 of the XSAVE header must be zero for a standard-form XRSTOR: ERESUME #GPs. */
	if (corrupt)
		*(volatile uint8_t *)(frame + XSAVE_HEADER + 16) = 1;
	/* The handler's own fault: AEX into frame CSSA (=1), CSSA becomes 2. Not under the lock. */
	if (nested)
		te_nested_fault();

	log_record(&rec);
	if (te_outside_enclave(f->args, __builtin_offsetof(struct te_args, u) + sizeof(rec))) {
		struct te_args *a = (struct te_args *)f->args;

		a->status = rec.outcome;
		memcpy(&a->u.handler, &rec, sizeof(rec));
	}
	return rec.outcome;
}

int64_t te_op_set_policy(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_policy new = a->u.policy;
	const uint32_t known = TE_POLICY_SET_RAX | TE_POLICY_NESTED | TE_POLICY_CORRUPT_XSAVE;

	if (new.action > TE_ACTION_SKIP || (new.flags & ~known))
		return TE_ERR_PARAM;
	te_lock(&te_exc_lock);
	a->u.policy = te_policy;
	te_policy = new;
	te_unlock(&te_exc_lock);
	return TE_OK;
}

int64_t te_op_get_exceptions(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_exceptions *x = &a->u.exceptions;
	uint32_t clear = x->clear;

	te_lock(&te_exc_lock);
	x->total = te_exc_total;
	x->count = te_exc_total < TE_EXC_LOG ? (uint32_t)te_exc_total : TE_EXC_LOG;
	for (uint32_t k = 0; k < x->count; k++)
		x->rec[k] = te_exc_log[(te_exc_seq - 1 - k) % TE_EXC_LOG];
	if (clear) {
		te_exc_total = 0;
		memset(te_exc_log, 0, sizeof(te_exc_log));
	}
	te_unlock(&te_exc_lock);
	return TE_OK;
}
