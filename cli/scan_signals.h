/*
 * scan_signals.h - SIGINT and SIGTERM during a scan pipeline
 * (cli/scan_run.c): blocked in every thread of the run and read through a
 * signalfd, so that a stop at any stage (the SYN sweep, the probes after
 * it) ends the run with the resume hint instead of killing it.
 */
#ifndef BPH_CLI_SCAN_SIGNALS_H
#define BPH_CLI_SCAN_SIGNALS_H

#include <signal.h>

struct bph_scan_signals {
	sigset_t old_mask;
	struct sigaction old_int, old_term;
	int sfd; /* signalfd of SIGINT and SIGTERM, -1: not blocked */
};

/*
 * Blocks SIGINT and SIGTERM in the calling thread (threads it starts
 * afterwards inherit that) with their disposition set to the default
 * meanwhile: one ignored at start (a background job of a script) would
 * never reach the signalfd, so Ctrl-C could not stop the run. Call before
 * any thread of the run starts. The SYN sweep and the wait for the probe
 * worker read s->sfd. Returns 0 or BPH_ERR_IO.
 */
int bph_scan_signals_block(struct bph_scan_signals *s);

/*
 * Discards a signal still pending (it came when the run's results were
 * being written: the run is complete) and restores the mask and
 * dispositions of bph_scan_signals_block; a no-op when nothing is blocked.
 */
void bph_scan_signals_restore(struct bph_scan_signals *s);

#endif
