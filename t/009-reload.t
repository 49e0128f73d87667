# Reload and quit while a render runs: the render finishes and is answered
# in full before the old worker exits; worker_shutdown_timeout bounds the
# wait. Smallpt::signal_master sends the signal during the request.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: reload during a render: the render is answered, complete
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::signal_master('HUP', 0.5);
--- request eval
"GET /render?format=ppm"
--- error_code: 200
--- response_body_filters eval
\&Smallpt::sha256_hex
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- error_log
signal 1 (SIGHUP) received
gracefully shutting down
--- no_error_log
[alert]
--- timeout: 60



=== TEST 2: graceful quit during a render: answered before nginx exits
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::signal_master('QUIT', 0.5);
--- request eval
"GET /render?format=ppm"
--- error_code: 200
--- response_body_filters eval
\&Smallpt::sha256_hex
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- error_log
signal 3 (SIGQUIT) received
gracefully shutting down
--- no_error_log
[alert]
--- timeout: 60



=== TEST 3: worker_shutdown_timeout cuts a long render short
--- main_config
    thread_pool smallpt threads=2;
    worker_shutdown_timeout 500ms;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::signal_master('HUP', 0.5);
--- request eval
"GET /render?spp=1024&w=1024&h=768"
--- ignore_response
--- wait eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 15 : 1
--- error_log
gracefully shutting down
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
--- no_error_log
[alert]
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5



=== TEST 4: a fast shutdown (TERM) stops renders at once and exits
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::signal_master('TERM', 0.5);
--- request
GET /render?spp=1024&w=1024&h=768
--- ignore_response
--- wait: 1.5
--- error_log
signal 15 (SIGTERM) received
worker process
exited with code 0
--- no_error_log
[alert]
--- timeout: 5
