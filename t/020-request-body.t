# Every answer the module makes leaves a keep-alive connection ready for
# the client's next request: a request body is read and thrown away (or
# the connection closed), never parsed as a request of its own. Each block
# sends, on one connection, a request whose 43-byte body is itself a
# request for /smuggled, then a request for /after: the answers must be
# the module's and /after's, and /smuggled never asked.

use Smallpt::Preload qw(gate failalloc);
use Test::Nginx::Socket;
use Smallpt;

plan('no_plan');

our $smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";

# The two requests of a block: $first with the body, then /after.
sub pair {
    my ($first) = @_;
    return ["$first\n$smuggled", "GET /after"];
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', ($block->http_config // '') . q{
    log_format uri 'asked $request_uri';
});
    $block->set_value('config', $block->config . q{
    location = /smuggled {
        return 200 "smuggled\n";
    }
    location = /after {
        return 200 "after\n";
    }
    access_log logs/error.log uri;
});
    $block->set_value('no_error_log', "asked /smuggled\n[alert]\n")
        unless defined $block->no_error_log;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: 200, the image
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6&format=ppm")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^P3\n8 6\n255\n/, qr/^after$/]



=== TEST 2: 200, streamed
--- config
    location = /render {
        smallpt;
        smallpt_stream on;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6&format=ppm")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^P3\n8 6\n255\n/, qr/^after$/]



=== TEST 3: 400, a bad parameter
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=x")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[400, 200]
--- response_body eval
["spp: not a decimal integer; expected an integer from 4 to 1024\n", "after\n"]



=== TEST 4: 405, a method other than GET and HEAD
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
main::pair("POST /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[405, 200]
--- response_body eval
["method not allowed; use GET or HEAD\n", "after\n"]



=== TEST 5: 412 and 304, the preconditions
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
["GET /render?spp=4&w=8&h=6\n$main::smuggled",
 "GET /render?spp=4&w=8&h=6\n$main::smuggled", "GET /after"]
--- more_headers eval
["Content-Length: 43\nIf-Match: \"another\"",
 "Content-Length: 43\nIf-None-Match: *", ""]
--- error_code eval
[412, 304, 200]
--- response_body_like eval
[qr/412 Precondition Failed/, qr/^$/, qr/^after$/]



=== TEST 6: HEAD
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
main::pair("HEAD /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[200, 200]
--- response_body eval
["", "after\n"]



=== TEST 7: 503, the pool's queue is full (nginx refuses the task)
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/asked \/after/);
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[503, 200]
--- response_body eval
["render queue full; try again later\n", "after\n"]



=== TEST 8: 503 twice, nginx's refusal then the module's own, streamed
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
        smallpt_stream on;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/asked \/after/);
--- pipelined_requests eval
["GET /render?spp=4&w=8&h=6\n$main::smuggled",
 "GET /render?spp=4&w=8&h=6\n$main::smuggled", "GET /after"]
--- more_headers eval
["Content-Length: 43", "Content-Length: 43", ""]
--- error_code eval
[503, 503, 200]
--- response_body eval
["render queue full; try again later\n",
 "render queue full; try again later\n", "after\n"]



=== TEST 9: 503, the time limit
--- config
    location = /render {
        smallpt;
        smallpt_time_limit 100ms;
        smallpt_max_spp 1000000;
    }
--- pipelined_requests eval
main::pair("GET " . Smallpt::endless("/render"))
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[503, 200]
--- response_body eval
["render time limit exceeded\n", "after\n"]



=== TEST 10: 500, the render fails (out of memory): the connection is closed
--- skip_eval: 4: $ENV{TEST_NGINX_USE_VALGRIND} || Smallpt::Preload::missing()
--- main_config
    env SMALLPT_FAIL_ALLOC_ABOVE=0;
--- config
    location = /render {
        smallpt;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[500, ""]
--- response_headers eval
["Connection: close", ""]



=== TEST 11: 502, a band fails (fan-out)
--- config
    location = /render {
        smallpt;
        smallpt_fanout /band bands=2 retries=0;
    }
    location = /band {
        internal;
        return 503;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[502, 200]
--- response_body eval
["a band of the image could not be rendered\n", "after\n"]



=== TEST 12: 504, the time limit while bands are out (fan-out, streamed)
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
        smallpt_time_limit 200ms;
    }
    location = /band {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- pipelined_requests eval
main::pair("GET /render?spp=4&w=8&h=6")
--- more_headers eval
["Content-Length: 43", ""]
--- error_code eval
[504, 200]
--- response_body eval
["render time limit exceeded waiting for bands\n", "after\n"]
