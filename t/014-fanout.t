# Fan-out in one nginx: a front location whose render is split into bands
# of rows, each asked of an upstream (here: two servers of the same nginx)
# as raw RGB, and stitched into exactly the image a local render gives.
# Separate band servers that die, hang or lie: scripts/test-cluster (make
# cluster).

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
worker_connections(1024);
run_tests();

__DATA__

=== TEST 1: bands are the same rows of the whole image, as raw RGB
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=rgb&rows=0-47",
 "GET /render?spp=4&w=64&h=48&format=rgb&rows=10-12",
 "GET /render?spp=4&w=64&h=48&format=ppm&rows=47-47"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["Content-Type: application/octet-stream\nContent-Length: 9216\nETag: \"smallpt1.2.0-64x48-4spp-rows0-47-rgb\"",
 "Content-Length: 576\nETag: \"smallpt1.2.0-64x48-4spp-rows10-12-rgb\"",
 "Content-Type: image/x-portable-pixmap\nETag: \"smallpt1.2.0-64x48-4spp-rows47-47-ppm\""]
--- response_body eval
[Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm")),
 substr(Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm")), 10 * 64 * 3, 3 * 64 * 3),
 Smallpt::ppm_band(Smallpt::reference("64x48_spp4.ppm"), 47, 47)]



=== TEST 2: bad ranges are a 400 like every other parameter
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?w=64&h=48&rows=0-48", "GET /render?rows=5",
 "GET /render?rows=3-2&format=rgb"]
--- error_code eval
[400, 400, 400]
--- response_body eval
["rows: 0-48 is not within the image; expected FIRST-LAST with 0 <= FIRST <= LAST <= 47\n",
 "rows: not a range; expected FIRST-LAST, two integers from 0 to the height - 1\n",
 "rows: 3-2 is not within the image; expected FIRST-LAST with 0 <= FIRST <= LAST <= 767\n"]



=== TEST 3: fanned out in 7 bands (48 rows: not a multiple), PPM and PNG
--- http_config
    upstream bands {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
    log_format fan 'status=$status bands=$smallpt_bands '
                   'retries=$smallpt_band_retries slowest=$smallpt_band_time';
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=7;
        access_log logs/error.log fan;
    }
    location = /band {
        internal;
        proxy_pass http://bands/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=8&w=160&h=120&format=ppm",
 "GET /render?spp=4&w=64&h=48"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["ETag: \"smallpt1.2.0-64x48-4spp-ppm\"\nContent-Type: image/x-portable-pixmap",
 "ETag: \"smallpt1.2.0-160x120-8spp-ppm\"",
 "Content-Type: image/png\nContent-Disposition: inline; filename=\"image.png\""]
--- response_body_filters eval
[[], [], [\&Smallpt::png_to_ppm]]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("160x120_spp8.ppm"),
 Smallpt::reference("64x48_spp4.ppm")]
--- error_log eval
qr/status=200 bands=7 retries=0 slowest=\d+\.\d{3}/
--- no_error_log
[error]



=== TEST 4: 1, 3, 32 and one band a row: always the same image
--- http_config
    upstream bands {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
    log_format fan 'status=$status bands=$smallpt_bands';
--- config
    location = /one {
        smallpt;
        smallpt_fanout /band bands=1;
        access_log logs/error.log fan;
    }
    location = /three {
        smallpt;
        smallpt_fanout /band bands=3;
        access_log logs/error.log fan;
    }
    location = /thirty-two {
        smallpt;
        smallpt_fanout /band bands=32;
        access_log logs/error.log fan;
    }
    location = /row-each {
        smallpt;
        smallpt_fanout /band bands=4096;
        access_log logs/error.log fan;
    }
    location = /band {
        internal;
        proxy_pass http://bands/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
--- request
GET /one?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
status=200 bands=1



=== TEST 5: ... 3 bands
--- request
GET /three?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
status=200 bands=3



=== TEST 6: ... 32 bands
--- request
GET /thirty-two?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
status=200 bands=32



=== TEST 7: ... as many bands as rows, one row each
--- request
GET /row-each?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
status=200 bands=48
--- no_error_log
[error]



=== TEST 8: a request that names its rows is rendered here, never fanned out
--- http_config
    log_format fan 'status=$status bands=$smallpt_bands';
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=7;
        access_log logs/error.log fan;
    }
    location = /band {
        internal;
        return 500;
    }
--- request
GET /render?spp=4&w=64&h=48&format=rgb&rows=0-47
--- error_code: 200
--- response_body eval
Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm"))
--- error_log
status=200 bands=-



=== TEST 9: a band that fails is asked again; past its retries, 502
--- http_config
    log_format fan 'status=$status bands=$smallpt_bands retries=$smallpt_band_retries';
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=3 retries=2;
        access_log logs/error.log fan;
    }
    location = /band {
        internal;
        return 503;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 502
--- response_headers
Content-Type: text/plain
--- response_body
a band of the image could not be rendered
--- error_log eval
[qr/smallpt: band \d \(rows \d+-\d+\) failed on no server: not 200 \(status 503, 0 of \d+ bytes\), try 3 of 3/,
 qr/status=502 bands=3 retries=[2-6]/]



=== TEST 10: the time limit while bands are out: 504, and they are cancelled
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            limit_rate 1;
            return 200 "a band that takes forever to arrive";
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=2;
        smallpt_time_limit 500ms;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        proxy_buffering off;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 504
--- response_body
render time limit exceeded waiting for bands
--- error_log
smallpt: render time limit exceeded with 0 of 2 bands in, cancelling 64x48 spp 4
--- no_error_log
[alert]
--- timeout: 3



=== TEST 11: fanned out and streamed: chunked, bands in order, the same bytes
--- http_config
    upstream bands {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
--- config
    location = /streamed {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=7;
    }
    location = /buffered {
        smallpt;
    }
    location = /band {
        internal;
        proxy_pass http://bands/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
--- request eval
["GET /buffered?spp=8&w=160&h=120", "GET /streamed?spp=8&w=160&h=120",
 "GET /streamed?spp=8&w=160&h=120&format=ppm"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["!Transfer-Encoding", "Transfer-Encoding: chunked\n!Content-Length",
 "Transfer-Encoding: chunked"]
--- response_body_filters eval
my $buffered;
[[sub { $buffered = $_[0]; "buffered\n" }],
 [sub { $_[0] eq $buffered ? "the same bytes\n" : "other bytes\n" }],
 []]
--- response_body eval
["buffered\n", "the same bytes\n", Smallpt::reference("160x120_spp8.ppm")]
--- no_error_log
[error]



=== TEST 13: streamed, a band that fails before the first is sent: 502
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=3 retries=1;
    }
    location = /band {
        internal;
        return 503;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 502
--- response_headers
Content-Type: text/plain
!Transfer-Encoding
--- response_body
a band of the image could not be rendered
--- no_error_log
[alert]



=== TEST 14: streamed, the time limit before the first band: 504
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            limit_rate 1;
            return 200 "a band that takes forever to arrive";
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=2;
        smallpt_time_limit 500ms;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        proxy_buffering off;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 504
--- response_body
render time limit exceeded waiting for bands
--- no_error_log
[alert]
--- timeout: 3



=== TEST 15: streamed, a band that fails after the first was sent: a cut answer
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
        }
    }
    # the first band from nginx, the others from Smallpt::serve_when
    # (volatile: subrequests share their parent's cached variables)
    map $arg_rows $band_server {
        volatile;
        ~^0-     127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        default  127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=3 retries=0;
    }
    location = /band {
        internal;
        proxy_pass http://$band_server;
    }
--- init
# the other bands answer too short, once the client's headers have gone
# with the first band's rows (nginx's debug line of them)
Smallpt::serve_when(Smallpt::rand_port(2), qr/^Transfer-Encoding: chunked/,
                    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\ntoo short");
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- ignore_response
--- error_log eval
qr/smallpt: streamed 64x48 spp 4 cut after \d+ bytes: a band of the image could not be rendered/
--- no_error_log
[alert]
--- timeout: 8



=== TEST 12: the metrics count band requests, retries and failures
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
--- config
    location = /good {
        smallpt;
        smallpt_fanout /band bands=3;
        smallpt_metrics_name good;
    }
    location = /bad {
        smallpt;
        smallpt_fanout /refused bands=1 retries=2;
        smallpt_metrics_name bad;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location = /refused {
        internal;
        return 503;
    }
    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET /good?spp=4&w=64&h=48&format=ppm", "GET /bad?spp=4&w=64&h=48",
 "GET /metrics"]
--- error_code eval
[200, 502, 200]
--- response_body_filters eval
[[], [], [sub { CORE::join('', grep { /^smallpt_(band_\w+|requests_total)\{location="(good|bad)"(,outcome="(ok|failed)")?\}/ } split /^/m, $_[0]) }]]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), "a band of the image could not be rendered\n",
 qq{smallpt_requests_total{location="good",outcome="ok"} 1
smallpt_requests_total{location="good",outcome="failed"} 0
smallpt_requests_total{location="bad",outcome="ok"} 0
smallpt_requests_total{location="bad",outcome="failed"} 1
smallpt_band_requests_total{location="good"} 3
smallpt_band_requests_total{location="bad"} 3
smallpt_band_retries_total{location="good"} 0
smallpt_band_retries_total{location="bad"} 2
smallpt_band_failures_total{location="good"} 0
smallpt_band_failures_total{location="bad"} 1
}]



=== TEST 16: a fan-out's image is a render for the metrics and $smallpt_render_time
--- http_config
    log_format timed '$uri render=$smallpt_render_time';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
            smallpt_render_threads 1;
        }
    }
--- config
    location = /streamed {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=3;
        access_log logs/error.log timed;
    }
    location = /buffered {
        smallpt;
        smallpt_fanout /band bands=3;
        smallpt_metrics_name /streamed;
        access_log logs/error.log timed;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location = /metrics {
        smallpt_metrics;
    }
--- init
for my $uri ("/streamed", "/buffered") {
    my ($status, $body) = Smallpt::get("$uri?spp=4&w=64&h=48&format=ppm");
    $body eq Smallpt::reference("64x48_spp4.ppm")
        or Test::More::fail("premise: $uri did not answer the image ($status)");
}
--- request
GET /metrics
--- response_body_filters eval
Smallpt::metrics_lines('smallpt_render_seconds_count{location="/streamed"}',
                       'smallpt_requests_total{location="/streamed",outcome="ok"}')
--- response_body
smallpt_requests_total{location="/streamed",outcome="ok"} 2
smallpt_render_seconds_count{location="/streamed"} 2
--- error_log eval
[qr{^/streamed render=\d+\.\d{3}$}, qr{^/buffered render=\d+\.\d{3}$}]



=== TEST 17: a band server that redirects (X-Accel-Redirect): 502 once, the connection goes on
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Accel-Redirect /elsewhere;
            return 200 "a redirect\n";
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=2 retries=1;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location = /elsewhere {
        return 200 "not a band\n";
    }
    location = /after {
        return 200 "after\n";
    }
--- pipelined_requests eval
["GET /render?spp=4&w=8&h=6", "GET /after"]
--- error_code eval
[502, 200]
--- response_body eval
["a band of the image could not be rendered\n", "after\n"]
--- no_error_log
[alert]
--- timeout: 5



=== TEST 18: a band server that redirects to the fan-out location: no fan-out from a band
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Accel-Redirect "/render?spp=4&w=32&h=24";
            return 200 "a redirect\n";
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=4 retries=0;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET /render?spp=4&w=32&h=24", "GET /metrics"]
--- error_code eval
[502, 200]
--- response_body_filters eval
[[], [Smallpt::metrics_lines('smallpt_band_requests_total')]]
--- response_body eval
["a band of the image could not be rendered\n",
 "smallpt_band_requests_total{location=\"/render\"} 4\n"]
--- no_error_log
[alert]
--- timeout: 5



=== TEST 19: the band location renders itself (internal; smallpt;): the image
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=3;
    }
    location = /band {
        internal;
        smallpt;
    }
--- pipelined_requests eval
["GET /render?spp=4&w=64&h=48&format=ppm", "GET /render?spp=4&w=64&h=48&format=ppm"]
--- error_code eval
[200, 200]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm")]
--- no_error_log
[alert]
[error]
--- timeout: 5



=== TEST 20: the band location's error_page: the band failed all the same, 502 once
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=3 retries=0;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        error_page 502 = @here;
    }
    location @here {
        smallpt;
    }
    location = /after {
        return 200 "after\n";
    }
--- pipelined_requests eval
["GET /render?spp=4&w=64&h=48&format=ppm", "GET /after"]
--- error_code eval
[502, 200]
--- response_body eval
["a band of the image could not be rendered\n", "after\n"]
--- no_error_log
[alert]
--- timeout: 5



=== TEST 21: a fan-out location that is its own band location: refused by nginx -t
--- config
    location = /render {
        smallpt;
        smallpt_fanout /render;
    }
--- request
GET /render
--- must_die
--- error_log
smallpt: "smallpt_fanout /render" names its own location: its bands would fan out again



=== TEST 22: twenty fan-outs whose band server redirects: no descriptor left behind
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Accel-Redirect /elsewhere;
            return 200 "a redirect\n";
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=2 retries=1;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location = /elsewhere {
        return 200 "not a band\n";
    }
--- init
# nginx runs as one process here: its descriptors, before and after
my $pid = Test::Nginx::Util::get_pid_from_pidfile('');
my $fds = sub { my @fd = glob "/proc/$pid/fd/*"; scalar @fd };
my $before = $fds->();
Smallpt::fire(4, ("GET /render?spp=4&w=8&h=6") x 20);
$main::fired = $Smallpt::fired{failed} // 0;
$main::left = $fds->() - $before;
--- request
GET /elsewhere
--- response_body_filters eval
sub { "502s $main::fired, descriptors left $main::left\n" }
--- response_body
502s 20, descriptors left 0
--- no_error_log
[alert]
