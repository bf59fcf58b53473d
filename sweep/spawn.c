/*
 * spawn.c - a program run with input on stdin and a deadline (contract in
 * sweep/spawn.h). The pipe is written with poll so a program that stops
 * reading cannot block bphound past the deadline; SIGPIPE is ignored by
 * main(), so a program that exits early gives EPIPE, not a signal.
 */
#include "sweep/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/err.h"

extern char **environ;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Writes in to fd until done, the deadline, or the reader goes away. */
static void feed(int fd, const char *in, size_t len, uint64_t deadline)
{
	size_t off = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (off < len && now_ms() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		ssize_t w = write(fd, in + off, len - off);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (w > 0)
			off += (size_t)w;
	}
}

/* Waits for pid until the deadline, then kills it. */
static int reap(pid_t pid, uint64_t deadline, char *err, size_t errlen)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return BPH_ERR_IO;
		}
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "killed after its time limit");
			return BPH_ERR_TIMEOUT;
		}
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return BPH_ERR_TIMEOUT;
}

int bph_spawn_input(char *const argv[], char *const envp[], const char *in,
		    size_t len, uint64_t timeout_ms, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return BPH_ERR_IO;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	int rc =
	    posix_spawn(&pid, argv[0], &fa, NULL, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc) {
		close(p[1]);
		snprintf(err, errlen, "%s: %s", argv[0], strerror(rc));
		return BPH_ERR_IO;
	}
	uint64_t deadline = now_ms() + timeout_ms;
	feed(p[1], in, len, deadline);
	close(p[1]);
	return reap(pid, deadline, err, errlen);
}
