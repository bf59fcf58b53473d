/*
 * test_scanner_careful.c - the probe engine as a careful client
 * (scanner/engine.h), against servers on 127.0.0.1 started by this test:
 * an sshd with MaxStartups 3:100:3 probed as twelve services at once,
 * listeners that close, reset or drop their first connections, and a
 * closed port. Checks that what a limited server drops is retried until
 * every host key is in (each equal to ssh-keygen's), that what still
 * fails says why (refused, reset, closed before banner), never "unexpected
 * protocol", and that the caps per address and per /24 hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/record.h"
#include "scanner/engine.h"
#include "testlib/testlib.h"

#define LOOPBACK  0x7f000001u
#define GREETING  "220 careful-test ready\r\n"
#define N_SSH	  12 /* services of the limited sshd probed at once */
#define FLAKY_N	  4  /* connections the flaky greeter drops first */
#define N_RETRIES 2

enum mode { M_CLOSE, M_RESET, M_FLAKY, M_N };

struct lab {
	char dir[64];
	pid_t pid[M_N + 1]; /* the listeners, then sshd */
	uint16_t port[M_N];
	uint16_t ssh_port, refused_port;
	atomic_int *accepts; /* per mode, shared with the listeners */
};

static struct lab lab;

/* ---- servers --------------------------------------------------------- */

/* One accepted connection, by mode: close it, reset it, or (flaky) drop
 * the first FLAKY_N and greet the others until the client leaves. */
static void serve(int c, enum mode m, int nth)
{
	struct linger rst = {1, 0};
	char buf[512];

	if (m == M_RESET)
		setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	if (m == M_FLAKY && nth > FLAKY_N &&
	    write(c, GREETING, strlen(GREETING)) > 0)
		while (read(c, buf, sizeof(buf)) > 0)
			;
	close(c);
}

static void listener(int fd, enum mode m)
{
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			serve(c, m, atomic_fetch_add(&lab.accepts[m], 1) + 1);
	}
}

static void serve_mode(int fd, const void *arg)
{
	listener(fd, *(const enum mode *)arg);
}

static int start_listener(enum mode m)
{
	return bph_test_serve_lo(&lab.port[m], &lab.pid[m], serve_mode, &m);
}

static bool port_ready(uint16_t port)
{
	for (int t = 0; t < 100; t++) {
		int fd = bph_test_connect_lo(port);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		usleep(50 * 1000);
	}
	return false;
}

/* sshd with three host keys and MaxStartups 3:100:3: past three
 * unauthenticated connections it drops every new one before its banner. */
static int start_sshd(void)
{
	char cmd[512], conf[1024], path[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && for t in ed25519 ecdsa rsa; do ssh-keygen -q -t $t "
		 "-N '' -C '' -f hk_$t || exit 1; done",
		 lab.dir);
	if (bph_test_run(cmd) != 0)
		return -1;
	mkdir("/run/sshd", 0755); /* sshd's privilege separation directory */
	lab.ssh_port = bph_test_free_port();
	snprintf(conf, sizeof(conf),
		 "Port %u\nListenAddress 127.0.0.1\nHostKey %s/hk_ed25519\n"
		 "HostKey %s/hk_ecdsa\nHostKey %s/hk_rsa\nPidFile %s/sshd.pid\n"
		 "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
		 "KbdInteractiveAuthentication no\nAuthorizedKeysFile none\n"
		 "MaxStartups 3:100:3\nLogLevel VERBOSE\n",
		 lab.ssh_port, lab.dir, lab.dir, lab.dir, lab.dir);
	snprintf(path, sizeof(path), "%s/sshd_config", lab.dir);
	f = fopen(path, "w");
	if (!f || fputs(conf, f) < 0 || fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/sshd.log", lab.dir);
	lab.pid[M_N] = fork();
	if (lab.pid[M_N] == 0) {
		int fd = open(cmd, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 2);
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f",
		      path, NULL);
		_exit(127);
	}
	return port_ready(lab.ssh_port) ? 0 : -1;
}

static void stop_all(void)
{
	char cmd[128];

	for (int i = 0; i <= M_N; i++) {
		if (lab.pid[i] > 0) {
			kill(lab.pid[i], SIGTERM);
			waitpid(lab.pid[i], NULL, 0);
			lab.pid[i] = 0;
		}
	}
	if (lab.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", lab.dir);
		bph_test_run(cmd);
		lab.dir[0] = '\0';
	}
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	lab.accepts =
	    mmap(NULL, M_N * sizeof(*lab.accepts), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(lab.dir, sizeof(lab.dir), "/tmp/bph_careful_XXXXXX");
	if (lab.accepts == MAP_FAILED || !mkdtemp(lab.dir))
		return -1;
	chmod(lab.dir, 0755);
	for (int m = 0; m < M_N; m++)
		if (start_listener((enum mode)m) != 0)
			goto fail;
	if (start_sshd() != 0)
		goto fail;
	lab.refused_port = bph_test_free_port();
	return 0;
fail:
	fprintf(stderr, "careful: setup failed (logs in %s)\n", lab.dir);
	stop_all();
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	stop_all();
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static void svc_init(struct bph_service *s, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->ip = LOOPBACK;
	s->port = port;
	s->state = BPH_STATE_OPEN;
}

static void fast_cfg(struct bph_engine_cfg *cfg)
{
	bph_engine_cfg_default(cfg);
	/* no server here is silent; a loaded machine (or ASan) can take
	 * longer than the default second to greet, close or reset, and that
	 * much silence would be a client-first server */
	cfg->detect_wait_ms = 5000;
	cfg->io_timeout_ms = 10000;
	cfg->retries = N_RETRIES;
	cfg->retry_ms = 50;
}

/* Output of a shell command, first line; heap, or NULL. */
static char *sh_line(const char *cmd)
{
	char *out = calloc(1, 256);
	FILE *f = popen(cmd, "r");

	if (!f || !out || !fgets(out, 256, f)) {
		if (f)
			pclose(f);
		free(out);
		return NULL;
	}
	pclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return out;
}

static char *keygen_sha256(const char *t)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "ssh-keygen -l -E sha256 -f %s/hk_%s.pub | cut -d' ' -f2",
		 lab.dir, t);
	return sh_line(cmd);
}

/* How many connections sshd dropped past MaxStartups (its log). */
static int sshd_drops(void)
{
	char cmd[256], *n;
	int v;

	snprintf(cmd, sizeof(cmd), "grep -c 'past MaxStartups' %s/sshd.log",
		 lab.dir);
	n = sh_line(cmd);
	v = n ? atoi(n) : -1;
	free(n);
	return v;
}

/* The first error of any sub-object, or NULL. */
static const char *error_of(const struct bph_service *s)
{
	if (s->banner && s->banner->error)
		return s->banner->error;
	if (s->tls && s->tls->error)
		return s->tls->error;
	if (s->http && s->http->error)
		return s->http->error;
	if (s->ssh && s->ssh->error)
		return s->ssh->error;
	return NULL;
}

/* ---- a server that counts the connections it holds --------------------- */

#define HOLD_MS	   100 /* a held connection ends, server side, after this */
#define HOLD_ADDRS 4   /* it listens on 127.0.0.1 .. 127.0.0.4 */
#define HOLD_MAX   256

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The connections the server holds: each one's end and address. */
struct held {
	int n, fd[HOLD_MAX], addr[HOLD_MAX], on[HOLD_ADDRS];
	long long until[HOLD_MAX];
};

/* Closes the held connections whose time is up. */
static void expire(struct held *h, long long now)
{
	int k = 0;

	for (int i = 0; i < h->n; i++) {
		if (h->until[i] <= now) {
			close(h->fd[i]);
			h->on[h->addr[i]]--;
			continue;
		}
		h->fd[k] = h->fd[i];
		h->addr[k] = h->addr[i];
		h->until[k++] = h->until[i];
	}
	h->n = k;
}

/* peak[0]: the most connections held at once; peak[1]: to one address. */
static void count(const struct held *h, int addr, atomic_int *peak)
{
	if (h->n > atomic_load(&peak[0]))
		atomic_store(&peak[0], h->n);
	if (h->on[addr] > atomic_load(&peak[1]))
		atomic_store(&peak[1], h->on[addr]);
}

/*
 * Closes each connection HOLD_MS after accepting it, having sent nothing,
 * and counts what it holds (count()). The counts are never more than the
 * client's: the engine waits far longer than HOLD_MS for a silent server's
 * first byte (detect_wait_ms), so it leaves a connection only after the
 * server's close, and every accept first closes what is due by then; a
 * connection counted beside another was open beside it at the client too,
 * at any load. (A server that greets would not do: the engine itself ends
 * a greeting connection after a quiet spell, and the server could not
 * tell that apart from a connection still held without a race.)
 */
static void holder_loop(const int *lfd, atomic_int *peak)
{
	static struct held h;
	struct pollfd p[HOLD_ADDRS];
	int c;

	for (int i = 0; i < HOLD_ADDRS; i++)
		p[i] = (struct pollfd){lfd[i], POLLIN, 0};
	for (;;) {
		poll(p, HOLD_ADDRS, h.n ? 5 : -1);
		expire(&h, now_ms());
		for (int i = 0; i < HOLD_ADDRS; i++)
			while (h.n < HOLD_MAX &&
			       (c = accept4(lfd[i], NULL, NULL, 0)) >= 0) {
				long long now = now_ms();
				expire(&h, now);
				h.fd[h.n] = c;
				h.addr[h.n] = i;
				h.until[h.n++] = now + HOLD_MS;
				h.on[i]++;
				count(&h, i, peak);
			}
	}
}

/* Listens on 127.0.0.k:port, k = 1..HOLD_ADDRS, in a child; its pid. */
static pid_t start_holder(uint16_t port, atomic_int *peak)
{
	int lfd[HOLD_ADDRS], one = 1;
	pid_t pid;

	for (int k = 0; k < HOLD_ADDRS; k++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(port),
					.sin_addr = {htonl(LOOPBACK + k)}};
		lfd[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(lfd[k] >= 0);
		setsockopt(lfd[k], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		assert_int_equal(bind(lfd[k], (struct sockaddr *)&a, sizeof(a)),
				 0);
		assert_int_equal(listen(lfd[k], 64), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGPIPE, SIG_IGN);
		holder_loop(lfd, peak);
	}
	for (int k = 0; k < HOLD_ADDRS; k++)
		close(lfd[k]);
	return pid;
}

/* 8 services, two per address of 127.0.0.1-4 (one /24), probed with the
 * caps given; the most connections the server held at once, in all
 * (*total) and to one address (*host). */
static void held_at_once(int per_host, int per_net, int *total, int *host)
{
	enum { N = 2 * HOLD_ADDRS };
	atomic_int *peak = mmap(NULL, 2 * sizeof(*peak), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint16_t port = bph_test_free_port();
	struct bph_service s[N];
	struct bph_engine_cfg cfg;
	pid_t pid;

	assert_true(peak != MAP_FAILED);
	atomic_store(&peak[0], 0);
	atomic_store(&peak[1], 0);
	pid = start_holder(port, peak);
	for (int i = 0; i < N; i++) {
		svc_init(&s[i], port);
		s[i].ip = LOOPBACK + (uint32_t)(i % HOLD_ADDRS);
	}
	fast_cfg(&cfg);
	/* the server ends every connection long before these, so every
	 * connection's end is the server's */
	cfg.detect_wait_ms = 20000;
	cfg.io_timeout_ms = 30000;
	cfg.host_budget_ms = 120000;
	cfg.retries = 0;
	cfg.jarm = false;
	cfg.max_per_host = per_host;
	cfg.max_per_net = per_net;
	assert_int_equal(bph_engine_run(&cfg, s, N, NULL, 0), 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < N; i++) { /* every one reached the server */
		assert_non_null(error_of(&s[i]));
		assert_non_null(
		    strstr(error_of(&s[i]), "closed before banner"));
		bph_service_clear(&s[i]);
	}
	*total = atomic_load(&peak[0]);
	*host = atomic_load(&peak[1]);
	munmap(peak, 2 * sizeof(*peak));
}

/* ---- tests ------------------------------------------------------------ */

/* Twelve services of one sshd that takes three unauthenticated
 * connections at a time: the engine, allowed twelve, runs into the limit,
 * retries what was dropped and lowers its limit, and every service ends
 * with the three host keys ssh-keygen reads from the key files. */
static void test_maxstartups(void **state)
{
	struct bph_service s[N_SSH];
	struct bph_engine_cfg cfg;
	static const char *const types[] = {"ed25519", "ecdsa", "rsa"};
	char *want[3];

	(void)state;
	for (int i = 0; i < N_SSH; i++)
		svc_init(&s[i], lab.ssh_port);
	fast_cfg(&cfg);
	cfg.retries = 8;
	cfg.max_per_host = N_SSH;
	cfg.max_per_net = N_SSH;
	assert_int_equal(bph_engine_run(&cfg, s, N_SSH, NULL, 0), 0);
	assert_true(sshd_drops() > 0); /* the limit was really hit */
	for (int k = 0; k < 3; k++)
		assert_non_null(want[k] = keygen_sha256(types[k]));
	for (int i = 0; i < N_SSH; i++) {
		assert_non_null(s[i].proto);
		assert_string_equal(s[i].proto, "ssh");
		assert_non_null(s[i].ssh);
		if (s[i].ssh->error)
			fprintf(stderr, "service %d: %s\n", i, s[i].ssh->error);
		assert_null(s[i].ssh->error);
		assert_int_equal(s[i].ssh->n_hostkeys, 3);
		assert_string_equal(s[i].ssh->hassh_server,
				    s[0].ssh->hassh_server);
		for (int k = 0; k < 3; k++)
			assert_string_equal(s[i].ssh->hostkeys[k].sha256,
					    want[k]);
	}
	for (int k = 0; k < 3; k++)
		free(want[k]);
	for (int i = 0; i < N_SSH; i++)
		bph_service_clear(&s[i]);
}

/* What still fails after the retries says why; every attempt reached the
 * listener (1 + retries for each of the race's three connections). */
static void test_causes(void **state)
{
	struct bph_service s[3];
	struct bph_engine_cfg cfg;
	static const char *const want[3] = {"closed before banner", "reset",
					    "refused"};

	(void)state;
	atomic_store(&lab.accepts[M_CLOSE], 0);
	atomic_store(&lab.accepts[M_RESET], 0);
	svc_init(&s[0], lab.port[M_CLOSE]);
	svc_init(&s[1], lab.port[M_RESET]);
	svc_init(&s[2], lab.refused_port);
	fast_cfg(&cfg);
	assert_int_equal(bph_engine_run(&cfg, s, 3, NULL, 0), 0);
	for (int i = 0; i < 3; i++) {
		const char *e = error_of(&s[i]);
		assert_non_null(e);
		fprintf(stderr, "cause %d: %s\n", i, e);
		assert_non_null(strstr(e, want[i]));
		assert_null(strstr(e, "unexpected protocol"));
		assert_null(s[i].proto);
		bph_service_clear(&s[i]);
	}
	assert_int_equal(atomic_load(&lab.accepts[M_CLOSE]),
			 3 * (1 + N_RETRIES));
	assert_int_equal(atomic_load(&lab.accepts[M_RESET]),
			 3 * (1 + N_RETRIES));
}

/* A server that drops its first connections, then answers: the retries
 * reach the answer, and the record is the greeting, with no error. */
static void test_flaky(void **state)
{
	struct bph_service s;
	struct bph_engine_cfg cfg;

	(void)state;
	atomic_store(&lab.accepts[M_FLAKY], 0);
	svc_init(&s, lab.port[M_FLAKY]);
	fast_cfg(&cfg);
	cfg.retries = 4;
	assert_int_equal(bph_engine_run(&cfg, &s, 1, NULL, 0), 0);
	assert_true(atomic_load(&lab.accepts[M_FLAKY]) > FLAKY_N);
	assert_non_null(s.proto);
	assert_string_equal(s.proto, "banner");
	assert_non_null(s.banner);
	assert_null(s.banner->error);
	assert_non_null(s.banner->text);
	assert_non_null(strstr(s.banner->text, "careful-test ready"));
	bph_service_clear(&s);
}

/* Retries stop when they would outlast the host's budget. */
static void test_budget_bounds_retries(void **state)
{
	struct bph_service s;
	struct bph_engine_cfg cfg;

	(void)state;
	atomic_store(&lab.accepts[M_CLOSE], 0);
	svc_init(&s, lab.port[M_CLOSE]);
	fast_cfg(&cfg);
	cfg.retries = 20;
	cfg.retry_ms = 400; /* 400-600 ms, then 800-1200: the second is late */
	cfg.host_budget_ms = 1000;
	assert_int_equal(bph_engine_run(&cfg, &s, 1, NULL, 0), 0);
	/* detect, then TLS and HTTP: each at most two attempts of twenty */
	assert_true(atomic_load(&lab.accepts[M_CLOSE]) >= 2);
	assert_true(atomic_load(&lab.accepts[M_CLOSE]) <= 3 * 2);
	assert_non_null(error_of(&s));
	assert_non_null(strstr(error_of(&s), "closed before banner"));
	bph_service_clear(&s);
}

/* At most max_per_host connections to one address, whatever the /24
 * allows (two services on each of four addresses); and the /24's limit
 * over all of them. */
static void test_cap_per_host(void **state)
{
	int total, host;

	(void)state;
	held_at_once(1, 16, &total, &host);
	assert_int_equal(host, 1);
	held_at_once(2, 1, &total, &host);
	assert_int_equal(total, 1);
}

/* At most max_per_net connections to one /24 across its addresses. */
static void test_cap_per_net(void **state)
{
	int total, host;

	(void)state;
	held_at_once(4, 3, &total, &host);
	assert_true(total >= 1);
	assert_true(total <= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_causes),
	    cmocka_unit_test(test_flaky),
	    cmocka_unit_test(test_budget_bounds_retries),
	    cmocka_unit_test(test_maxstartups),
	    cmocka_unit_test(test_cap_per_host),
	    cmocka_unit_test(test_cap_per_net),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
