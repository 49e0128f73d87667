# Self-test of the in-repo Test::Nginx::Socket harness against a stock nginx
# (Debian's /usr/sbin/nginx unless TEST_NGINX_BINARY says otherwise):
#
#     prove -I t/lib t/lib/selftest.t
#
# It lives in t/lib/ so that "prove t/" does not pick it up.

use strict;
use warnings;

BEGIN { $ENV{TEST_NGINX_BINARY} ||= '/usr/sbin/nginx' }

use Test::Nginx::Socket 'no_plan';
use Compress::Zlib ();
use Digest::MD5 ();
use IO::Socket::INET;

# A TCP listener that accepts (via the kernel backlog) but never answers:
# proxying to it makes nginx hang, for the timeout/abort test.
my $hang = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 5, Proto => 'tcp', ReuseAddr => 1)
    or die "listen: $!";
$ENV{TEST_NGINX_HANG_PORT} = $hang->sockport;

# 256 distinct bytes repeated: binary data for the body tests
our $Binary = join('', map { chr } 0 .. 255) x 1000;

# The master pid, for the HUP test.
sub master_pid {
    my $pid = Test::Nginx::Util::get_pid_from_pidfile('');
    die "no pid in " . server_root() . "/logs/nginx.pid\n" unless $pid;
    return $pid;
}

# custom section "--- master" switches master_on() for one block
add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->master) { master_on() } else { master_off() }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: static file from user_files, exact headers, absent header
--- config
    location = /hello.txt { root $TEST_NGINX_HTML_DIR; }
--- user_files
>>> hello.txt
hello, world
--- request
GET /hello.txt
--- error_code: 200
--- response_headers
Content-Type: text/plain
Content-Length: 13
!X-Foo
!Transfer-Encoding
--- response_body
hello, world
--- no_error_log
[error]
[alert]



=== TEST 2: 404, response_body_like, error_log with eval (strings and qr//)
--- config
--- request
GET /missing-one.txt
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
["No such file or directory", qr/open\(\) "[^"]+missing-one\.txt" failed/]



=== TEST 3: reusing the previous server (no --- config): only this block's log
--- request
GET /missing-two.txt
--- error_code: 404
--- error_log
missing-two.txt
--- no_error_log
missing-one.txt



=== TEST 4: more_headers, response_headers_like, add_header
--- config
    location = /t {
        add_header X-Answer "42-$http_x_foo";
        return 200 "ua=$http_user_agent foo=$http_x_foo host=$host conn=$http_connection\n";
    }
--- more_headers
X-Foo: bar
# a comment line
User-Agent: selftest/1.0
--- request
GET /t
--- response_headers_like
X-Answer: \d+-bar
Server: nginx/[\d.]+.*
--- response_body
ua=selftest/1.0 foo=bar host=localhost conn=close



=== TEST 5: POST body (trimmed, Content-Length added); leading comment in request
--- config
    location = /post {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/len;
    }
    location = /len {
        return 200 "$request_method $content_length\n";
    }
--- request
# comments before the request line are skipped
POST /post
hello
--- response_body
POST 5



=== TEST 6: request split into packets with a delay
--- config
    location = /post {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/len;
    }
    location = /len {
        return 200 "$request_method $content_length\n";
    }
--- request eval
[["POST /post\nhel", {value => "lo world", delay_before => 0.2}]]
--- response_body
POST 11
--- error_log eval
["http client request body preread 3", "http client request body recv 8"]



=== TEST 7: binary body, response_body eval, md5_hex filter
--- config
    location /bin/ { root $TEST_NGINX_HTML_DIR; }
--- user_files eval
[["bin/data.bin", $main::Binary]]
--- request eval
["GET /bin/data.bin", "GET /bin/data.bin"]
--- response_body_filters eval
[[], ["md5_hex"]]
--- response_body eval
[$main::Binary, Digest::MD5::md5_hex($main::Binary)]



=== TEST 8: gzip + chunked: body stays compressed, code-ref filter gunzips
--- http_config
    gzip on;
    gzip_min_length 1;
    gzip_types text/plain;
    chunked_transfer_encoding on;
--- config
    location = /big.txt { root $TEST_NGINX_HTML_DIR; }
--- user_files eval
[["big.txt", "line of text\n" x 20000]]
--- more_headers
Accept-Encoding: gzip
--- request
GET /big.txt
--- response_headers
Content-Encoding: gzip
Transfer-Encoding: chunked
!Content-Length
--- response_body_filters eval
sub { my $gz = shift; die "not gzip" unless substr($gz, 0, 2) eq "\x1f\x8b";
      Compress::Zlib::memGunzip($gz) }
--- response_body eval
"line of text\n" x 20000



=== TEST 9: chunked without gzip (SSI drops Content-Length), uc filter by name
--- config
    location = /page.txt {
        root $TEST_NGINX_HTML_DIR;
        ssi on;
        ssi_types *;
    }
--- user_files
>>> page.txt
x=<!--# echo var="arg_x" -->;
--- request
GET /page.txt?x=42
--- response_headers
Transfer-Encoding: chunked
--- response_body_filters
uc
--- response_body
X=42;



=== TEST 10: HEAD has headers but no body
--- config
    location = /hello.txt { root $TEST_NGINX_HTML_DIR; }
--- user_files
>>> hello.txt
hello, world
--- request
HEAD /hello.txt
--- response_headers
Content-Length: 13
--- response_body chomp



=== TEST 11: array of requests with array expectations
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 201 "b\n"; }
--- request eval
["GET /a", "GET /b", "GET /c"]
--- error_code eval
[200, 201, 404]
--- response_body_like eval
["^a\$", "^b\$", "404 Not Found"]
--- response_headers eval
["Content-Type: text/plain", "Content-Length: 2", "!X-Nope"]



=== TEST 12: pipelined requests
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "bb\n"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_body eval
["a\n", "bb\n"]



=== TEST 13: raw_request (HTTP/1.0, sent in two packets)
--- config
    location = /r { return 200 "proto=$server_protocol\n"; }
--- raw_request eval
["GET /r HTTP/1.0\r\nHo", "st: localhost\r\n\r\n"]
--- raw_request_middle_delay: 0.1
--- response_body
proto=HTTP/1.0
--- raw_response_headers_like: ^HTTP/1\.1 200 OK\r\n



=== TEST 14: raw_request with a bad request line
--- config
--- raw_request eval
"FOO BAR BAZ QUX\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid request



=== TEST 15: must_die on a bad directive
--- config
    location = /t { bogus_directive on; }
--- must_die
--- error_log eval
["[emerg]", 'unknown directive "bogus_directive"']
--- no_error_log
[alert]



=== TEST 16: timeout + abort: the client gives up, not a failure
--- config
    location = /hang {
        proxy_pass http://127.0.0.1:$TEST_NGINX_HANG_PORT;
    }
--- request
GET /hang
--- timeout: 500ms
--- abort
--- ignore_response
--- error_log
http upstream request



=== TEST 17: wait: the error log line comes after the client went away
--- config
    location = /hang {
        proxy_ignore_client_abort on;
        proxy_read_timeout 300ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_HANG_PORT;
    }
--- request
GET /hang
--- timeout: 0.1
--- abort
--- ignore_response
--- wait: 0.6
--- error_log
upstream timed out



=== TEST 18: thread pools work with master_process off
--- config
    location = /hello.txt {
        root $TEST_NGINX_HTML_DIR;
        aio threads;
    }
--- user_files
>>> hello.txt
hello, world
--- request
GET /hello.txt
--- response_body
hello, world
--- error_log
added to thread pool



=== TEST 19: master_on(); a HUP sent from Perl reloads the configuration
--- master
--- config
    location = /t { return 200 "pid=$pid\n"; }
--- init
kill('HUP', main::master_pid()) or die "kill: $!";
--- request
GET /t
--- response_body_like: ^pid=\d+$
--- error_log eval
[qr/signal 1 \(SIGHUP\) received/, "reconfiguring"]
--- no_error_log
[emerg]



=== TEST 20: skip_nginx skips the given number of tests
--- config
    location = /t { return 200 "x\n"; }
--- request
GET /t
--- response_body
y
--- skip_nginx
2: > 1.0.0



=== TEST 21: shutdown_error_log is checked after nginx is stopped
--- config
    location = /t { return 204; }
--- request
GET /t
--- error_code: 204
--- response_body chomp
--- shutdown_error_log eval
[qr/signal (?:15 \(SIGTERM\)|3 \(SIGQUIT\)) received/]
--- no_shutdown_error_log
[alert]
