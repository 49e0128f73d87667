# Many renders in one page: SSI includes (or any other subrequests) start
# them at once. nginx counts a request's pending operations in an 8-bit
# field (r->main->blocked), so the module keeps at most a fixed number of
# one page's renders in the pool and lets the others wait their turn; a
# page terminated meanwhile must never leave a task or a timer behind.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

# A page of n SSI includes of tiny renders, numbered so that each is its own
# request, then `tail`.
sub includes {
    my ($n, $tail) = @_;
    return join('', map { "<!--#include virtual=\"/r1?w=1&h=1&format=ppm&n=$_\" -->" }
                    1 .. $n) . ($tail // '');
}

__DATA__

=== TEST 1: 300 renders in a page, then a 444: the worker survives
--- main_config
    thread_pool smallpt threads=2 max_queue=2048;
--- config
    location /page {
        default_type text/html;
        ssi on;
    }
    location = /r1 {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_render_threads 1;
    }
    location = /cut {
        return 444;
    }
    location = /alive {
        return 200 "alive\n";
    }
    location = /metrics {
        smallpt_metrics;
    }
--- user_files eval
[["page/cut.html", main::includes(300, '<!--#include virtual="/cut" -->')]]
--- init
# the page is cut; once every render it started is back (the gauge is
# lowered by the very handler that would find freed memory), the worker
# must still answer
Smallpt::get("/page/cut.html");
Smallpt::wait_metric('smallpt_renders_in_progress{location="/r1"}', 0, 20) eq '0'
    or Test::More::fail("premise: the page's renders did not all come back");
--- request
GET /alive
--- error_code: 200
--- response_body
alive
--- no_error_log
[alert]
exited on signal



=== TEST 2: 400 renders in a page: every one answered, in order
--- main_config
    thread_pool smallpt threads=2 max_queue=2048;
--- config
    location /page {
        default_type text/html;
        ssi on;
    }
    location = /r1 {
        smallpt;
        smallpt_thread_pool smallpt;
        smallpt_render_threads 1;
    }
--- user_files eval
[["page/all.html", main::includes(400, "end\n")]]
--- request
GET /page/all.html
--- error_code: 200
--- response_body_like eval
qr/\A(?:P3\n1 1\n255\n(\d+ \d+ \d+ )){400}end\n\z/
--- response_body_filters eval
sub { my %seen = map { $_ => 1 } $_[0] =~ /P3\n1 1\n255\n\d+ \d+ \d+ /g; scalar(keys %seen) . " image\n" }
--- response_body
1 image
--- error_log
renders of this page in the pool, waiting
--- no_error_log
[alert]
[error]
--- timeout: 30
