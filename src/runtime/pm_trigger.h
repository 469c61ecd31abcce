/* SPDX-License-Identifier: MIT */
/*
 * The suspend trigger (pm_trigger.c): a signal that suspends and resumes the process's platform.
 */
#ifndef SGXEMU_RUNTIME_PM_TRIGGER_H
#define SGXEMU_RUNTIME_PM_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>

/* Claims sig and starts the thread that runs the suspends. 0, -EBUSY (another signal), -errno. */
int sgx_pm_trigger_install(int sig);
/* SGXEMU_SUSPEND_SIGNAL, at the runtime's start (errors are logged). */
void sgx_pm_trigger_from_env(void);
/* From the signal handler: true if sig is the trigger (a suspend is requested). */
bool sgx_pm_trigger_handle(int sig);
/* Suspend/resume cycles the trigger completed. */
uint64_t sgx_pm_trigger_cycles(void);

#endif /* SGXEMU_RUNTIME_PM_TRIGGER_H */
