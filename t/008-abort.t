# A client that goes away mid-render: the render stops within a bounce, the
# access log (sent to the error log here) shows 499, and the pool's threads
# are free for the next request at once.
#
# The renders here never end by themselves (Smallpt::endless); a client
# leaves once the error log shows its render posted (Smallpt::leave_when),
# and each block waits for the cancellation before its own request.
#
# Not under valgrind: TEST 3. valgrind runs one thread at a time, so with
# two threads rendering, nginx's event loop takes minutes to accept ten
# requests, and the renders meet their time limit first.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the client closes the connection: the render is cancelled
--- main_config
    thread_pool smallpt threads=2;
--- http_config
    log_format render 'status=$status render=$smallpt_render_time';
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_max_spp 1000000;
        access_log logs/error.log render;
    }
--- init
Smallpt::leave_when("GET " . Smallpt::endless("/render"),
                    qr/smallpt: rendering 2048x2048 spp 1000000 png in 2 tasks/);
Smallpt::wait_log(qr/status=499/, 1, "the client that left was not logged");
--- request
GET /render?spp=4&w=8&h=8
--- error_code: 200
--- error_log
client prematurely closed connection
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
status=499 render=-
--- no_error_log
[alert]



=== TEST 2: after an aborted render the threads serve the next one at once
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_max_spp 1000000;
    }
--- init
Smallpt::leave_when("GET " . Smallpt::endless("/render"),
                    qr/smallpt: rendering 2048x2048/);
Smallpt::wait_log(qr/smallpt: render cancelled after/, 1,
                  "the render was not cancelled");
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
smallpt: render cancelled after



=== TEST 3: many aborted renders in a row: no alert, the next one served
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_max_spp 1000000;
    }
--- init
Smallpt::leave_when("GET " . Smallpt::endless("/render"),
                    qr/smallpt: rendering 2048x2048/, 10)
    for 1 .. 10;
Smallpt::wait_log(qr/smallpt: render cancelled after/, 10,
                  "the ten renders were not all cancelled");
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- no_error_log
[alert]
[crit]



=== TEST 4: a client that leaves while its body is still discarded
--- config
    location = /render {
        smallpt;
        smallpt_max_spp 1000000;
    }
--- init
Smallpt::leave_when("GET " . Smallpt::endless("/render") . " HTTP/1.1\r\n"
                    . "Host: localhost\r\nContent-Length: 100000\r\n\r\n"
                    . "only the start of the body",
                    qr/smallpt: rendering 2048x2048/);
Smallpt::wait_log(qr/smallpt: render cancelled after/, 1,
                  "the render was not cancelled");
--- request
GET /render?spp=4&w=8&h=8
--- error_code: 200
--- error_log
client prematurely closed connection
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
--- no_error_log
[alert]
