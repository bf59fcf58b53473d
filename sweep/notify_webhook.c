/*
 * notify_webhook.c - the webhook channel: the digest envelope as one JSON
 * body, POSTed with libcurl (no redirects, http and https only), signed
 * with HMAC-SHA256 over "timestamp.body" (contract in sweep/notify.h;
 * headers in docs/guide.md "Notifications"). Under `sweep run` each POST
 * is made by a child that has dropped the sweep's privileges.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fingerprints/err.h"
#include "sweep/notify.h"

#ifndef BPH_VERSION
#define BPH_VERSION "0"
#endif

static int prepare(const struct bph_notify_cfg *ch,
		   const struct bph_event_set *s,
		   const struct bph_event *const *sel, size_t n, size_t more,
		   const char *hostname, struct bph_delivery *d)
{
	json_t *j = bph_digest_json(s, sel, n, more, d->id, hostname);

	(void)ch;
	d->payload = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!d->payload)
		return BPH_ERR_NOMEM;
	d->len = strlen(d->payload);
	return 0;
}

/* Keeps the Retry-After of a 429 (seconds only). */
static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
	uint64_t *ms = ctx;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
		unsigned long v = strtoul(buf + 12, NULL, 10);
		*ms = (v > 60 ? 60 : v) * 1000;
	}
	return len;
}

static size_t discard(char *buf, size_t size, size_t n, void *ctx)
{
	(void)buf;
	(void)ctx;
	return size * n;
}

/* The request's headers; NULL on allocation failure. */
static struct curl_slist *headers(const struct bph_delivery *d,
				  const char *secret, char *err, size_t errlen)
{
	char h[256], ts[24], sig[72];
	struct curl_slist *l = NULL, *t;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	const char *fixed[] = {"Content-Type: application/json", "Expect:"};
	for (size_t i = 0; i < 2; i++)
		if (!(t = curl_slist_append(l, fixed[i])))
			goto fail;
		else
			l = t;
	snprintf(h, sizeof(h), "X-Bphound-Delivery: %s", d->id);
	if (!(t = curl_slist_append(l, h)))
		goto fail;
	l = t;
	snprintf(h, sizeof(h), "X-Bphound-Timestamp: %s", ts);
	if (!(t = curl_slist_append(l, h)))
		goto fail;
	l = t;
	if (secret) {
		if (bph_webhook_signature(secret, ts, d->payload, d->len, sig))
			goto fail;
		snprintf(h, sizeof(h), "X-Bphound-Signature: %s", sig);
		if (!(t = curl_slist_append(l, h)))
			goto fail;
		l = t;
	}
	return l;
fail:
	snprintf(err, errlen, "webhook: cannot build the request");
	curl_slist_free_all(l);
	return NULL;
}

static void setup(CURL *c, const struct bph_notify_cfg *ch,
		  const struct bph_delivery *d, struct curl_slist *h,
		  uint64_t *retry_after_ms, char *cerr)
{
	curl_easy_setopt(c, CURLOPT_URL, ch->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bphound/" BPH_VERSION);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, retry_after_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
}

/* 2xx delivered; 429 and 5xx retried; other statuses refused for good. */
static enum bph_send_result classify(long status, char *err, size_t errlen)
{
	if (status >= 200 && status < 300)
		return BPH_SEND_OK;
	snprintf(err, errlen, "webhook: HTTP status %ld", status);
	return status == 429 || status >= 500 || status < 200
		   ? BPH_SEND_RETRY
		   : BPH_SEND_REJECTED;
}

/* One POST of d: the secret is read and the request built first (the
 * secret may be readable only by the sweep's own user), then cf->drop
 * (when cf), then the exchange with the server. */
static enum bph_send_result send_here(const struct bph_notify_cfg *ch,
				      const struct bph_delivery *d,
				      const struct bph_confine *cf,
				      uint64_t *retry_after_ms, char *err,
				      size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "", *secret = NULL;
	struct curl_slist *h = NULL;
	CURL *c = NULL;
	enum bph_send_result r = BPH_SEND_RETRY;
	long status = 0;

	*retry_after_ms = 0;
	if (bph_webhook_secret(ch, &secret, err, errlen))
		return BPH_SEND_RETRY; /* the file may come back */
	h = headers(d, secret, err, errlen);
	if (secret) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	c = h && (!cf || cf->drop(cf->ctx, err, errlen) == 0) ? curl_easy_init()
							      : NULL;
	if (c) {
		setup(c, ch, d, h, retry_after_ms, cerr);
		CURLcode cc = curl_easy_perform(c);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			r = classify(status, err, errlen);
		} else {
			snprintf(err, errlen, "webhook: %s",
				 cerr[0] ? cerr : curl_easy_strerror(cc));
		}
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r;
}

/* What the delivery child hands back. It has read the server's reply, so
 * the sweep takes it as untrusted: a known outcome, a bounded message. */
struct child_result {
	int32_t r;
	uint64_t retry_after_ms;
	char err[400];
};

static void child_send(int fd, const struct bph_notify_cfg *ch,
		       const struct bph_delivery *d,
		       const struct bph_confine *cf)
{
	struct child_result out = {0};
	size_t off = 0;

	out.r = (int32_t)send_here(ch, d, cf, &out.retry_after_ms, out.err,
				   sizeof(out.err));
	while (off < sizeof(out)) {
		ssize_t k =
		    write(fd, (const char *)&out + off, sizeof(out) - off);
		if (k <= 0 && errno != EINTR)
			_exit(1);
		off += k > 0 ? (size_t)k : 0;
	}
	_exit(0);
}

/* Reads the child's result from fd; false when it sent none whole. */
static bool read_result(int fd, struct child_result *in)
{
	size_t off = 0;

	while (off < sizeof(*in)) {
		ssize_t k = read(fd, (char *)in + off, sizeof(*in) - off);
		if (k == 0 || (k < 0 && errno != EINTR))
			return false;
		off += k > 0 ? (size_t)k : 0;
	}
	return true;
}

/* Copies the child's message into err, printable ASCII only. */
static void take_message(const struct child_result *in, char *err,
			 size_t errlen)
{
	size_t i = 0;

	for (; errlen && i + 1 < errlen && i < sizeof(in->err) && in->err[i];
	     i++)
		err[i] =
		    in->err[i] >= 0x20 && in->err[i] < 0x7f ? in->err[i] : '?';
	if (errlen)
		err[i] = '\0';
}

/* send_here in a child that gives up the sweep's privileges first: the
 * server's reply (HTTP, TLS) is never parsed with them. */
static enum bph_send_result send_confined(const struct bph_notify_cfg *ch,
					  const struct bph_delivery *d,
					  const struct bph_confine *cf,
					  uint64_t *retry_after_ms, char *err,
					  size_t errlen)
{
	struct child_result in = {0};
	int p[2], st = 0;
	bool got;
	pid_t pid;

	*retry_after_ms = 0;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "webhook: pipe: %s", strerror(errno));
		return BPH_SEND_RETRY;
	}
	fflush(NULL); /* the child leaves by _exit: nothing written twice */
	if ((pid = fork()) == 0) {
		close(p[0]);
		child_send(p[1], ch, d, cf);
	}
	close(p[1]);
	got = pid > 0 && read_result(p[0], &in);
	close(p[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!got || in.r < BPH_SEND_OK || in.r > BPH_SEND_REJECTED) {
		snprintf(err, errlen,
			 "webhook: the delivery process %s without a result",
			 pid < 0 ? "could not start" : "ended");
		return BPH_SEND_RETRY;
	}
	take_message(&in, err, errlen);
	*retry_after_ms = in.retry_after_ms > 60000 ? 60000 : in.retry_after_ms;
	return (enum bph_send_result)in.r;
}

static enum bph_send_result send_once(const struct bph_notify_cfg *ch,
				      const struct bph_delivery *d,
				      const struct bph_confine *cf,
				      uint64_t *retry_after_ms, char *err,
				      size_t errlen)
{
	return cf ? send_confined(ch, d, cf, retry_after_ms, err, errlen)
		  : send_here(ch, d, NULL, retry_after_ms, err, errlen);
}

const struct bph_channel bph_channel_webhook = {
    .name = "webhook",
    .prepare = prepare,
    .send = send_once,
};
