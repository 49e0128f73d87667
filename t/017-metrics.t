# Metrics: `smallpt_metrics;` answers the Prometheus text format with what
# the rendering locations did: requests by outcome, samples, bytes, render
# and queue-wait histograms, gauges; promtool accepts it. Each block counts
# on a fresh nginx (the zone starts empty) and reads the counters back.
# Reloads and two workers: t/018-metrics-workers.t.

use Smallpt::Preload qw(gate);
use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a fresh server: every family, zero counts, the build's labels
--- config
    location = /render {
        smallpt;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request
GET /metrics
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_filters eval
\&Smallpt::normalize_build_info
--- response_body
# HELP smallpt_build_info The smallpt module's version, the instruction set its renders use and the nginx it was built for.
# TYPE smallpt_build_info gauge
smallpt_build_info{version="VERSION",isa="ISA",nginx_version="NGINX"} 1
# HELP smallpt_requests_total Requests to a rendering location that finished, by outcome.
# TYPE smallpt_requests_total counter
smallpt_requests_total{location="/render",outcome="ok"} 0
smallpt_requests_total{location="/render",outcome="not_modified"} 0
smallpt_requests_total{location="/render",outcome="head"} 0
smallpt_requests_total{location="/render",outcome="bad_request"} 0
smallpt_requests_total{location="/render",outcome="refused"} 0
smallpt_requests_total{location="/render",outcome="cancelled"} 0
smallpt_requests_total{location="/render",outcome="timed_out"} 0
smallpt_requests_total{location="/render",outcome="failed"} 0
# HELP smallpt_samples_total Camera samples rendered: width * spp of every row finished.
# TYPE smallpt_samples_total counter
smallpt_samples_total{location="/render"} 0
# HELP smallpt_sent_bytes_total Bytes of the images sent (their bodies), by format (rgb: bands).
# TYPE smallpt_sent_bytes_total counter
smallpt_sent_bytes_total{location="/render",format="png"} 0
smallpt_sent_bytes_total{location="/render",format="ppm"} 0
smallpt_sent_bytes_total{location="/render",format="rgb"} 0
# HELP smallpt_render_seconds Seconds from a render's first row begun to its image encoded, of the images rendered.
# TYPE smallpt_render_seconds histogram
smallpt_render_seconds_bucket{location="/render",le="0.001"} 0
smallpt_render_seconds_bucket{location="/render",le="0.0025"} 0
smallpt_render_seconds_bucket{location="/render",le="0.005"} 0
smallpt_render_seconds_bucket{location="/render",le="0.01"} 0
smallpt_render_seconds_bucket{location="/render",le="0.025"} 0
smallpt_render_seconds_bucket{location="/render",le="0.05"} 0
smallpt_render_seconds_bucket{location="/render",le="0.1"} 0
smallpt_render_seconds_bucket{location="/render",le="0.25"} 0
smallpt_render_seconds_bucket{location="/render",le="0.5"} 0
smallpt_render_seconds_bucket{location="/render",le="1"} 0
smallpt_render_seconds_bucket{location="/render",le="2.5"} 0
smallpt_render_seconds_bucket{location="/render",le="5"} 0
smallpt_render_seconds_bucket{location="/render",le="10"} 0
smallpt_render_seconds_bucket{location="/render",le="20"} 0
smallpt_render_seconds_bucket{location="/render",le="30"} 0
smallpt_render_seconds_bucket{location="/render",le="60"} 0
smallpt_render_seconds_bucket{location="/render",le="120"} 0
smallpt_render_seconds_bucket{location="/render",le="300"} 0
smallpt_render_seconds_bucket{location="/render",le="600"} 0
smallpt_render_seconds_bucket{location="/render",le="+Inf"} 0
smallpt_render_seconds_sum{location="/render"} 0.000000
smallpt_render_seconds_count{location="/render"} 0
# HELP smallpt_queue_wait_seconds Seconds a render waited in the thread pool's queue before its first row began.
# TYPE smallpt_queue_wait_seconds histogram
smallpt_queue_wait_seconds_bucket{location="/render",le="0.001"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.0025"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.005"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.01"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.025"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.05"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.1"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.25"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="0.5"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="1"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="2.5"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="5"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="10"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="20"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="30"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="60"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="120"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="300"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="600"} 0
smallpt_queue_wait_seconds_bucket{location="/render",le="+Inf"} 0
smallpt_queue_wait_seconds_sum{location="/render"} 0.000000
smallpt_queue_wait_seconds_count{location="/render"} 0
# HELP smallpt_renders_in_progress Renders accepted and not finished yet, queued or running.
# TYPE smallpt_renders_in_progress gauge
smallpt_renders_in_progress{location="/render"} 0
# HELP smallpt_tasks_queued Render tasks waiting in the thread pool's queue.
# TYPE smallpt_tasks_queued gauge
smallpt_tasks_queued{location="/render"} 0
# HELP smallpt_band_requests_total Band requests a fanned-out render sent, retries included.
# TYPE smallpt_band_requests_total counter
smallpt_band_requests_total{location="/render"} 0
# HELP smallpt_band_retries_total Band requests sent again after a failure.
# TYPE smallpt_band_retries_total counter
smallpt_band_retries_total{location="/render"} 0
# HELP smallpt_band_failures_total Bands given up on: no retry left.
# TYPE smallpt_band_failures_total counter
smallpt_band_failures_total{location="/render"} 0
--- no_error_log
[error]



=== TEST 2: each request counted once, by outcome (412 of If-Match: bad_request)
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
--- request eval
["GET /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48",
 "HEAD /render?spp=4&w=64&h=48",
 "GET /render?spp=3",
 "POST /render?spp=4\r\nbody",
 "GET /render?spp=8&w=8&h=8&format=ppm",
 "GET /render?spp=4&w=8&h=8",
 "GET /metrics"]
--- more_headers eval
["", "If-None-Match: *", "", "", "", "", 'If-Match: "another"', ""]
--- error_code eval
[200, 304, 200, 400, 405, 200, 412, 200]
--- response_body_filters eval
Smallpt::metrics_lines("smallpt_requests_total")
--- response_body eval
["", "", "", "", "", "", "",
'smallpt_requests_total{location="/render",outcome="ok"} 2
smallpt_requests_total{location="/render",outcome="not_modified"} 1
smallpt_requests_total{location="/render",outcome="head"} 1
smallpt_requests_total{location="/render",outcome="bad_request"} 3
smallpt_requests_total{location="/render",outcome="refused"} 0
smallpt_requests_total{location="/render",outcome="cancelled"} 0
smallpt_requests_total{location="/render",outcome="timed_out"} 0
smallpt_requests_total{location="/render",outcome="failed"} 0
']
--- no_error_log
[error]



=== TEST 3: a full queue: refused, while the gauges show the renders waiting
--- main_config
    thread_pool busy threads=1 max_queue=1;
    env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool busy;
        smallpt_render_threads 1;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- init
Smallpt::close_gate();
Smallpt::fill_pool("/render?spp=4&w=8&h=8", 1, 1);
--- request eval
["GET /render?spp=4&w=64&h=48", "GET /metrics"]
--- error_code eval
[503, 200]
--- response_body_filters eval
Smallpt::metrics_lines('smallpt_requests_total{location="/render",outcome="ok"}',
                       'smallpt_requests_total{location="/render",outcome="refused"}',
                       "smallpt_renders_in_progress", "smallpt_tasks_queued")
--- response_body eval
["",
'smallpt_requests_total{location="/render",outcome="ok"} 0
smallpt_requests_total{location="/render",outcome="refused"} 1
smallpt_renders_in_progress{location="/render"} 2
smallpt_tasks_queued{location="/render"} 1
']
--- timeout: 2



=== TEST 4: once the renders are answered the gauges are back to zero
--- init
Smallpt::open_gate();
Smallpt::wait_metric('smallpt_requests_total{location="/render",outcome="ok"}',
                     2, 60);
--- request
GET /metrics
--- response_body_filters eval
Smallpt::metrics_lines('smallpt_requests_total{location="/render",outcome="ok"}',
                       'smallpt_requests_total{location="/render",outcome="refused"}',
                       "smallpt_renders_in_progress", "smallpt_tasks_queued")
--- response_body
smallpt_requests_total{location="/render",outcome="ok"} 2
smallpt_requests_total{location="/render",outcome="refused"} 1
smallpt_renders_in_progress{location="/render"} 0
smallpt_tasks_queued{location="/render"} 0



=== TEST 5: a render past its time limit: timed_out, its queue wait, no render time
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_time_limit 300ms;
        smallpt_max_spp 1000000;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET " . Smallpt::endless("/render"), "GET /metrics"]
--- error_code eval
[503, 200]
--- response_body_filters eval
Smallpt::metrics_lines('smallpt_requests_total{location="/render",outcome="timed_out"}',
                       "smallpt_render_seconds_count",
                       "smallpt_queue_wait_seconds_count",
                       "smallpt_renders_in_progress")
--- response_body eval
["",
'smallpt_requests_total{location="/render",outcome="timed_out"} 1
smallpt_render_seconds_count{location="/render"} 0
smallpt_queue_wait_seconds_count{location="/render"} 1
smallpt_renders_in_progress{location="/render"} 0
']
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 5



=== TEST 6: a client that goes away: cancelled; the rows it finished are samples
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_render_threads 1;
        smallpt_stream on;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- init
# the client leaves once rows have come, after the PPM's header (16
# bytes): the render has finished some rows, and has 31 times as many to go
# (not under valgrind: the first rows would take it minutes)
Smallpt::leave_after_body("/render?spp=256&w=256&h=2048&format=ppm", 16);
Smallpt::wait_metric('smallpt_requests_total{location="/render",outcome="cancelled"}',
                     1, 60);
--- request
GET /metrics
--- response_body_filters eval
sub {
    my ($body) = @_;
    my ($rows) = map { /render cancelled after (\d+) of 2048 rows/ }
                 Smallpt::log_lines(qr/render cancelled after/);
    my $samples = Smallpt::metric($body, 'smallpt_samples_total{location="/render"}');
    my $cancelled = Smallpt::metric($body,
        'smallpt_requests_total{location="/render",outcome="cancelled"}');
    return "cancelled $cancelled\n"
           . (defined $rows && $rows > 0 && $samples == $rows * 256 * 256
              ? "samples: the rows finished\n"
              : "samples $samples, rows " . ($rows // 'none') . "\n");
}
--- response_body
cancelled 1
samples: the rows finished
--- error_log
smallpt: request terminated, cancelling the render



=== TEST 7: samples and bytes: width * height * effective spp, Content-Length by format
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
--- request eval
["GET /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=9&w=160&h=120&format=ppm",
 "GET /render?spp=6&w=33&h=17",
 "HEAD /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48&format=rgb&rows=5-9",
 "GET /metrics"]
--- response_body_filters eval
[[Smallpt::note_length("png")], [Smallpt::note_length("ppm")],
 [Smallpt::note_length("ppm")], [Smallpt::note_length("png")],
 [Smallpt::note_length("head")], [Smallpt::note_length("rgb")],
 [sub {
     my ($body) = @_;
     my $m = sub { Smallpt::metric($body, $_[0]) };
     my $png = $m->('smallpt_sent_bytes_total{location="/render",format="png"}');
     my $ppm = $m->('smallpt_sent_bytes_total{location="/render",format="ppm"}');
     my $rgb = $m->('smallpt_sent_bytes_total{location="/render",format="rgb"}');
     return "samples " . $m->('smallpt_samples_total{location="/render"}') . "\n"
            . ($png == $Smallpt::noted{png} ? "png: the bodies sent\n"
                                            : "png $png, sent $Smallpt::noted{png}\n")
            . "ppm $ppm\n"
            . "rgb $rgb\n";
 }]]
--- response_body eval
["", "", "", "", "", "",
"samples " . (64 * 48 * 4 * 2 + 160 * 120 * 8 + 33 * 17 * 4 + 64 * 5 * 4) . "\n"
. "png: the bodies sent\n"
. "ppm " . (length(Smallpt::reference("64x48_spp4.ppm"))
            + length(Smallpt::reference("160x120_spp8.ppm"))) . "\n"
. "rgb " . (64 * 5 * 3) . "\n"]



=== TEST 8: render and queue-wait histograms hold what Server-Timing said
--- main_config
    thread_pool smallpt threads=2;
--- http_config
    log_format timing '$sent_http_server_timing';
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
        access_log logs/timing.log timing;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET /render?spp=4&w=64&h=48",
 "GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=8&w=160&h=120",
 "GET /render?spp=16&w=256&h=192",
 "GET /render?spp=4&w=4&h=4",
 "GET /render?spp=3",
 "GET /metrics"]
--- error_code eval
[200, 200, 200, 200, 200, 400, 200]
--- response_body_filters eval
sub {
    my ($body) = @_;
    return '' unless $body =~ /^# TYPE/m;
    my ($queue, $render) = Smallpt::server_timings("$Test::Nginx::Util::LogDir/timing.log");
    return "renders logged " . @$render . "\n"
           . Smallpt::check_histogram($body, "smallpt_render_seconds", "/render", @$render)
           . Smallpt::check_histogram($body, "smallpt_queue_wait_seconds", "/render", @$queue);
}
--- response_body eval
["", "", "", "", "", "",
"renders logged 5
smallpt_render_seconds: ok
smallpt_queue_wait_seconds: ok
"]



=== TEST 9: labels: smallpt_metrics_name, shared names, inherited, the location's own name
--- main_config
    thread_pool smallpt threads=2;
--- config
    smallpt_thread_pool smallpt;

    location = /a {
        smallpt;
        smallpt_metrics_name scene;
    }

    location = /b {
        smallpt_metrics_name scene;
        smallpt;
    }

    location /c {
        smallpt;
    }

    location ~ ^/d/(\w+)$ {
        smallpt;
    }

    location /f {
        smallpt_metrics_name outer;

        location /f/g {
            smallpt;
        }
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET /a?spp=4&w=8&h=8", "GET /b?spp=4&w=8&h=8", "GET /c/x?spp=4&w=8&h=8",
 "GET /d/x?spp=4&w=8&h=8", "GET /f/g?spp=4&w=8&h=8", "GET /metrics"]
--- response_body_filters eval
sub {
    my ($body, $lines) = ($_[0], '');
    $lines .= $1 while $body =~ /^(smallpt_samples_total\{.*\n)/mg;
    return $lines;
}
--- response_body eval
["", "", "", "", "",
'smallpt_samples_total{location="scene"} 512
smallpt_samples_total{location="/c"} 256
smallpt_samples_total{location="^/d/(\\\\w+)$"} 256
smallpt_samples_total{location="outer"} 256
']



=== TEST 10: promtool check metrics accepts the exposition (and rejects a broken one)
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }

    location ~ "^/r\.(png|\"x\")$" {
        smallpt;
        smallpt_thread_pool smallpt;
    }

    location = /u {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_metrics_name "caf\xc3\xa9 \\ \"quoted\"";
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["GET /render?spp=4&w=64&h=48", "GET /render?spp=3", "HEAD /render",
 "GET /r.png?spp=8&w=16&h=16&format=ppm", "GET /u?spp=4&w=8&h=8",
 "GET /metrics"]
--- error_code eval
[200, 400, 200, 200, 200, 200]
--- response_body_filters eval
sub {
    my ($body) = @_;
    return '' unless $body =~ /^# TYPE/m;
    (my $broken = $body) =~ s/^(smallpt_samples_total\{[^}]*\}) \d+$/$1 many/m;
    return "exposition: " . Smallpt::promtool_check($body)
           . "broken: " . Smallpt::promtool_check($broken);
}
--- response_body_like eval
["^\$", "^\$", "^\$", "^\$", "^\$",
qr/\Aexposition: promtool: exit 0\nbroken: promtool: exit 1\n.*many/s]



=== TEST 11: the endpoint answers GET and HEAD only
--- config
    location = /render {
        smallpt;
    }

    location = /metrics {
        smallpt_metrics;
    }
--- request eval
["HEAD /metrics", "POST /metrics\r\nx=1", "DELETE /metrics"]
--- error_code eval
[200, 405, 405]
--- response_headers eval
["Content-Type: text/plain; version=0.0.4; charset=utf-8",
 "Content-Type: text/html", "Content-Type: text/html"]
--- response_body_like eval
["^\$", "405 Not Allowed", "405 Not Allowed"]



=== TEST 12: without a rendering location: the build info and empty families
--- config
    location = /metrics {
        smallpt_metrics;
    }
--- request
GET /metrics
--- response_body_filters eval
sub { my $b = Smallpt::normalize_build_info($_[0]);
      $b =~ s/^# HELP.*\n//mg;
      $b . Smallpt::promtool_check($_[0]) }
--- response_body
# TYPE smallpt_build_info gauge
smallpt_build_info{version="VERSION",isa="ISA",nginx_version="NGINX"} 1
# TYPE smallpt_requests_total counter
# TYPE smallpt_samples_total counter
# TYPE smallpt_sent_bytes_total counter
# TYPE smallpt_render_seconds histogram
# TYPE smallpt_queue_wait_seconds histogram
# TYPE smallpt_renders_in_progress gauge
# TYPE smallpt_tasks_queued gauge
# TYPE smallpt_band_requests_total counter
# TYPE smallpt_band_retries_total counter
# TYPE smallpt_band_failures_total counter
promtool: exit 0



=== TEST 13: smallpt and smallpt_metrics in one location
--- config
    location = /both {
        smallpt;
        smallpt_metrics;
    }
--- request
GET /both
--- must_die
--- error_log
smallpt: "smallpt" and "smallpt_metrics" in the same location "/both"



=== TEST 14: smallpt_metrics_name must be 1 to 255 bytes of UTF-8
--- config eval
"location = /r {
    smallpt;
    smallpt_metrics_name \"caf\xe9\";
}"
--- request
GET /r
--- must_die
--- error_log eval
qr/smallpt: invalid smallpt_metrics_name "caf\xe9", expected 1 to 255 bytes of UTF-8/



=== TEST 15: an empty smallpt_metrics_name
--- config
    location = /r {
        smallpt;
        smallpt_metrics_name "";
    }
--- request
GET /r
--- must_die
--- error_log
smallpt: invalid smallpt_metrics_name "", expected 1 to 255 bytes of UTF-8



=== TEST 16: a location name too long for a label must be named
--- config eval
"location ~ ^/" . ("x?" x 150) . "long\$ {
    smallpt;
}"
--- request
GET /long
--- must_die
--- error_log eval
qr/smallpt: the location name "\^\/(x\?){150}long\$" cannot be a metrics label \(1 to 255 bytes of UTF-8\); name it with "smallpt_metrics_name"/



=== TEST 17: a long location name with a short label is fine
--- config eval
"location ~ ^/" . ("x?" x 150) . "long\$ {
    smallpt;
    smallpt_metrics_name long;
}
location = /metrics {
    smallpt_metrics;
}"
--- request eval
["GET /xxlong?spp=4&w=2&h=2", "GET /metrics"]
--- response_body_filters eval
Smallpt::metrics_lines("smallpt_samples_total{")
--- response_body eval
["", "smallpt_samples_total{location=\"long\"} 16\n"]



=== TEST 18: smallpt_metrics twice, and outside a location
--- config
    location = /metrics {
        smallpt_metrics;
        smallpt_metrics;
    }
--- request
GET /metrics
--- must_die
--- error_log
"smallpt_metrics" directive is duplicate



=== TEST 19: smallpt_metrics in a server block
--- config
    smallpt_metrics;
--- request
GET /metrics
--- must_die
--- error_log
"smallpt_metrics" directive is not allowed here
