/* SPDX-License-Identifier: MIT */
/* _ext.c - shmseg._ext: the C half of the Python package; it converts
 * between Python and libshmseg and does nothing else (the classes people
 * use, their docstrings and the NumPy side are in __init__.py) */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <shmseg.h>

static PyObject *not_sealed_error;	/* shmseg.NotSealedError */
static PyObject *corrupt_segment_error;	/* shmseg.CorruptSegmentError */

/* ---- errors: the one place where -errno becomes an exception ---------- */

/* Raise the OSError subclass Python gives err (FileExistsError for
 * EEXIST, ...), or ours for EAGAIN and EBADMSG, with the library's message
 * (or why, the input's, when given) and the object it is about. NULL. */
static PyObject *raise_err(int err, PyObject *obj, const char *why)
{
	const char *msg = why && *why ? why : shmseg_strerror(err);
	PyObject *type = PyExc_OSError, *exc;

	if (err == -EAGAIN)
		type = not_sealed_error;
	else if (err == -EBADMSG)
		type = corrupt_segment_error;
	exc = PyObject_CallFunction(type, "isO", -err, msg,
				    obj ? obj : Py_None);
	if (exc) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/* ---- conversions ------------------------------------------------------ */

/* A segment name for the library: the str encoded as the file system
 * encodes names (bytes that are not UTF-8 round-trip as surrogates), in
 * *bytes, which the caller releases; NULL with ValueError for a name with
 * a NUL in it, which C would cut short. */
static const char *c_name(PyObject *name, PyObject **bytes)
{
	const char *c;

	*bytes = PyUnicode_EncodeFSDefault(name);
	if (!*bytes)
		return NULL;
	c = PyBytes_AS_STRING(*bytes);
	if (strlen(c) != (size_t)PyBytes_GET_SIZE(*bytes)) {
		Py_CLEAR(*bytes);
		PyErr_SetString(PyExc_ValueError,
				"segment name contains a NUL byte");
		return NULL;
	}
	return c;
}

/* A layout from a dtype's description (NumPy's, or a type string) and a
 * shape tuple; 0, or -1 with TypeError (a dtype the format cannot carry)
 * or ValueError set. */
static int make_layout(const char *descr, PyObject *shape,
		       struct shmseg_layout *l)
{
	struct shmseg_field *f;
	Py_ssize_t i, n;
	int count;

	memset(l, 0, sizeof(*l));
	count = shmseg_fields(descr, &f);
	if (count < 0) {
		PyErr_Format(PyExc_TypeError,
			     "dtype %s cannot be held by a segment", descr);
		return -1;
	}
	l->dtype = f[0].dtype;	/* the element */
	free(f);
	n = PyTuple_Size(shape);
	if (n < 0)
		return -1;
	if (n > SHMSEG_MAX_NDIM) {
		PyErr_Format(PyExc_ValueError,
			     "%zd dimensions: a segment holds at most %d", n,
			     SHMSEG_MAX_NDIM);
		return -1;
	}
	l->ndim = (uint32_t)n;
	for (i = 0; i < n; i++) {
		unsigned long long v =
			PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(shape, i));

		if (v == (unsigned long long)-1 && PyErr_Occurred())
			return -1;
		l->shape[i] = v;
	}
	return 0;
}

/* The description of a dtype its struct shmseg_dtype does not say all of
 * (a record, a datetime): of seg, or else of name if it is still the
 * segment st describes; malloc'd, or NULL where the type string says all
 * (or, the name gone meanwhile, what it says must do). */
static char *full_descr(const struct shmseg *seg, const char *name,
			const struct shmseg_stat *st)
{
	const char kind = st->layout.dtype.kind;
	struct shmseg_stat now;
	char *d;
	int n;

	if (kind != 'V' && kind != 'M' && kind != 'm')
		return NULL;
	/* Room for any description: by name, one look at it. */
	d = malloc(SHMSEG_DESCR_MAX);
	if (!d)
		return NULL;
	if (seg)
		n = shmseg_descr(seg, d, SHMSEG_DESCR_MAX);
	else if ((n = shmseg_stat_descr(name, &now, d, SHMSEG_DESCR_MAX)) >= 0 &&
		 memcmp(now.uuid, st->uuid, sizeof(now.uuid)) != 0)
		n = -ESTALE;
	/* A plain void ('|V5') says no more than its type string. */
	if (n < 0 || (kind == 'V' && d[0] != '[')) {
		free(d);
		return NULL;
	}
	return d;
}

/* (dtype, shape, strides) of a layout: the dtype its type string, or the
 * description descr if not NULL, which the package reads as NumPy does. */
static PyObject *layout_tuple(const struct shmseg_layout *l,
			      const char *descr)
{
	char typestr[SHMSEG_DTYPE_STRLEN];
	PyObject *shape, *strides;
	uint32_t i;

	if (!descr && shmseg_dtype_format(&l->dtype, typestr,
					  sizeof(typestr)) < 0)
		return raise_err(-EINVAL, NULL, NULL);
	shape = PyTuple_New(l->ndim);
	strides = PyTuple_New(l->ndim);
	if (!shape || !strides)
		goto err;
	for (i = 0; i < l->ndim; i++) {
		PyObject *a = PyLong_FromUnsignedLongLong(l->shape[i]);
		PyObject *b = PyLong_FromLongLong(l->strides[i]);

		if (!a || !b) {
			Py_XDECREF(a);
			Py_XDECREF(b);
			goto err;
		}
		PyTuple_SET_ITEM(shape, i, a);
		PyTuple_SET_ITEM(strides, i, b);
	}
	return Py_BuildValue("(sNN)", descr ? descr : typestr, shape, strides);
err:
	Py_XDECREF(shape);
	Py_XDECREF(strides);
	return NULL;
}

/* A stat as a tuple: (state, (dtype, shape, strides), nbytes, size,
 * uuid bytes, created seconds, created nanoseconds, creator pid, uid, gid,
 * mode); the package names the fields. */
static PyObject *stat_tuple(const struct shmseg_stat *st,
			    const struct shmseg *seg, const char *name)
{
	char *descr = full_descr(seg, name, st);
	PyObject *layout = layout_tuple(&st->layout, descr);

	free(descr);
	if (!layout)
		return NULL;
	return Py_BuildValue("(iNKKy#LlnKKI)", (int)st->state, layout,
			     (unsigned long long)st->nbytes,
			     (unsigned long long)st->size,
			     (const char *)st->uuid, (Py_ssize_t)16,
			     (long long)st->created.tv_sec,
			     (long)st->created.tv_nsec,
			     (Py_ssize_t)st->creator_pid,
			     (unsigned long long)st->uid,
			     (unsigned long long)st->gid,
			     (unsigned int)st->mode);
}

/* ---- Segment: one handle, unmapped when the object is freed ----------- */

typedef struct {
	PyObject_HEAD
	struct shmseg *seg;
	PyObject *name;
	PyObject *layout;	/* (dtype, shape, strides), made once */
	PyObject *uuid;		/* 16 bytes, made once */
	PyObject *weakrefs;
	int writable;		/* a creator's handle until the seal */
} Segment;

static PyTypeObject SegmentType;

static PyObject *segment_new(struct shmseg *seg, PyObject *name,
			     int writable)
{
	Segment *s = PyObject_New(Segment, &SegmentType);
	struct shmseg_stat st;

	if (!s) {
		shmseg_detach(seg);
		return NULL;
	}
	s->seg = seg;
	Py_INCREF(name);
	s->name = name;
	s->weakrefs = NULL;
	s->writable = writable;
	/* The uuid never changes; a handle's fstat makes no system call
	 * for it, but it is asked for on every repeated attach. */
	if (shmseg_fstat(seg, &st) == 0) {
		char *descr = full_descr(seg, NULL, &st);

		s->layout = layout_tuple(shmseg_layout(seg), descr);
		free(descr);
		s->uuid = PyBytes_FromStringAndSize((const char *)st.uuid, 16);
	} else {
		s->layout = s->uuid = NULL;
	}
	if (!s->layout || !s->uuid) {
		Py_DECREF(s);
		return NULL;
	}
	return (PyObject *)s;
}

static void segment_dealloc(Segment *s)
{
	/* Only here: every NumPy view holds this object (it exports the
	 * buffer they use), so no view can outlive the mapping. */
	if (s->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)s);
	shmseg_detach(s->seg);
	Py_XDECREF(s->name);
	Py_XDECREF(s->layout);
	Py_XDECREF(s->uuid);
	PyObject_Free(s);
}

/* The data as a flat buffer: read-only but for a creator's handle before
 * the seal. */
static int segment_getbuffer(Segment *s, Py_buffer *view, int flags)
{
	return PyBuffer_FillInfo(view, (PyObject *)s, shmseg_data(s->seg),
				 (Py_ssize_t)shmseg_nbytes(s->seg),
				 !s->writable, flags);
}

static PyBufferProcs segment_as_buffer = {
	.bf_getbuffer = (getbufferproc)segment_getbuffer,
};

static PyObject *segment_address(Segment *s, void *closure)
{
	(void)closure;
	return PyLong_FromVoidPtr(shmseg_data(s->seg));
}

static PyObject *segment_nbytes(Segment *s, void *closure)
{
	(void)closure;
	return PyLong_FromUnsignedLongLong(shmseg_nbytes(s->seg));
}

static PyObject *segment_layout(Segment *s, void *closure)
{
	(void)closure;
	Py_INCREF(s->layout);
	return s->layout;
}

static PyObject *segment_uuid(Segment *s, void *closure)
{
	(void)closure;
	Py_INCREF(s->uuid);
	return s->uuid;
}

static PyObject *segment_writable(Segment *s, void *closure)
{
	(void)closure;
	return PyBool_FromLong(s->writable);
}

static PyObject *segment_name(Segment *s, void *closure)
{
	(void)closure;
	Py_INCREF(s->name);
	return s->name;
}

static PyObject *segment_stat(Segment *s, PyObject *unused)
{
	struct shmseg_stat st;
	int err = shmseg_fstat(s->seg, &st);

	(void)unused;
	return err ? raise_err(err, s->name, NULL) : stat_tuple(&st, s->seg,
								 NULL);
}

static PyObject *segment_seal(Segment *s, PyObject *unused)
{
	struct shmseg_stat st;
	int err;

	(void)unused;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_seal(s->seg);
	Py_END_ALLOW_THREADS
	/* Sealed, even where giving it its name then failed: the library has
	 * made the mapping read-only, and buffers from now on say so. */
	if (!err || (shmseg_fstat(s->seg, &st) == 0 &&
		     st.state == SHMSEG_SEALED))
		s->writable = 0;
	if (err)
		return raise_err(err, s->name, NULL);
	Py_RETURN_NONE;
}

/* Whether the name still holds this very segment, sealed: the check of a
 * repeated attach, which then reuses the mapping; no Python object made
 * but the answer. */
static PyObject *segment_current(Segment *s, PyObject *unused)
{
	(void)unused;
	/* A handle only this package's attach made, or its own create after
	 * the seal: the object under the name, if current, is sealed. */
	return PyBool_FromLong(shmseg_is_current(s->seg) == 1);
}

/* Remove name if it still holds this very segment, and nothing else. */
static void unlink_if_mine(struct shmseg *seg, const char *name)
{
	struct shmseg_stat st;

	if (shmseg_fstat(seg, &st) == 0)
		(void)shmseg_unlink_if(name, &st);
}

/* After a failed build: nothing is left. */
static PyObject *segment_discard(Segment *s, PyObject *unused)
{
	PyObject *b;
	const char *name = c_name(s->name, &b);

	(void)unused;
	if (!name)
		return NULL;
	unlink_if_mine(s->seg, name);
	Py_DECREF(b);
	Py_RETURN_NONE;
}

/* export(file, path): write the array to file as a .npy file; its write
 * errors are the output's, named by path, in the C library's words (the
 * library's own texts are about segments). */
static PyObject *segment_export(Segment *s, PyObject *args)
{
	PyObject *file, *path;
	int fd, err;

	if (!PyArg_ParseTuple(args, "OO", &file, &path))
		return NULL;
	fd = PyObject_AsFileDescriptor(file);
	if (fd < 0)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_npy_export(s->seg, fd);
	Py_END_ALLOW_THREADS
	if (err == -EOVERFLOW || err == -EINVAL)
		return raise_err(err, s->name, NULL);
	if (err)
		return raise_err(err, path, strerror(-err));
	Py_RETURN_NONE;
}

static PyGetSetDef segment_getset[] = {
	{ "address", (getter)segment_address, NULL,
	  "Address of the first byte of the array data.", NULL },
	{ "nbytes", (getter)segment_nbytes, NULL, "Bytes of array data.",
	  NULL },
	{ "layout", (getter)segment_layout, NULL,
	  "(dtype, shape, strides) of the array: dtype a type string, or "
	  "NumPy's description of it.", NULL },
	{ "name", (getter)segment_name, NULL, "The segment's name.", NULL },
	{ "uuid", (getter)segment_uuid, NULL, "The segment's uuid, 16 bytes.",
	  NULL },
	{ "writable", (getter)segment_writable, NULL,
	  "Whether buffers of it are writable (a creator's, before the seal).",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef segment_methods[] = {
	{ "stat", (PyCFunction)segment_stat, METH_NOARGS,
	  "The segment's stat, as a tuple." },
	{ "seal", (PyCFunction)segment_seal, METH_NOARGS,
	  "Seal a segment being built: it gets its name, read-only." },
	{ "current", (PyCFunction)segment_current, METH_NOARGS,
	  "Whether the name still holds this segment, sealed." },
	{ "discard", (PyCFunction)segment_discard, METH_NOARGS,
	  "Remove the name if it holds this segment." },
	{ "export", (PyCFunction)segment_export, METH_VARARGS,
	  "export(file, path): write the array to file as a .npy file." },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject SegmentType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "shmseg._ext.Segment",
	.tp_basicsize = sizeof(Segment),
	.tp_dealloc = (destructor)segment_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "One mapping of one segment; unmapped when freed.",
	.tp_getset = segment_getset,
	.tp_methods = segment_methods,
	.tp_as_buffer = &segment_as_buffer,
	.tp_weaklistoffset = offsetof(Segment, weakrefs),
};

/* ---- module functions --------------------------------------------------- */

/* The end of each call that makes a handle: b, name's bytes, released;
 * the error raised, or seg handed to Python. */
static PyObject *handed(int err, struct shmseg *seg, PyObject *name,
			PyObject *b, int writable)
{
	Py_DECREF(b);
	if (err)
		return raise_err(err, name, NULL);
	return segment_new(seg, name, writable);
}

static PyObject *ext_create(PyObject *self, PyObject *args)
{
	struct shmseg_layout l;
	struct shmseg *seg;
	PyObject *name, *shape, *b;
	const char *descr, *cname;
	int fortran, replace = 0, err;
	unsigned int mode;

	(void)self;
	if (!PyArg_ParseTuple(args, "UsO!pI|p", &name, &descr, &PyTuple_Type,
			      &shape, &fortran, &mode, &replace))
		return NULL;
	if (make_layout(descr, shape, &l) < 0)
		return NULL;
	cname = c_name(name, &b);
	if (!cname)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_create_descr(cname, descr, &l, SHMSEG_HIDDEN |
				  (fortran ? SHMSEG_FORTRAN : 0) |
				  (replace ? SHMSEG_REPLACE : 0), (mode_t)mode,
				  &seg);
	Py_END_ALLOW_THREADS
	return handed(err, seg, name, b, 1);
}

/* mem_import(name, descr, shape, fortran, buffer, mode): a sealed segment
 * holding a copy of buffer, which must hold the array's elements one after
 * another in the order given; copied without the GIL. */
static PyObject *ext_mem_import(PyObject *self, PyObject *args)
{
	struct shmseg_layout l;
	struct shmseg *seg;
	PyObject *name, *shape, *data, *b;
	const char *descr, *cname;
	unsigned long long want;
	unsigned int mode;
	Py_buffer view;
	int fortran, replace = 0, err;
	uint32_t i;

	(void)self;
	if (!PyArg_ParseTuple(args, "UsO!pOI|p", &name, &descr, &PyTuple_Type,
			      &shape, &fortran, &data, &mode, &replace))
		return NULL;
	if (make_layout(descr, shape, &l) < 0)
		return NULL;
	want = l.dtype.itemsize;
	for (i = 0; i < l.ndim; i++)
		want = l.shape[i] && want > ULLONG_MAX / l.shape[i] ?
			ULLONG_MAX : want * l.shape[i];
	if (PyObject_GetBuffer(data, &view, PyBUF_ANY_CONTIGUOUS) < 0)
		return NULL;
	if ((unsigned long long)view.len != want) {
		PyBuffer_Release(&view);
		PyErr_Format(PyExc_ValueError, "%zd bytes for an array of %llu",
			     view.len, want);
		return NULL;
	}
	cname = c_name(name, &b);
	if (!cname) {
		PyBuffer_Release(&view);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_mem_import_descr(cname, descr, &l,
				      (fortran ? SHMSEG_FORTRAN : 0) |
				      (replace ? SHMSEG_REPLACE : 0), view.buf,
				      (mode_t)mode, &seg);
	Py_END_ALLOW_THREADS
	PyBuffer_Release(&view);
	if (!err && PyErr_CheckSignals() < 0) {
		/* Interrupted (Ctrl-C) while it was copying: the create failed,
		 * and a failure leaves nothing. */
		unlink_if_mine(seg, cname);
		shmseg_detach(seg);
		Py_DECREF(b);
		return NULL;
	}
	return handed(err, seg, name, b, 0);
}

static PyObject *ext_attach(PyObject *self, PyObject *args)
{
	struct shmseg *seg;
	PyObject *name, *b;
	const char *cname;
	int populate, timeout_ms, wait, err;

	(void)self;
	if (!PyArg_ParseTuple(args, "Upip", &name, &populate, &timeout_ms,
			      &wait))
		return NULL;
	cname = c_name(name, &b);
	if (!cname)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	if (wait)
		err = shmseg_attach_wait(cname, SHMSEG_INTR |
					 (populate ? SHMSEG_POPULATE : 0),
					 timeout_ms, &seg);
	else
		err = shmseg_attach(cname, populate ? SHMSEG_POPULATE : 0,
				    &seg);
	Py_END_ALLOW_THREADS
	if (err == -EINTR) {
		/* A signal came: its handler runs now, and may raise
		 * (KeyboardInterrupt); else the caller waits on (None). */
		Py_DECREF(b);
		if (PyErr_CheckSignals() < 0)
			return NULL;
		Py_RETURN_NONE;
	}
	return handed(err, seg, name, b, 0);
}

static PyObject *ext_stat(PyObject *self, PyObject *arg)
{
	struct shmseg_stat st;
	PyObject *b, *t;
	const char *name = c_name(arg, &b);
	int err;

	(void)self;
	if (!name)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_stat(name, &st);
	Py_END_ALLOW_THREADS
	t = err ? raise_err(err, arg, NULL) : stat_tuple(&st, NULL, name);
	Py_DECREF(b);
	return t;
}

static PyObject *ext_pages(PyObject *self, PyObject *args)
{
	struct shmseg_pages pg;
	struct shmseg_stat st;
	PyObject *arg, *b, *t;
	const char *name;
	int measure, err;

	(void)self;
	if (!PyArg_ParseTuple(args, "Op", &arg, &measure))
		return NULL;
	name = c_name(arg, &b);
	if (!name)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_pages(name, measure ? SHMSEG_PAGES_MEASURE : 0, &st, &pg);
	Py_END_ALLOW_THREADS
	t = err ? raise_err(err, arg, NULL) : stat_tuple(&st, NULL, name);
	Py_DECREF(b);
	if (!t)
		return NULL;
	return Py_BuildValue("(N(KKKis))", t, (unsigned long long)pg.page_size,
			     (unsigned long long)pg.huge_bytes,
			     (unsigned long long)pg.huge_page_size,
			     (int)pg.basis, pg.policy);
}

static PyObject *ext_unlink(PyObject *self, PyObject *arg)
{
	PyObject *b;
	const char *name = c_name(arg, &b);
	int err;

	(void)self;
	if (!name)
		return NULL;
	err = shmseg_unlink(name);
	Py_DECREF(b);
	if (err)
		return raise_err(err, arg, NULL);
	Py_RETURN_NONE;
}

/* Collects (name, stat tuple) pairs; stops at the first Python error. */
static int list_one(const char *name, const struct shmseg_stat *st,
		    void *arg)
{
	PyObject *pair = Py_BuildValue("(NN)", PyUnicode_DecodeFSDefault(name),
				       stat_tuple(st, NULL, name));

	if (!pair || PyList_Append(arg, pair) < 0) {
		Py_XDECREF(pair);
		return 1;
	}
	Py_DECREF(pair);
	return 0;
}

static PyObject *ext_list(PyObject *self, PyObject *unused)
{
	PyObject *out = PyList_New(0);
	int err;

	(void)self;
	(void)unused;
	if (!out)
		return NULL;
	/* With the GIL: the callback makes Python objects. */
	err = shmseg_list(list_one, out);
	if (err > 0 || (err < 0 && raise_err(err, NULL, NULL) == NULL)) {
		Py_DECREF(out);
		return NULL;
	}
	return out;
}

/* npy_import(name, fd, mode, path): the input's errors name path, with
 * the library's word on what is wrong with it. */
static PyObject *ext_npy_import(PyObject *self, PyObject *args)
{
	struct shmseg *seg;
	PyObject *name, *path, *b;
	const char *cname;
	unsigned int mode;
	char why[256];
	int fd, replace = 0, err;

	(void)self;
	if (!PyArg_ParseTuple(args, "UiIO|p", &name, &fd, &mode, &path,
			      &replace))
		return NULL;
	cname = c_name(name, &b);
	if (!cname)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = shmseg_npy_import_flags(cname, fd, replace ? SHMSEG_REPLACE : 0,
				      (mode_t)mode, &seg, why, sizeof(why));
	Py_END_ALLOW_THREADS
	if (err && why[0]) {
		Py_DECREF(b);
		return raise_err(err, path, why);	/* the input's fault */
	}
	return handed(err, seg, name, b, 0);
}

/* dtype_why(descr): None if a segment can hold the dtype so described,
 * else why not. */
static PyObject *ext_dtype_why(PyObject *self, PyObject *arg)
{
	const char *s = PyUnicode_AsUTF8(arg);
	char why[128];

	(void)self;
	if (!s)
		return NULL;
	if (shmseg_descr_check(s, why, sizeof(why)) == 0)
		Py_RETURN_NONE;
	return PyUnicode_FromString(why);
}

static PyMethodDef ext_methods[] = {
	{ "create", ext_create, METH_VARARGS,
	  "create(name, descr, shape, fortran, mode[, replace]): a new writable "
	  "segment, nameless until sealed." },
	{ "mem_import", ext_mem_import, METH_VARARGS,
	  "mem_import(name, descr, shape, fortran, buffer, mode[, replace]): "
	  "a sealed "
	  "segment holding a copy of a contiguous buffer." },
	{ "attach", ext_attach, METH_VARARGS,
	  "attach(name, populate, timeout_ms, wait): a sealed segment, "
	  "read-only." },
	{ "stat", ext_stat, METH_O, "stat(name): the stat tuple." },
	{ "pages", ext_pages, METH_VARARGS,
	  "pages(name, measure): (stat tuple, (page_size, huge_bytes, "
	  "huge_page_size, basis, policy))." },
	{ "unlink", ext_unlink, METH_O, "unlink(name): remove the name." },
	{ "list", ext_list, METH_NOARGS,
	  "list(): (name, stat tuple) for every readable segment." },
	{ "npy_import", ext_npy_import, METH_VARARGS,
	  "npy_import(name, fd, mode, path[, replace]): a sealed segment from "
	  "a .npy "
	  "file." },
	{ "dtype_why", ext_dtype_why, METH_O,
	  "dtype_why(descr): None if a segment can hold the dtype NumPy "
	  "describes so (a type string, or a description), else why not." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef ext_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "shmseg._ext",
	.m_doc = "The C half of shmseg: libshmseg, converted to Python.",
	.m_size = -1,
	.m_methods = ext_methods,
};

PyMODINIT_FUNC PyInit__ext(void);

PyMODINIT_FUNC PyInit__ext(void)
{
	PyObject *m;

	if (PyType_Ready(&SegmentType) < 0)
		return NULL;
	m = PyModule_Create(&ext_module);
	if (!m)
		return NULL;
	not_sealed_error = PyErr_NewExceptionWithDoc(
		"shmseg.NotSealedError",
		"The segment exists but is not sealed yet (EAGAIN).",
		PyExc_BlockingIOError, NULL);
	corrupt_segment_error = PyErr_NewExceptionWithDoc(
		"shmseg.CorruptSegmentError",
		"Not a shmseg segment, or its header is corrupt (EBADMSG).",
		PyExc_OSError, NULL);
	if (!not_sealed_error || !corrupt_segment_error ||
	    PyModule_AddObjectRef(m, "NotSealedError", not_sealed_error) < 0 ||
	    PyModule_AddObjectRef(m, "CorruptSegmentError",
				  corrupt_segment_error) < 0 ||
	    PyModule_AddObjectRef(m, "Segment",
				  (PyObject *)&SegmentType) < 0 ||
	    PyModule_AddIntConstant(m, "BUILDING", SHMSEG_BUILDING) < 0 ||
	    PyModule_AddIntConstant(m, "SEALED", SHMSEG_SEALED) < 0 ||
	    PyModule_AddIntConstant(m, "STALE", SHMSEG_STALE) < 0 ||
	    PyModule_AddIntConstant(m, "PAGES_UNKNOWN",
				    SHMSEG_PAGES_UNKNOWN) < 0 ||
	    PyModule_AddIntConstant(m, "PAGES_POLICY", SHMSEG_PAGES_POLICY) < 0 ||
	    PyModule_AddIntConstant(m, "PAGES_MEASURED",
				    SHMSEG_PAGES_MEASURED) < 0 ||
	    PyModule_AddStringConstant(m, "VERSION", SHMSEG_VERSION) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
