# Limits and configuration: smallpt_max_*, the render time limit, and the
# configuration errors nginx -t reports.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: smallpt_max_spp
--- config
    location = /render {
        smallpt;
        smallpt_max_spp 16;
    }
--- request eval
["GET /render?spp=17", "GET /render?spp=16&w=16&h=12"]
--- error_code eval
[400, 200]
--- response_body_like eval
["^spp: 17 is too large; expected an integer from 4 to 16\n\$", "."]



=== TEST 2: smallpt_max_width and smallpt_max_height
--- config
    location = /render {
        smallpt;
        smallpt_max_width 100;
        smallpt_max_height 50;
    }
--- request eval
["GET /render?w=101&h=10", "GET /render?w=100&h=51",
 "GET /render?w=100&h=50&format=ppm"]
--- error_code eval
[400, 400, 200]
--- response_body_like eval
["^w: 101 is too large; expected an integer from 1 to 100\n\$",
 "^h: 51 is too large; expected an integer from 1 to 50\n\$",
 "^P3\n100 50\n255\n"]



=== TEST 3: a default size over the limits is refused as if asked for
--- config
    location = /render {
        smallpt;
        smallpt_max_width 512;
    }
--- request
GET /render?spp=4
--- error_code: 400
--- response_body
w: 1024 is too large; expected an integer from 1 to 512



=== TEST 4: the defaults: spp up to 1024, 2048x2048
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=1025", "GET /render?w=2049", "GET /render?h=2049",
 "HEAD /render?spp=1024&w=2048&h=2048"]
--- error_code eval
[400, 400, 400, 200]



=== TEST 5: past smallpt_time_limit the render is cancelled: 503
--- config
    location = /render {
        smallpt;
        smallpt_time_limit 300ms;
        smallpt_max_spp 1000000;
    }
--- request eval
"GET " . Smallpt::endless("/render")
--- error_code: 503
--- response_headers
Content-Type: text/plain
!ETag
!Content-Disposition
--- response_body
render time limit exceeded
--- error_log
smallpt: render time limit exceeded, cancelling 2048x2048 spp 1000000
smallpt: render cancelled after
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 5



=== TEST 6: after a cancelled render the pool serves the next one
--- config
    location = /render {
        smallpt;
        smallpt_time_limit 200ms;
        smallpt_max_spp 1000000;
    }
    location = /fast {
        smallpt;
    }
--- request eval
["GET " . Smallpt::endless("/render"), "GET /fast?spp=4&w=64&h=48&format=ppm"]
--- error_code eval
[503, 200]
--- response_body eval
["render time limit exceeded\n", Smallpt::reference("64x48_spp4.ppm")]
--- timeout eval
$ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 5



=== TEST 7: an unknown thread pool fails the configuration test
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool nosuchpool;
    }
--- request
GET /render
--- must_die
--- error_log
unknown thread pool "nosuchpool"



=== TEST 8: bad values are configuration errors
--- config
    location = /render {
        smallpt;
        smallpt_max_spp 2;
    }
--- request
GET /render
--- must_die
--- error_log
value must be between 4 and 1000000



=== TEST 9: smallpt_format takes png or ppm
--- config
    location = /render {
        smallpt;
        smallpt_format jpeg;
    }
--- request
GET /render
--- must_die
--- error_log
invalid value "jpeg"



=== TEST 10: smallpt_render_threads takes a number or auto
--- config
    location = /render {
        smallpt;
        smallpt_render_threads none;
    }
--- request
GET /render
--- must_die
--- error_log
smallpt: invalid smallpt_render_threads "none", expected "auto" or 1 to 1024



=== TEST 11: smallpt only in a location
--- config
    smallpt;
--- request
GET /
--- must_die
--- error_log
"smallpt" directive is not allowed here



=== TEST 12: one render thread per request works too
--- main_config
    thread_pool one threads=1;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool one;
        smallpt_render_threads 1;
    }
--- request
GET /render?spp=8&w=160&h=120&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 13: more render threads than the pool has: still exact
--- main_config
    thread_pool two threads=2 max_queue=16;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool two;
        smallpt_render_threads 7;
    }
--- request
GET /render?spp=8&w=160&h=120&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 14: smallpt_time_limit must be more than 0, said at its own line
--- config
    location = /render {
        include ../html/limit.conf;
    }
--- user_files
>>> limit.conf
smallpt;
smallpt_time_limit 0;
--- request
GET /render
--- must_die
--- error_log eval
qr{"smallpt_time_limit" directive must be more than 0 in \S*/html/limit\.conf:2}
