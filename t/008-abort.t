# A client that goes away mid-render: the render stops within a bounce, the
# access log (sent to the error log here) shows 499, and the pool's threads
# are free for the next request at once.

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
        access_log logs/error.log render;
    }
--- request
GET /render?spp=1024&w=1024&h=768
--- abort
--- ignore_response
--- timeout: 0.5
--- wait eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 15 : 1
--- error_log
client prematurely closed connection
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
status=499 render=-
--- no_error_log
[alert]



=== TEST 2: after an aborted render the threads serve the next one at once
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::get_in_background("/render?spp=1024&w=1024&h=768", 1, 0.1, 0.5);
Time::HiRes::sleep(1);
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log
smallpt: render cancelled after
--- timeout: 1



=== TEST 3: many aborted renders in a row: no alert, the next one served
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::get_in_background("/render?spp=1024&w=1024&h=768", 10, 0.1, 0.2);
Time::HiRes::sleep(1.5);
--- request eval
"GET /render?spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- no_error_log
[alert]
[crit]
--- timeout: 1



=== TEST 4: a client that leaves while its body is still discarded
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"GET /render?spp=1024&w=1024&h=768 HTTP/1.1\r
Host: localhost\r
Content-Length: 100000\r
\r
only the start of the body"
--- abort
--- ignore_response
--- timeout: 0.5
--- wait eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 15 : 1
--- error_log
client prematurely closed connection
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
--- no_error_log
[alert]
