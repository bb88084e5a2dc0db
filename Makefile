# SPDX-License-Identifier: MIT
# Makefile - builds libshmseg, its tests and the demo; plain GNU make
#
#   make                 library (shared and static) and pkg-config file
#   make check           make lint, every test, then again under ASan and
#                        UBSan, and under valgrind, and the fuzz targets
#                        over their corpus; compiler warnings are errors
#   make fuzz            each fuzz target for FUZZ_SECONDS (60)
#   make lint            cppcheck and clang-tidy over lib/ and tools/
#   make demo            producer and reader, two unrelated processes
#   make install         PREFIX=/usr/local DESTDIR=
#   V=1                  show the commands

VERSION    := 1.5.0
SOVERSION  := 1
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

B          ?= build
CC         ?= cc
OPT        ?= -O2 -g
WARN       := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
	      -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef
CFLAGS     ?= $(OPT)
ALL_CFLAGS := -std=c11 $(WARN) $(WERROR) $(CFLAGS) $(SAN)
ALL_CPPFLAGS := -D_POSIX_C_SOURCE=200809L -Iinclude -MMD -MP $(CPPFLAGS)
LIB_CFLAGS := -fPIC -fvisibility=hidden -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

UNAME := $(shell uname -s)
ifeq ($(UNAME),Linux)
OS_SRC := lib/os_linux.c
else
OS_SRC := lib/os_posix.c
endif

# By layer, as lib/internal.h draws them: the pure modules first.
PURE_SRCS := lib/name.c lib/dtype.c lib/pylit.c lib/descr.c lib/layout.c \
	     lib/npy.c lib/header.c
LIB_SRCS := $(PURE_SRCS) lib/io.c $(OS_SRC) lib/copy.c lib/error.c lib/fields.c \
	    lib/segment.c lib/list.c lib/import.c lib/export.c lib/wait.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
SONAME   := libshmseg.so.$(SOVERSION)
SHLIB    := $(B)/libshmseg.so.$(VERSION)
STLIB    := $(B)/libshmseg.a
LIBS     := -luuid -pthread

# ---- the Python package (bindings/python) -------------------------------

# Built into $(B)/python/shmseg, importable with PYTHONPATH=$(B)/python; the
# extension is linked with the static library, so it needs nothing else at
# run time but NumPy. Built by make when the Python headers are installed
# (Debian: python3-dev); make check installs them.
PYTHON     ?= $(shell command -v /usr/bin/python3 || command -v python3)
# (Nothing is asked of a Python that is not there: a fresh machine has none
# until make demo or make check installs it.)
PY_INC     := $(if $(PYTHON),$(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])" 2>/dev/null))
PY_EXT     := $(if $(PYTHON),$(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))" 2>/dev/null))
PY_VER     := $(if $(PYTHON),$(shell $(PYTHON) -c "import sys; print('%d.%d' % sys.version_info[:2])" 2>/dev/null))
PY_SRCS    := $(wildcard bindings/python/shmseg/*.py bindings/python/shmseg/*.pyi) \
	      bindings/python/shmseg/py.typed
PY_PKG     := $(PY_SRCS:bindings/python/%=$(B)/python/%) \
	      $(B)/python/shmseg/_ext$(PY_EXT)
# Where make install puts the package: on Debian, a directory that Python
# searches for PREFIX=/usr/local (/usr/local/lib/python3.11/dist-packages),
# whatever LIBDIR is (a multiarch one is not searched).
PYTHONDIR  ?= $(PREFIX)/lib/python$(PY_VER)/dist-packages
# Part of make (all) where the Python headers are installed.
PY_ALL     := $(if $(wildcard $(PY_INC)/Python.h),python)

all: $(SHLIB) $(B)/libshmseg.so $(STLIB) $(B)/shmseg.pc $(B)/shmctl \
     $(PY_ALL)

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

# -z nodelete: dlclose() never unloads the library, since a wait leaves a
# thread of its own running for a moment after it returns (lib/wait.c).
$(SHLIB): $(LIB_OBJS) lib/shmseg.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(ALL_CFLAGS) $(LDFLAGS) -Wl,-soname,$(SONAME) \
		-Wl,--version-script,lib/shmseg.map -Wl,-z,defs \
		-Wl,-z,nodelete -o $@ $(LIB_OBJS) $(LIBS)

$(B)/libshmseg.so: $(SHLIB)
	$(Q)ln -sf libshmseg.so.$(VERSION) $(B)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

# The static library is one object in which only the public functions are
# global: linked into a program, the library's internal names (hdr_decode,
# os_list, ...) can collide with none of the program's. Where there is no
# GNU objcopy to make them local, the objects go in as they are.
OBJCOPY ?= objcopy
$(B)/libshmseg.o: $(LIB_OBJS)
	@$(if $(Q),echo "  LD -r   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -r -nostdlib -o $@.all $(LIB_OBJS)
	$(Q)if command -v $(OBJCOPY) >/dev/null 2>&1; then \
		$(OBJCOPY) --localize-hidden $@.all $@ && rm -f $@.all; \
	else mv $@.all $@; fi

$(STLIB): $(B)/libshmseg.o
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $(B)/libshmseg.o

# Rebuilt whenever the install directories change.
$(B)/dirs.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(VERSION)' | cmp -s - $@ || \
		echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(VERSION)' > $@

$(B)/shmseg.pc: lib/shmseg.pc.in $(B)/dirs.stamp
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@

# ---- the tool ---------------------------------------------------------

TOOL_SRCS := tools/shmctl.c tools/common.c tools/create.c tools/show.c \
	     tools/rm.c tools/dump.c tools/wait.c
TOOL_OBJS := $(TOOL_SRCS:%.c=$(B)/%.o)

$(B)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Linked with the shared library it is installed beside.
$(B)/shmctl: $(TOOL_OBJS) $(B)/libshmseg.so
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJS) -L$(B) \
		-Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' -lshmseg

python: $(PY_PKG)

$(B)/python/shmseg/_ext$(PY_EXT): bindings/python/shmseg/_ext.c $(STLIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -I$(PY_INC) $(ALL_CFLAGS) -fPIC -shared \
		-fvisibility=hidden -Wl,--exclude-libs,ALL -o $@ $< $(STLIB) \
		$(LIBS)

$(B)/python/shmseg/%: bindings/python/shmseg/%
	@mkdir -p $(@D)
	$(Q)cp $< $@

# ---- tests -------------------------------------------------------------

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

UNIT_TESTS := check_name check_dtype check_descr check_layout check_header check_npy \
	      check_segment check_list check_import check_xproc check_race \
	      check_wait
TEST_BINS  := $(UNIT_TESTS:%=$(B)/test/%) $(B)/test/helper
TEST_UTIL  := $(B)/test/util.o

$(B)/test/%.o: test/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -Ilib $(CHECK_CFLAGS) $(ALL_CFLAGS) \
		-Wno-conversion -Wno-sign-conversion -c -o $@ $<

# The unit tests reach the library's internal functions too: linked with
# its objects, not with the static library that hides them.
$(B)/test/check_%: $(B)/test/check_%.o $(TEST_UTIL) $(LIB_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(B)/test/helper: $(B)/test/helper.o $(TEST_UTIL) $(LIB_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# The portable stand-in for os_linux.c must at least compile here.
$(B)/portable/os_posix.o: lib/os_posix.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

deps:
	@sh .ci/deps check

# make check treats every compiler warning as an error, and any finding of
# make lint as a failure.
check: deps
	$(Q)$(MAKE) --no-print-directory lint LINT_OPTIONAL=1 WERROR=-Werror
	$(Q)$(MAKE) --no-print-directory check-tests WERROR=-Werror
	$(Q)$(MAKE) --no-print-directory check-tests B=$(B)/asan WERROR=-Werror \
		SH_TESTS="test_numpy.sh test_shmctl.sh test_edges.sh test_huge.sh" \
		OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
	$(Q)$(MAKE) --no-print-directory check-valgrind
	$(Q)$(MAKE) --no-print-directory fuzz-regress
	@cat $(B)/test-counts $(B)/asan/test-counts $(B)/valgrind-counts \
		$(B)/fuzz-counts | awk \
		'{ p += $$1; f += $$2; s += $$3 } \
		 END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }'

SH_TESTS ?= test_numpy.sh test_shmctl.sh test_edges.sh test_huge.sh test_build.sh test_man.sh \
	    test_python.sh test_readme.sh

check-tests: all $(TEST_BINS) $(B)/portable/os_posix.o $(if $(findstring test_python.sh,$(SH_TESTS)),python)
	$(Q)B=$(B) SH_TESTS="$(SH_TESTS)" sh test/run.sh $(UNIT_TESTS)

# Memcheck over the same programs: it sees what the sanitizers do not, such
# as reads of uninitialised memory. Child processes of the tests are traced.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite

check-valgrind: all $(TEST_BINS)
	$(Q)B=$(B) SH_TESTS= COUNTS=$(B)/valgrind-counts WRAP="$(VALGRIND)" \
		sh test/run.sh $(UNIT_TESTS)

include test/fuzz/fuzz.mk
include test/lint.mk

# ---- benchmarks (make bench; BENCH_GIB=1 by default) ----------------------

BENCH_BINS := $(B)/bench/bench_attach $(B)/bench/bench_list \
	      $(B)/bench/bench_scan $(B)/bench/bench_readers \
	      $(B)/bench/bench_load $(B)/bench/bench_wait

$(B)/bench/%: test/bench/%.c $(STLIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(LIBS)

bench: all $(BENCH_BINS)
	$(Q)B=$(B) sh test/bench/run.sh

# ---- demo --------------------------------------------------------------

DEMO_BINS := $(B)/demo/producer $(B)/demo/reader

$(B)/demo/%: test/demo/%.c $(B)/libshmseg.so
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
		-L$(B) -Wl,-rpath,'$$ORIGIN/..' -lshmseg

demo:
	@sh .ci/deps demo
	$(Q)$(MAKE) --no-print-directory all $(DEMO_BINS)
	$(Q)sh test/demo/run.sh $(B)/demo

# ---- install -----------------------------------------------------------

# Every page goes to the directory of its section; a page that is a
# symbolic link in man/ (another name on a shared page) is installed as the
# same link, not as a copy.
MAN_PAGES := $(wildcard man/*.[135])

install: all
	install -D -m 0755 $(B)/shmctl $(DESTDIR)$(BINDIR)/shmctl
	install -D -m 0644 include/shmseg.h $(DESTDIR)$(INCLUDEDIR)/shmseg.h
	install -D -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libshmseg.so.$(VERSION)
	ln -sf libshmseg.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libshmseg.so
	install -D -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/libshmseg.a
	install -D -m 0644 $(B)/shmseg.pc $(DESTDIR)$(PKGCONFIGDIR)/shmseg.pc
	for f in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${f##*.}; \
		install -d $$d; \
		if [ -L $$f ]; then ln -sf $$(readlink $$f) $$d/$${f#man/}; \
		else install -m 0644 $$f $$d/$${f#man/}; fi; \
	done
	@# Installed for real (no DESTDIR): the dynamic linker's cache learns
	@# of the new library, as packages and libtool --finish do, so that
	@# programs built against it start without LD_LIBRARY_PATH.
	$(Q)if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null 2>&1; then \
		ldconfig || echo "make install: run ldconfig as root, or set LD_LIBRARY_PATH=$(LIBDIR)"; \
	fi
	$(if $(PY_ALL),for f in $(PY_PKG); do \
		install -D -m 0644 $$f $(DESTDIR)$(PYTHONDIR)/shmseg/$${f##*/}; \
	done; echo "Python package shmseg installed in $(PYTHONDIR)",\
	echo "Python package not installed: no Python headers (python3-dev)")

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/shmctl $(DESTDIR)$(INCLUDEDIR)/shmseg.h \
	      $(DESTDIR)$(LIBDIR)/libshmseg.so* $(DESTDIR)$(LIBDIR)/libshmseg.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/shmseg.pc
	for f in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#man/}; done
	rm -rf $(DESTDIR)$(PYTHONDIR)/shmseg

clean:
	rm -rf $(B)

.PHONY: all deps check check-tests check-valgrind bench demo install uninstall clean python FORCE
.DELETE_ON_ERROR:
.SECONDARY:

-include $(patsubst %.o,%.d,$(LIB_OBJS) $(TOOL_OBJS) $(TEST_UTIL) \
	$(UNIT_TESTS:%=$(B)/test/%.o) $(B)/test/helper.o \
	$(B)/portable/os_posix.o $(FUZZ_OBJS) \
	$(FUZZ_TARGETS:%=$(B)/fuzz/obj/test/fuzz/fuzz_%.o)) \
	$(BENCH_BINS:%=%.d) $(DEMO_BINS:%=%.d)
