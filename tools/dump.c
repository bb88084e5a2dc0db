/* SPDX-License-Identifier: MIT */
/* dump.c - shmctl dump: a segment out as a .npy file */
#define _GNU_SOURCE	/* O_PATH; realpath */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#ifndef O_PATH
#define O_PATH O_RDONLY	/* elsewhere: a directory we may read */
#endif

/* write_beside() could not put the file beside its old self: write in
 * place through the descriptor the kernel granted. */
#define IN_PLACE 1

struct config {
	const char *name;
	const char *out;	/* - for standard output */
	uid_t owner;		/* --owner, or ANY_OWNER */
	bool help;		/* -h: the usage, nothing else */
};

static void usage(void)
{
	printf("usage: shmctl dump NAME [-o FILE.npy|-] [--owner USER]\n\n"
	       "Write the array of sealed segment NAME as a .npy file, to "
	       "standard output\nby default.\n\n"
	       "  -o, --output FILE  the file to write (- for standard "
	       "output)\n"
	       "  -u, --owner USER   refuse a segment USER does not own\n"
	       "  -h, --help         this help\n");
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "owner", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->out = "-";
	cfg->owner = ANY_OWNER;
	while ((c = next_option(argc, argv, ":o:u:h", opts,
				&cfg->help)) != -1) {
		switch (c) {
		case 'o':
			cfg->out = optarg;
			break;
		case 'u':
			cfg->owner = parse_owner_or_die(optarg);
			break;
		}
	}
	if (cfg->help)
		return;
	cfg->name = only_name(argc, argv);
}

/* ---- the temporary file, and the signals that would leave it ---------- */

/* The temporary file while it exists: its directory and its name there,
 * for on_signal(). */
static int tmp_dir = -1;
static char tmp_name[NAME_MAX + 1];

#define NFATAL 3
static const int fatal[NFATAL] = { SIGHUP, SIGINT, SIGTERM };
static struct sigaction saved[NFATAL];

/* Remove the temporary file, then die of the signal as if it had not been
 * caught, so that the parent sees what ended us: SA_RESETHAND has put back
 * the default action, which the raised signal meets once this returns. */
static void on_signal(int sig)
{
	unlinkat(tmp_dir, tmp_name, 0);
	raise(sig);
}

static void fatal_set(sigset_t *set)
{
	int i;

	sigemptyset(set);
	for (i = 0; i < NFATAL; i++)
		sigaddset(set, fatal[i]);
}

/* Catch the fatal signals while the temporary file exists (on), or put
 * their old actions back. One that is ignored, as under nohup, stays so.
 * Called with them blocked, so that the file and the handler come and go
 * together. */
static void catch_signals(bool on)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = (int)SA_RESETHAND };
	int i;

	fatal_set(&sa.sa_mask);
	for (i = 0; i < NFATAL; i++) {
		if (!on)
			sigaction(fatal[i], &saved[i], NULL);
		else if (sigaction(fatal[i], NULL, &saved[i]) == 0 &&
			 saved[i].sa_handler != SIG_IGN)
			sigaction(fatal[i], &sa, NULL);
	}
}

/* A new file NAME.xxxxxx in dir, its name left in tmp_name. O_EXCL: never
 * a file that exists, nor where a link points. */
static int make_temp(int dir, const char *name)
{
	struct timespec ts;
	uint64_t v;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	for (i = 0; i < 100; i++) {
		int n, fd;

		v = v * 6364136223846793005ull + 1442695040888963407ull;
		n = snprintf(tmp_name, sizeof(tmp_name), "%s.%06x", name,
			     (unsigned)(v >> 40));
		if (n < 0 || (size_t)n >= sizeof(tmp_name))
			return -ENAMETOOLONG;
		/* 0600 until it has the group and mode it is to have:
		 * nobody else may open it on the way (see write_beside). */
		fd = openat(dir, tmp_name, O_WRONLY | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* The process's umask, which only setting it tells. */
static mode_t current_umask(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

/* ---- where the file goes ---------------------------------------------- */

/* The directory part of path into dir (len bytes) and its last component,
 * or NULL when there is none ("dir/") or it does not fit. */
static const char *split(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(dir, len, ".");
		return path;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (slash[1] == '\0' || n >= len)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Give the complete temporary file the name. A new file takes it only if
 * it is still free; an old one is replaced only if the name still holds
 * it: neither follows a link that appeared meanwhile. */
static int put_in_place(int dir, const char *name, const struct stat *old)
{
	struct stat sb;

	if (!old) {
		if (linkat(dir, tmp_name, dir, name, 0) == 0)
			return unlinkat(dir, tmp_name, 0) < 0 ? -errno : 0;
		/* A file system without hard links: rename, which does not
		 * follow a link either, but would replace one */
		if (errno != EPERM && errno != EOPNOTSUPP)
			return -errno;
	} else if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		   !same_file(&sb, old)) {
		return -EEXIST;
	}
	return renameat(dir, tmp_name, dir, name) < 0 ? -errno : 0;
}

/* Write the segment under a temporary name in directory path, then give
 * it name: a new file (old NULL), or one replacing old, which the name
 * holds now. Returns IN_PLACE when old cannot be replaced so. */
static int write_beside(const struct shmseg *seg, const char *path,
			const char *name, const struct stat *old)
{
	struct stat sb;
	sigset_t mask, set;
	int dir, fd, err;

	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return old ? IN_PLACE : -errno;
	if (old && (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !same_file(&sb, old))) {
		close(dir);
		return IN_PLACE;
	}
	fatal_set(&set);
	sigprocmask(SIG_BLOCK, &set, &mask);
	fd = make_temp(dir, name);
	if (fd >= 0) {
		tmp_dir = dir;
		catch_signals(true);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (fd < 0) {
		close(dir);
		return old && (fd == -EACCES || fd == -EPERM) ? IN_PLACE : fd;
	}
	/* The group and permissions of the file it replaces, as "> path"
	 * keeps them, set before any byte is written; a new one has 0666
	 * less the umask and the caller's group, as the shell gives it. A
	 * group the caller cannot give (not one of its groups) would leave
	 * the file to the caller's group with the old group's bits: then the
	 * old file is written in place instead. */
	err = 0;
	if (old && old->st_gid != getegid() &&
	    fchown(fd, (uid_t)-1, old->st_gid) < 0)
		err = (old->st_mode & 070) ? IN_PLACE : 0;
	if (!err)
		err = fchmod(fd, old ? old->st_mode & 0777 :
				     0666 & ~current_umask()) < 0 ? -errno : 0;
	if (!err)
		err = shmseg_npy_export(seg, fd);
	if (close(fd) < 0 && !err)
		err = -errno;
	sigprocmask(SIG_BLOCK, &set, &mask);
	if (!err)
		err = put_in_place(dir, name, old);
	if (err)
		unlinkat(dir, tmp_name, 0);
	catch_signals(false);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	close(dir);
	return err;
}

/* Write the segment to path, never where the shell's "> path" would be
 * refused, and, where it can, without a half-written file ever under the
 * name. */
static int write_out(const struct shmseg *seg, const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *name;
	struct stat sb;
	int fd, err;

	if (strcmp(path, "-") == 0)
		return shmseg_npy_export(seg, 1);
	/* Nothing under the name, not even a link: a new file, named when
	 * complete: a failure, or a signal, leaves nothing. */
	if (lstat(path, &sb) < 0 && errno == ENOENT &&
	    (name = split(path, dir, sizeof(dir))) != NULL)
		return write_beside(seg, dir, name, NULL);
	/* Something is there. Whether this user may write it, the kernel
	 * decides, with the open a shell makes: permissions, and in sticky
	 * directories fs.protected_symlinks, _regular and _fifos. Deciding
	 * from lstat() and realpath() instead, and renaming over what a
	 * planted link names, is what those settings exist to prevent. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
	} else if (!S_ISREG(sb.st_mode)) {
		err = shmseg_npy_export(seg, fd);	/* a device, a pipe */
	} else if (sb.st_uid != geteuid() || !realpath(path, real) ||
		   !(name = split(real, dir, sizeof(dir)))) {
		/* Another user's file stays theirs, written in place as by
		 * the shell; so does one whose name we cannot find. */
		err = IN_PLACE;
	} else {
		/* The file the kernel let us open, replaced whole where its
		 * name is (after links), so a failure leaves it as it was. */
		err = write_beside(seg, dir, name, &sb);
	}
	if (err == IN_PLACE)
		err = ftruncate(fd, 0) < 0 ? -errno :
		      shmseg_npy_export(seg, fd);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

int cmd_dump(int argc, char **argv)
{
	struct config cfg = { 0 };
	struct shmseg *seg;
	int err;

	parse_options(argc, argv, &cfg);
	if (cfg.help) {
		usage();
		return 0;
	}
	err = shmseg_attach(cfg.name, 0, &seg);
	if (err) {
		warn_err(cfg.name, err);
		return 1;
	}
	/* before anything is opened for writing: a refusal writes nothing */
	if (check_held_owner(cfg.name, seg, cfg.owner))
		return 1;
	err = write_out(seg, cfg.out);
	if (err == -EOVERFLOW && shmseg_nbytes(seg) == 0)
		warn_obj(cfg.name, "its shape is larger than a .npy file can "
			 "describe (see shmseg_npy_export(3))");
	else if (err == -EOVERFLOW)
		warn_obj(cfg.name, "its elements overlap: written out, the "
			 "array would pass the export bound (see "
			 "shmseg_npy_export(3))");
	else if (err)
		warn_obj(cfg.name, "%s: %s", cfg.out, strerror(-err));
	shmseg_detach(seg);
	return err ? 1 : 0;
}
