# Reload and quit while a render runs: the render finishes and is answered
# in full before the old worker exits; worker_shutdown_timeout bounds the
# wait; a fast shutdown stops renders at once.
#
# "While a render runs" is made, not hoped for: the render is held at the
# gate (t/lib/gate.c) until the old worker says it is shutting down, or it
# never ends by itself (Smallpt::endless). Smallpt::signal_master sends the
# signal once the error log shows the render posted.
#
# Not under valgrind: TEST 4, as nginx's master kills (SIGKILL) the
# workers that have not exited about 1.5 s after TERM (its TERMs 50, 100,
# ... 800 ms apart, then KILL), and a worker under valgrind takes longer
# than that to exit, renders or not.

use Smallpt::Preload qw(gate);
use Test::Nginx::Socket 'no_plan';
use Smallpt;

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: reload during a render: the render is answered, complete
--- main_config
    thread_pool smallpt threads=2;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::close_gate();
Smallpt::signal_master('HUP', qr/smallpt: rendering 160x120 spp 8 ppm/);
Smallpt::open_gate_when(qr/gracefully shutting down/);
--- request eval
"GET /render?spp=8&w=160&h=120&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")
--- error_log
signal 1 (SIGHUP) received
gracefully shutting down
--- no_error_log
[alert]
--- timeout: 60



=== TEST 2: graceful quit during a render: answered before nginx exits
--- main_config
    thread_pool smallpt threads=2;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- init
Smallpt::close_gate();
Smallpt::signal_master('QUIT', qr/smallpt: rendering 160x120 spp 8 ppm/);
Smallpt::open_gate_when(qr/gracefully shutting down/);
--- request eval
"GET /render?spp=8&w=160&h=120&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")
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
        smallpt_max_spp 1000000;
    }
--- init
Smallpt::signal_master('HUP', qr/smallpt: rendering 2048x2048/);
--- request eval
"GET " . Smallpt::endless("/render")
--- ignore_response
--- error_log
gracefully shutting down
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
--- no_error_log
[alert]
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 20



=== TEST 4: a fast shutdown (TERM) stops renders at once and exits
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
Smallpt::signal_master('TERM', qr/smallpt: rendering 2048x2048/);
--- request eval
"GET " . Smallpt::endless("/render")
--- ignore_response
--- error_log
signal 15 (SIGTERM) received
worker process
exited with code 0
--- no_error_log
[alert]
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 20
