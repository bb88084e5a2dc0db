/* SPDX-License-Identifier: MIT */
/* wait.c - shmseg_attach_wait(): wait for a name to hold a sealed segment,
 * woken by the kernel where it can tell, polling where it cannot */
#include <unistd.h>

#include "name.h"
#include "os.h"
#include "segment.h"

/*
 * Between tries of shmseg_attach(), a waiter sleeps on the event that
 * would change the answer:
 *   - no such name (-ENOENT): a name appearing in the directory of the
 *     objects (os_watch_open()), checked against the one awaited;
 *   - a segment being built (-EAGAIN): its seal, which wakes every waiter
 *     on the state word (seg_attach_at_seal(), os_wake_word()), and the
 *     attach is then finished on the object mapped for the wait.
 * The watch is paused meanwhile, at no cost, and closed only as the call
 * returns, by its own thread just after (os.h): closing it takes the
 * kernel a while, which would come after the seal or after the timeout.
 * Only where the watch took the last descriptor the process may have is it
 * closed at once, for the attach to have one.
 *
 * Events do not tell everything: a third party's seal that wakes nobody,
 * the name removed and made again while the waiter sleeps on the old
 * object's word, a watch that ended. So it also looks again after a pause
 * of 10 ms, doubled after each that passes, up to 1 s: cheap over a long
 * wait. Where the platform offers neither event, or a watch cannot be had
 * now (too many inotify instances, no descriptor left), it polls as it
 * always did: pauses from 100 us, doubled up to 10 ms.
 */
#define NET_FIRST	10000000LL	/* ns */
#define NET_MAX		1000000000LL
#define POLL_FIRST	100000LL
#define POLL_MAX	10000000LL

#define WAIT_FLAGS (SHMSEG_RDWR | SHMSEG_POPULATE | SHMSEG_INTR)

struct waiter {
	char path[NAME_BUF];	/* "/name" */
	struct os_watch *watch;	/* or NULL; paused while on the word */
	bool no_watch;		/* none to be had: poll for the name */
	bool no_word;		/* no waiting on the word: poll for the seal */
	int64_t net, poll;	/* the next pauses */
};

/* End the watch; now: its descriptor closed before this returns. */
static void unwatch(struct waiter *w, bool now)
{
	if (w->watch)
		os_watch_close(w->watch, now);
	w->watch = NULL;
}

/* Sleep until deadline: 0, or -EINTR if a signal handler ran. */
static int pause_until(int64_t deadline)
{
	struct timespec at = { .tv_sec = (time_t)(deadline / 1000000000),
			       .tv_nsec = (long)(deadline % 1000000000) };
	int ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);

	return ret == EINTR ? -EINTR : 0;
}

/* The end of the next pause, no later than deadline; the pause after it
 * twice as long, up to max. */
static int64_t next_pause(int64_t *pause, int64_t max, int64_t deadline)
{
	int64_t now = os_now(), until;

	until = deadline - now < *pause ? deadline : now + *pause;
	*pause = *pause > max / 2 ? max : *pause * 2;
	return until;
}

/* Sleep on what would change the answer of an attach that said why
 * (-ENOENT or -EAGAIN), until deadline at the latest. 0: look again; 1:
 * attached at the seal, the handle in *segp; -EINTR: a signal handler ran. */
static int wait_once(struct waiter *w, int why, int flags, int64_t deadline,
		     struct shmseg **segp)
{
	int64_t until;
	int ret;

	if (why == -EAGAIN && w->watch) {
		os_watch_pause(w->watch);
	} else if (why == -ENOENT && w->watch) {
		ret = os_watch_resume(w->watch);
		if (ret < 0) {
			unwatch(w, false);
			w->no_watch = true;
		} else if (ret > 0) {
			return 0;	/* the name may have come meanwhile */
		}
	} else if (why == -ENOENT && !w->no_watch) {
		if (os_watch_open(&w->watch) == 0)
			return 0;	/* the name may have come just before */
		w->watch = NULL;
		w->no_watch = true;
	}
	if (why == -ENOENT ? !w->watch : w->no_word)
		return pause_until(next_pause(&w->poll, POLL_MAX, deadline));
	until = next_pause(&w->net, NET_MAX, deadline);
	ret = why == -ENOENT ? os_watch_wait(w->watch, w->path, until) :
	      seg_attach_at_seal(w->path, flags, until, segp);
	if (why == -EAGAIN && ret == 1)
		return 1;
	if (ret >= 0 || ret == -ETIMEDOUT || ret == -EINTR)
		return ret == -EINTR ? ret : 0;
	/* The watch ended, or the seal cannot be waited on: poll instead. */
	if (why == -ENOENT) {
		unwatch(w, false);
		w->no_watch = true;
	} else {
		w->no_word = true;
	}
	return 0;
}

EXPORT int shmseg_attach_wait(const char *name, int flags, int timeout_ms,
			      struct shmseg **segp)
{
	struct waiter w = { .watch = NULL, .net = NET_FIRST,
			    .poll = POLL_FIRST };
	int64_t deadline = os_now() + (int64_t)timeout_ms * 1000000;
	bool intr = flags & SHMSEG_INTR;
	int ret;

	if (!segp || timeout_ms < -1 || (flags & ~WAIT_FLAGS))
		return -EINVAL;
	if (timeout_ms < 0)
		deadline = INT64_MAX;
	flags &= ~SHMSEG_INTR;
	ret = name_normalize(name, w.path);
	if (ret)
		return ret;
	for (;;) {
		ret = shmseg_attach(name, flags, segp);
		/* The watch took the last descriptor: without it. */
		if (ret == -EMFILE && w.watch) {
			unwatch(&w, true);
			w.no_watch = true;
			continue;
		}
		if (ret != -ENOENT && ret != -EAGAIN)
			break;
		if (os_now() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		ret = wait_once(&w, ret, flags, deadline, segp);
		if (ret == 1 || (ret == -EINTR && intr)) {
			ret = ret == 1 ? 0 : ret;
			break;
		}
	}
	unwatch(&w, false);
	return ret;
}
