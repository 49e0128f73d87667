# The tracer's unit tests and the smallpt program under AddressSanitizer and
# UndefinedBehaviorSanitizer. Included by the top-level Makefile, or on its
# own: make -f fuzz/sanitize.mk sanitize
#
#   make sanitize            build into build/sanitize/, run the five unit
#                            tests and tracer/tests/cli.sh with that smallpt
#   make sanitize SANITIZE_CC=clang
#
# Any sanitizer report ends the program with an error (-fno-sanitize-recover),
# so a test that hits one fails. gcc needs nothing more than gcc (libasan8
# and libubsan1 come with it); clang needs libclang-rt-14-dev.

# leave the including Makefile's default goal as it is
SANITIZE_GOAL := $(.DEFAULT_GOAL)

SANITIZE_CC     ?= gcc
SANITIZE_DIR    ?= $(or $(BUILD),build)/sanitize
SANITIZE_CFLAGS ?= -O1 -g
SANITIZE_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
                   -fno-sanitize-recover=all
SANITIZE_STD    := -std=c99 -Wall -Wextra -Wpedantic -pthread
SANITIZE_LIBS   := -lpng -lz -lm
SANITIZE_PKGS   := gcc make libc6-dev libpng-dev zlib1g-dev
# Leaks count too; a report exits 86, which no test expects of smallpt.
# No use-after-return detection (gcc 13 and clang 15 turn it on): its fake
# stack frames are not 64-byte aligned, and gcc keeps the AVX-512 renderer's
# locals 64-byte aligned (vmovapd): a SEGV that is no bug of ours.
SANITIZE_ENV    := ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=0 \
                   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86

# the top-level Makefile's list when this is included after it, else
# tracer/*.c but main.c
SANITIZE_SRCS   := $(or $(TRACER_SRCS),$(filter-out tracer/main.c,\
                       $(wildcard tracer/*.c)))
SANITIZE_HDRS   := $(or $(TRACER_HDRS),$(wildcard tracer/*.h))
SANITIZE_OBJS   := $(SANITIZE_SRCS:tracer/%.c=$(SANITIZE_DIR)/obj/%.o)
SANITIZE_TESTS  := $(SANITIZE_DIR)/test_render $(SANITIZE_DIR)/test_trig \
                   $(SANITIZE_DIR)/test_encode $(SANITIZE_DIR)/test_request \
                   $(SANITIZE_DIR)/test_metrics

.PHONY: sanitize sanitize-build sanitize-deps
.SECONDARY: $(SANITIZE_OBJS) $(SANITIZE_DIR)/obj/main.o

sanitize-build: $(SANITIZE_TESTS) $(SANITIZE_DIR)/smallpt

sanitize-deps:
	@scripts/need $(SANITIZE_PKGS)

$(SANITIZE_DIR)/obj/%.o: tracer/%.c $(SANITIZE_HDRS)
	@mkdir -p $(@D)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_STD) $(SANITIZE_FLAGS) \
	    -c $< -o $@

$(SANITIZE_DIR)/smallpt: $(SANITIZE_DIR)/obj/main.o $(SANITIZE_OBJS)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_FLAGS) -pthread -o $@ $^ \
	    $(SANITIZE_LIBS)

$(SANITIZE_DIR)/test_%: tracer/tests/test_%.c tracer/tests/check.h \
                        tracer/tests/trig_compare.h $(SANITIZE_OBJS) \
                        $(SANITIZE_HDRS)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_STD) $(SANITIZE_FLAGS) \
	    -o $@ $< $(SANITIZE_OBJS) $(SANITIZE_LIBS)

sanitize: sanitize-build
	@for t in $(SANITIZE_TESTS); do \
	    echo "sanitize: $$t"; \
	    $(SANITIZE_ENV) $$t || exit 1; \
	done
	@echo "sanitize: tracer/tests/cli.sh $(SANITIZE_DIR)/smallpt"
	@$(SANITIZE_ENV) tracer/tests/cli.sh $(SANITIZE_DIR)/smallpt

.DEFAULT_GOAL := $(SANITIZE_GOAL)
