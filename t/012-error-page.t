# The module's own error answers (400, 405, 503 when the pool is full or
# the time limit is over) go through error_page when the location has one
# for the status, as nginx's own answers do; without one they are a line
# of text/plain.

use Smallpt::Preload qw(gate);
use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: 400 through error_page
--- config
    location = /render {
        smallpt;
        error_page 400 /oops.html;
    }
--- user_files
>>> oops.html
the oops page
--- request
GET /render?spp=2
--- error_code: 400
--- response_headers
Content-Type: text/html
--- response_body
the oops page



=== TEST 2: 405 through error_page, Allow kept
--- config
    location = /render {
        smallpt;
        error_page 405 /oops.html;
    }
--- user_files
>>> oops.html
the oops page
--- request
POST /render
hello
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
the oops page



=== TEST 3: an error_page for other statuses leaves the 400 as text
--- config
    location = /render {
        smallpt;
        error_page 404 503 /oops.html;
    }
--- user_files
>>> oops.html
the oops page
--- request
GET /render?w=0
--- error_code: 400
--- response_headers
Content-Type: text/plain
--- response_body
w: 0 is too small; expected an integer from 1 to 2048



=== TEST 4: a named location, with the status changed
--- config
    location = /render {
        smallpt;
        error_page 400 = @fallback;
    }
    location @fallback {
        return 200 "fallback for $arg_spp\n";
    }
--- request
GET /render?spp=x
--- error_code: 200
--- response_body
fallback for x



=== TEST 5: the pool is full: 503 through error_page, Retry-After kept
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
        error_page 503 /busy.html;
    }
--- user_files
>>> busy.html
the busy page
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
Smallpt::open_gate_when(qr/queue overflow/);
--- request
GET /render?spp=4&w=64&h=48
--- error_code: 503
--- response_headers
Retry-After: 1
--- response_body
the busy page
--- timeout: 2



=== TEST 6: the time limit: 503 through error_page
--- config
    location = /render {
        smallpt;
        smallpt_time_limit 200ms;
        smallpt_max_spp 1000000;
        error_page 503 /slow.html;
    }
--- user_files
>>> slow.html
the slow page
--- request eval
"GET " . Smallpt::endless("/render")
--- error_code: 503
--- response_body
the slow page
--- error_log
smallpt: render time limit exceeded
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 5



=== TEST 7: the time limit without error_page: one line of text
--- config
    location = /render {
        smallpt;
        smallpt_time_limit 200ms;
        smallpt_max_spp 1000000;
    }
--- request eval
"GET " . Smallpt::endless("/render")
--- error_code: 503
--- response_headers
Content-Type: text/plain
--- response_body
render time limit exceeded
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 5
