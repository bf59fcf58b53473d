/*
 * scan_signals.c - SIGINT and SIGTERM during a scan pipeline: blocked and
 * read through a signalfd. Contract in scan_signals.h; the SYN sweep reads
 * the same signals itself (scanner/synscan.h, stop_on_signal) and the wait
 * for the probe worker polls the signalfd (cli/probe_worker.h).
 */
#include "cli/scan_signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include "fingerprints/err.h"

int bph_scan_signals_block(struct bph_scan_signals *s)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	s->sfd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
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

void bph_scan_signals_restore(struct bph_scan_signals *s)
{
	struct signalfd_siginfo si;

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
