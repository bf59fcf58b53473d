/*
 * calendar.h - validating a systemd calendar expression (systemd.time(7),
 * "Calendar Events") without systemd, so that a sweep's schedule: is
 * checked when the config is loaded. Accepted: the shorthands (minutely,
 * hourly, daily, weekly, monthly, yearly, annually, quarterly,
 * semiannually), "@UNIX-SECONDS", and "[WEEKDAYS] [DATE] [TIME] [TZ]"
 * with *, lists (a,b), ranges (a..b), repetitions (/n) and last days of
 * the month (~); TZ is UTC or a name under /usr/share/zoneinfo. The unit
 * test checks these rules against `systemd-analyze calendar`.
 */
#ifndef BPH_SWEEP_CALENDAR_H
#define BPH_SWEEP_CALENDAR_H

/* 0 when expr is valid; else BPH_ERR_FORMAT with a static reason. */
int bph_calendar_check(const char *expr, const char **why);

#endif
