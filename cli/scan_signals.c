/*
 * scan_signals.c - SIGINT and SIGTERM during a scan pipeline: blocked,
 * read through a signalfd, and a watcher thread that cancels the probes
 * after the SYN sweep. Contract in scan_signals.h; the SYN sweep reads the
 * same signals itself (scanner/synscan.h, stop_on_signal).
 */
#include "cli/scan_signals.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "scanner/engine.h"

static void stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int bph_scan_signals_block(struct bph_scan_signals *s)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	s->sfd = s->stop_fd = -1;
	s->signo = 0;
	s->running = false;
	stop_set(&set);
	if (pthread_sigmask(SIG_BLOCK, &set, &s->old_mask) != 0)
		return BPH_ERR_IO;
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0) {
		pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
		return BPH_ERR_IO;
	}
	sigaction(SIGINT, &dfl, &s->old_int);
	sigaction(SIGTERM, &dfl, &s->old_term);
	return 0;
}

static void *watch_main(void *arg)
{
	struct bph_scan_signals *s = arg;
	struct pollfd p[2] = {{.fd = s->sfd, .events = POLLIN},
			      {.fd = s->stop_fd, .events = POLLIN}};
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[1].revents)
			return NULL;
		if (p[0].revents &&
		    read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			s->signo = (int)si.ssi_signo;
			bph_engine_cancel(s->eng);
			return NULL;
		}
	}
}

int bph_scan_signals_watch(struct bph_scan_signals *s, struct bph_engine *eng)
{
	if (s->sfd < 0 || !eng)
		return 0;
	s->eng = eng;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0)
		return BPH_ERR_IO;
	if (pthread_create(&s->th, NULL, watch_main, s) != 0) {
		close(s->stop_fd);
		s->stop_fd = -1;
		return BPH_ERR_IO;
	}
	s->running = true;
	return 0;
}

void bph_scan_signals_unwatch(struct bph_scan_signals *s)
{
	uint64_t one = 1;

	if (!s->running)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		pthread_cancel(s->th); /* cannot happen on an eventfd */
	pthread_join(s->th, NULL);
	close(s->stop_fd);
	s->stop_fd = -1;
	s->running = false;
}

void bph_scan_signals_restore(struct bph_scan_signals *s)
{
	struct signalfd_siginfo si;

	bph_scan_signals_unwatch(s);
	if (s->sfd < 0)
		return;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	close(s->sfd);
	s->sfd = -1;
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
}
