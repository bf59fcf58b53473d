/*
 * testlib.c - helpers shared by the unit tests; see testlib.h. Everything
 * here talks only to 127.0.0.1 and writes only under mkdtemp directories.
 */
#include "testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cluster/graph.h"
#include "store/sweep_store.h"

int bph_test_run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Child side of a fork: stdio on /dev/null, then exec argv (never returns). */
static void exec_quiet(char *const argv[])
{
	int dn = open("/dev/null", O_RDWR);

	dup2(dn, 0);
	dup2(dn, 1);
	dup2(dn, 2);
	execvp(argv[0], argv);
	_exit(127);
}

int bph_test_run_argv(char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		exec_quiet(argv);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void bph_test_assert_same_graph(const struct bph_graph *a,
				const struct bph_graph *b)
{
	assert_int_equal(a->n_hosts, b->n_hosts);
	for (size_t i = 0; i < a->n_hosts; i++)
		assert_string_equal(a->hosts[i], b->hosts[i]);
	assert_int_equal(a->n_arts, b->n_arts);
	for (size_t i = 0; i < a->n_arts; i++) {
		assert_string_equal(a->kinds[i], b->kinds[i]);
		assert_string_equal(a->values[i], b->values[i]);
	}
	assert_int_equal(a->n_inc, b->n_inc);
	for (size_t i = 0; i < a->n_inc; i++) {
		assert_int_equal(a->inc[i].host, b->inc[i].host);
		assert_int_equal(a->inc[i].art, b->inc[i].art);
		assert_int_equal(a->inc[i].port, b->inc[i].port);
		assert_int_equal(a->inc[i].first_seen, b->inc[i].first_seen);
		assert_int_equal(a->inc[i].last_seen, b->inc[i].last_seen);
	}
}

int bph_test_dir_setup(void **state)
{
	struct bph_test_dir *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/bph-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/s.db", f->dir);
	*state = f;
	return 0;
}

int bph_test_dir_teardown(void **state)
{
	struct bph_test_dir *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

uint16_t bph_test_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

int bph_test_listen_lo(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int bph_test_serve_lo(uint16_t *port, pid_t *pid,
		      void (*serve)(int fd, const void *arg), const void *arg)
{
	int fd;

	*port = bph_test_free_port();
	fd = bph_test_listen_lo(*port);
	if (fd < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* die with the test */
		signal(SIGPIPE, SIG_IGN);
		serve(fd, arg);
		_exit(0);
	}
	close(fd);
	return *pid > 0 ? 0 : -1;
}

int bph_test_connect_lo(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

size_t bph_test_tls_exchange(uint16_t port, const uint8_t *req, size_t n,
			     uint8_t *buf, size_t cap)
{
	size_t got = 0;
	int fd = bph_test_connect_lo(port);

	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, n, MSG_NOSIGNAL), (ssize_t)n);
	while (got < cap) {
		ssize_t r = recv(fd, buf + got, cap - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got >= 5 && got >= 5 + (size_t)(buf[3] << 8 | buf[4]))
			break;
	}
	shutdown(fd, SHUT_RDWR);
	close(fd);
	return got;
}

/* 0 if every space-separated program in tools is on PATH. */
static int have_tools(const char *tools)
{
	char cmd[512], copy[128];
	size_t o = 0;

	snprintf(copy, sizeof(copy), "%s", tools);
	cmd[0] = '\0';
	for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o,
				      "%scommand -v %s >/dev/null 2>&1",
				      o ? " && " : "", t);
	return bph_test_run(cmd);
}

int bph_test_tls_setup(struct bph_test_tls *t, const char *tmpl,
		       const char *newkey, const char *tools)
{
	char cmd[512];

	memset(t, 0, sizeof(*t));
	if (have_tools(tools) != 0)
		return 0;
	snprintf(t->dir, sizeof(t->dir), "%s", tmpl);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey %s -nodes -days 2 "
		 "-subj /CN=localhost -keyout %s/k.pem -out %s/c.pem "
		 ">/dev/null 2>&1",
		 newkey, t->dir, t->dir);
	return bph_test_run(cmd) == 0 ? 0 : -1;
}

int bph_test_tls_teardown(struct bph_test_tls *t)
{
	char cmd[128];

	if (t->server > 0)
		bph_test_tls_stop(t);
	if (t->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
		bph_test_run(cmd);
	}
	return 0;
}

/* Polls 127.0.0.1:port every 50 ms for 5 s; fails the test if it stays shut. */
static void wait_accepting(uint16_t port)
{
	for (int i = 0; i < 100; i++) {
		int fd = bph_test_connect_lo(port);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(50000);
	}
	fail_msg("openssl s_server did not start");
}

void bph_test_tls_start(struct bph_test_tls *t, const char *extra)
{
	char accept_arg[32], cert[96], key[96], extra_copy[64];
	char *argv[16] = {"openssl", "s_server", "-accept", accept_arg,
			  "-cert",   cert,	 "-key",    key,
			  "-www",    "-quiet"};
	int argc = 10;

	t->port = bph_test_free_port();
	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%u", t->port);
	snprintf(cert, sizeof(cert), "%s/c.pem", t->dir);
	snprintf(key, sizeof(key), "%s/k.pem", t->dir);
	snprintf(extra_copy, sizeof(extra_copy), "%s", extra);
	for (char *a = strtok(extra_copy, " "); a && argc < 15;
	     a = strtok(NULL, " "))
		argv[argc++] = a;
	argv[argc] = NULL;
	t->server = fork();
	assert_true(t->server >= 0);
	if (t->server == 0)
		exec_quiet(argv);
	wait_accepting(t->port);
}

void bph_test_tls_stop(struct bph_test_tls *t)
{
	kill(t->server, SIGTERM);
	waitpid(t->server, NULL, 0);
	t->server = 0;
}

size_t bph_test_unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

void bph_test_sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t md[32];

	assert_int_equal(EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void bph_test_dump_chunks(FILE *f, const struct bph_sweep_snap_out *o)
{
	for (size_t i = 0; i < o->n_chunks; i++) {
		const unsigned char *p;
		size_t len, n;
		assert_int_equal(
		    o->chunk(o->ctx, i, (const void **)&p, &len, &n), 0);
		if (!len)
			break;
		fprintf(f, "%zu:", n);
		for (size_t k = 0; k < len; k++)
			fprintf(f, "%02x", p[k]);
		fputc('\n', f);
	}
}

char *bph_test_records(size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"{\"ip\":\"198.18.%zu.%zu\",\"port\":22,\"state\":"
			"\"open\",\"seen\":%zu,\"ssh\":{\"hassh_server\":"
			"\"%032zx\",\"hostkeys\":[{\"type\":\"ssh-ed25519\","
			"\"sha256\":\"SHA256:k%zu\"}]}}\n",
			(i >> 8) & 255, i & 255, 1000 + i, i % 7, i % 100);
	assert_int_equal(fclose(f), 0);
	return buf;
}
