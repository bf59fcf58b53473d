/*
 * Unit tests of the scanner's side of the probe worker (cli/probe_worker.c):
 * what a worker writes back is untrusted input (issue 9 part 1; design in
 * docs/architecture.md "Privileges"). A forked child plays a hostile worker
 * over a real socket pair; the scanner must keep its own address, port,
 * time and TCP traits, take probe results only for services it submitted,
 * once, and refuse and count everything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/probe_worker.h"
#include "fingerprints/err.h"

#define IP_A 0xc0000201u /* 192.0.2.1 */
#define IP_B 0xc0000202u /* 192.0.2.2 */

/* What the hostile worker writes after its ready byte, then it waits for
 * the scanner to shut its end (no more services) and exits 0. */
static void worker_child(int fd, const char *out, size_t len)
{
	char c;

	if (write(fd, "R", 1) != 1)
		_exit(10);
	for (size_t off = 0; off < len;) {
		ssize_t k = write(fd, out + off, len - off);
		if (k <= 0)
			_exit(11);
		off += (size_t)k;
	}
	while (read(fd, &c, 1) > 0) /* the services sent, ignored */
		;
	_exit(0);
}

/* Forks a worker that writes out (out NULL: one that exits with 3 at
 * once); *fd is the scanner's end of their socket pair. */
static pid_t fork_worker(const char *out, size_t len, int *fd)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (!out)
			_exit(3);
		worker_child(sv[1], out, len);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* Forks a worker that writes out; attaches the scanner's side to it. */
static struct bph_worker *hostile_worker(const char *out, size_t len)
{
	struct bph_worker *w = NULL;
	char err[256] = "";
	int fd;
	pid_t pid = fork_worker(out, len, &fd);

	assert_int_equal(bph_worker_attach(pid, fd, &w, err, sizeof(err)), 0);
	return w;
}

static void svc_init(struct bph_service *s, uint32_t ip, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->ip = ip;
	s->port = port;
	s->state = BPH_STATE_OPEN;
	s->seen = 1795000000;
	s->tcp.ttl = 57;
}

static const char lines[] =
    /* taken: a submitted service; its seen, state and ttl are not */
    "{\"ip\":\"192.0.2.1\",\"port\":25,\"state\":\"closed\",\"seen\":7,"
    "\"tcp\":{\"ttl\":1},\"proto\":\"banner\","
    "\"banner\":{\"text\":\"220 first\"}}\n"
    /* refused: the same service again */
    "{\"ip\":\"192.0.2.1\",\"port\":25,\"proto\":\"banner\","
    "\"banner\":{\"text\":\"220 second\"}}\n"
    /* refused: a service the scanner never submitted */
    "{\"ip\":\"192.0.2.9\",\"port\":25,\"proto\":\"banner\","
    "\"banner\":{\"text\":\"220 stray\"}}\n"
    /* refused: a protocol bphound does not know */
    "{\"ip\":\"192.0.2.2\",\"port\":80,\"proto\":\"gopher\"}\n"
    /* refused: a duplicate key, not JSON, an array, a bad address */
    "{\"ip\":\"192.0.2.2\",\"ip\":\"192.0.2.2\",\"port\":80}\n"
    "{nope\n"
    "[1,2]\n"
    "{\"ip\":\"192.0.2.256\",\"port\":80}\n"
    /* taken: the refusals above did not use up 192.0.2.2:80 */
    "{\"ip\":\"192.0.2.2\",\"port\":80,\"proto\":\"http\","
    "\"http\":{\"status\":200,\"title\":\"ok\"}}\n";

static void test_records_untrusted(void **state)
{
	(void)state;
	struct bph_service s[3];
	struct bph_worker *w = hostile_worker(lines, sizeof(lines) - 1);
	char err[256] = "";
	size_t refused = 99;
	int signo = -1;

	svc_init(&s[0], IP_A, 25);
	svc_init(&s[1], IP_B, 80);
	svc_init(&s[2], IP_B, 443);
	for (int i = 0; i < 3; i++)
		assert_int_equal(bph_worker_submit(w, &s[i]), 0);
	assert_int_equal(
	    bph_worker_finish(w, s, 3, -1, &signo, &refused, err, sizeof(err)),
	    0);
	assert_int_equal(signo, 0);
	assert_int_equal(refused, 7);
	/* the scanner's own fields stay */
	assert_int_equal(s[0].state, BPH_STATE_OPEN);
	assert_int_equal(s[0].seen, 1795000000);
	assert_int_equal(s[0].tcp.ttl, 57);
	assert_string_equal(s[0].proto, "banner");
	assert_non_null(s[0].banner);
	assert_string_equal(s[0].banner->text, "220 first");
	assert_string_equal(s[1].proto, "http");
	assert_non_null(s[1].http);
	assert_string_equal(s[1].http->title, "ok");
	/* nothing came for the third */
	assert_null(s[2].proto);
	assert_null(s[2].banner);
	for (int i = 0; i < 3; i++)
		bph_service_clear(&s[i]);
}

/* A line longer than the 64 MiB bound ends the read with an error (the
 * worker is killed), instead of growing the scanner's buffer without end;
 * what came before it is kept. */
static void test_line_too_long(void **state)
{
	(void)state;
	static const char first[] =
	    "{\"ip\":\"192.0.2.1\",\"port\":25,\"proto\":\"banner\","
	    "\"banner\":{\"text\":\"220 ok\"}}\n{\"ip\":\"";
	size_t len = (65u << 20) + sizeof(first);
	char *out = malloc(len), err[256] = "";
	struct bph_service s;
	size_t refused = 0;
	int signo = -1;

	assert_non_null(out);
	memcpy(out, first, sizeof(first) - 1);
	memset(out + sizeof(first) - 1, 'x', len - (sizeof(first) - 1));
	struct bph_worker *w = hostile_worker(out, len);
	free(out);
	svc_init(&s, IP_A, 25);
	assert_int_equal(bph_worker_submit(w, &s), 0);
	assert_int_equal(
	    bph_worker_finish(w, &s, 1, -1, &signo, &refused, err, sizeof(err)),
	    BPH_ERR_IO);
	assert_non_null(strstr(err, "unreadable output"));
	assert_string_equal(s.proto, "banner");
	bph_service_clear(&s);
}

/* A worker that dies before its ready byte is reaped and named. */
static void test_dead_before_ready(void **state)
{
	(void)state;
	struct bph_worker *w = NULL;
	char err[256] = "";
	int fd;
	pid_t pid = fork_worker(NULL, 0, &fd);

	assert_int_equal(bph_worker_attach(pid, fd, &w, err, sizeof(err)),
			 BPH_ERR_IO);
	assert_null(w);
	assert_string_equal(err,
			    "probe worker exited with status 3 before it was "
			    "ready");
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records_untrusted),
	    cmocka_unit_test(test_line_too_long),
	    cmocka_unit_test(test_dead_before_ready),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
