/* SPDX-License-Identifier: MIT */
/* common.h - what the shmctl commands share: messages, option parsers,
 * formatting; linked into the tool only, not a stable interface */
#ifndef SHMCTL_COMMON_H
#define SHMCTL_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "shmseg.h"

#define EXIT_USAGE 2

/* The command running, for "shmctl: COMMAND OBJECT: message". */
extern const char *cmd_name;

/* "shmctl: COMMAND OBJECT: message" on stderr (OBJECT may be NULL). */
void warn_obj(const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with the message for a negative errno from the library. */
void warn_err(const char *obj, int err);
/* A usage error: message, a hint to --help, exit 2. */
_Noreturn void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

struct option;
/* getopt_long(), where a bad option or a missing argument (shortopts
 * starts with ':') is a usage error with our own message, and 'h' (-h,
 * --help) ends the options: -1, with *help set, whatever follows. */
int next_option(int argc, char **argv, const char *shortopts,
		const struct option *longopts, bool *help);
/* The single NAME operand after the options, or a usage error. */
const char *only_name(int argc, char **argv);

/* Parsers: 0 on success, -1 on a malformed value. */
int parse_mode(const char *s, mode_t *mode);
int parse_shape(const char *s, struct shmseg_layout *l);
int parse_seconds(const char *s, int *ms);
/* A whole number of seconds, or of the unit after it (s, m, h, d): "90",
 * "90s", "30m", "12h", "7d"; -1 past INT64_MAX seconds. */
int parse_duration(const char *s, int64_t *secs);
/* A user name, or a numeric user ID; -1 for a user that does not exist. */
int parse_owner(const char *s, uid_t *uid);
/* The same, where a user that does not exist is a usage error. */
uid_t parse_owner_or_die(const char *s);

/* No --owner given: (uid_t)-1 is nobody's ID, as chown(2) uses it. */
#define ANY_OWNER ((uid_t)-1)
/* --owner: 0 if owner is ANY_OWNER or owns st; otherwise says who does,
 * naming obj, and returns -1. */
int check_owner(const char *obj, const struct shmseg_stat *st, uid_t owner);
/* --owner for a segment attached: checked on the handle, so on the object
 * mapped, not on whatever the name holds by now. 0, or -1 after saying why
 * and detaching seg. */
int check_held_owner(const char *name, struct shmseg *seg, uid_t owner);

/* Formatting into buf. */
void fmt_size(uint64_t bytes, bool exact, char *buf, size_t len);
void fmt_time(const struct timespec *t, char *buf, size_t len);
void fmt_shape(const struct shmseg_layout *l, const char *sep, char *buf,
	       size_t len);
void fmt_user(uid_t uid, char *buf, size_t len);
void fmt_group(gid_t gid, char *buf, size_t len);
void fmt_uuid(const unsigned char uuid[16], char *buf, size_t len);
const char *state_name(enum shmseg_state state);
/* "C", "F" or "strided", as shmseg_layout_order() decides */
const char *order_name(const struct shmseg_layout *l);
/* A JSON string literal of s; bytes that are not UTF-8 become U+FFFD,
 * control characters (C1 too) \u escapes. */
void json_string(FILE *f, const char *s);
/* A name for a table: control characters (C1 too), backslashes and bytes
 * that are not UTF-8 as \ooo, byte by byte; cut before a character that
 * would not fit. 4 * SHMSEG_NAME_MAX + 1 bytes fit any name. */
void fmt_name(const char *name, char *buf, size_t len);
/* The same, written to f, for any length. */
void put_name(FILE *f, const char *name);

/* The commands. */
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_wait(int argc, char **argv);

#endif
