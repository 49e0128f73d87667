# ngx_smallpt: smallpt in C, served by nginx. See README.md.
#
# `make help` lists the targets: every one has a line "TARGET: ... ## what
# it does" below, which is what help prints. Names: test-* are tests,
# bench-* measure and print figures, docs-* make files for docs/. `make
# test` is the suite (installing what it needs); the others are by hand.
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
                python3-yaml openssl
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
# module` and the tests leave there (the docs' commands name that one)
MODULE       := $(NGINX_TREE)/objs/ngx_http_smallpt_module.so
MODULE_COPY  := $(BUILD)/ngx_http_smallpt_module.so

all: tracer module ## the smallpt program and the nginx module (the default)

tracer: $(BUILD)/smallpt $(BUILD)/libsmallpt.a ## the library and the smallpt program

module: $(MODULE_COPY) ## the nginx module (build/ngx_http_smallpt_module.so)

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


# the suite `make test` runs, installing first what it needs
SUITE        := test-unit test-cli test-http test-harness test-config \
                test-readme test-s-yaml test-exact test-cluster test-stream \
                test-man test-version test-browser test-prometheus \
                test-metrics-load

.PHONY: all tracer module help deps run clean nginx-src test $(SUITE) \
        test-valgrind test-load test-docker test-deb test-trig \
        bench bench-stream bench-slow-readers bench-fanout bench-bands \
        bench-band-costs bench-container docker deb docs-screenshots


# set-up and serving

help: ## this list
	@awk -F ':.*## ' '/^[a-z][a-z0-9-]*:.*## / { \
	    printf "  make %-20s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

deps: ## install what building needs (Debian's packages)
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS)

run: ## serve nginx.conf on port 9000, as the container does
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS)
	$(MAKE) $(MODULE) $(BUILD)/smallpt
	NGINX_BIN=$(NGINX_BIN) SMALLPT=$(BUILD)/smallpt \
	    container/serve $(BUILD)/run $(MODULE)

clean: ## remove what the build and the tests left
	rm -rf $(BUILD) t/servroot t/servroot-* t/browser/node_modules


# the suite

test: ## every test of the suite, installing what they need
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS) $(TEST_PKGS) $(BROWSER_PKGS) \
	    $(METRICS_PKGS)
	$(MAKE) $(SUITE)

test-unit: $(UNIT_TESTS) ## the library's unit tests
	@for t in $(UNIT_TESTS); do $$t || exit 1; done

test-cli: $(BUILD)/smallpt $(FAILALLOC) ## the smallpt program
	cli/tests/cli.sh $(BUILD)/smallpt $(FAILALLOC)

test-http: $(MODULE_COPY) $(FAILALLOC) $(GATE) ## the module in nginx: t/*.t
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

# (with NGINX_SRC, $(MODULE)'s rule builds that nginx too)
test-harness: $(MODULE) ## the in-repo Test::Nginx harness, on plain nginx
	TEST_NGINX_BINARY=$(NGINX_BIN) prove -I t/lib t/lib/selftest.t

test-config: $(NGINX_TREE)/objs/Makefile ## nginx's configure and `config`
	scripts/test-config $(NGINX_TREE)

test-readme: $(MODULE_COPY) $(BUILD)/smallpt ## README's and docs/'s blocks work as written
	SMALLPT=$(BUILD)/smallpt scripts/test-readme $(NGINX_BIN) $(MODULE_COPY)

test-s-yaml: ## s.yaml agrees with itself, nginx.conf and the Dockerfile
	scripts/test-s-yaml s.yaml

test-exact: ## the image stays exact whatever flags build the tracer
	scripts/test-exact $(BUILD)/exact

test-cluster: $(MODULE) $(GATE) ## fan-out across separate nginx processes
	@scripts/need curl perl
	GATE_SO=$(GATE) scripts/test-cluster $(NGINX_BIN) $(MODULE)

test-stream: $(MODULE) ## an image sent as it renders, as seen on the wire
	@scripts/need curl perl
	scripts/test-stream $(NGINX_BIN) $(MODULE)

test-man: $(BUILD)/smallpt ## man/smallpt.1 documents smallpt --help's options
	scripts/test-man $(BUILD)/smallpt man/smallpt.1

test-version: ## debian/changelog carries SMALLPT_VERSION
	@v=$$(scripts/test-version) && \
	    echo "test-version: $$v in tracer/smallpt.h and debian/changelog"

test-browser: $(MODULE) $(BUILD)/smallpt $(NODE_MODULES) ## the viewer page in Chromium
	@scripts/need $(BUILD_PKGS) $(NGINX_PKGS) $(BROWSER_PKGS)
	SMALLPT=$(BUILD)/smallpt \
	    scripts/test-browser $(BUILD)/test-browser $(NGINX_BIN) $(MODULE)

$(NODE_MODULES): t/browser/package.json t/browser/package-lock.json
	@scripts/need $(BROWSER_PKGS)
	cd t/browser && npm ci --no-audit --no-fund
	touch $@

test-prometheus: $(MODULE) ## Prometheus scrapes nginx; docs/nginx.md's queries
	@scripts/need $(METRICS_PKGS)
	scripts/test-prometheus $(NGINX_BIN) $(MODULE)

test-metrics-load: $(MODULE) ## the metrics exact under load, with reloads
	@scripts/need $(METRICS_PKGS)
	scripts/test-metrics-load $(NGINX_BIN) $(MODULE)


# tests by hand

# fair scheduling, or the render threads starve nginx's event loop there;
# TEST_NGINX_TIMEOUT is a floor for every block's timeout
test-valgrind: $(MODULE) $(GATE) ## t/*.t with nginx under valgrind's memcheck
	@scripts/need valgrind $(TEST_PKGS) $(METRICS_PKGS)
	TEST_NGINX_USE_VALGRIND='--tool=memcheck --leak-check=full --fair-sched=yes' \
	TEST_NGINX_TIMEOUT=120 \
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_LOAD_MODULES=$(abspath $(MODULE)) \
	TEST_SMALLPT_GATE=$(abspath $(GATE)) \
	    prove -I t/lib t/

test-load: $(MODULE) $(GATE) ## load, aborted clients and reloads, with figures
	@scripts/need wrk curl
	GATE_SO=$(GATE) scripts/test-load $(NGINX_BIN) $(MODULE)

# the image in its default (single) role, then its three roles together
# (front, band servers, single) on a Docker network of their own, and a
# front and band server protected as s.yaml deploys them
test-docker: ## the container image over HTTP, in each role (needs Docker)
	@scripts/need $(TEST_PKGS) curl openssl
	scripts/test-docker
	DOCKER_BUILD=no scripts/test-docker-fanout

# installs them into a clean debian:bookworm-slim container with Debian's
# nginx, renders through the stock configuration, purges
test-deb: deb ## the Debian packages installed, used, purged (needs Docker)
	@scripts/need curl
	scripts/test-deb $(DEB_DIR)

# by hand: a long run of what test_trig checks, with libquadmath's sin and
# cos to measure the error
TRIG_ANGLES  ?= 100000000

$(BUILD)/trig_check: tracer/tests/trig_check.c $(TEST_HDRS) \
                     $(BUILD)/libsmallpt.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(C_FLAGS) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libsmallpt.a -lquadmath $(LINK_LIBS)

test-trig: $(BUILD)/trig_check ## sine and cosine against glibc on TRIG_ANGLES (10^8) angles, by hand
	$(BUILD)/trig_check $(TRIG_ANGLES)


# figures

bench: $(BUILD)/smallpt $(MODULE) ## render speed; REF=smallpt.cpp's binary compares
	scripts/bench $(BUILD)/smallpt $(REF)
	SMALLPT=$(BUILD)/smallpt scripts/bench-http $(NGINX_BIN) $(MODULE) $(REF)

bench-stream: $(MODULE) ## what streaming costs a render
	@scripts/need curl
	scripts/bench-stream $(NGINX_BIN) $(MODULE)

bench-slow-readers: $(MODULE) ## what clients that never read cost a worker
	@scripts/need curl perl
	scripts/bench-slow-readers $(NGINX_BIN) $(MODULE)
	scripts/bench-slow-readers $(NGINX_BIN) $(MODULE) 0

bench-fanout: $(MODULE) ## fan-out's cost against a local render
	@scripts/need curl
	scripts/bench-fanout $(NGINX_BIN) $(MODULE)

# 1024x768; SPP=256, BANDS="32 64 128", RUNS=3
bench-bands: $(MODULE) ## the band times behind the fan-out latency model
	@scripts/need curl
	scripts/bench-bands $(NGINX_BIN) $(MODULE)

bench-band-costs: $(BUILD)/smallpt ## each slice's cost, tracer/bands.c's table
	@scripts/need valgrind
	scripts/bench-band-costs $(BUILD)/smallpt

bench-container: ## s.yaml's figures, a container per request (needs Docker)
	@scripts/need curl
	scripts/bench-container


# packages, the image, the docs' pictures

docker: ## the container image, tagged smallpt (needs Docker)
	docker build --network=host -t smallpt .

# (see debian/rules) built from a copy of the tree with dpkg-buildpackage
deb: ## the Debian packages, in build/deb, checked by lintian
	@scripts/need $(DEB_PKGS)
	scripts/deb $(DEB_DIR)

docs-screenshots: $(MODULE) $(BUILD)/smallpt $(NODE_MODULES) ## docs/view-*.png
	SMALLPT=$(BUILD)/smallpt \
	    scripts/test-browser $(BUILD)/test-browser $(NGINX_BIN) $(MODULE) \
	    t/browser/screenshots.mjs


# the unit tests and the smallpt program under ASan and UBSan (make
# sanitize), and fuzzing (make fuzz): see mk/sanitize.mk, fuzz/README.md
include mk/sanitize.mk
include fuzz/fuzz.mk
