# Clients that read slowly, or not at all: a finished image waits for its
# client with its memory, while its pool thread renders the next one. The
# images that wait are counted per worker, and while they hold
# smallpt_max_unsent bytes no render starts: 503 with Retry-After, one
# line in the error log. The memory is bounded by the configuration, not
# by the number of slow clients.
#
# The slow clients here ask a server whose send buffer is 4 KB, with a
# receive buffer of 4 KB, and never read: a 256x192 PPM (590 KB) stays
# with nginx until they go.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: images wait for slow clients: past smallpt_max_unsent, renders are refused
--- http_config
    smallpt_max_unsent 1m;

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 sndbuf=4k;
        location = /render {
            smallpt;
        }
    }
--- config
    location = /render {
        smallpt;
    }
    location = /stream {
        smallpt;
        smallpt_stream on;
    }
--- init
Smallpt::slow_clients(Smallpt::rand_port(1),
                      "/render?spp=4&w=256&h=192&format=ppm", 2);
Smallpt::wait_log(qr/smallpt: \d+ bytes of the image wait for the client/, 2,
                  "the two images did not wait for their clients");
--- request eval
["GET /render?spp=4&w=8&h=6", "GET /stream?spp=4&w=8&h=6"]
--- error_code eval
[503, 503]
--- response_headers eval
["Retry-After: 1", "Retry-After: 1"]
--- response_body eval
["render queue full; try again later\n", "render queue full; try again later\n"]
--- error_log eval
qr/smallpt: \d+ bytes of images wait for their clients \(smallpt_max_unsent 1048576\), render refused/



=== TEST 2: once the slow clients are gone, their images are freed and renders start
--- init
Smallpt::drop_slow();
Smallpt::wait_log(qr/smallpt: \d+ bytes of an image freed, 0 in all/, 1,
                  "the images were not freed");
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 3: without a limit (0), slow clients hold what they hold, renders go on
--- http_config
    smallpt_max_unsent 0;

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 sndbuf=4k;
        location = /render {
            smallpt;
        }
    }
--- config
    location = /render {
        smallpt;
    }
--- init
Smallpt::drop_slow();
Smallpt::slow_clients(Smallpt::rand_port(1),
                      "/render?spp=4&w=256&h=192&format=ppm", 2);
Smallpt::wait_log(qr/smallpt: \d+ bytes of the image wait for the client/, 2,
                  "the two images did not wait for their clients");
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 4: smallpt_max_unsent is a size, in the http block only
--- config
    location = /render {
        smallpt;
        smallpt_max_unsent 1m;
    }
--- request
GET /render
--- must_die
--- error_log
"smallpt_max_unsent" directive is not allowed here
