# smallpt_stream on: the image is sent as it renders, chunked, and its
# bytes are exactly the buffered answer's. Timing, trailers and cut
# answers are checked by scripts/test-stream (make test-stream).

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: streamed PPM, PNG and raw RGB are the buffered bytes
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
--- request eval
["GET /render?spp=8&w=160&h=120&format=ppm",
 "GET /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48&format=rgb&rows=5-30"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["Transfer-Encoding: chunked\n!Content-Length\n!Server-Timing\nETag: \"smallpt1.2.0-160x120-8spp-ppm\"",
 "Transfer-Encoding: chunked\nContent-Type: image/png\nContent-Disposition: inline; filename=\"image.png\"",
 "Transfer-Encoding: chunked\nETag: \"smallpt1.2.0-64x48-4spp-rows5-30-rgb\""]
--- response_body_filters eval
[[], [\&Smallpt::png_to_ppm], []]
--- response_body eval
[Smallpt::reference("160x120_spp8.ppm"), Smallpt::reference("64x48_spp4.ppm"),
 substr(Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm")), 5 * 64 * 3, 26 * 64 * 3)]



=== TEST 2: the same PNG and PPM bytes, streamed or not
--- config
    location = /streamed {
        smallpt;
        smallpt_stream on;
    }
    location = /buffered {
        smallpt;
    }
--- request eval
["GET /buffered?spp=8&w=333&h=17", "GET /streamed?spp=8&w=333&h=17",
 "GET /buffered?spp=4&w=100&h=75&format=ppm",
 "GET /streamed?spp=4&w=100&h=75&format=ppm"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_filters eval
my $buffered;
my $keep = sub { $buffered = $_[0]; "buffered\n" };
my $same = sub { $_[0] eq $buffered ? "the same bytes\n" : "other bytes\n" };
[[$keep], [$same], [$keep], [$same]]
--- response_body eval
["buffered\n", "the same bytes\n", "buffered\n", "the same bytes\n"]



=== TEST 3: headers only, 304 and refusals do not stream
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
--- request eval
["HEAD /render?spp=4&w=64&h=48", "GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=3"]
--- more_headers eval
["", "If-None-Match: \"smallpt1.2.0-64x48-4spp-ppm\"", ""]
--- error_code eval
[200, 304, 400]
--- response_headers eval
["!Transfer-Encoding", "!Transfer-Encoding", "Content-Length: 56"]



=== TEST 4: a subrequest (SSI) is not streamed: its page is
--- config
    location = /page {
        default_type text/html;
        ssi on;
        return 200 'A<!--#include virtual="/render?w=4&h=3&format=ppm" -->B';
    }
    location = /render {
        smallpt;
        smallpt_stream on;
    }
--- request
GET /page
--- error_code: 200
--- response_body_like chomp
^AP3\n4 3\n255\n(\d+ ){36}B$



=== TEST 5: the default is off: Content-Length and Server-Timing as before
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- response_headers
Content-Length: 22851
!Transfer-Encoding
--- raw_response_headers_like chomp
Server-Timing: queue;dur=



=== TEST 6: TE: trailers announces the Server-Timing trailer; no TE, none
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
--- request eval
["GET /render?spp=4&w=8&h=6", "GET /render?spp=4&w=8&h=6"]
--- more_headers eval
["TE: trailers", ""]
--- error_code eval
[200, 200]
--- response_headers eval
["Trailer: Server-Timing\nTransfer-Encoding: chunked\n!Server-Timing",
 "!Trailer\nTransfer-Encoding: chunked\n!Server-Timing"]



=== TEST 7: no trailer where none can be sent: HTTP/1.0, or chunks off
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
    location = /unchunked {
        smallpt;
        smallpt_stream on;
        chunked_transfer_encoding off;
    }
--- request eval
["GET /render?spp=4&w=8&h=6&format=ppm HTTP/1.0",
 "GET /unchunked?spp=4&w=8&h=6&format=ppm"]
--- more_headers eval
["TE: trailers", "TE: trailers"]
--- error_code eval
[200, 200]
--- response_headers eval
["!Trailer\n!Transfer-Encoding\n!Server-Timing",
 "!Trailer\n!Transfer-Encoding\n!Server-Timing"]
--- response_body_like eval
[qr/^P3\n8 6\n255\n(\d+ ){144}$/, qr/^P3\n8 6\n255\n(\d+ ){144}$/]



=== TEST 8: Expect: 100-continue: no "100 Continue" inside the streamed answer
--- http_config
    upstream bands {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            smallpt;
        }
    }
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
    location = /fan {
        smallpt;
        smallpt_stream on;
        smallpt_fanout /band bands=3;
    }
    location = /band {
        internal;
        proxy_pass http://bands/;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm", "GET /fan?spp=4&w=64&h=48&format=ppm"]
--- more_headers eval
["Expect: 100-continue\nContent-Length: 0", "Expect: 100-continue\nContent-Length: 0"]
--- error_code eval
[200, 200]
--- response_headers eval
["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm")]
