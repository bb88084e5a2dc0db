/* SPDX-License-Identifier: MIT */
/* os_posix.c - portable stand-ins for os_linux.c where a platform offers
 * no directory of shared-memory objects and no nameless objects */
#include <signal.h>

#include "os.h"

void os_self_identity(uint64_t *pid_start, uint64_t *pid_ns)
{
	*pid_start = 0;		/* unknown: pid reuse cannot be detected */
	*pid_ns = 0;		/* no pid namespaces */
}

/* No lock that follows a descriptor across fork and can be tested without
 * taking it: the creator's pid is all there is to go by. */
int os_hold(int fd)
{
	(void)fd;
	return 0;
}

bool os_holder_gone(int fd, uint64_t pid)
{
	(void)fd;
	if (pid == 0 || pid > INT32_MAX)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int os_create_anon(mode_t mode)
{
	(void)mode;
	return -ENOTSUP;
}

int os_publish(int fd, const char *name)
{
	(void)fd;
	(void)name;
	return -ENOTSUP;
}

int os_take_name(const char *name, char priv[NAME_BUF])
{
	(void)name;
	(void)priv;
	return -ENOTSUP;
}

int os_give_name(const char *priv, const char *name)
{
	(void)priv;
	(void)name;
	return -ENOTSUP;
}

int os_publish_private(int fd, char priv[NAME_BUF])
{
	(void)fd;
	(void)priv;
	return -ENOTSUP;
}

int os_replace_name(const char *priv, const char *name)
{
	(void)priv;
	(void)name;
	return -ENOTSUP;
}

bool os_exists(const char *name)
{
	(void)name;
	return false;	/* creation with O_EXCL decides */
}

int os_name_identity(const char *name, dev_t *dev, ino_t *ino)
{
	(void)name;
	(void)dev;
	(void)ino;
	return -ENOTSUP;	/* no directory: the caller opens the object */
}

int os_list(os_each_fn *each, void *arg)
{
	(void)each;
	(void)arg;
	return -ENOTSUP;
}

int os_watch_open(struct os_watch **w)
{
	(void)w;
	return -ENOTSUP;	/* the caller polls */
}

int os_watch_wait(struct os_watch *w, const char *name, int64_t deadline)
{
	(void)w;
	(void)name;
	(void)deadline;
	return -ENOTSUP;
}

void os_watch_pause(struct os_watch *w)
{
	(void)w;
}

int os_watch_resume(struct os_watch *w)
{
	(void)w;
	return -ENOTSUP;
}

void os_watch_close(struct os_watch *w, bool now)
{
	(void)w;
	(void)now;
}

int os_wait_word(const uint32_t *word, uint32_t val, int64_t deadline)
{
	(void)word;
	(void)val;
	(void)deadline;
	return -ENOTSUP;
}

void os_wake_word(uint32_t *word)
{
	(void)word;	/* nobody waits on it here */
}

void os_huge(dev_t dev, struct os_huge *h)
{
	(void)dev;
	*h = (struct os_huge){ .how = OS_HUGE_NONE };
}

void os_advise_huge(void *p, size_t len)
{
	(void)p;
	(void)len;
}

int os_populate(void *p, size_t len)
{
	(void)p;
	(void)len;
	return -ENOTSUP;
}

int64_t os_huge_count(void *p, size_t len, size_t page)
{
	(void)p;
	(void)len;
	(void)page;
	return -ENOTSUP;
}
