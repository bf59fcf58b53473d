/*
 * progress.c - the SYN scan's rate arithmetic without clocks: the pacer's
 * schedule, --bandwidth to packets per second, the progress line.
 * Contract in progress.h; the pacing is described in docs/performance.md.
 */
#include "scanner/progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

void bph_pacer_init(struct bph_pacer *p, uint64_t rate, int64_t t0_ns,
		    int64_t max_behind_ns)
{
	p->rate = rate ? rate : 1;
	p->t0 = t0_ns;
	p->k = 0;
	p->max_behind_ns = max_behind_ns;
}

/* k * 1e9 / rate without overflow or accumulated rounding. */
static int64_t offset_ns(uint64_t k, uint64_t rate)
{
	return (int64_t)((unsigned __int128)k * 1000000000u / rate);
}

int64_t bph_pacer_due(struct bph_pacer *p, int64_t now_ns)
{
	int64_t due = p->t0 + offset_ns(p->k, p->rate);

	if (now_ns - due > p->max_behind_ns) {
		p->t0 = now_ns - offset_ns(p->k, p->rate);
		due = now_ns;
	}
	return due;
}

void bph_pacer_take(struct bph_pacer *p)
{
	p->k++;
}

int bph_bandwidth_to_pps(const char *s, unsigned frame_len, uint64_t *pps)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1, bits;

	if (!s || *s < '0' || *s > '9')
		return BPH_ERR_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return BPH_ERR_USAGE;
	if (*end == 'K' || *end == 'k')
		mult = 1000;
	else if (*end == 'M' || *end == 'm')
		mult = 1000000;
	else if (*end == 'G' || *end == 'g')
		mult = 1000000000;
	if (mult > 1)
		end++;
	if (*end || v > UINT64_MAX / mult)
		return BPH_ERR_USAGE;
	bits = (uint64_t)v * mult;
	*pps = bits / (((uint64_t)frame_len + 24) * 8);
	return *pps ? 0 : BPH_ERR_USAGE;
}

/* "1h02m", "3m05s" or "42s". */
static void fmt_duration(double s, char *buf, size_t len)
{
	unsigned long t = s < 0 ? 0 : s > 1e8 ? 99999999 : (unsigned long)s;

	if (t >= 3600)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(buf, len, "%lus", t);
}

void bph_progress_format(const struct bph_progress *p, char *buf, size_t len)
{
	double dt = (double)(p->now_ns - p->prev_ns) / 1e9;
	double rate = dt > 0 ? (double)(p->sent - p->prev_sent) / dt : 0;
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;
	double hit = p->sent ? 100.0 * (double)p->replies / (double)p->sent : 0;
	uint64_t left = p->total > p->done ? p->total - p->done : 0;
	char eta[24] = "?";

	if (pct > 100)
		pct = 100;
	if (rate > 0)
		fmt_duration((double)left / rate, eta, sizeof(eta));
	else if (left == 0)
		snprintf(eta, sizeof(eta), "0s");
	snprintf(buf, len,
		 "pass %d: %5.1f%%, %llu sent, %.0f pps, %llu replies "
		 "(%.2f%%), ETA %s",
		 p->pass, pct, (unsigned long long)p->sent, rate,
		 (unsigned long long)p->replies, hit, eta);
}
