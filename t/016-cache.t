# Caching (docs/nginx.md, "Caching"): a render location that lets every
# cache keep its images for good, and an nginx proxy_cache in front of it
# that renders each image once.

use Smallpt::Preload qw(gate);
use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: expires max and Cache-Control: immutable on an image
--- config
    location = /render {
        smallpt;
        expires max;
        add_header Cache-Control immutable;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Cache-Control: max-age=315360000, immutable
Expires: Thu, 31 Dec 2037 23:55:55 GMT
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 2: and on 304 and HEAD, which render nothing
--- config
    location = /render {
        smallpt;
        expires max;
        add_header Cache-Control immutable;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm", "HEAD /render?spp=8&w=160&h=120"]
--- more_headers eval
["If-None-Match: \"smallpt1.2.0-64x48-4spp-ppm\"", ""]
--- error_code eval
[304, 200]
--- response_headers eval
["Cache-Control: max-age=315360000, immutable",
 "Cache-Control: max-age=315360000, immutable"]



=== TEST 3: no cache headers on errors: a 400 is not kept
--- config
    location = /render {
        smallpt;
        expires max;
        add_header Cache-Control immutable;
    }
--- request
GET /render?spp=3
--- error_code: 400
--- response_headers
!Cache-Control
!Expires
--- response_body
spp: 3 is too small; expected an integer from 4 to 1024



=== TEST 4: a proxy_cache in front renders an image once, then serves it
--- http_config
    proxy_cache_path cache keys_zone=smallpt:1m max_size=64m
                     inactive=30d;

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location = /render {
            smallpt;
            expires max;
            add_header Cache-Control immutable;
        }
    }
--- config
    location = /render {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_cache smallpt;
        proxy_cache_lock on;
        add_header X-Cache-Status $upstream_cache_status;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=4&w=64&h=48&format=ppm"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Cache-Status: MISS", "X-Cache-Status: HIT"]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm")]



=== TEST 5: errors pass through the proxy_cache and are not kept
--- http_config
    proxy_cache_path cache keys_zone=smallpt:1m max_size=64m
                     inactive=30d;

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;

        location = /render {
            smallpt;
            expires max;
            add_header Cache-Control immutable;
        }
    }
--- config
    location = /render {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_cache smallpt;
        proxy_cache_lock on;
        add_header X-Cache-Status $upstream_cache_status always;
    }
--- request eval
["GET /render?spp=3", "GET /render?spp=3"]
--- error_code eval
[400, 400]
--- response_headers eval
["X-Cache-Status: MISS", "X-Cache-Status: MISS"]



=== TEST 6: with proxy_cache_lock, clients that ask at once share one render
--- main_config
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- http_config
    proxy_cache_path cache keys_zone=smallpt:1m max_size=64m
                     inactive=30d;
    log_format backend 'backend rendered $request_uri';

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        access_log logs/error.log backend;

        location = /render {
            smallpt;
            expires max;
            add_header Cache-Control immutable;
        }
    }
--- config
    location = /render {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_cache smallpt;
        proxy_cache_lock on;
        proxy_cache_lock_timeout 60s;
        proxy_cache_lock_age 60s;
        add_header X-Cache-Status $upstream_cache_status;
    }
--- init
# the first render is held at the gate, so the other two ask while it is
# under way: they wait on the cache lock (nginx says so once each), and
# only then does the render go on
Smallpt::close_gate();
Smallpt::get_in_background("/render?spp=4&w=64&h=48", 2);
Smallpt::wait_held(1, "the first render did not start");
Smallpt::open_gate_when(qr/http file cache lock u:0 wt:0/, 2);
--- request
GET /render?spp=4&w=64&h=48
--- error_code: 200
--- response_headers
X-Cache-Status: HIT
--- grep_error_log eval
qr/backend rendered \S+/
--- grep_error_log_out
backend rendered /render?spp=4&w=64&h=48
--- timeout: 30
