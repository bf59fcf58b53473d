/*
 * notify_exec.c - the exec channel: the configured program (no shell)
 * with the digest's events as JSON Lines on stdin and the run in its
 * environment (BPHOUND_SWEEP, BPHOUND_RUN, BPHOUND_DELIVERY,
 * BPHOUND_EVENTS); exit status 0 means delivered (contract in
 * sweep/notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/notify.h"
#include "sweep/spawn.h"

extern char **environ;

static int prepare(const struct bph_notify_cfg *ch,
		   const struct bph_event_set *s,
		   const struct bph_event *const *sel, size_t n, size_t more,
		   const char *hostname, struct bph_delivery *d)
{
	FILE *f = open_memstream(&d->payload, &d->len);
	int rc = f ? 0 : BPH_ERR_NOMEM;

	(void)ch;
	(void)hostname;
	(void)more;
	for (size_t i = 0; !rc && i < n; i++) {
		char *t = bph_event_json_line(s, sel[i]);
		if (t)
			fprintf(f, "%s\n", t);
		else
			rc = BPH_ERR_NOMEM;
		free(t);
	}
	if (f && fclose(f))
		rc = BPH_ERR_NOMEM;
	if (rc) {
		free(d->payload);
		d->payload = NULL;
	}
	return rc;
}

/* The caller's environment plus the run's four variables; a new array
 * (free it and its first four strings). */
static char **run_env(const struct bph_delivery *d)
{
	size_t n = 0;

	while (environ && environ[n])
		n++;
	char **env = calloc(n + 5, sizeof(*env));
	if (!env)
		return NULL;
	size_t lines = 0;
	for (size_t i = 0; i < d->len; i++)
		lines += d->payload[i] == '\n';
	if (asprintf(&env[0], "BPHOUND_SWEEP=%s", d->sweep) < 0 ||
	    asprintf(&env[1], "BPHOUND_RUN=%lld", (long long)d->run) < 0 ||
	    asprintf(&env[2], "BPHOUND_DELIVERY=%s", d->id) < 0 ||
	    asprintf(&env[3], "BPHOUND_EVENTS=%zu", lines) < 0) {
		for (int i = 0; i < 4; i++)
			free(env[i]);
		free(env);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		env[4 + i] = environ[i];
	return env;
}

static enum bph_send_result send_once(const struct bph_notify_cfg *ch,
				      const struct bph_delivery *d,
				      const struct bph_confine *cf,
				      uint64_t *retry_after_ms, char *err,
				      size_t errlen)
{
	(void)cf; /* reads nothing back from the network */
	char **env = run_env(d);
	int rc;

	*retry_after_ms = 0;
	if (!env) {
		snprintf(err, errlen, "exec: out of memory");
		return BPH_SEND_RETRY;
	}
	rc = bph_spawn_input(ch->argv.v, env, d->payload ? d->payload : "",
			     d->len, ch->timeout_ms, err, errlen);
	for (int i = 0; i < 4; i++)
		free(env[i]);
	free(env);
	if (rc > 0)
		snprintf(err, errlen, "exec %s exited with status %d",
			 ch->argv.v[0], rc);
	return rc == 0 ? BPH_SEND_OK : BPH_SEND_RETRY;
}

const struct bph_channel bph_channel_exec = {
    .name = "exec",
    .prepare = prepare,
    .send = send_once,
};
