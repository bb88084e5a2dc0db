/* SPDX-License-Identifier: MIT */
/* shmseg.h - named, self-describing, read-only shared-memory arrays */
#ifndef SHMSEG_H
#define SHMSEG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants and flags ------------------------------------------- */

#define SHMSEG_MAX_NDIM 32
#define SHMSEG_NAME_MAX 255	/* bytes of a name, leading '/' not counted */
#define SHMSEG_DTYPE_STRLEN 16	/* buffer that fits any shmseg_dtype_format() */
#define SHMSEG_DESCR_MAX 65536	/* buffer that fits any shmseg_descr() */

/* shmseg_create() flags */
#define SHMSEG_FORTRAN   0x01	/* column-major strides instead of C order */
#define SHMSEG_SPARSE    0x02	/* do not reserve the memory up front */
#define SHMSEG_HIDDEN    0x04	/* give it its name only at shmseg_seal() */
#define SHMSEG_REPLACE   0x08	/* HIDDEN, and the seal takes the name over
				   from the sealed segment that has it */
/* shmseg_attach() flags */
#define SHMSEG_RDWR      0x10	/* writable mapping; only while building */
#define SHMSEG_POPULATE  0x20	/* prefault the whole mapping */
/* shmseg_attach_wait() flag, since 1.5 */
#define SHMSEG_INTR      0x40	/* return -EINTR when a signal handler ran */
/* shmseg_layout_order() results */
#define SHMSEG_ORDER_NONE 0	/* strided, or too large for either order */
#define SHMSEG_ORDER_C    1	/* C-contiguous (row-major) */
#define SHMSEG_ORDER_F    2	/* Fortran-contiguous (column-major) */

/* ---- public structures --------------------------------------------- */

struct shmseg;	/* opaque handle: one mapping of one segment */

struct shmseg_dtype {
	char     byteorder;	/* '<' little, '>' big, '|' not applicable */
	char     kind;		/* NumPy kind: b i u f c S U V, M m */
	uint32_t itemsize;	/* bytes per element */
};

struct shmseg_layout {
	struct shmseg_dtype dtype;
	uint32_t ndim;				/* 0 (scalar) .. SHMSEG_MAX_NDIM */
	uint64_t shape[SHMSEG_MAX_NDIM];
	int64_t  strides[SHMSEG_MAX_NDIM];	/* bytes; all zero on create =
						   derive from the order */
};

enum shmseg_state {
	SHMSEG_BUILDING = 1,	/* created, not sealed yet */
	SHMSEG_SEALED = 2,	/* published, read-only */
	SHMSEG_STALE = 3,	/* building, but its creator process is gone */
};

struct shmseg_stat {
	struct shmseg_layout layout;
	uint64_t nbytes;		/* bytes of array data */
	uint64_t size;			/* bytes of the whole object */
	enum shmseg_state state;
	unsigned char uuid[16];		/* identity, from libuuid at create */
	struct timespec created;	/* CLOCK_REALTIME at create */
	pid_t    creator_pid;
	uid_t    uid;			/* owner of the shared-memory object */
	gid_t    gid;
	mode_t   mode;			/* permission bits of the object */
};

/* ---- lifecycle ------------------------------------------------------ */

/* Create NAME (O_EXCL) in state building and map it read-write.
 * Returns 0 and a handle in *segp; free it with shmseg_detach(). */
int shmseg_create(const char *name, const struct shmseg_layout *layout,
		  int flags, mode_t mode, struct shmseg **segp);

/* Publish a building segment: sealed state, read-only view, write
 * permission bits removed. Returns 0. */
int shmseg_seal(struct shmseg *seg);

/* Map a sealed segment read-only (or, with SHMSEG_RDWR, a building one
 * read-write). Returns 0 and a handle in *segp. */
int shmseg_attach(const char *name, int flags, struct shmseg **segp);

/* As shmseg_attach(), but wait up to timeout_ms (-1: forever) for NAME
 * to exist and be sealed, woken by the name's appearing and by the seal.
 * Returns 0 or -ETIMEDOUT (-EINTR with SHMSEG_INTR). */
int shmseg_attach_wait(const char *name, int flags, int timeout_ms,
		       struct shmseg **segp);

/* Unmap and free a handle; NULL is a no-op. Returns 0. */
int shmseg_detach(struct shmseg *seg);

/* Remove NAME; existing mappings stay valid until detached. Returns 0. */
int shmseg_unlink(const char *name);

/* Remove NAME only if it is still the segment judged describes (same
 * uuid; if judged stale, still stale): checked after the name is taken
 * away in one step, so that a segment made meanwhile under the name is
 * never removed. Returns 0, or -ECANCELED and the name left alone. */
int shmseg_unlink_if(const char *name, const struct shmseg_stat *judged);

/* As shmseg_create(), for any dtype NumPy saves without pickling: descr
 * is NumPy's description of it, as in a .npy header ("[('t', '<M8[ns]'),
 * ('x', '<f8')]", "'<M8[ns]'") or a bare dtype string ("<M8[ns]"); the
 * dtype of layout is ignored (NULL descr: layout's dtype, as
 * shmseg_create()). Returns 0 and a handle in *segp. */
int shmseg_create_descr(const char *name, const char *descr,
			const struct shmseg_layout *layout, int flags,
			mode_t mode, struct shmseg **segp);

/* ---- access --------------------------------------------------------- */

/* First byte of the array data; valid until shmseg_detach(). */
void *shmseg_data(const struct shmseg *seg);
/* Layout of the array, strides filled in; owned by the handle. */
const struct shmseg_layout *shmseg_layout(const struct shmseg *seg);
/* Bytes of array data. */
uint64_t shmseg_nbytes(const struct shmseg *seg);
/* Whether NAME, the segment's name, still refers to the object seg maps:
 * 1, or 0 once it was removed or now holds another object (or, for a
 * segment made with SHMSEG_HIDDEN, before its seal). Cheap: one stat of
 * the name. Returns 1, 0 or a negative errno. */
int shmseg_is_current(const struct shmseg *seg);
/* Whether the strides of layout are C- or Fortran-contiguous, by the rule
 * of shmseg(5). Returns SHMSEG_ORDER_C, _F or _NONE, or -EINVAL. */
int shmseg_layout_order(const struct shmseg_layout *layout);

/* The dtype of seg as NumPy describes it, in canonical form ("'<f8'",
 * "[('t', '<M8[ns]'), ('x', '<f8', (3,))]"), into buf. Returns its length
 * (with buf NULL and len 0, only that), or -ERANGE if len is too small. */
int shmseg_descr(const struct shmseg *seg, char *buf, size_t len);
/* As shmseg_descr() for NAME, without mapping it, and unless st is NULL
 * what shmseg_stat() says of the same object. */
int shmseg_stat_descr(const char *name, struct shmseg_stat *st, char *buf,
		      size_t len);

/* Describe NAME without mapping it. Returns 0. */
int shmseg_stat(const char *name, struct shmseg_stat *st);
/* Describe the segment behind a handle. Returns 0. */
int shmseg_fstat(const struct shmseg *seg, struct shmseg_stat *st);

/* ---- enumeration ---------------------------------------------------- */

/* Called once per segment; a non-zero return stops shmseg_list(). */
typedef int shmseg_list_fn(const char *name, const struct shmseg_stat *st,
			   void *arg);
/* Call fn for every readable segment. Returns 0, fn's non-zero value,
 * or a negative errno. */
int shmseg_list(shmseg_list_fn *fn, void *arg);
/* shmseg_list_flags() flags */
#define SHMSEG_LIST_ALL  0x1	/* also other objects, with st NULL */
/* As shmseg_list(), with flags. */
int shmseg_list_flags(int flags, shmseg_list_fn *fn, void *arg);

/* ---- pages ---------------------------------------------------------- */

/* How shmseg_pages() knows the size of the pages behind a segment. */
enum shmseg_pages_basis {
	SHMSEG_PAGES_UNKNOWN = 0,	/* no huge pages here, or no telling */
	SHMSEG_PAGES_POLICY = 1,	/* the file system's huge page policy */
	SHMSEG_PAGES_MEASURED = 2,	/* counted in a mapping, just now */
};
/* Which pages back a segment's memory (shmseg_pages(3)). */
struct shmseg_pages {
	uint64_t page_size;		/* bytes per page behind most of it */
	uint64_t huge_bytes;		/* bytes in huge pages, if measured */
	uint64_t huge_page_size;	/* bytes of a huge page; 0: none */
	enum shmseg_pages_basis basis;
	char     policy[32];		/* the setting, "huge=advise"; or "" */
	uint64_t reserved[4];		/* 0; room to grow */
};
/* shmseg_pages() flags */
#define SHMSEG_PAGES_MEASURE 0x1	/* count the huge pages behind it */
/* Which pages back NAME's memory now, or will once it is written, and how
 * that is known; and, unless st is NULL, what shmseg_stat() says of the
 * same object. Returns 0. */
int shmseg_pages(const char *name, int flags, struct shmseg_stat *st,
		 struct shmseg_pages *pages);

/* ---- NumPy .npy files ------------------------------------------------ */

/* Create NAME from the .npy file (versions 1.0 to 3.0) read from fd, fill
 * it straight from fd and seal it; on failure nothing is left. Returns 0,
 * and the sealed handle in *segp unless segp is NULL. */
int shmseg_npy_import(const char *name, int fd, mode_t mode,
		      struct shmseg **segp);
/* As shmseg_npy_import(); when the input is at fault (it cannot be read,
 * its header is malformed or asks for what a segment cannot carry, it
 * ends early), also says how in why[0..len): "dtype '<f3': ...";
 * otherwise, the segment at fault or no error, why is "". */
int shmseg_npy_import_why(const char *name, int fd, mode_t mode,
			  struct shmseg **segp, char *why, size_t len);
/* As shmseg_npy_import_why(), with flags: SHMSEG_REPLACE, or 0. */
int shmseg_npy_import_flags(const char *name, int fd, int flags, mode_t mode,
			    struct shmseg **segp, char *why, size_t len);
/* Create NAME from raw bytes read from fd: the elements of layout (its
 * strides zero) one after another, in C order or with SHMSEG_FORTRAN in
 * Fortran order, and nothing more; fill, seal, and say what is wrong with
 * the input in why as shmseg_npy_import_why() does. Returns 0, and the
 * sealed handle in *segp unless segp is NULL. */
int shmseg_raw_import(const char *name, const struct shmseg_layout *layout,
		      int flags, int fd, mode_t mode, struct shmseg **segp,
		      char *why, size_t len);
/* Create NAME from memory: data holds the elements of layout (its strides
 * zero) one after another, in C order or with SHMSEG_FORTRAN in Fortran
 * order (NULL only for an array of no bytes); written in through the
 * object's descriptor, then sealed; on failure nothing is left. Returns 0,
 * and the sealed handle in *segp unless segp is NULL. */
int shmseg_mem_import(const char *name, const struct shmseg_layout *layout,
		      int flags, const void *data, mode_t mode,
		      struct shmseg **segp);
/* shmseg_raw_import() and shmseg_mem_import() with a dtype description,
 * as shmseg_create_descr() takes it (NULL: layout's dtype). */
int shmseg_raw_import_descr(const char *name, const char *descr,
			    const struct shmseg_layout *layout, int flags,
			    int fd, mode_t mode, struct shmseg **segp,
			    char *why, size_t len);
int shmseg_mem_import_descr(const char *name, const char *descr,
			    const struct shmseg_layout *layout, int flags,
			    const void *data, mode_t mode,
			    struct shmseg **segp);
/* Write the array of seg to fd as a .npy file. Returns 0. */
int shmseg_npy_export(const struct shmseg *seg, int fd);

/* ---- dtypes and errors ---------------------------------------------- */

/* One node of a dtype's description (shmseg_fields(3)): the element
 * itself first, then each field of a record, depth first. */
struct shmseg_field {
	const char *name;	/* UTF-8, NUL after; "" for the element */
	size_t   name_len;	/* bytes (a name may hold a NUL) */
	const char *title;	/* NULL if none */
	size_t   title_len;
	int32_t  parent;	/* index of its record; -1 for the element */
	uint32_t nfields;	/* a record: how many fields it has */
	uint64_t offset;	/* bytes from the start of the element */
	struct shmseg_dtype dtype;	/* one item: V and its size for a
					   record or raw bytes */
	int      record;	/* 1 if it is a record (has fields) */
	char     unit[24];	/* M and m: "ns", "25s"; "" generic */
	uint32_t ndim;		/* a subarray: its dimensions; 0 if none */
	uint64_t shape[SHMSEG_MAX_NDIM];
	uint64_t reserved[4];	/* 0; room to grow */
};

/* Parse a NumPy typestr ("<f8") or name ("float64"). Returns 0. */
int shmseg_dtype_parse(const char *str, struct shmseg_dtype *dt);
/* Write the canonical typestr of dt into buf. Returns its length. */
int shmseg_dtype_format(const struct shmseg_dtype *dt, char *buf, size_t len);

/* Whether descr is a dtype description a segment can carry (as
 * shmseg_create_descr() takes it): 0, or -EINVAL (malformed) or -ENOTSUP
 * with the reason in why[0..len) ("dtype '|O': object arrays hold
 * pointers, not data"). */
int shmseg_descr_check(const char *descr, char *why, size_t len);
/* The nodes of a dtype description: the element, then each field, depth
 * first, in one block (*fieldsp) to free(). Returns how many. */
int shmseg_fields(const char *descr, struct shmseg_field **fieldsp);

/* Message for a negative errno returned by this library; never NULL,
 * static storage. */
const char *shmseg_strerror(int err);

/* ---- version -------------------------------------------------------- */

#define SHMSEG_VERSION_MAJOR 1
#define SHMSEG_VERSION_MINOR 5
#define SHMSEG_VERSION_PATCH 0
#define SHMSEG_VERSION "1.5.0"

#ifdef __cplusplus
}
#endif

#endif /* SHMSEG_H */
