/* SPDX-License-Identifier: MIT */
/*
 * A static program for `sgxemu run --syscall-dispatch`: what a libc needs from the kernel keeps
 * working while every system call goes through sgxemu. Each line "ok: ..."; "FAIL: ..." and exit 1.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, ...)                                             \
	do {                                                         \
		if (!(cond)) {                                       \
			printf("FAIL: %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                         \
			printf("\n");                                \
			exit(1);                                     \
		}                                                    \
	} while (0)

static int pipefd[2];
static volatile int alarms;

static void on_alarm(int sig)
{
	alarms++;
	if (write(pipefd[1], "x", 1) != 1)
		_exit(2);
}

static void arm(int restart)
{
	struct sigaction sa;
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	CHECK(!sigaction(SIGALRM, &sa, NULL), "sigaction");
	CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
}

#define NR_THREADS 4

static __thread int tls_value; /* each thread's own FS: TLS must stay the thread's */

static void *worker(void *arg)
{
	long i = (long)arg;
	struct timespec nap = { .tv_nsec = 1000000 };

	tls_value = (int)i * 100;
	for (int k = 0; k < 20; k++) {
		nanosleep(&nap, NULL);
		if (tls_value != (int)i * 100 || getpid() <= 0)
			return (void *)-1L;
	}
	return (void *)(long)syscall(SYS_gettid);
}

/* The main thread leaves first (SYS_exit, not exit_group); the last thread's status ends it. */
static void *last_thread(void *arg)
{
	struct timespec nap = { .tv_nsec = 50000000 };

	nanosleep(&nap, NULL);
	syscall(SYS_exit, 7);
	return arg;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	char buf[8], path[256];
	ssize_t n;
	int status;
	pid_t pid;
	void *big;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "exec")) { /* dispatch_probe exec PROG ARGS... */
		execv(argv[2], &argv[2]);
		CHECK(0, "execv %s: %s", argv[2], strerror(errno));
	}
	if (argc > 1 && !strcmp(argv[1], "last-thread")) {
		pthread_t th;

		CHECK(!pthread_create(&th, NULL, last_thread, NULL), "pthread_create");
		syscall(SYS_exit, 0);
	}
	CHECK(!clock_gettime(CLOCK_MONOTONIC, &ts), "clock_gettime");
	CHECK(getauxval(AT_SYSINFO_EHDR), "no vDSO in the auxiliary vector");
	printf("ok: clock_gettime through the vDSO, argv[1]=%s\n", argc > 1 ? argv[1] : "");

	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	CHECK(n > 0 && strstr(path, "dispatch_probe"), "/proc/self/exe");
	big = malloc(64 << 20); /* the break, or mmap */
	CHECK(big, "malloc");
	memset(big, 1, 64 << 20);
	free(big);
	CHECK(sbrk(1 << 20) != (void *)-1, "sbrk: %s", strerror(errno));
	printf("ok: /proc/self/exe, malloc, brk\n");

	/* A blocking read, interrupted: EINTR without SA_RESTART, restarted with it. */
	CHECK(!pipe(pipefd), "pipe");
	arm(0);
	n = read(pipefd[0], buf, 1);
	CHECK(alarms == 1 && (n == 1 || (n < 0 && errno == EINTR)), "read: %zd, alarms %d", n,
	      alarms);
	if (n < 0) /* interrupted: the handler's byte is still in the pipe */
		CHECK(read(pipefd[0], buf, 1) == 1, "drain");
	arm(1);
	n = read(pipefd[0], buf, 1);
	CHECK(n == 1 && alarms == 2, "restarted read: %zd, alarms %d", n, alarms);
	printf("ok: signal handlers, EINTR and SA_RESTART on a blocking read\n");

	{
		pthread_t th[NR_THREADS];
		long tids[NR_THREADS];

		tls_value = -1;
		for (long i = 0; i < NR_THREADS; i++)
			CHECK(!pthread_create(&th[i], NULL, worker, (void *)i), "pthread_create");
		for (int i = 0; i < NR_THREADS; i++) {
			void *ret;

			CHECK(!pthread_join(th[i], &ret), "pthread_join");
			tids[i] = (long)ret;
			CHECK(tids[i] > 0 && tids[i] != getpid(), "thread %d returned %ld", i,
			      tids[i]);
		}
		CHECK(tls_value == -1, "the main thread's TLS changed");
		printf("ok: %d threads (own TLS, nanosleep, getpid), joined\n", NR_THREADS);
	}

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL), _exit(9);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "child status %#x", status);
	printf("ok: fork, execve, waitpid\n");

	/* glibc's posix_spawn and system(): clone(CLONE_VM | CLONE_VFORK) on a stack of their own. */
	status = system("exit 3");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "system: status %#x", status);
	{
		char *spawn_argv[] = { "sh", "-c", "exit 5", NULL };
		extern char **environ;

		CHECK(!posix_spawn(&pid, "/bin/sh", NULL, NULL, spawn_argv, environ),
		      "posix_spawn");
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 5,
		      "posix_spawn: status %#x", status);
	}
	printf("ok: system, posix_spawn\n");
	return 0;
}
