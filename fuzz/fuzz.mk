# libFuzzer targets for the service's parser and encoders (see
# fuzz/README.md). Included by the top-level Makefile, or on its own from
# the project root:
#   make -f fuzz/fuzz.mk fuzz-build
#
#   make fuzz-build          build/fuzz/fuzz_query, fuzz_ppm, fuzz_png
#   make fuzz                run each for $(FUZZ_SECONDS) s (default 30, a
#                            short run) on a copy of its seed corpus; fails
#                            on any finding
#   make fuzz FUZZ_SECONDS=600   the long run, 10 minutes each
#   make -j2 fuzz            the same, two at a time
#   make fuzz-query          one of them (also fuzz-ppm, fuzz-png)
#
# Needs clang and libFuzzer's runtime (Debian: clang libclang-rt-14-dev),
# libpng-dev and zlib1g-dev.

# leave the including Makefile's default goal as it is
FUZZ_GOAL := $(.DEFAULT_GOAL)

# LIB_SRCS, LIB_HDRS, LIB_INCS: the library the targets call
include mk/sources.mk

FUZZ_CC        ?= clang
FUZZ_DIR       ?= $(or $(BUILD),build)/fuzz
FUZZ_SECONDS   ?= 30
FUZZ_SAN       := address,undefined
FUZZ_CFLAGS    ?= -g -O1
FUZZ_STD       := -std=c99 -Wall -Wextra -Wpedantic -pthread $(LIB_INCS)
# -fno-sanitize-recover: UBSan's reports abort, so libFuzzer sees them
FUZZ_SANFLAGS  := -fsanitize=$(FUZZ_SAN) -fno-sanitize-recover=all \
                  -fno-omit-frame-pointer
FUZZ_CPPFLAGS  ?=
FUZZ_LIBS      := -lpng -lz -lm
FUZZ_OPTIONS   ?= -timeout=30 -rss_limit_mb=2048
FUZZ_TARGETS   := query ppm png
FUZZ_PKGS      := clang libclang-rt-14-dev libpng-dev zlib1g-dev make

# the whole library, instrumented too
FUZZ_OBJS      := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS      := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz-build fuzz fuzz-deps $(FUZZ_TARGETS:%=fuzz-%)
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS) ## the fuzzers, built but not run

fuzz-deps: ## install what fuzz needs (clang, libFuzzer)
	@scripts/need $(FUZZ_PKGS)

$(FUZZ_DIR)/obj/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_STD) $(FUZZ_CPPFLAGS) \
	    -fsanitize=fuzzer-no-link $(FUZZ_SANFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_image.h $(FUZZ_OBJS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_STD) $(FUZZ_CPPFLAGS) \
	    -fsanitize=fuzzer $(FUZZ_SANFLAGS) -o $@ $< $(FUZZ_OBJS) \
	    $(FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS:%=fuzz-%) ## libFuzzer, each fuzzer FUZZ_SECONDS (30); fuzz-png (-ppm, -query): one

# The corpus grows in $(FUZZ_DIR)/corpus/NAME from run to run (the seeds are
# copied in each time); findings go to $(FUZZ_DIR)/artifacts/NAME/, the
# whole log to $(FUZZ_DIR)/NAME.log.
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$*
	@cp fuzz/corpus/$*/* $(FUZZ_DIR)/corpus/$*/
	@echo "fuzz: $* for $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/$*.log)"
	@dict=; [ ! -f fuzz/$*.dict ] || dict=-dict=fuzz/$*.dict; \
	$(FUZZ_DIR)/fuzz_$* $(FUZZ_OPTIONS) $$dict \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$*/ \
	    $(FUZZ_DIR)/corpus/$* > $(FUZZ_DIR)/$*.log 2>&1; \
	status=$$?; \
	grep -E '^#[0-9]+[[:space:]]+DONE|^Done|^stat::' $(FUZZ_DIR)/$*.log | \
	    sed 's/^/fuzz: $*: /'; \
	if [ $$status != 0 ]; then \
	    tail -n 60 $(FUZZ_DIR)/$*.log; \
	    echo "fuzz: $*: FAILED (status $$status); artifacts:"; \
	    ls -l $(FUZZ_DIR)/artifacts/$*/; \
	    exit 1; \
	fi

.DEFAULT_GOAL := $(FUZZ_GOAL)
