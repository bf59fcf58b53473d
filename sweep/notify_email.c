/*
 * notify_email.c - the email channel: a plain-text digest piped to the
 * configured sendmail as `sendmail -t -oi` (contract in sweep/notify.h).
 * Header values come only from the config (addresses and prefix checked
 * when it was loaded) and from counts; every header value is stripped of
 * control characters once more before it is written, so no CR or LF from
 * anywhere can start a header. Network strings appear only in the body,
 * escaped by bph_event_line() and cut to keep lines short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "sweep/notify.h"
#include "sweep/spawn.h"

/* Body lines stay under SMTP's 998-octet limit. */
#define BODY_LINE_MAX 900

/* Writes "Name: value" with every control character dropped. */
static void header(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s: ", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p >= 0x20 && *p != 0x7f)
			fputc(*p, f);
	fputs("\n", f);
}

static void subject(FILE *f, const struct bph_notify_cfg *ch,
		    const struct bph_event_set *s,
		    const struct bph_event *const *sel, size_t n, size_t more)
{
	char buf[512];
	enum bph_severity top = BPH_SEV_INFO;

	for (size_t i = 0; i < n; i++)
		if (sel[i]->severity > top)
			top = sel[i]->severity;
	snprintf(buf, sizeof(buf), "%s sweep %s run %lld: %zu event%s%s%s",
		 ch->subject_prefix ? ch->subject_prefix : "[bphound]",
		 s->sweep, (long long)s->run_to, n + more,
		 n + more == 1 ? "" : "s", n ? ", highest " : "",
		 n ? bph_severity_name(top) : "");
	header(f, "Subject", buf);
}

static void headers(FILE *f, const struct bph_notify_cfg *ch,
		    const struct bph_event_set *s, const struct bph_delivery *d,
		    const struct bph_event *const *sel, size_t n, size_t more)
{
	char buf[256];
	struct tm tm;
	time_t t = s->observed_at;

	header(f, "From", ch->from);
	for (size_t i = 0; i < ch->to.n; i++)
		header(f, "To", ch->to.v[i]);
	subject(f, ch, s, sel, n, more);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	header(f, "Date", buf);
	snprintf(buf, sizeof(buf), "<%s.%lld@bphound.invalid>", d->id,
		 (long long)s->run_to);
	header(f, "Message-ID", buf);
	header(f, "Auto-Submitted", "auto-generated");
	header(f, "X-Bphound-Delivery", d->id);
	header(f, "MIME-Version", "1.0");
	header(f, "Content-Type", "text/plain; charset=utf-8");
	header(f, "Content-Transfer-Encoding", "8bit");
}

static void body(FILE *f, const struct bph_event_set *s,
		 const struct bph_event *const *sel, size_t n, size_t more,
		 const char *hostname)
{
	char when[32];

	bph_time_rfc3339(s->observed_at, when);
	fprintf(f, "\nbphound sweep %s, run %lld", s->sweep,
		(long long)s->run_to);
	if (s->run_from)
		fprintf(f, " compared with run %lld", (long long)s->run_from);
	fprintf(f, ", observed %s on ", when);
	for (const unsigned char *p = (const unsigned char *)hostname; *p; p++)
		fputc(*p >= 0x21 && *p < 0x7f ? *p : '?', f);
	fprintf(f, ".\n\n");
	for (size_t i = 0; i < n; i++) {
		char *l = bph_event_line(s, sel[i]);
		if (l && strlen(l) > BODY_LINE_MAX)
			strcpy(l + BODY_LINE_MAX - 3, "...");
		fprintf(f, "%s\n", l ? l : "(out of memory)");
		free(l);
	}
	if (more)
		fprintf(f, "+%zu more\n", more);
	if (!n && !more)
		fprintf(f, "No changes.\n");
	fprintf(f,
		"\nEvery event, as JSON Lines:\n"
		"  bphound diff --sweep %s --to %lld --format jsonl\n",
		s->sweep, (long long)s->run_to);
}

static int prepare(const struct bph_notify_cfg *ch,
		   const struct bph_event_set *s,
		   const struct bph_event *const *sel, size_t n, size_t more,
		   const char *hostname, struct bph_delivery *d)
{
	FILE *f = open_memstream(&d->payload, &d->len);

	if (!f)
		return BPH_ERR_NOMEM;
	headers(f, ch, s, d, sel, n, more);
	body(f, s, sel, n, more, hostname);
	if (fclose(f)) {
		free(d->payload);
		d->payload = NULL;
		return BPH_ERR_NOMEM;
	}
	return 0;
}

static enum bph_send_result send_once(const struct bph_notify_cfg *ch,
				      const struct bph_delivery *d,
				      const struct bph_confine *cf,
				      uint64_t *retry_after_ms, char *err,
				      size_t errlen)
{
	(void)cf; /* reads nothing back from the network */
	char *argv[] = {ch->sendmail ? ch->sendmail : "/usr/sbin/sendmail",
			"-t", "-oi", NULL};
	int rc = bph_spawn_input(argv, NULL, d->payload, d->len, ch->timeout_ms,
				 err, errlen);

	*retry_after_ms = 0;
	if (rc > 0)
		snprintf(err, errlen, "sendmail %s exited with status %d",
			 argv[0], rc);
	return rc == 0 ? BPH_SEND_OK : BPH_SEND_RETRY;
}

const struct bph_channel bph_channel_email = {
    .name = "email",
    .prepare = prepare,
    .send = send_once,
};
