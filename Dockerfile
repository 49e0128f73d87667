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
# At start scripts/serve sizes the render thread pool to the CPUs the
# container is given (cgroup quota and cpuset, as `smallpt --cpus` counts
# them). nginx's master runs as root, its worker as www-data. Logs: the
# access log on stdout, the error log on stderr (`docker logs`).
#
# The module is built against Debian's nginx-dev and loads only into that
# exact nginx: the final stage installs the very version the build stage
# compiled against, and the build fails if it cannot.

# --- build: the module and the smallpt program, with the project's Makefile
FROM debian:bookworm-slim AS build

# no service may start while packages install (nginx's postinst would)
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
           --no-install-recommends \
           gcc make libc6-dev libpng-dev zlib1g-dev nginx nginx-dev \
    && rm -rf /var/lib/apt/lists/*

# the whole tree but what .dockerignore leaves out: the Makefile includes
# other files (fuzz/*.mk), and may include more
WORKDIR /src
COPY . .

# nginx-dev depends on exactly its own nginx version: record that version
RUN make module tracer \
    && mkdir /out \
    && cp build/ngx_http_smallpt_module.so build/smallpt /out/ \
    && strip --strip-unneeded /out/ngx_http_smallpt_module.so /out/smallpt \
    && dev=$(dpkg-query -W -f='${Version}' nginx-dev) \
    && bin=$(dpkg-query -W -f='${Version}' nginx) \
    && [ "$dev" = "$bin" ] \
    && echo "$dev" > /out/nginx-version \
    && echo "built against nginx-dev $dev"


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

COPY --from=build /out/nginx-version /usr/local/share/smallpt/nginx-version

# Debian's package "nginx" is the smallest that has /usr/sbin/nginx (built
# --with-threads --with-compat); nginx-light, nginx-core... only add modules.
# It is pinned to the version the module was built against, then checked.
RUN want=$(cat /usr/local/share/smallpt/nginx-version) \
    && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
             --no-install-recommends \
             "nginx=$want" "nginx-common=$want" libpng16-16 zlib1g \
         || { echo "nginx $want, which the module was built against, cannot" \
                   "be installed; rebuild without the cache" \
                   "(docker build --no-cache)" >&2; exit 1; }; } \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
              /usr/sbin/policy-rc.d /etc/nginx/sites-enabled/default \
    && have=$(dpkg-query -W -f='${Version}' nginx) \
    && if [ "$have" != "$want" ]; then \
           echo "nginx $have installed, but the module was built against" \
                "nginx-dev $want" >&2; \
           exit 1; \
       fi \
    && nginx -V 2>&1 | grep -q -- '--with-threads' \
    && nginx -V 2>&1 | grep -q -- '--with-compat' \
    && echo "nginx $have, as the module was built against"

COPY --from=build /out/ngx_http_smallpt_module.so /usr/lib/nginx/modules/
COPY --from=build /out/smallpt /usr/local/bin/
COPY nginx.conf /usr/local/share/smallpt/
COPY scripts/serve /usr/local/share/smallpt/scripts/

# the module loads into this nginx (the version check above, done by nginx),
# the smallpt program runs; the prefix directory is www-data's too, so that
# `docker run --user www-data` works (then nothing runs as root)
RUN printf '%s\n' \
        'load_module /usr/lib/nginx/modules/ngx_http_smallpt_module.so;' \
        'events {}' > /tmp/load.conf \
    && nginx -t -q -e stderr -c /tmp/load.conf \
    && rm /tmp/load.conf \
    && smallpt --version \
    && install -d -o www-data -g www-data /var/lib/smallpt

# 9000: the renders; 9145: /metrics (publish it where Prometheus runs)
EXPOSE 9000 9145

# QUIT: nginx finishes the renders in flight before it exits
STOPSIGNAL SIGQUIT

# nothing but bash: no curl in the image for this
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r v s r <&3 && [ \"$s\" = 200 ]"]

CMD ["/usr/local/share/smallpt/scripts/serve", "/var/lib/smallpt", \
     "/usr/lib/nginx/modules/ngx_http_smallpt_module.so"]
