# SPDX-License-Identifier: MIT
# lint.mk - make lint: the layering of lib/, static analysis of lib/,
# tools/ and the Python extension, pyflakes over the Python code; included
# by the Makefile
#
# cppcheck, then clang-tidy with the checks in .clang-tidy, over every
# source of the library and the tool, the portable os_posix.c too. Any
# finding fails; a clean run prints one line. A finding the tool gets wrong
# is suppressed where it is, with the reason beside it:
# "cppcheck-suppress ID" or "NOLINT(check)". Debian packages: cppcheck,
# clang-tidy. Without them make lint fails; make check, which sets
# LINT_OPTIONAL (and installs them first on Debian), says SKIP instead.

CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy

# Sorted: a fixed order, and os_posix.c once wherever it is the OS_SRC.
LINT_LIB   := $(sort $(LIB_SRCS) lib/os_posix.c)
LINT_TOOLS := $(sort $(TOOL_SRCS))
# The Python extension, where the Python headers are there to read.
LINT_PY    := $(if $(PY_ALL),bindings/python/shmseg/_ext.c)

# cppcheck reads none of the system headers, so it sees a platform with no
# MAP_ANONYMOUS or MADV_POPULATE_READ and checks the portable branches;
# clang-tidy, which reads them, checks the Linux ones. --library=posix
# teaches it open/close, mmap/munmap, strdup and the like, for leaks and
# bad arguments. With -D only the one configuration is checked, and the
# platform is fixed rather than the host's, so runs agree everywhere.
LINT_CPPCHECK := $(CPPCHECK) --enable=warning,style,performance,portability \
	--std=c11 --library=posix --platform=unix64 --error-exitcode=1 \
	--inline-suppr -q --suppress=missingIncludeSystem \
	-Iinclude -Ilib -D_POSIX_C_SOURCE=200809L

# As the build compiles them, with its warnings: what clang says of the
# code is a finding too (reported as clang-diagnostic-*).
LINT_TIDY_FLAGS := -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude

# clang-tidy's own chatter ("N warnings generated.") goes; findings stay.
LINT_TIDY_QUIET := grep -Ev '^[0-9]+ warnings? (generated|treated as errors?)\.?$$'

# First the layering of lib/ (test/layers.sh, over the built objects: it
# needs only nm), then the analyzers.
lint: $(LIB_OBJS) $(B)/portable/os_posix.o
	$(Q)sh test/layers.sh $(B)
	$(Q)for t in $(CPPCHECK) $(CLANG_TIDY); do \
		command -v $$t >/dev/null 2>&1 && continue; \
		if [ -n "$(LINT_OPTIONAL)" ]; then \
			echo "SKIP: lint: $$t not found (apt-get install cppcheck clang-tidy)"; \
			exit 0; \
		fi; \
		echo "lint: $$t not found (apt-get install cppcheck clang-tidy)" >&2; \
		exit 1; \
	done; \
	mkdir -p $(B)/lint; fail=0; \
	$(LINT_CPPCHECK) $(LINT_LIB) $(LINT_TOOLS) || fail=1; \
	$(CLANG_TIDY) --quiet $(LINT_LIB) -- $(LINT_TIDY_FLAGS) -Ilib \
		> $(B)/lint/tidy-lib.out 2>&1 || fail=1; \
	$(LINT_TIDY_QUIET) $(B)/lint/tidy-lib.out; \
	$(CLANG_TIDY) --quiet $(LINT_TOOLS) -- $(LINT_TIDY_FLAGS) -Itools \
		> $(B)/lint/tidy-tools.out 2>&1 || fail=1; \
	$(LINT_TIDY_QUIET) $(B)/lint/tidy-tools.out; \
	if $(PYTHON) -m pyflakes --version >/dev/null 2>&1; then \
		$(PYTHON) -m pyflakes bindings/python test/bench/*.py test/*.py || fail=1; \
	else \
		echo "lint: pyflakes not found (apt-get install python3-pyflakes): Python not checked"; \
		[ -n "$(LINT_OPTIONAL)" ] || fail=1; \
	fi; \
	if [ -n "$(LINT_PY)" ]; then \
		$(LINT_CPPCHECK) --library=python $(LINT_PY) || fail=1; \
		$(CLANG_TIDY) --quiet $(LINT_PY) -- $(LINT_TIDY_FLAGS) \
			-isystem $(PY_INC) > $(B)/lint/tidy-py.out 2>&1 || fail=1; \
		$(LINT_TIDY_QUIET) $(B)/lint/tidy-py.out; \
	fi; \
	[ $$fail -eq 0 ] || exit 1; \
	echo "lint: clean (cppcheck $$($(CPPCHECK) --version | \
		sed 's/^[^0-9]*//'), clang-tidy $$($(CLANG_TIDY) --version | \
		sed -n 's/.*LLVM version \([0-9]*\.[0-9]*\).*/\1/p'),"\
		"$(words $(LINT_LIB) $(LINT_TOOLS) $(LINT_PY)) files)"

.PHONY: lint
