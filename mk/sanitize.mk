# The unit tests and the smallpt program under AddressSanitizer and
# UndefinedBehaviorSanitizer. Included by the top-level Makefile, or on its
# own from the project root: make -f mk/sanitize.mk test-sanitize
#
#   make test-sanitize            build into build/sanitize/, run every unit
#                            test and cli/tests/cli.sh with that smallpt
#                            (several 1024x768 renders: a few minutes)
#   make test-sanitize SANITIZE_CC=clang
#
# Any sanitizer report ends the program with an error (-fno-sanitize-recover),
# so a test that hits one fails. gcc needs nothing more than gcc (libasan8
# and libubsan1 come with it); clang needs libclang-rt-14-dev.

# leave the including Makefile's default goal as it is
SANITIZE_GOAL := $(.DEFAULT_GOAL)

# LIB_SRCS, LIB_INCS, CLI_SRCS, UNIT_NAMES...: what the Makefile builds
include mk/sources.mk

SANITIZE_CC     ?= gcc
SANITIZE_DIR    ?= $(or $(BUILD),build)/sanitize
SANITIZE_CFLAGS ?= -O1 -g
SANITIZE_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
                   -fno-sanitize-recover=all
SANITIZE_STD    := -std=c99 -Wall -Wextra -Wpedantic -pthread $(LIB_INCS)
SANITIZE_LIBS   := -lpng -lz -lm
SANITIZE_PKGS   := gcc make libc6-dev libpng-dev zlib1g-dev
# Leaks count too; a report exits 86, which no test expects of smallpt.
# No use-after-return detection (gcc 13 and clang 15 turn it on): its fake
# stack frames are not 64-byte aligned, and gcc keeps the AVX-512 renderer's
# locals 64-byte aligned (vmovapd): a SEGV that is no bug of ours.
SANITIZE_ENV    := ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=0 \
                   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86

SANITIZE_OBJS   := $(LIB_SRCS:%.c=$(SANITIZE_DIR)/obj/%.o)
SANITIZE_CLI    := $(CLI_SRCS:%.c=$(SANITIZE_DIR)/obj/%.o)
SANITIZE_TESTS  := $(UNIT_NAMES:%=$(SANITIZE_DIR)/%)

.PHONY: test-sanitize sanitize-build sanitize-deps
.SECONDARY: $(SANITIZE_OBJS) $(SANITIZE_CLI)

sanitize-build: $(SANITIZE_TESTS) $(SANITIZE_DIR)/smallpt ## the tests under ASan and UBSan, built but not run

sanitize-deps: ## install what test-sanitize needs (clang's runtimes)
	@scripts/need $(SANITIZE_PKGS)

$(SANITIZE_DIR)/obj/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_STD) $(SANITIZE_FLAGS) \
	    -c $< -o $@

$(SANITIZE_DIR)/smallpt: $(SANITIZE_CLI) $(SANITIZE_OBJS)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_FLAGS) -pthread -o $@ $^ \
	    $(SANITIZE_LIBS)

$(SANITIZE_DIR)/test_%: test_%.c $(TEST_HDRS) $(SANITIZE_OBJS) $(LIB_HDRS)
	$(SANITIZE_CC) $(SANITIZE_CFLAGS) $(SANITIZE_STD) $(SANITIZE_FLAGS) \
	    -o $@ $< $(SANITIZE_OBJS) $(SANITIZE_LIBS)

test-sanitize: sanitize-build ## the unit tests and smallpt under ASan and UBSan
	@for t in $(SANITIZE_TESTS); do \
	    echo "test-sanitize: $$t"; \
	    $(SANITIZE_ENV) $$t || exit 1; \
	done
	@echo "test-sanitize: cli/tests/cli.sh $(SANITIZE_DIR)/smallpt"
	@$(SANITIZE_ENV) cli/tests/cli.sh $(SANITIZE_DIR)/smallpt

.DEFAULT_GOAL := $(SANITIZE_GOAL)
