/*
 * notify_syslog.c - the syslog channel: one message per event, as RFC
 * 5424 datagrams to a Unix socket (target "unix:PATH") or as "<N>"
 * prefixed lines on stdout, which journald turns into priorities
 * (target "stdout", the default under systemd). The payload holds the
 * messages one per line; the MSG part is the event's ASCII JSON, so no
 * byte from the network can break a line or a field (contract in
 * sweep/notify.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "sweep/notify.h"

/* syslog levels of our severities (RFC 5424 6.2.1). */
static int level(enum bph_severity s)
{
	static const int lv[BPH_SEV_COUNT] = {6, 5, 4, 3, 2};
	return (unsigned)s < BPH_SEV_COUNT ? lv[s] : 6;
}

static bool to_stdout(const struct bph_notify_cfg *ch)
{
	return !ch->target || !strcmp(ch->target, "stdout");
}

/* RFC 5424 HOSTNAME: printable ASCII without spaces, at most 255. */
static void host_field(const char *h, char out[256])
{
	size_t n = 0;

	for (; h && h[n] && n < 255; n++)
		out[n] = h[n] > 0x20 && h[n] < 0x7f ? h[n] : '-';
	out[n] = '\0';
	if (!n)
		strcpy(out, "-");
}

static void message(FILE *f, const struct bph_notify_cfg *ch,
		    const struct bph_event_set *s, enum bph_severity sev,
		    const char *msgid, const char *host, const char *msg)
{
	char when[32];

	if (to_stdout(ch)) {
		fprintf(f, "<%d>bphound sweep %s: %s\n", level(sev), s->sweep,
			msg);
		return;
	}
	bph_time_rfc3339(s->observed_at, when);
	fprintf(f, "<%d>1 %s %s bphound - %s - %s\n",
		ch->facility * 8 + level(sev), when, host, msgid, msg);
}

static int summary(FILE *f, const struct bph_notify_cfg *ch,
		   const struct bph_event_set *s, size_t n, size_t more,
		   const char *delivery, const char *host)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "schema",
			      BPH_DIGEST_SCHEMA, "delivery", delivery, "sweep",
			      s->sweep, "run", (json_int_t)s->run_to, "total",
			      (json_int_t)(n + more), "more", (json_int_t)more);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(j);
	if (!t)
		return BPH_ERR_NOMEM;
	message(f, ch, s, BPH_SEV_INFO, "digest", host, t);
	free(t);
	return 0;
}

static int prepare(const struct bph_notify_cfg *ch,
		   const struct bph_event_set *s,
		   const struct bph_event *const *sel, size_t n, size_t more,
		   const char *hostname, struct bph_delivery *d)
{
	char host[256];
	FILE *f = open_memstream(&d->payload, &d->len);
	int rc = f ? 0 : BPH_ERR_NOMEM;

	host_field(hostname, host);
	for (size_t i = 0; !rc && i < n; i++) {
		char *t = bph_event_json_line(s, sel[i]);
		if (!t)
			rc = BPH_ERR_NOMEM;
		else
			message(f, ch, s, sel[i]->severity,
				bph_event_types[sel[i]->type].name, host, t);
		free(t);
	}
	if (!rc && (more || !n))
		rc = summary(f, ch, s, n, more, d->id, host);
	if (f && fclose(f))
		rc = BPH_ERR_NOMEM;
	if (rc) {
		free(d->payload);
		d->payload = NULL;
	}
	return rc;
}

static enum bph_send_result send_unix(const char *path, const char *payload,
				      size_t len, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(a.sun_path) || fd < 0) {
		snprintf(err, errlen, "syslog %s: %s", path,
			 fd < 0 ? strerror(errno) : "path too long");
		if (fd >= 0)
			close(fd);
		return fd < 0 ? BPH_SEND_RETRY : BPH_SEND_REJECTED;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(payload + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (payload + off)) : len - off;
		if (sendto(fd, payload + off, l, 0, (struct sockaddr *)&a,
			   sizeof(a)) < 0) {
			snprintf(err, errlen, "syslog %s: %s", path,
				 strerror(errno));
			close(fd);
			return BPH_SEND_RETRY;
		}
		off += l + 1;
	}
	close(fd);
	return BPH_SEND_OK;
}

static enum bph_send_result send_once(const struct bph_notify_cfg *ch,
				      const struct bph_delivery *d,
				      const struct bph_confine *cf,
				      uint64_t *retry_after_ms, char *err,
				      size_t errlen)
{
	(void)cf; /* reads nothing back from the network */
	*retry_after_ms = 0;
	if (!to_stdout(ch))
		return send_unix(ch->target + 5, d->payload, d->len, err,
				 errlen);
	if (fwrite(d->payload, 1, d->len, stdout) != d->len || fflush(stdout)) {
		snprintf(err, errlen, "syslog: writing stdout: %s",
			 strerror(errno));
		return BPH_SEND_RETRY;
	}
	return BPH_SEND_OK;
}

const struct bph_channel bph_channel_syslog = {
    .name = "syslog",
    .prepare = prepare,
    .send = send_once,
};
