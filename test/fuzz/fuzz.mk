# SPDX-License-Identifier: MIT
# fuzz.mk - libFuzzer targets (make fuzz, and their corpus regression run
# by make check); included by the Makefile

# Each target is built from its test/fuzz/fuzz_<t>.c and the library's
# pure modules alone (they make no system call; see lib/internal.h),
# compiled again by clang with the fuzzer and sanitizers in objects of
# their own; FUZZ_CC may name another clang.
FUZZ_TARGETS := header npy dtype name descr
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(WARN)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
FUZZ_OBJS    := $(PURE_SRCS:%.c=$(B)/fuzz/obj/%.o)
FUZZ_ENV      = B=$(B) FUZZ_CC=$(FUZZ_CC) FUZZ_SECONDS=$(FUZZ_SECONDS)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(ALL_CPPFLAGS) -Ilib $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BINS): $(B)/fuzz/fuzz_%: $(B)/fuzz/obj/test/fuzz/fuzz_%.o $(FUZZ_OBJS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(LDFLAGS) -o $@ $^

# New inputs go to $(B)/fuzz/corpus-<t>/, crashes to $(B)/fuzz/artifacts/.
fuzz: $(FUZZ_BINS)
	$(Q)$(FUZZ_ENV) sh test/fuzz/fuzz.sh fuzz $(FUZZ_TARGETS)

# For make check: every seed input once. Without clang it is a skip, said
# as one, and the targets count as skipped in $(B)/fuzz-counts.
fuzz-regress:
	@mkdir -p $(B)/fuzz
	$(Q)if why=$$($(FUZZ_ENV) sh test/fuzz/fuzz.sh probe); then \
		$(MAKE) $(if $(Q),-s) --no-print-directory $(FUZZ_BINS) || { \
			echo "not ok - fuzz regression: build failed"; \
			echo "0 $(words $(FUZZ_TARGETS)) 0" >$(B)/fuzz-counts; \
			exit 1; }; \
		$(FUZZ_ENV) sh test/fuzz/fuzz.sh regress $(FUZZ_TARGETS); \
	else \
		echo "SKIP: fuzz regression: $$why"; \
		echo "0 0 $(words $(FUZZ_TARGETS))" >$(B)/fuzz-counts; \
	fi

.PHONY: fuzz fuzz-regress
