/* Notification channels against local receivers only: an HTTP server on
 * 127.0.0.1 in a thread, a Unix datagram socket and stub programs in a
 * temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "sweep/notify.h"
#include "testlib/testlib.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bph-notify-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return bph_notify_global_init();
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	bph_notify_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return bph_test_run(cmd);
}

/* A config with every event wanted, and a set of events, one hostile. */
static void config(struct bph_sweep_config *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < BPH_EV_COUNT; i++)
		c->alert_events[i] = true;
	c->alert_min = BPH_SEV_LOW;
}

static void channel(struct bph_notify_cfg *ch, enum bph_notify_type t)
{
	memset(ch, 0, sizeof(*ch));
	ch->id = "test";
	ch->type = t;
	for (int i = 0; i < BPH_EV_COUNT; i++)
		ch->events[i] = true;
	ch->min_severity = BPH_SEV_LOW;
	ch->max_events = 50;
	ch->timeout_ms = 5000;
}

static void events(struct bph_event_set *s)
{
	assert_int_equal(bph_event_set_init(s, "lab", 1, 2, 1795000000), 0);
	bph_event_add(s, BPH_EV_HOST_NEW, true, 0xc6120a0d, -1, NULL, NULL,
		      json_pack("{s:[i,i]}", "ports", 22, 443), NULL);
	bph_event_add(s, BPH_EV_HTTP_CHANGED, true, 0xc6120a3d, 80, "http",
		      json_pack("{s:s}", "title", "old"),
		      json_pack("{s:s}", "title",
				"<b>\"x\"</b>\r\nSubject: evil\x01\x1b[31m"),
		      NULL);
	struct bph_event *e =
	    bph_event_add(s, BPH_EV_IDENTITY_MOVED, true, 0xc6120a1f, -1,
			  "identity", json_pack("{s:s}", "ip", "198.18.10.31"),
			  json_pack("{s:s}", "ip", "198.18.10.38"), NULL);
	e->evidence = json_pack("[{s:s,s:s,s:i}]", "kind", "ssh_hostkey",
				"value", "SHA256:abc", "hosts_sharing", 1);
	bph_event_add(s, BPH_EV_SWEEP_COMPLETED, false, 0, -1, NULL, NULL, NULL,
		      json_pack("{s:i}", "events", 3));
	assert_int_equal(bph_event_set_finish(s), 0);
}

static void test_filters(void **state)
{
	(void)state;
	struct bph_sweep_config c;
	struct bph_notify_cfg ch;
	struct bph_event_set s;
	struct bph_delivery d = {0};
	bool empty;
	config(&c);
	channel(&ch, BPH_NT_EXEC);
	events(&s);
	ch.max_events = 1;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "h", &d, &empty), 0);
	assert_false(empty);
	assert_int_equal(d.n_events, 1); /* sweep.completed is info: out */
	char id[33];
	bph_delivery_id("lab", 2, "test", id);
	assert_string_equal(d.id, id);
	bph_delivery_clear(&d);
	ch.min_severity = BPH_SEV_CRITICAL;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "h", &d, &empty), 0);
	assert_true(empty);
	assert_null(d.payload);
	c.notify_on_empty = true;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "h", &d, &empty), 0);
	assert_false(empty);
	bph_delivery_clear(&d);
	bph_event_set_clear(&s);
}

/* ---- a one-thread HTTP receiver: answers statuses[i] to request i ---- */

struct receiver {
	int fd;
	uint16_t port;
	int statuses[4];
	int n;
	char req[4][65536];
	size_t len[4];
};

static void *serve(void *arg)
{
	struct receiver *r = arg;
	for (int i = 0; i < r->n; i++) {
		int c = accept(r->fd, NULL, NULL);
		if (c < 0)
			break;
		size_t got = 0;
		char *end = NULL;
		long clen = -1;
		while (got < sizeof(r->req[i]) - 1) {
			ssize_t k = read(c, r->req[i] + got,
					 sizeof(r->req[i]) - 1 - got);
			if (k <= 0)
				break;
			got += (size_t)k;
			r->req[i][got] = '\0';
			end = strstr(r->req[i], "\r\n\r\n");
			char *cl = strcasestr(r->req[i], "Content-Length:");
			if (cl)
				clen = strtol(cl + 15, NULL, 10);
			if (end && clen >= 0 &&
			    got >= (size_t)(end + 4 - r->req[i]) + (size_t)clen)
				break;
		}
		r->len[i] = got;
		char resp[128];
		int n = snprintf(resp, sizeof(resp),
				 "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
				 "Connection: close\r\n\r\n",
				 r->statuses[i]);
		if (write(c, resp, (size_t)n) < 0)
			break;
		close(c);
	}
	return NULL;
}

static void receiver_start(struct receiver *r, pthread_t *t)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->fd, 4), 0);
	getsockname(r->fd, (struct sockaddr *)&a, &al);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(t, NULL, serve, r), 0);
}

static const char *header_of(const char *req, const char *name)
{
	static char v[256];
	const char *p = strcasestr(req, name);
	if (!p)
		return NULL;
	p += strlen(name) + 2;
	size_t n = strcspn(p, "\r\n");
	snprintf(v, sizeof(v), "%.*s", (int)n, p);
	return v;
}

/* A webhook channel pointed at a receiver that answers statuses[0..n),
 * with its digest prepared: the setup both webhook tests share. */
struct hook_case {
	struct bph_sweep_config c;
	struct bph_notify_cfg ch;
	struct bph_event_set s;
	struct bph_delivery d;
	struct receiver *r;
	pthread_t t;
	char url[64];
};

static void hook_start(struct hook_case *h, const int *statuses, int n)
{
	bool empty;

	memset(h, 0, sizeof(*h));
	config(&h->c);
	channel(&h->ch, BPH_NT_WEBHOOK);
	events(&h->s);
	h->r = calloc(1, sizeof(*h->r));
	assert_non_null(h->r);
	h->r->n = n;
	for (int i = 0; i < n; i++)
		h->r->statuses[i] = statuses[i];
	receiver_start(h->r, &h->t);
	snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%u/hook",
		 h->r->port);
	h->ch.url = h->url;
	assert_int_equal(
	    bph_notify_prepare(&h->c, &h->ch, &h->s, "h", &h->d, &empty), 0);
}

/* Waits for the receiver to have answered all it was given. */
static void hook_served(struct hook_case *h)
{
	pthread_join(h->t, NULL);
	close(h->r->fd);
}

static void hook_clear(struct hook_case *h)
{
	free(h->r);
	bph_delivery_clear(&h->d);
	bph_event_set_clear(&h->s);
}

static void test_webhook(void **state)
{
	(void)state;
	const int statuses[] = {500, 404, 200};
	struct hook_case h;
	char secret[128], err[256];
	uint64_t ra;

	hook_start(&h, statuses, 3);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	FILE *f = fopen(secret, "w");
	fputs("s3cret\n", f);
	fclose(f);
	h.ch.secret_file = secret;
	json_t *body = json_loads(h.d.payload, 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_array_size(json_object_get(body, "events")), 3);
	json_decref(body);
	const struct bph_channel *w = bph_channel_of(BPH_NT_WEBHOOK);
	assert_int_equal(w->send(&h.ch, &h.d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_RETRY);
	assert_int_equal(w->send(&h.ch, &h.d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_REJECTED);
	assert_int_equal(w->send(&h.ch, &h.d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_OK);
	hook_served(&h);
	for (int i = 0; i < 3; i++) {
		char *req = h.r->req[i];
		assert_string_equal(header_of(req, "X-Bphound-Delivery"),
				    h.d.id);
		char ts[32], sig[72];
		snprintf(ts, sizeof(ts), "%s",
			 header_of(req, "X-Bphound-Timestamp"));
		const char *b = strstr(req, "\r\n\r\n") + 4;
		assert_int_equal(strlen(b), h.d.len);
		assert_int_equal(
		    bph_webhook_signature("s3cret", ts, b, strlen(b), sig), 0);
		assert_string_equal(header_of(req, "X-Bphound-Signature"), sig);
	}
	/* nobody listens any more: a transport error is retried */
	assert_int_equal(w->send(&h.ch, &h.d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_RETRY);
	hook_clear(&h);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Drops of the confined webhook test: one refuses, one leaves the
 * child's pid in a file (so the POST came from another process), one
 * makes the child die before it answers. */
static int drop_refused(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "test drop refused");
	return BPH_ERR_PERM;
}

static int drop_marked(void *ctx, char *err, size_t errlen)
{
	FILE *f = fopen(ctx, "w");

	(void)err;
	(void)errlen;
	if (!f)
		return BPH_ERR_IO;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : BPH_ERR_IO;
}

static int drop_dies(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	_exit(3);
}

/* With a confinement, the POST is made by a child after its drop: a
 * refused drop sends nothing, a child that ends without a result is a
 * retry, and the child's result is the delivery's. */
static void test_webhook_confined(void **state)
{
	(void)state;
	const int statuses[] = {200};
	struct hook_case h;
	char mark[128], err[256];
	uint64_t ra;

	hook_start(&h, statuses, 1);
	snprintf(mark, sizeof(mark), "%s/dropped", dir);
	const struct bph_channel *w = bph_channel_of(BPH_NT_WEBHOOK);
	struct bph_confine refused = {drop_refused, NULL};
	struct bph_confine dies = {drop_dies, NULL};
	struct bph_confine marked = {drop_marked, mark};
	assert_int_equal(w->send(&h.ch, &h.d, &refused, &ra, err, sizeof(err)),
			 BPH_SEND_RETRY);
	assert_string_equal(err, "test drop refused");
	assert_int_equal(w->send(&h.ch, &h.d, &dies, &ra, err, sizeof(err)),
			 BPH_SEND_RETRY);
	assert_non_null(strstr(err, "ended without a result"));
	assert_int_equal(w->send(&h.ch, &h.d, &marked, &ra, err, sizeof(err)),
			 BPH_SEND_OK);
	hook_served(&h);
	/* the one request the receiver got is the marked child's */
	assert_string_equal(header_of(h.r->req[0], "X-Bphound-Delivery"),
			    h.d.id);
	char *pid = slurp(mark);
	assert_true(atol(pid) > 0 && atol(pid) != (long)getpid());
	free(pid);
	hook_clear(&h);
}

static void stub(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fprintf(f,
		"#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s.args'\n"
		"env > '%s.env'\ncat > '%s.in'\n",
		path, path, path);
	fclose(f);
	chmod(path, 0755);
}

static void test_email(void **state)
{
	(void)state;
	struct bph_sweep_config c;
	struct bph_notify_cfg ch;
	struct bph_event_set s;
	struct bph_delivery d = {0};
	char sm[128], path[160], err[256];
	char *to[] = {"soc@example.org", NULL};
	uint64_t ra;
	bool empty;

	config(&c);
	channel(&ch, BPH_NT_EMAIL);
	events(&s);
	stub("sendmail", sm, sizeof(sm));
	ch.sendmail = sm;
	ch.from = "bphound@example.org";
	ch.to.v = to;
	ch.to.n = 1;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "h", &d, &empty), 0);
	assert_int_equal(bph_channel_of(BPH_NT_EMAIL)
			     ->send(&ch, &d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_OK);
	snprintf(path, sizeof(path), "%s.args", sm);
	char *args = slurp(path);
	assert_string_equal(args, "-t\n-oi\n");
	snprintf(path, sizeof(path), "%s.in", sm);
	char *msg = slurp(path);
	char *blank = strstr(msg, "\n\n");
	assert_non_null(blank);
	*blank = '\0'; /* the header block */
	assert_null(strstr(msg, "evil"));
	assert_null(strchr(msg, '\r'));
	assert_non_null(strstr(msg, "Subject: [bphound] sweep lab run 2: 3 "
				    "events, highest high\n"));
	assert_non_null(strstr(msg, "To: soc@example.org\n"));
	assert_non_null(strstr(msg, "Auto-Submitted: auto-generated\n"));
	/* the body has the hostile title escaped, on one line */
	char *b = blank + 2;
	assert_non_null(strstr(b, "\\r\\nSubject: evil"));
	assert_null(strchr(b, '\r'));
	assert_null(strchr(b, '\x1b'));
	free(args);
	free(msg);
	bph_delivery_clear(&d);
	bph_event_set_clear(&s);
}

static void test_syslog(void **state)
{
	(void)state;
	struct bph_sweep_config c;
	struct bph_notify_cfg ch;
	struct bph_event_set s;
	struct bph_delivery d = {0};
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char target[128], err[256], buf[8192];
	uint64_t ra;
	bool empty;

	config(&c);
	channel(&ch, BPH_NT_SYSLOG);
	events(&s);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/log", dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(target, sizeof(target), "unix:%s", a.sun_path);
	ch.target = target;
	ch.facility = 3;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "host 1", &d, &empty),
			 0);
	assert_int_equal(bph_channel_of(BPH_NT_SYSLOG)
			     ->send(&ch, &d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_OK);
	const char *want[] = {"<28>1 2026-11-18T11:06:40Z ", "<29>1 ",
			      "<27>1 "};
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_true(strncmp(buf, want[i], strlen(want[i])) == 0);
		assert_non_null(strstr(buf, " host-1 bphound - "));
		for (ssize_t k = 0; k < n; k++) /* printable ASCII only */
			assert_true(buf[k] >= 0x20 && buf[k] < 0x7f);
		json_t *j = json_loads(strstr(buf, " - {") + 3, 0, NULL);
		assert_non_null(j);
		json_decref(j);
	}
	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	close(fd);
	bph_delivery_clear(&d);
	bph_event_set_clear(&s);
}

static void test_exec(void **state)
{
	(void)state;
	struct bph_sweep_config c;
	struct bph_notify_cfg ch;
	struct bph_event_set s;
	struct bph_delivery d = {0};
	char prog[128], path[160], err[256];
	uint64_t ra;
	bool empty;

	config(&c);
	channel(&ch, BPH_NT_EXEC);
	events(&s);
	stub("hook", prog, sizeof(prog));
	char *argv[] = {prog, "one arg; $(not a shell)", NULL};
	ch.argv.v = argv;
	ch.argv.n = 2;
	assert_int_equal(bph_notify_prepare(&c, &ch, &s, "h", &d, &empty), 0);
	assert_int_equal(bph_channel_of(BPH_NT_EXEC)
			     ->send(&ch, &d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_OK);
	snprintf(path, sizeof(path), "%s.args", prog);
	char *args = slurp(path);
	assert_string_equal(args, "one arg; $(not a shell)\n");
	snprintf(path, sizeof(path), "%s.in", prog);
	char *in = slurp(path);
	size_t lines = 0;
	for (char *l = strtok(in, "\n"); l; l = strtok(NULL, "\n"), lines++) {
		json_t *j = json_loads(l, 0, NULL);
		assert_non_null(j);
		json_decref(j);
	}
	assert_int_equal(lines, 3);
	snprintf(path, sizeof(path), "%s.env", prog);
	char *env = slurp(path);
	assert_non_null(strstr(env, "BPHOUND_SWEEP=lab\n"));
	assert_non_null(strstr(env, "BPHOUND_RUN=2\n"));
	free(args);
	free(in);
	free(env);
	/* a failing program is retried later */
	char *fail[] = {"/bin/false", NULL};
	ch.argv.v = fail;
	assert_int_equal(bph_channel_of(BPH_NT_EXEC)
			     ->send(&ch, &d, NULL, &ra, err, sizeof(err)),
			 BPH_SEND_RETRY);
	assert_non_null(strstr(err, "status 1"));
	bph_delivery_clear(&d);
	bph_event_set_clear(&s);
}

int main(void)
{
	/* as bphound's main() (sweep/spawn.c): a channel program that exits
	 * before reading all of its stdin gives EPIPE, not a signal (the
	 * sanitizer build, slower, hit it) */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_webhook),
	    cmocka_unit_test(test_webhook_confined),
	    cmocka_unit_test(test_email),
	    cmocka_unit_test(test_syslog),
	    cmocka_unit_test(test_exec),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
