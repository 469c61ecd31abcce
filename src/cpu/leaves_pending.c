/* SPDX-License-Identifier: MIT */
/*
 * TRANSITIONAL. Leaves and helpers whose owners have not landed them yet, so that the processor
 * core links and everything else can be built and tested meanwhile. Each answers #UD (the leaf
 * "does not exist yet") and says so once in the log.
 *
 * Whoever lands the real implementation deletes its entry here in the same commit (the
 * duplicate-symbol link error makes this impossible to forget). The file goes when it is empty.
 */
#include "common/log.h"
#include "cpu/cpu_internal.h"

static int pending(struct sgx_lp *lp, const char *leaf)
{
	pr_warn_once("ENCLS leaf %s is not implemented yet\n", leaf);
	lp->fault.vector = X86_TRAP_UD;
	return SGX_ENCLS_FAULT_FLAG | X86_TRAP_UD;
}

/* cpu-core: encls_build.c, einit.c, encls_debug.c, encls_sgx2.c */
int sgx_ecreate(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t secs)
{
	return pending(lp, "ECREATE");
}

int sgx_eadd(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page)
{
	return pending(lp, "EADD");
}

int sgx_eextend(struct sgx_lp *lp, sgx_paddr_t secs, sgx_paddr_t chunk)
{
	return pending(lp, "EEXTEND");
}

int sgx_einit(struct sgx_lp *lp, uint64_t sigstruct, sgx_paddr_t secs, uint64_t token)
{
	return pending(lp, "EINIT");
}

int sgx_eremove(struct sgx_lp *lp, sgx_paddr_t page)
{
	return pending(lp, "EREMOVE");
}

int sgx_edbgrd(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t *data)
{
	return pending(lp, "EDBGRD");
}

int sgx_edbgwr(struct sgx_lp *lp, sgx_paddr_t addr, uint64_t data)
{
	return pending(lp, "EDBGWR");
}

int sgx_eaug(struct sgx_lp *lp, uint64_t pageinfo, sgx_paddr_t page)
{
	return pending(lp, "EAUG");
}

int sgx_emodpr(struct sgx_lp *lp, uint64_t secinfo, sgx_paddr_t page)
{
	return pending(lp, "EMODPR");
}

int sgx_emodt(struct sgx_lp *lp, uint64_t secinfo, sgx_paddr_t page)
{
	return pending(lp, "EMODT");
}
