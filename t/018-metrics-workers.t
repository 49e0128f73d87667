# Metrics with a master and two workers: the counts of both add up, exactly,
# under concurrent clients of every outcome and across reloads (the zone is
# kept, and a location added by the reload gets a series of its own); a
# worker killed mid-render leaves no render "in progress" behind.

use Test::Nginx::Socket 'no_plan';
use List::Util qw(shuffle);
use Smallpt;

master_on();
workers(2);
no_shuffle();
run_tests();


# Every outcome a client can cause, $n of each kind (of small renders, 4n).
sub mix {
    my ($n) = @_;

    srand(14);
    return shuffle(
        ("GET /render?spp=4&w=32&h=24") x (4 * $n),
        ("HEAD /render?spp=4&w=32&h=24") x $n,
        ("GET /render?spp=4&w=32&h=24\nIf-None-Match: *") x $n,
        ("GET /render?spp=3") x $n,
        ("POST /render?spp=4") x $n,
        # never done: refused when the queue is full, else past the limit
        ("GET " . Smallpt::endless("/slow")) x $n,
        # never refused nor done: cancelled by the client
        ("abort 0.2 GET " . Smallpt::endless("/abort")) x $n);
}


# Adds a location to the running configuration and reloads: returns once
# the new workers run and the old ones have stopped accepting.
sub reload_with {
    my ($location) = @_;

    my $conf = $Test::Nginx::Util::ConfFile;
    open my $in, '<', $conf or die "$conf: $!";
    my $text = do { local $/; <$in> };
    close $in;

    $text =~ s/(location = \/metrics)/$location\n        $1/ or die "no /metrics";
    open my $out, '>', $conf or die "$conf: $!";
    print $out $text;
    close $out;

    my $started = () = Smallpt::log_lines(qr/start worker process/);
    my $stopping = () = Smallpt::log_lines(qr/gracefully shutting down/);

    kill 'HUP', Test::Nginx::Util::get_pid_from_pidfile('') or die "HUP: $!";

    Smallpt::wait_log(qr/start worker process/, $started + 2,
                      "the reload started no new workers");
    Smallpt::wait_log(qr/gracefully shutting down/, $stopping + 2,
                      "the old workers did not stop accepting");
}

__DATA__

=== TEST 1: two workers, concurrent clients of every outcome, a reload among them
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2 max_queue=4;
    thread_pool abort threads=1 max_queue=1024;
--- config
    smallpt_thread_pool smallpt;
    smallpt_render_threads 2;

    location = /render {
        smallpt;
    }

    location = /slow {
        smallpt;
        smallpt_metrics_name /render;
        smallpt_time_limit 300ms;
        smallpt_max_spp 1000000;
    }

    location = /abort {
        smallpt;
        smallpt_metrics_name /render;
        smallpt_thread_pool abort;
        smallpt_render_threads 1;
        smallpt_max_spp 1000000;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- init
# the reload comes once the clients are at work
Smallpt::signal_master('HUP', qr/smallpt: rendering/);
Smallpt::fire(16, main::mix(40));
Smallpt::wait_metric('smallpt_renders_in_progress{location="/render"}', 0, 30);
--- request
GET /metrics
--- response_body_filters eval
sub { Smallpt::check_fired($_[0], "/render") }
--- response_body
ok: ok
not_modified: ok
head: ok
bad_request: ok
refused: ok
cancelled: ok
timed_out: ok
failed: ok
other: ok
sum: ok
--- error_log
signal 1 (SIGHUP) received
--- no_error_log
[alert]
--- timeout: 10



=== TEST 2: a reload that adds a location: the counts go on, the new one starts at 0
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- init
Smallpt::fire(4, ("GET /render?spp=4&w=16&h=16") x 10);
main::reload_with("location = /added { smallpt; smallpt_thread_pool smallpt; }");
Smallpt::fire(4, ("GET /render?spp=4&w=16&h=16") x 5,
                 ("GET /added?spp=4&w=16&h=16") x 3);
--- request
GET /metrics
--- response_body_filters eval
Smallpt::metrics_lines('smallpt_requests_total{location="/render",outcome="ok"}',
                       'smallpt_requests_total{location="/added",outcome="ok"}',
                       "smallpt_samples_total")
--- response_body
smallpt_requests_total{location="/render",outcome="ok"} 15
smallpt_requests_total{location="/added",outcome="ok"} 3
smallpt_samples_total{location="/render"} 15360
smallpt_samples_total{location="/added"} 3072
--- no_error_log
[alert]



=== TEST 3: workers killed mid-render: their renders are no longer "in progress"
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_max_spp 1000000;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- init
Smallpt::get_in_background(Smallpt::endless("/render"), 3);
$main::before = Smallpt::wait_metric('smallpt_renders_in_progress{location="/render"}',
                                     3, 20);
my $master = Test::Nginx::Util::get_pid_from_pidfile('');
my $started = () = Smallpt::log_lines(qr/start worker process/);
kill 'KILL', grep { $_ } split /\s+/, `pgrep -P $master`;
Smallpt::wait_log(qr/start worker process/, $started + 2,
                  "the master did not start new workers");
--- request
GET /metrics
--- response_body_filters eval
sub { "before the kill $main::before\n"
      . Smallpt::metrics_lines("smallpt_renders_in_progress",
                               "smallpt_tasks_queued")->($_[0]) }
--- response_body
before the kill 3
smallpt_renders_in_progress{location="/render"} 0
smallpt_tasks_queued{location="/render"} 0
--- error_log
exited on signal 9
