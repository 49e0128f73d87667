# A render that fails inside a pool thread: out of memory in the renderer
# or in an encoder. The render stops at once, the client gets a 500, and
# the error log has one line saying what failed.
#
# Memory runs out on purpose: t/lib/failalloc.so (built by `make test`,
# path in TEST_SMALLPT_FAILALLOC) is preloaded into nginx and makes the
# pool threads' allocations over SMALLPT_FAIL_ALLOC_ABOVE bytes fail. Not
# under valgrind, which has its own allocator.

my $failalloc;

# before the harness loads: CPAN's reads LD_PRELOAD once, then sets it
# again for each nginx it starts
BEGIN {
    $failalloc = !$ENV{TEST_NGINX_USE_VALGRIND} && $ENV{TEST_SMALLPT_FAILALLOC}
                 && -f $ENV{TEST_SMALLPT_FAILALLOC};
    $ENV{LD_PRELOAD} = $ENV{TEST_SMALLPT_FAILALLOC} if $failalloc;
}

use Test::Nginx::Socket;
use Smallpt;

BEGIN {
    if ($ENV{TEST_NGINX_USE_VALGRIND}) {
        plan(skip_all => 'valgrind replaces malloc');
    } elsif (!$failalloc) {
        plan(skip_all => 'TEST_SMALLPT_FAILALLOC names no failalloc.so');
    } else {
        plan('no_plan');
    }
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the renderer runs out of memory: 500, stopped at once, one line
--- main_config
    env SMALLPT_FAIL_ALLOC_ABOVE=0;
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=1024&w=1024&h=768
--- error_code: 500
--- grep_error_log eval
qr/\[(?:error|alert|crit)\].*/
--- grep_error_log_out eval
qr/\A\[error\] \d+#\d+: \*\d+ smallpt: render of 1024x768 spp 1024 failed: out of memory, client: [^\n]*\n\z/
--- timeout: 3



=== TEST 2: the encoder runs out of memory: 500 and one line
--- main_config
    env SMALLPT_FAIL_ALLOC_ABOVE=1048576;
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=512&h=512&format=ppm
--- error_code: 500
--- grep_error_log eval
qr/\[(?:error|alert|crit)\].*/
--- grep_error_log_out eval
qr/\A\[error\] \d+#\d+: \*\d+ smallpt: encoding of 512x512 spp 4 failed: out of memory, client: [^\n]*\n\z/



=== TEST 3: within the limit everything renders: the shim alone fails nothing
--- main_config
    env SMALLPT_FAIL_ALLOC_ABOVE=1048576;
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
