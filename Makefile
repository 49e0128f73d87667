# ngx_smallpt: smallpt in C, served by nginx. See README.md.
#
#   make             the smallpt program and the nginx module
#   make run         serve nginx.conf on port 9000 (installs what is missing)
#   make test        every test (installs what is missing)
#   make browser-test   the viewer page in Chromium (installs what is missing)
#   make view-screenshots  docs/view-*.png, the page mid-render and finished
#   make bench       render speed; REF=path/to/smallpt.cpp-binary compares
#   make trig-check  the vector sine and cosine against glibc's on
#                    TRIG_ANGLES (10^8) angles, and their error
#   make load-test   load, aborted clients and reloads, with figures
#   make prometheus-test  Prometheus scrapes nginx; the counts read back
#   make metrics-load-test  the metrics exact under load, 2 workers, reloads
#   make bench-bands the band times behind the fan-out latency model
#   make sanitize    the unit tests and smallpt under ASan and UBSan
#   make valgrind-test  the HTTP tests with nginx under valgrind
#   make docker      the container image, tagged smallpt (needs Docker)
#   make docker-test build it as smallpt:test, run it, test it over HTTP,
#                    also as a front and band servers (fan-out), and as a
#                    public endpoint (signed URLs, private bands, rate limit)
#   make fuzz        libFuzzer on the parsers and encoders, FUZZ_SECONDS (30)
#                    each; make fuzz FUZZ_SECONDS=600 for the long run
#   make deb         the Debian packages, in build/deb, checked by lintian
#   make deb-test    install them in a clean container, render, purge
#   make clean
#
# The module is built against Debian's nginx-dev (/usr/share/nginx/src) and
# tested with Debian's nginx, unless NGINX_SRC names an nginx source tree (a
# release tarball or a git checkout): then that nginx is built in build/ and
# the tests run with it.

# ISA=scalar|avx2|avx512 (any NAME of a tracer/trace_NAME.c) builds (in
# build-ISA/) a tracer and module whose "auto" is that instruction set, so
# that every test runs on that path
ISA          ?=
BUILD        := build$(if $(ISA),-$(ISA))
ISA_FLAG     := $(if $(ISA),-DSMALLPT_ISA_FORCE=$(ISA))
NGINX_SRC    ?= /usr/share/nginx/src
CC           ?= cc
CFLAGS       ?= -O2 -g
CPPFLAGS     ?=
LDFLAGS      ?=

# LIB_SRCS, LIB_HDRS, CLI_SRCS, UNIT_NAMES, ISAS...: the folders' files
include mk/sources.mk

ifneq ($(ISA),$(filter $(ISA),$(ISAS)))
  $(error ISA=$(ISA): no tracer/trace_$(ISA).c; the instruction sets are \
          $(ISAS))
endif

# every C file of the library, the program and the tests, after CFLAGS.
# The tracer's files forbid contraction into FMA themselves (see
# tracer/smallpt_trace.h): no flag here is needed for an exact image
C_FLAGS      := -std=c99 -Wall -Wextra -Wpedantic -pthread $(LIB_INCS) \
                $(ISA_FLAG)
LINK_LIBS    := -lpng -lz -lm

LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS     := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_TESTS   := $(UNIT_NAMES:%=$(BUILD)/%)
FAILALLOC    := $(BUILD)/failalloc.so
GATE         := $(BUILD)/gate.so

# what the module is built from: `config` globs the same files, and
# nginx's objs/Makefile names them, so it is made again when one comes or
# goes (MODULE_LIST changes)
MODULE_SRCS  := config $(wildcard ngx_http_smallpt_*.[ch]) $(LIB_SRCS) \
                $(LIB_HDRS)
MODULE_LIST  := $(BUILD)/module-files

# Debian/Ubuntu packages each target needs (scripts/need installs them)
BUILD_PKGS   := gcc make libc6-dev libpng-dev zlib1g-dev
TEST_PKGS    := perl libtest-base-perl coreutils clang curl python3 \
                python3-yaml
# the metrics' tests: Prometheus's own promtool and server, curl as client
METRICS_PKGS := prometheus curl
# the Debian packages: these, then debian/control's Build-Depends
DEB_PKGS     := dpkg-dev lintian
DEB_DIR      := build/deb
# the viewer page's tests: Debian's Chromium, and Node.js with npm unless
# npm is there already (e.g. with a Node.js from elsewhere)
BROWSER_PKGS := chromium $(if $(shell command -v npm),,nodejs npm)
# puppeteer-core and what it needs, from t/browser/package-lock.json
NODE_MODULES := t/browser/node_modules/.package-lock.json

ifeq ($(abspath $(NGINX_SRC)),/usr/share/nginx/src)
  # Debian's nginx-dev: configure as Debian's nginx was, build the module
  NGINX_TREE   := $(BUILD)/nginx-debian
  NGINX_PKGS   := nginx-dev nginx
  NGINX_BIN    ?= /usr/sbin/nginx
  NGINX_GOAL   := modules
  NGINX_FLAGS   = $(shell bash -c '. $(NGINX_SRC)/conf_flags 2>/dev/null && \
                                   echo "$${NGX_CONF_FLAGS[@]}"')
  NGINX_MISSING = Debian's nginx-dev is not installed (no $(NGINX_SRC)). \
                  Install it with \`make deps\` (or: sudo apt-get install \
                  nginx-dev nginx; Ubuntu has it from 24.04 on), or build \
                  against an nginx source tree: \
                  make NGINX_SRC=/path/to/nginx-1.28.0
else
  # any nginx source tree: build nginx itself too, for the tests
  NGINX_TREE   := $(BUILD)/$(notdir $(abspath $(NGINX_SRC)))
  NGINX_PKGS   := libpcre2-dev
  NGINX_BIN    ?= $(abspath $(NGINX_TREE))/objs/nginx
  NGINX_GOAL   := build
  NGINX_FLAGS  := --with-threads --with-compat --with-debug \
                  --with-http_stub_status_module
  NGINX_MISSING = NGINX_SRC=$(NGINX_SRC) is not an nginx source tree (no \
                  configure or auto/configure there): give a release \
                  tarball's directory or a git checkout of nginx
endif

# the module built against NGINX_SRC, and its copy in $(BUILD)/ that `make
# module` and the tests leave there (README's commands name that one)
MODULE       := $(NGINX_TREE)/objs/ngx_http_smallpt_module.so
MODULE_COPY  := $(BUILD)/ngx_http_smallpt_module.so

.PHONY: all tracer module run test check unit cli-test http-test \
        harness-test config-test readme-test s-yaml-test exact-test \
        cluster stream-test bench bench-fanout bench-stream bench-bands \
        bench-slow-readers \
        trig-check \
        load-test valgrind-test docker docker-test deps clean nginx-src \
        man-test version-test deb deb-test \
        browser-test browser-check view-screenshots \
        prometheus-test metrics-load-test

all: tracer module

tracer: $(BUILD)/smallpt $(BUILD)/libsmallpt.a

module: $(MODULE_COPY)

$(MODULE_COPY): $(MODULE)
	cp $(MODULE) $@


# the library (tracer/ and service/), the smallpt program (cli/) and the
# unit tests (DIR/tests/test_NAME.c: build/test_NAME)

$(BUILD)/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(C_FLAGS) -c $< -o $@

# made anew: a file gone from the folders leaves no member behind
$(BUILD)/libsmallpt.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/smallpt: $(CLI_OBJS) $(BUILD)/libsmallpt.a
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(LINK_LIBS)

$(BUILD)/test_%: test_%.c $(TEST_HDRS) $(BUILD)/libsmallpt.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(C_FLAGS) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libsmallpt.a $(LINK_LIBS)


# the nginx module, built by nginx's own build system in a copy of its tree

# a clear message instead of cp's when there is no nginx source to build with
nginx-src:
	@[ -f $(NGINX_SRC)/configure ] || [ -f $(NGINX_SRC)/auto/configure ] || \
	    { echo "make: $(NGINX_MISSING)" >&2; exit 1; }

# rewritten only when the list of files differs from the last one
$(MODULE_LIST): FORCE
	@mkdir -p $(@D)
	@echo '$(MODULE_SRCS)' | cmp -s - $@ || echo '$(MODULE_SRCS)' > $@

FORCE:

$(NGINX_TREE)/objs/Makefile: config $(MODULE_LIST) | nginx-src
	rm -rf $(NGINX_TREE)
	mkdir -p $(NGINX_TREE)
	cp -a $(NGINX_SRC)/. $(NGINX_TREE)/
	cd $(NGINX_TREE) && \
	    if [ -x configure ]; then conf=./configure; \
	    else conf=auto/configure; fi && \
	    $$conf $(NGINX_FLAGS) --add-dynamic-module=$(CURDIR) \
	        --with-cc-opt='$(CFLAGS) $(ISA_FLAG)' > configure.log || \
	    { tail -n 20 configure.log; exit 1; }

$(MODULE): $(NGINX_TREE)/objs/Makefile $(MODULE_SRCS)
	$(MAKE) -C $(NGINX_TREE) -f objs/Makefile $(NGINX_GOAL)
	touch $@


# set-up, serving and tests

deps:
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS)

run:
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS)
	$(MAKE) $(MODULE) $(BUILD)/smallpt
	NGINX_BIN=$(NGINX_BIN) SMALLPT=$(BUILD)/smallpt \
	    container/serve $(BUILD)/run $(MODULE)

test:
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS) $(TEST_PKGS) $(BROWSER_PKGS) \
	    $(METRICS_PKGS)
	$(MAKE) check

check: unit cli-test http-test harness-test config-test readme-test \
       s-yaml-test exact-test cluster stream-test man-test version-test \
       browser-check prometheus-test metrics-load-test

config-test: $(NGINX_TREE)/objs/Makefile
	scripts/config-test $(NGINX_TREE)

# the image stays exact whatever flags build the tracer, or it says so
exact-test:
	scripts/exact-test $(BUILD)/exact

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do $$t || exit 1; done

cli-test: $(BUILD)/smallpt $(FAILALLOC)
	cli/tests/cli.sh $(BUILD)/smallpt $(FAILALLOC)

# man/smallpt.1 documents every option smallpt --help lists, and no other
man-test: $(BUILD)/smallpt
	scripts/check-man $(BUILD)/smallpt man/smallpt.1

# debian/changelog carries SMALLPT_VERSION (tracer/smallpt.h)
version-test:
	@v=$$(scripts/check-version) && \
	    echo "version-test: $$v in tracer/smallpt.h and debian/changelog"

http-test: $(MODULE_COPY) $(FAILALLOC) $(GATE)
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_LOAD_MODULES=$(abspath $(MODULE_COPY)) \
	TEST_SMALLPT_FAILALLOC=$(abspath $(FAILALLOC)) \
	TEST_SMALLPT_GATE=$(abspath $(GATE)) \
	    prove -I t/lib t/

# allocations that fail in threads, on purpose (t/013-faults.t, cli.sh)
$(FAILALLOC): t/lib/failalloc.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -shared -fPIC -o $@ $< -ldl

# renders held at a gate the test opens (t/007-pool.t, t/009-reload.t...)
$(GATE): t/lib/gate.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -shared -fPIC -o $@ $< -ldl

# the in-repo Test::Nginx::Socket harness's own tests, on plain nginx
# (with NGINX_SRC, $(MODULE)'s rule builds that nginx too)
harness-test: $(MODULE)
	TEST_NGINX_BINARY=$(NGINX_BIN) prove -I t/lib t/lib/selftest.t

# README's nginx configurations pass `nginx -t` with the module; its
# log_format is the container's
readme-test: $(MODULE_COPY) $(BUILD)/smallpt
	SMALLPT=$(BUILD)/smallpt scripts/readme-test $(NGINX_BIN) $(MODULE_COPY)

# s.yaml agrees with itself, nginx.conf and the Dockerfile
s-yaml-test:
	scripts/check-s-yaml s.yaml

# the viewer page (html/view.html) in Debian's Chromium, headless, driven
# by puppeteer-core: scripts/browser-test serves nginx.conf on a free port
browser-test:
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS) $(BROWSER_PKGS)
	$(MAKE) browser-check

browser-check: $(MODULE) $(BUILD)/smallpt $(NODE_MODULES)
	SMALLPT=$(BUILD)/smallpt \
	    scripts/browser-test $(BUILD)/browser-test $(NGINX_BIN) $(MODULE)

view-screenshots: $(MODULE) $(BUILD)/smallpt $(NODE_MODULES)
	SMALLPT=$(BUILD)/smallpt \
	    scripts/browser-test $(BUILD)/browser-test $(NGINX_BIN) $(MODULE) \
	    t/browser/screenshots.mjs

$(NODE_MODULES): t/browser/package.json t/browser/package-lock.json
	cd t/browser && npm ci --no-audit --no-fund
	touch $@

# Prometheus's own server scrapes nginx; README's queries read the counts
prometheus-test: $(MODULE)
	scripts/prometheus-test $(NGINX_BIN) $(MODULE)

# the counts stay exact under load, with two workers and reloads
metrics-load-test: $(MODULE)
	scripts/metrics-load-test $(NGINX_BIN) $(MODULE)

docker:
	docker build --network=host -t smallpt .

# the image in its default (single) role, then its three roles together
# (front, band servers, single) on a Docker network of their own, and a
# front and band server protected as s.yaml deploys them
docker-test:
	@scripts/need $(TEST_PKGS) curl openssl
	scripts/docker-test
	DOCKER_BUILD=no scripts/docker-fanout-test

# the Debian packages (see debian/rules), built from a copy of the tree in
# $(DEB_DIR) with dpkg-buildpackage and checked with lintian
deb:
	@scripts/need $(DEB_PKGS)
	scripts/deb $(DEB_DIR)

# installs them into a clean debian:bookworm-slim container with Debian's
# nginx, renders through the stock configuration, purges (needs Docker)
deb-test: deb
	@scripts/need curl
	scripts/deb-test $(DEB_DIR)

# the HTTP tests with nginx under valgrind's memcheck: slow renders get
# long timeouts, timing tests and full-size renders are skipped; fair
# scheduling, or the render threads starve nginx's event loop there
valgrind-test: $(MODULE) $(GATE)
	@scripts/need valgrind $(TEST_PKGS) $(METRICS_PKGS)
	TEST_NGINX_USE_VALGRIND='--tool=memcheck --leak-check=full --fair-sched=yes' \
	TEST_NGINX_TIMEOUT=120 \
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_LOAD_MODULES=$(abspath $(MODULE)) \
	TEST_SMALLPT_GATE=$(abspath $(GATE)) \
	    prove -I t/lib t/

# an image sent as it renders, as a client sees it on the wire
stream-test: $(MODULE)
	@scripts/need curl perl
	scripts/stream-test $(NGINX_BIN) $(MODULE)

# fan-out across separate nginx processes: exactness, failing band
# servers, aborts, reloads (scripts/cluster)
cluster: $(MODULE) $(GATE)
	@scripts/need curl perl
	GATE_SO=$(GATE) scripts/cluster $(NGINX_BIN) $(MODULE)

# what streaming costs a render: buffered and streamed, the same request
bench-stream: $(MODULE)
	@scripts/need curl
	scripts/bench-stream $(NGINX_BIN) $(MODULE)

# what clients that never read cost a worker, with and without
# smallpt_max_unsent (README, "Memory and limits")
bench-slow-readers: $(MODULE)
	@scripts/need curl perl
	scripts/bench-slow-readers $(NGINX_BIN) $(MODULE)
	scripts/bench-slow-readers $(NGINX_BIN) $(MODULE) 0

# fan-out's cost against a local render, and how even its bands are
bench-fanout: $(MODULE)
	@scripts/need curl
	scripts/bench-fanout $(NGINX_BIN) $(MODULE)

# the band times and the front's encoding behind README's fan-out latency
# model (1024x768; SPP=256, BANDS="32 64 128", RUNS=3)
bench-bands: $(MODULE)
	@scripts/need curl
	scripts/bench-bands $(NGINX_BIN) $(MODULE)

load-test: $(MODULE) $(GATE)
	@scripts/need wrk curl
	GATE_SO=$(GATE) scripts/load-test $(NGINX_BIN) $(MODULE)

bench: $(BUILD)/smallpt $(MODULE)
	scripts/bench $(BUILD)/smallpt $(REF)
	SMALLPT=$(BUILD)/smallpt scripts/bench-http $(NGINX_BIN) $(MODULE) $(REF)

# by hand: a long run of what test_trig checks, with libquadmath's sin and
# cos to measure the error
TRIG_ANGLES  ?= 100000000

$(BUILD)/trig_check: tracer/tests/trig_check.c $(TEST_HDRS) \
                     $(BUILD)/libsmallpt.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(C_FLAGS) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libsmallpt.a -lquadmath $(LINK_LIBS)

trig-check: $(BUILD)/trig_check
	$(BUILD)/trig_check $(TRIG_ANGLES)

clean:
	rm -rf $(BUILD) t/servroot t/browser/node_modules


# the unit tests and the smallpt program under ASan and UBSan (make
# sanitize), and fuzzing (make fuzz): see mk/sanitize.mk, fuzz/README.md
include mk/sanitize.mk
include fuzz/fuzz.mk
