# The thread pool: renders never block nginx's event loop, concurrent
# renders share the pool, and a full queue is refused at once with 503.
#
# No block assumes a render lasts any time: the pool is filled with renders
# held at the gate (t/lib/gate.c), and "full" is a fact the block waits for
# (Smallpt::fill_pool) before it asks; or with renders that never end by
# themselves (Smallpt::endless), stopped when the block's clients go.

use Smallpt::Preload qw(gate);
use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a static file answers at once while renders fill the pool
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_max_spp 1000000;
    }
--- user_files
>>> static.txt
hello
--- init
Smallpt::get_in_background(Smallpt::endless("/render"), 3);
Smallpt::wait_log(qr/run task #\d+ in thread pool "smallpt"/, 2,
                  "both threads were not rendering");
--- request eval
"GET /static.txt"
--- error_code: 200
--- response_body
hello
--- error_log
smallpt: rendering 2048x2048 spp 1000000 png in 2 tasks
--- timeout: 2



=== TEST 2: the queue is full: 503 with Retry-After, at once
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- http_config
    log_format retry 'status=$status retry_after="$sent_http_retry_after"';
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
        access_log logs/error.log retry;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/status=503/, 2);
--- request eval
["GET /render?spp=4&w=64&h=48", "GET /render?spp=4&w=64&h=48"]
--- error_code eval
[503, 503]
--- response_headers eval
["Retry-After: 1\nContent-Type: text/plain\n!ETag",
 "Retry-After: 1\nContent-Type: text/plain\n!ETag"]
--- response_body eval
["render queue full; try again later\n",
 "render queue full; try again later\n"]
--- error_log eval
["status=503 retry_after=\"1\"", "status=503 retry_after=\"1\""]
--- timeout: 2



=== TEST 3: one error-log line per refusal: nginx's the first time, then the module's own
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /page {
        default_type text/html;
        ssi on;
        return 200 '<!--#include virtual="/render?spp=4&w=64&h=48" -->|<!--#include virtual="/render?spp=4&w=64&h=47" -->';
    }
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/render refused/);
--- request
GET /page
--- error_code: 200
--- response_body
render queue full; try again later
|render queue full; try again later
--- no_error_log eval
qr/malloc: \w+:9024\b/
--- grep_error_log eval
qr/thread pool "busy" queue overflow|smallpt: thread pool "busy" is full, render refused|\[error\].*smallpt:/
--- grep_error_log_out
thread pool "busy" queue overflow
smallpt: thread pool "busy" is full, render refused
--- timeout: 2



=== TEST 4: refusals kept out of the error log by its level where they render
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- http_config
    log_format status 'status=$status';
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
        error_log logs/error.log error;
        access_log logs/error.log status;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/status=503/, 3);
--- request eval
["GET /render?spp=4&w=64&h=48", "GET /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48"]
--- error_code eval
[503, 503, 503]
--- no_error_log
render refused
--- timeout: 2



=== TEST 5: smallpt_retry_after
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
        smallpt_retry_after 30s;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/queue overflow/);
--- request eval
"GET /render?spp=4&w=64&h=48"
--- error_code: 503
--- response_headers
Retry-After: 30
--- timeout: 2



=== TEST 6: concurrent renders share the pool; a queued one is served
--- main_config
    thread_pool smallpt threads=2 max_queue=64;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::close_gate();
Smallpt::get_in_background("/render?spp=4&w=64&h=48", 3);
Smallpt::wait_held(2, "the pool's threads were not busy");
Smallpt::wait_log(qr/smallpt: rendering 64x48 spp 4 png in 2 tasks/, 3,
                  "the renders before this one were not all posted");
Smallpt::open_gate_when(qr/smallpt: rendering 160x120 spp 8 ppm in 2 tasks/);
--- request eval
"GET /render?spp=8&w=160&h=120&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")
--- error_log
smallpt: rendering 64x48 spp 4 png in 2 tasks
smallpt: rendering 160x120 spp 8 ppm in 2 tasks
--- no_error_log
[error]
--- timeout: 20



=== TEST 7: part of a render's tasks queued, the rest refused: still exact
--- main_config
    thread_pool narrow threads=1 max_queue=2;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool narrow;
        smallpt_render_threads 4;
    }
--- init
Smallpt::close_gate();
Smallpt::open_gate_when(qr/smallpt: rendering 160x120 spp 8 ppm in \d tasks/);
--- request
GET /render?spp=8&w=160&h=120&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")
--- error_log eval
['thread pool "narrow" queue overflow',
 qr/smallpt: rendering 160x120 spp 8 ppm in [23] tasks/]



=== TEST 8: streamed fan-outs find the pool full: 503, never 500; the pool recovers
--- main_config
    thread_pool tiny threads=1 max_queue=2;
    thread_pool bands threads=2;
--- http_config
    log_format fanned '$uri $status';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_thread_pool bands;
            smallpt_render_threads 1;
        }
    }
--- config
    # the time limit is not what this block is about: under valgrind the
    # endless render would reach the default 60 s before the fan-outs ask
    smallpt_time_limit 10m;
    location = /render {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_render_threads 1;
        smallpt_max_spp 1000000;
    }
    location = /fan {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_stream on;
        smallpt_fanout /band bands=1;
        access_log logs/error.log fanned;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- init
# tiny's one thread renders for ever; the four fan-outs' encoders find
# room for two tasks in its queue: the other two are refused. Once the
# endless render's client has left, the two queued encode and answer.
Smallpt::leave_when("GET " . Smallpt::endless("/render"),
                    qr/^\/fan (?:5\d\d)/, 2);
Smallpt::wait_log(qr/run task #\d+ in thread pool "tiny"/, 1,
                  "the endless render did not start");
Smallpt::get_in_background("/fan?spp=4&w=8&h=6&format=ppm", 4);
Smallpt::wait_log(qr/^\/fan \d{3}/, 4, "the fan-outs were not all answered");
--- request
GET /render?spp=4&w=8&h=6&format=ppm
--- error_code: 200
--- response_body_like eval
qr/^P3\n8 6\n255\n/
--- grep_error_log eval
qr/^\/fan \d+/
--- grep_error_log_out
/fan 503
/fan 503
/fan 200
/fan 200
--- no_error_log
[alert]
cannot encode
--- timeout: 10



=== TEST 9: another user of the pool (aio threads) fills it: refused, then accepted again
--- main_config
    thread_pool tiny threads=1 max_queue=2;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_render_threads 1;
    }
    location /files/ {
        aio threads=tiny;
        sendfile off;
    }
--- user_files
>>> files/a.txt
a file read in the pool's threads
--- init
# one render held in tiny's thread, two file reads in its queue: the
# queue is full of tasks that are not the module's
Smallpt::close_gate();
Smallpt::get_in_background("/render?spp=4&w=8&h=8", 1);
Smallpt::wait_held(1, "the render did not start");
Smallpt::get_in_background("/files/a.txt", 2);
Smallpt::wait_log(qr/task #\d+ added to thread pool "tiny"/, 3,
                  "the file reads were not queued");
--- request
GET /render?spp=4&w=8&h=6
--- error_code: 503
--- error_log
thread pool "tiny" queue overflow



=== TEST 10: once the pool is idle again, renders are accepted without a reload
--- init
Smallpt::open_gate();
Smallpt::wait_log(qr/complete task #\d+ in thread pool "tiny"/, 3,
                  "the render and the reads did not finish");
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm", "GET /render?spp=4&w=64&h=48&format=ppm"]
--- error_code eval
[200, 200]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm")]



=== TEST 11: a streamed fan-out whose next rows find the pool full: they wait their turn
--- main_config
    thread_pool tiny threads=1 max_queue=1;
    thread_pool bands threads=2;
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_thread_pool bands;
        }
    }
    # the first band from nginx, the second from Smallpt::serve_when
    map $arg_rows $band_server {
        volatile;
        ~^0-     127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        default  127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_render_threads 1;
        smallpt_max_spp 1000000;
    }
    location = /fan {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_stream on;
        smallpt_fanout /band bands=2 retries=0;
    }
    location = /band {
        internal;
        proxy_pass http://$band_server;
    }
--- init
# Once the first band's rows went to the client, tiny's thread takes an
# endless render and its queue a small one; only then does the second
# band come (smallpt.cpp's own rows), to find no room for its encoding.
# The endless render's client leaves once the rows are said to wait.
Smallpt::serve_when(Smallpt::rand_port(2),
    qr/task #\d+ added to thread pool "tiny"/,
    sub { Smallpt::band_answer("64x48_spp4.ppm", 4, $_[0]) }, 3);
Smallpt::in_background(sub {
    Smallpt::wait_log(qr/smallpt: streaming 64x48 ppm: headers sent/)
        or return;
    my $endless = Smallpt::send_request("GET " . Smallpt::endless("/render"));
    Smallpt::wait_log(qr/run task #\d+ in thread pool "tiny"/, 2) or return;
    my $small = Smallpt::send_request("GET /render?spp=4&w=8&h=8");
    Smallpt::wait_log(qr/rows \d+-47 wait to be encoded/) or return;
    close $endless;
    1 while <$small>;
});
--- request
GET /fan?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Transfer-Encoding: chunked
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log eval
qr/smallpt: thread pool "tiny" is full, rows \d+-47 wait to be encoded/
--- no_error_log
[alert]
--- timeout: 20



=== TEST 12: the client of a streamed fan-out leaves while its rows wait for room
--- main_config
    thread_pool tiny threads=1 max_queue=1;
    thread_pool bands threads=2;
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_thread_pool bands;
        }
    }
    map $arg_rows $band_server {
        volatile;
        ~^0-     127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        default  127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_render_threads 1;
        smallpt_max_spp 1000000;
    }
    location = /fan {
        smallpt;
        smallpt_thread_pool tiny;
        smallpt_stream on;
        smallpt_fanout /band bands=2 retries=0;
    }
    location = /band {
        internal;
        proxy_pass http://$band_server;
    }
--- init
# as in TEST 11, but the fan-out's client leaves once its rows wait for
# room; then the pool frees up. Nothing may act on the request nginx
# freed (a retry, a tick of the stream): the worker goes on.
Smallpt::serve_when(Smallpt::rand_port(2),
    qr/task #\d+ added to thread pool "tiny"/,
    sub { Smallpt::band_answer("64x48_spp4.ppm", 4, $_[0]) }, 3);
Smallpt::leave_when("GET /fan?spp=4&w=64&h=48&format=ppm",
                    qr/rows \d+-47 wait to be encoded/);
Smallpt::in_background(sub {
    Smallpt::wait_log(qr/smallpt: streaming 64x48 ppm: headers sent/)
        or return;
    my $endless = Smallpt::send_request("GET " . Smallpt::endless("/render"));
    Smallpt::wait_log(qr/run task #\d+ in thread pool "tiny"/, 2) or return;
    my $small = Smallpt::send_request("GET /render?spp=4&w=8&h=8");
    Smallpt::wait_log(qr/smallpt: request terminated, its last rows not/)
        or return;
    close $endless;
    1 while <$small>;
});
Smallpt::wait_log(qr/complete task #\d+ in thread pool "tiny"/, 3,
                  "the pool did not free up after the client left");
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
smallpt: request terminated, its last rows not encoded yet
--- no_error_log
[alert]
--- timeout: 20
