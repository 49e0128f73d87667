# ngx_smallpt in a container: Debian's nginx with the smallpt module,
# listening on 0.0.0.0:9000 (Alibaba Cloud Function Compute's default port
# for custom containers; see s.yaml), and its Prometheus metrics on 9145,
# which Function Compute's trigger does not reach.
#
#   docker build -t smallpt .
#   docker run --rm -p 9000:9000 -p 127.0.0.1:9145:9145 --cpus=2 smallpt
#   curl -o image.png 'http://127.0.0.1:9000/?spp=16'
#   curl http://127.0.0.1:9145/metrics
#
# At start container/serve sizes the render thread pool to the CPUs the
# container is given (cgroup quota and cpuset, as `smallpt --cpus` counts
# them), and configures the role SMALLPT_ROLE names: single (the default)
# renders each image itself, front fans it out to the band servers at
# SMALLPT_BAND_URL, band renders bands of rows for a front (see
# container/serve and docs/function-compute.md): one image, three roles.
# nginx's master runs as root, its worker as www-data. Logs: the access log
# on stdout, the error log on stderr (`docker logs`).
#
# The module and smallpt come from the project's Debian packages
# (libnginx-mod-http-smallpt, smallpt), built as `make deb` builds them
# (debian/, dpkg-buildpackage) and installed with apt: the image runs what
# users install. The module is built against Debian's nginx-dev and loads
# only into that exact nginx: the final stage installs the very version the
# build stage compiled against, and the build fails if it cannot.

# --- build: the Debian packages, with dpkg-buildpackage
FROM debian:bookworm-slim AS build

# debian/control's Build-Depends (nginx-dev brings its nginx); no service
# may start while packages install (nginx's postinst would)
WORKDIR /src/smallpt
COPY debian/control debian/control
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
           --no-install-recommends dpkg-dev \
    && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q \
           --no-install-recommends ./ \
    && rm -rf /var/lib/apt/lists/*

# the whole tree but what .dockerignore leaves out (the tests among it:
# scripts/test-docker tests the image instead, hence nocheck)
COPY . .

# the binary packages, into /out; nginx-dev depends on exactly its own
# nginx version: record that version
RUN DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
        dpkg-buildpackage -b -us -uc > /tmp/build.log 2>&1 \
        || { tail -n 40 /tmp/build.log; exit 1; } \
    && mkdir /out \
    && cp ../libnginx-mod-http-smallpt_*.deb ../smallpt_*.deb /out/ \
    && dev=$(dpkg-query -W -f='${Version}' nginx-dev) \
    && bin=$(dpkg-query -W -f='${Version}' nginx) \
    && [ "$dev" = "$bin" ] \
    && echo "$dev" > /out/nginx-version \
    && echo "built against nginx-dev $dev:" && ls /out


# --- the image: nginx, the module, smallpt; no compiler
FROM debian:bookworm-slim

# what bookworm-slim leaves out anyway: docs, man pages, translations
RUN printf '%s\n' \
        'path-exclude /usr/share/doc/*' \
        'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/man/*' \
        'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/locale/*' \
        > /etc/dpkg/dpkg.cfg.d/smallpt-slim

COPY --from=build /out/ /tmp/debs/

# Debian's package "nginx" is the smallest that has /usr/sbin/nginx (built
# --with-threads --with-compat); nginx-light, nginx-core... only add modules.
# The module's package depends on nginx's ABI (nginx-abi-1.22.1-7); nginx is
# pinned to the very version it was built against, then checked. apt
# installs the packages' dependencies (libpng16-16, zlib1g).
# ca-certificates: a front (SMALLPT_ROLE=front) verifies the HTTPS band
# servers' certificates (Function Compute's trigger) against them.
RUN want=$(cat /tmp/debs/nginx-version) \
    && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
             --no-install-recommends \
             "nginx=$want" "nginx-common=$want" ca-certificates \
             /tmp/debs/libnginx-mod-http-smallpt_*.deb \
             /tmp/debs/smallpt_*.deb \
         || { echo "nginx $want, which the module was built against, cannot" \
                   "be installed; rebuild without the cache" \
                   "(docker build --no-cache)" >&2; exit 1; }; } \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/debs \
              /usr/sbin/policy-rc.d /etc/nginx/sites-enabled/default \
    && have=$(dpkg-query -W -f='${Version}' nginx) \
    && if [ "$have" != "$want" ]; then \
           echo "nginx $have installed, but the module was built against" \
                "nginx-dev $want" >&2; \
           exit 1; \
       fi \
    && nginx -V 2>&1 | grep -q -- '--with-threads' \
    && nginx -V 2>&1 | grep -q -- '--with-compat' \
    && echo "nginx $have, as the module was built against" \
    && dpkg-query -W libnginx-mod-http-smallpt smallpt

COPY nginx.conf /usr/local/share/smallpt/
COPY container/serve /usr/local/share/smallpt/container/
# signs URLs for SMALLPT_URL_SECRET (openssl: ca-certificates brings it)
COPY scripts/sign-url /usr/local/bin/smallpt-sign-url
# the viewer page at /view: container/serve links html/ into nginx's prefix
COPY html/view.html /usr/local/share/smallpt/html/

# the module and the program are the packages' (dpkg -S); the package
# enabled the module, and it loads into this nginx (the version check
# above, done by nginx: `nginx -t` reads the stock nginx.conf, which loads
# /etc/nginx/modules-enabled/*.conf); the smallpt program runs, and
# smallpt-sign-url signs (with openssl); the prefix directory is www-data's
# too, so that `docker run --user www-data` works (then nothing runs as
# root)
RUN dpkg -S /usr/lib/nginx/modules/ngx_http_smallpt_module.so /usr/bin/smallpt \
    && nginx -t -q \
    && nginx -T 2>/dev/null \
       | grep -x 'load_module modules/ngx_http_smallpt_module.so;' \
    && smallpt --version \
    && SMALLPT_URL_SECRET=image-check smallpt-sign-url / > /dev/null \
    && install -d -o www-data -g www-data /var/lib/smallpt

# 9000: the renders; 9145: /metrics (publish it where Prometheus runs)
EXPOSE 9000 9145

# QUIT: nginx finishes the renders in flight before it exits
STOPSIGNAL SIGQUIT

# nothing but bash: no curl in the image for this
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r v s r <&3 && [ \"$s\" = 200 ]"]

CMD ["/usr/local/share/smallpt/container/serve", "/var/lib/smallpt", \
     "/usr/lib/nginx/modules/ngx_http_smallpt_module.so"]
