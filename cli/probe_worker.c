/*
 * probe_worker.c - the probe engine in an unprivileged, sandboxed child
 * process: the fork, the child's side (drop, sandbox, engine, records out
 * as JSON Lines) and the scanner's side (services in, records checked as
 * untrusted input). Contract in probe_worker.h; the design in
 * docs/architecture.md ("Privileges").
 */
#include "cli/probe_worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"

#define WORKER_FD	3	    /* the child's end of the pair */
#define LINE_MAX_BYTES	(64u << 20) /* one record from the worker, at most */
#define READ_CHUNK_SIZE 65536

/* One service, scanner to worker (the two sides are one binary). */
struct wire {
	uint32_t ip;
	uint16_t port;
	int64_t seen;
	struct bph_tcp_traits tcp;
};

struct bph_worker {
	pid_t pid;
	int fd;
};

/* ---- the child ---------------------------------------------------------- */

static void child_fail(const char *what, const char *msg)
{
	fprintf(stderr, "bphound: probe worker: %s: %s\n", what, msg);
	_exit(1);
}

/* Keeps stderr and the pair's end as WORKER_FD; stdin and stdout become
 * /dev/null. */
static void child_fds(int fd)
{
	if (fd != WORKER_FD && dup2(fd, WORKER_FD) != WORKER_FD)
		child_fail("dup2", strerror(errno));
	if (close_range(WORKER_FD + 1, ~0u, 0) != 0)
		child_fail("close_range", strerror(errno));
	if (bph_sandbox_null_stdio() != 0)
		child_fail("/dev/null", strerror(errno));
}

/* Everything that needs a file or a privilege, then the drop. */
static void child_enter(const struct bph_identity *id)
{
	char err[256] = "";
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the scanner */
	/* the scanner decides on Ctrl-C and on being stopped */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL); /* reads files */
	if (bph_privs_drop(id, err, sizeof(err)) != 0 ||
	    bph_sandbox_enter(BPH_SANDBOX_PROBES, err, sizeof(err)) != 0)
		child_fail("sandbox", err);
}

/* Reads exactly n bytes; 0, or 1 at a clean end of input, or -1. */
static int read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r == 0)
			return got == 0 ? 1 : -1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void child_feed(struct bph_engine *eng)
{
	struct wire m;
	struct bph_service s;
	int rc;

	while ((rc = read_full(WORKER_FD, &m, sizeof(m))) == 0) {
		memset(&s, 0, sizeof(s));
		s.ip = m.ip;
		s.port = m.port;
		s.state = BPH_STATE_OPEN;
		s.seen = (time_t)m.seen;
		s.tcp = m.tcp;
		if (bph_engine_submit(eng, &s) != 0)
			child_fail("submit", "engine refused a service");
	}
	if (rc < 0)
		child_fail("input", "broken record from the scanner");
}

static void child_report(struct bph_service *v, size_t n)
{
	FILE *out = fdopen(WORKER_FD, "w");
	int rc = out ? 0 : BPH_ERR_IO;

	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = bph_jsonl_write(out, &v[i]);
		bph_service_clear(&v[i]);
	}
	free(v);
	if ((out && fclose(out) != 0) || rc != 0)
		child_fail("output", bph_strerror(rc ? rc : BPH_ERR_IO));
}

static void child_main(int fd, const struct bph_engine_cfg *cfg,
		       const struct bph_identity *id)
{
	struct bph_engine *eng = NULL;
	struct bph_service *v = NULL;
	size_t n = 0;
	char err[256] = "";

	child_fds(fd);
	child_enter(id);
	if (bph_engine_start(cfg, &eng, err, sizeof(err)) != 0)
		child_fail("engine", err);
	if (write(WORKER_FD, "R", 1) != 1) /* confined and ready */
		child_fail("output", strerror(errno));
	child_feed(eng);
	if (bph_engine_finish(eng, &v, &n, err, sizeof(err)) != 0)
		child_fail("engine", err);
	child_report(v, n);
	_exit(0);
}

/* ---- the scanner's side ---------------------------------------------------
 */

/* The worker's exit: 0 when it ended well, else BPH_ERR_IO with why. */
static int exit_status(int status, char *err, size_t errlen)
{
	return bph_sandbox_child_status(status, "probe worker", err, errlen);
}

static void reap(struct bph_worker *w, int *status)
{
	while (waitpid(w->pid, status, 0) < 0 && errno == EINTR)
		;
}

/* The worker's first byte says it is confined and its engine runs; a
 * worker that dies first (its drop or its filter failed) is reaped and
 * its end named, rather than found out at the first open port. */
static int await_ready(struct bph_worker *w, char *err, size_t errlen)
{
	char c = 0;
	ssize_t k;
	int status = 0;

	while ((k = read(w->fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (k == 1 && c == 'R')
		return 0;
	kill(w->pid, SIGKILL);
	reap(w, &status);
	if (exit_status(status, err, errlen) == 0)
		snprintf(err, errlen, "probe worker ended before it was ready");
	else if (err && errlen)
		snprintf(err + strlen(err), errlen - strlen(err),
			 " before it was ready");
	return BPH_ERR_IO;
}

int bph_worker_attach(pid_t pid, int fd, struct bph_worker **out, char *err,
		      size_t errlen)
{
	struct bph_worker *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w) {
		int status;
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(fd);
		return BPH_ERR_NOMEM;
	}
	w->pid = pid;
	w->fd = fd;
	if (await_ready(w, err, errlen) != 0) {
		close(w->fd);
		free(w);
		return BPH_ERR_IO;
	}
	*out = w;
	return 0;
}

int bph_worker_start(const struct bph_engine_cfg *cfg,
		     const struct bph_identity *id, struct bph_worker **out,
		     char *err, size_t errlen)
{
	int sv[2];
	pid_t pid;

	*out = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "probe worker: socketpair: %s",
			 strerror(errno));
		return BPH_ERR_IO;
	}
	fflush(NULL); /* no buffered output written twice */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], cfg, id);
	}
	close(sv[1]);
	if (pid < 0) {
		snprintf(err, errlen, "probe worker: fork: %s",
			 strerror(errno));
		close(sv[0]);
		return BPH_ERR_IO;
	}
	return bph_worker_attach(pid, sv[0], out, err, errlen);
}

pid_t bph_worker_pid(const struct bph_worker *w)
{
	return w->pid;
}

int bph_worker_submit(struct bph_worker *w, const struct bph_service *svc)
{
	struct wire m;
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	m.ip = svc->ip;
	m.port = svc->port;
	m.seen = (int64_t)svc->seen;
	m.tcp = svc->tcp;
	while (off < sizeof(m)) {
		ssize_t k = send(w->fd, (const char *)&m + off, sizeof(m) - off,
				 MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return BPH_ERR_IO;
		off += (size_t)k;
	}
	return 0;
}

void bph_worker_cancel(struct bph_worker *w)
{
	int status;

	if (!w)
		return;
	kill(w->pid, SIGKILL);
	reap(w, &status);
	close(w->fd);
	free(w);
}

/* Where each (ip, port) of svcs is, sorted for bsearch. */
struct slot {
	uint64_t key;
	size_t idx;
	bool filled;
};

static uint64_t key_of(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip << 16 | port;
}

static int cmp_slot(const void *a, const void *b)
{
	uint64_t x = ((const struct slot *)a)->key;
	uint64_t y = ((const struct slot *)b)->key;

	return x < y ? -1 : x > y;
}

struct reader {
	struct bph_service *svcs;
	struct slot *slots;
	size_t n;
	size_t refused;
	char *buf;
	size_t len, cap;
};

static bool known_proto(const char *p)
{
	return !p || !strcmp(p, "tls") || !strcmp(p, "ssh") ||
	       !strcmp(p, "http") || !strcmp(p, "banner");
}

/* Moves what the worker found into the scanner's own record. */
static void take(struct bph_service *dst, struct bph_service *src)
{
	free(dst->proto);
	bph_tls_info_free(dst->tls);
	bph_ssh_info_free(dst->ssh);
	bph_http_info_free(dst->http);
	bph_banner_info_free(dst->banner);
	dst->proto = src->proto;
	dst->tls = src->tls;
	dst->ssh = src->ssh;
	dst->http = src->http;
	dst->banner = src->banner;
	src->proto = NULL;
	src->tls = NULL;
	src->ssh = NULL;
	src->http = NULL;
	src->banner = NULL;
}

/* One record line from the worker, untrusted. */
static void apply_line(struct reader *r, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	struct bph_service s;
	struct slot key, *hit = NULL;

	memset(&s, 0, sizeof(s));
	if (j && json_is_object(j) &&
	    bph_service_from_json(j, &s, NULL, 0) == 0 &&
	    known_proto(s.proto)) {
		key.key = key_of(s.ip, s.port);
		hit =
		    bsearch(&key, r->slots, r->n, sizeof(*r->slots), cmp_slot);
	}
	if (hit && !hit->filled) {
		hit->filled = true;
		take(&r->svcs[hit->idx], &s);
	} else {
		r->refused++;
	}
	bph_service_clear(&s);
	json_decref(j);
}

/* Consumes every complete line of r->buf, whose bytes before from hold no
 * newline (searched already: a long line costs one pass, not one per
 * read); false when a line is too long. */
static bool drain_lines(struct reader *r, size_t from)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(r->buf + from, '\n', r->len - from))) {
		apply_line(r, r->buf + start, (size_t)(nl - r->buf) - start);
		start = from = (size_t)(nl - r->buf) + 1;
	}
	memmove(r->buf, r->buf + start, r->len - start);
	r->len -= start;
	return r->len <= LINE_MAX_BYTES;
}

/* Reads what is there; 1 at end of input, 0 for more, <0 on error. */
static int read_some(struct reader *r, int fd)
{
	ssize_t k;

	if (r->cap - r->len < READ_CHUNK_SIZE) {
		size_t cap = r->cap ? 2 * r->cap : 4 * READ_CHUNK_SIZE;
		char *nb = realloc(r->buf, cap);
		if (!nb)
			return BPH_ERR_NOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	k = read(fd, r->buf + r->len, r->cap - r->len);
	if (k < 0)
		return errno == EINTR ? 0 : BPH_ERR_IO;
	if (k == 0) {
		if (r->len > 0)
			apply_line(r, r->buf, r->len); /* no final newline */
		return 1;
	}
	r->len += (size_t)k;
	return drain_lines(r, r->len - (size_t)k) ? 0 : BPH_ERR_IO;
}

/* A signal on sigfd: its number, else 0. */
static int take_signal(int sigfd)
{
	struct signalfd_siginfo si;

	return read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)
		   ? (int)si.ssi_signo
		   : 0;
}

/* Reads the records until the worker closes; 0, a signal, or <0. */
static int read_records(struct bph_worker *w, struct reader *r, int sigfd,
			int *signo)
{
	struct pollfd p[2] = {{.fd = w->fd, .events = POLLIN},
			      {.fd = sigfd, .events = POLLIN}};
	int rc = 0;

	while (rc == 0) {
		if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return BPH_ERR_IO;
		}
		if (sigfd >= 0 && (p[1].revents & POLLIN) &&
		    (*signo = take_signal(sigfd)) != 0)
			return 0;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			rc = read_some(r, w->fd);
	}
	return rc < 0 ? rc : 0;
}

static int init_reader(struct reader *r, struct bph_service *svcs, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->svcs = svcs;
	r->n = n;
	r->slots = calloc(n ? n : 1, sizeof(*r->slots));
	if (!r->slots)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		r->slots[i].key = key_of(svcs[i].ip, svcs[i].port);
		r->slots[i].idx = i;
	}
	qsort(r->slots, n, sizeof(*r->slots), cmp_slot);
	return 0;
}

int bph_worker_finish(struct bph_worker *w, struct bph_service *svcs, size_t n,
		      int sigfd, int *signo, size_t *refused, char *err,
		      size_t errlen)
{
	struct reader r;
	int rc, status = 0;

	*signo = 0;
	*refused = 0;
	rc = init_reader(&r, svcs, n);
	if (rc == 0) {
		shutdown(w->fd, SHUT_WR); /* no more services */
		rc = read_records(w, &r, sigfd, signo);
	}
	if (rc != 0 || *signo)
		kill(w->pid, SIGKILL);
	reap(w, &status);
	if (rc == BPH_ERR_IO && err && errlen)
		snprintf(err, errlen, "probe worker: unreadable output");
	if (rc == 0 && !*signo)
		rc = exit_status(status, err, errlen);
	*refused = r.refused;
	free(r.slots);
	free(r.buf);
	close(w->fd);
	free(w);
	return rc;
}
