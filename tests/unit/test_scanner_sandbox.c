/*
 * test_scanner_sandbox.c - scanner/sandbox.h in forked children: the
 * probe worker's filter kills an exec and refuses files, non-TCP sockets
 * and fork while TCP sockets and threads work; the capture child's filter
 * kills an exec and refuses files, every new socket, fork and threads
 * while reads, writes and poll on what it holds work; the scanner's filter
 * kills an exec; the drop leaves no uid 0, no capability, no_new_privs set and
 * no way back to root (as root only); the identity falls back to nobody;
 * a child's stdin and stdout become /dev/null while stderr stays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "scanner/sandbox.h"

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int enter(enum bph_sandbox_kind kind)
{
	char err[256] = "";

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    bph_sandbox_enter(kind, err, sizeof(err)) != 0) {
		fprintf(stderr, "sandbox: %s\n", err);
		return -1;
	}
	return 0;
}

static int exec_in_probes(void)
{
	if (enter(BPH_SANDBOX_PROBES) != 0)
		return 90;
	execl("/bin/true", "true", (char *)NULL);
	return 91; /* exec failed without killing us */
}

static int exec_in_capture(void)
{
	if (enter(BPH_SANDBOX_CAPTURE) != 0)
		return 90;
	execl("/bin/true", "true", (char *)NULL);
	return 91;
}

static int exec_in_scanner(void)
{
	if (enter(BPH_SANDBOX_SCANNER) != 0)
		return 90;
	execl("/bin/true", "true", (char *)NULL);
	return 91;
}

/* The filter kills the whole process on exec, in both kinds. */
static void test_exec_killed(void **state)
{
	int st;

	(void)state;
	st = in_child(exec_in_probes);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	st = in_child(exec_in_scanner);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	st = in_child(exec_in_capture);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* Each check is a distinct exit code, to say which one failed. */
static int probe_rules(void)
{
	static int token;
	pthread_t t;
	void *ret = NULL;
	int fd;

	if (enter(BPH_SANDBOX_PROBES) != 0)
		return 90;
	if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EACCES)
		return 1; /* no file opens */
	if (socket(AF_INET, SOCK_DGRAM, 0) >= 0)
		return 2; /* no UDP */
	if (socket(AF_PACKET, SOCK_RAW, 0) >= 0)
		return 3; /* no raw frames */
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0)
		return 4;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 5; /* TCP to targets works */
	close(fd);
	if (fork() >= 0)
		return 6; /* no new process */
	if (pthread_create(&t, NULL, thread_fn, &token) != 0 ||
	    pthread_join(t, &ret) != 0 || ret != &token)
		return 7; /* threads work */
	return 0;
}

static void test_probe_rules(void **state)
{
	int st;

	(void)state;
	st = in_child(probe_rules);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The capture child keeps what it opened before (here a socket pair) and
 * makes nothing new. */
static int capture_rules(void)
{
	static int token;
	struct pollfd p;
	pthread_t t;
	int sv[2];
	char c = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 89;
	if (enter(BPH_SANDBOX_CAPTURE) != 0)
		return 90;
	if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EACCES)
		return 1; /* no file opens */
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
		return 2; /* no TCP: the capture child connects nowhere */
	if (socket(AF_PACKET, SOCK_RAW, 0) >= 0)
		return 3;
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0)
		return 4;
	if (fork() >= 0)
		return 5;
	if (pthread_create(&t, NULL, thread_fn, &token) == 0)
		return 6;
	p = (struct pollfd){sv[1], POLLIN, 0};
	if (write(sv[0], "x", 1) != 1 || poll(&p, 1, 1000) != 1 ||
	    read(sv[1], &c, 1) != 1 || c != 'x')
		return 7; /* what it holds works */
	return 0;
}

static void test_capture_rules(void **state)
{
	int st;

	(void)state;
	st = in_child(capture_rules);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A "Key:\tvalue" line of /proc/self/status, read before any sandbox. */
static char *status_field(const char *key, char *out, size_t n)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	size_t k = strlen(key);

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, k) && line[k] == ':') {
			snprintf(out, n, "%s", line + k + 1);
			out[strcspn(out, "\n")] = '\0';
		}
	}
	if (f)
		fclose(f);
	return out;
}

/* 0 when no supplementary group of the process is gid 0. */
static int no_root_group(void)
{
	gid_t g[256];
	int n = getgroups(256, g);

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (g[i] == 0)
			return -1;
	return 0;
}

static int drop_to_nobody(void)
{
	struct bph_identity id;
	char err[256] = "", v[128];
	gid_t root_group = 0;

	/* root's group among the supplementary ones: the drop must lose it */
	if (setgroups(1, &root_group) != 0)
		return 89;
	if (bph_identity_pick("nobody", &id, err, sizeof(err)) != 0 ||
	    bph_privs_drop(&id, err, sizeof(err)) != 0) {
		fprintf(stderr, "drop: %s\n", err);
		return 90;
	}
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0)
		return 1;
	if (no_root_group() != 0)
		return 7; /* root's supplementary groups were kept */
	if (setuid(0) == 0 || setgid(0) == 0)
		return 2;
	if (strstr(status_field("CapEff", v, sizeof(v)), "0000000000000000") ==
	    NULL)
		return 3;
	if (strstr(status_field("CapBnd", v, sizeof(v)), "0000000000000000") ==
	    NULL)
		return 4;
	if (atoi(status_field("NoNewPrivs", v, sizeof(v))) != 1)
		return 5;
	if (bph_have_net_raw())
		return 6;
	return 0;
}

/* As root: the drop is complete and cannot be undone. */
static void test_privs_drop(void **state)
{
	int st;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_privs_drop: skipped, not root\n");
		skip();
	}
	assert_true(bph_have_net_raw());
	st = in_child(drop_to_nobody);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Whether fd and path name the same file. */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* stdin and stdout a pipe's ends and stderr a file, then the call: 0
 * when stdin and stdout are /dev/null, stderr the file, and no other
 * descriptor is left open. */
static int null_stdio_child(void)
{
	char path[] = "/tmp/bph-stdio-XXXXXX";
	int p[2], errfd = mkstemp(path), rc = 0;

	if (errfd < 0 || pipe(p) != 0 || dup2(p[0], 0) != 0 ||
	    dup2(p[1], 1) != 1 || dup2(errfd, 2) != 2)
		return 90;
	close(p[0]);
	close(p[1]);
	if (bph_sandbox_null_stdio() != 0)
		rc = 1;
	else if (!same_file(0, "/dev/null") || !same_file(1, "/dev/null"))
		rc = 2;
	else if (!same_file(2, path))
		rc = 3;
	else if (fcntl(p[0], F_GETFD) != -1)
		rc = 4; /* the lowest free number, p[0]'s, got /dev/null: closed
			 */
	unlink(path);
	return rc;
}

static void test_null_stdio(void **state)
{
	int st;

	(void)state;
	st = in_child(null_stdio_child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_identity(void **state)
{
	struct bph_identity id;
	char err[256] = "";

	(void)state;
	unsetenv("SUDO_USER");
	assert_int_equal(bph_identity_pick(NULL, &id, err, sizeof(err)), 0);
	assert_string_equal(id.name, "nobody");
	assert_true(id.uid != 0);
	setenv("SUDO_USER", "root", 1); /* sudo from root: still nobody */
	assert_int_equal(bph_identity_pick(NULL, &id, err, sizeof(err)), 0);
	assert_string_equal(id.name, "nobody");
	unsetenv("SUDO_USER");
	assert_int_equal(bph_identity_pick("root", &id, err, sizeof(err)),
			 BPH_ERR_USAGE);
	assert_non_null(strstr(err, "root"));
	assert_int_equal(
	    bph_identity_pick("no-such-user-bph", &id, err, sizeof(err)),
	    BPH_ERR_USAGE);
	assert_non_null(strstr(err, "no such user"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_killed),
	    cmocka_unit_test(test_probe_rules),
	    cmocka_unit_test(test_capture_rules),
	    cmocka_unit_test(test_privs_drop),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_null_stdio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
