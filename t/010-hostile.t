# Hostile input: a table of bad query strings, each refused with 400 and
# the reason README documents, and odd requests, each with its status.
# Nothing here may give a 500, hang, or leave an alert in the error log.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

# query string => the one-line reason of its 400
my $spp = 'expected an integer from 4 to 1024';
my $w   = 'expected an integer from 1 to 2048';

our @BAD = (
    [ 'spp=99999999999999999999',  "spp: too large; $spp" ],
    [ 'spp=2147483648',            "spp: too large; $spp" ],
    [ 'spp=18446744073709551617',  "spp: too large; $spp" ],
    [ 'spp=1000000000',            "spp: too large; $spp" ],
    [ 'spp=999999999',             "spp: 999999999 is too large; $spp" ],
    [ 'spp=1025',                  "spp: 1025 is too large; $spp" ],
    [ 'spp=' . ('9' x 5000),       "spp: too large; $spp" ],
    [ 'spp=3',                     "spp: 3 is too small; $spp" ],
    [ 'spp=0',                     "spp: 0 is too small; $spp" ],
    [ 'spp=00000003',              "spp: 3 is too small; $spp" ],
    [ 'spp=-1',                    "spp: not a decimal integer; $spp" ],
    [ 'spp=-0',                    "spp: not a decimal integer; $spp" ],
    [ 'spp=+16',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=%2B16',                 "spp: not a decimal integer; $spp" ],
    [ 'spp=%2D16',                 "spp: not a decimal integer; $spp" ],
    [ 'spp=4.5',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=16.',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=4e2',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=1e99',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=0x10',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=0b101',                 "spp: not a decimal integer; $spp" ],
    [ 'spp=NaN',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=Infinity',              "spp: not a decimal integer; $spp" ],
    [ 'spp=%204',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=4%20',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=%094',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=%0A4',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=%0D%0A',                "spp: not a decimal integer; $spp" ],
    [ 'spp=%00',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=4%00',                  "spp: not a decimal integer; $spp" ],
    [ 'spp=%7F',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=%FF',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=%C3%A9',                "spp: not a decimal integer; $spp" ],
    [ 'spp=%D9%A3',                "spp: not a decimal integer; $spp" ],
    [ 'spp=%EF%BC%94',             "spp: not a decimal integer; $spp" ],
    [ 'spp=%zz',                   "spp: not a decimal integer; $spp" ],
    [ 'spp=%',                     "spp: not a decimal integer; $spp" ],
    [ 'spp=%4',                    "spp: not a decimal integer; $spp" ],
    [ 'spp=4;w=5',                 "spp: not a decimal integer; $spp" ],
    [ 'spp=' . ('a' x 5000),       "spp: not a decimal integer; $spp" ],
    [ 'spp=',                      "spp: empty; $spp" ],
    [ 'spp',                       "spp: empty; $spp" ],
    [ 'spp=&w=64',                 "spp: empty; $spp" ],
    [ 'spp=4&spp=4',               "spp: given more than once; expected one integer from 4 to 1024" ],
    [ 'spp=4&spp=',                "spp: given more than once; expected one integer from 4 to 1024" ],
    [ 'w=0',                       "w: 0 is too small; $w" ],
    [ 'w=65536',                   "w: 65536 is too large; $w" ],
    [ 'w=2049',                    "w: 2049 is too large; $w" ],
    [ 'w=-64',                     "w: not a decimal integer; $w" ],
    [ 'w=64&w=64',                 "w: given more than once; expected one integer from 1 to 2048" ],
    [ 'h=00000',                   "h: 0 is too small; $w" ],
    [ 'h=99999999999',             "h: too large; $w" ],
    [ 'h=%36%34%00',               "h: not a decimal integer; $w" ],
    [ 'format=jpg',                'format: unknown format; expected png, ppm or rgb' ],
    [ 'format=png%00',             'format: unknown format; expected png, ppm or rgb' ],
    [ 'format=%70%6E',             'format: unknown format; expected png, ppm or rgb' ],
    [ 'format=ppmppm',             'format: unknown format; expected png, ppm or rgb' ],
    [ 'format=p%FFm',              'format: unknown format; expected png, ppm or rgb' ],
    [ 'format=',                   'format: empty; expected png, ppm or rgb' ],
    [ 'format=png&format=ppm',     'format: given more than once; expected one of png, ppm or rgb' ],
    [ 'w=64&h=48&spp=4&format=gif', 'format: unknown format; expected png, ppm or rgb' ],
);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the table of bad query strings: 400 and its reason, each
--- config
    location = /render {
        smallpt;
    }
--- request eval
[map { "GET /render?$_->[0]" } @main::BAD]
--- error_code eval
[map { 400 } @main::BAD]
--- response_body eval
[map { "$_->[1]\n" } @main::BAD]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: a long query of unknown parameters is fine
--- config
    location = /render {
        smallpt;
    }
--- request eval
"GET /render?" . CORE::join('&', map { "x$_=$_" } 1 .. 600) . "&spp=4&w=64&h=48&format=ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 3: a URI longer than nginx's header buffers: nginx's 414
--- config
    location = /render {
        smallpt;
    }
--- request eval
"GET /render?spp=" . ('4' x 10000)
--- error_code: 414



=== TEST 4: a NUL byte in the request line: nginx's own 400
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"GET /render?spp=4\0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- no_error_log
smallpt:



=== TEST 5: a lowercase method: nginx's own 400
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"get /render?spp=4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 6: an unknown method: 405 with Allow
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"BREW /render?spp=4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
method not allowed; use GET or HEAD



=== TEST 7: TRACE is refused by nginx itself
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"TRACE /render HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 405



=== TEST 8: a GET with a chunked body: the body is discarded, the image sent
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"GET /render?spp=4&w=64&h=48&format=ppm HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
hello\r
0\r
\r
"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 9: HTTP/1.0
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"GET /render?spp=4&w=64&h=48&format=ppm HTTP/1.0\r\n\r\n"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 10: a POST with a large body: 405, the body discarded
--- config
    location = /render {
        smallpt;
    }
--- request eval
"POST /render?spp=4\n" . ("x" x 1000000)
--- error_code: 405



=== TEST 11: a query in a long If-None-Match list: matched, 304
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers eval
"If-None-Match: " . CORE::join(', ', map { "\"x$_\"" } 1 .. 200)
    . ', "smallpt1.2.0-64x48-4spp-ppm"'
--- error_code: 304



=== TEST 12: a malformed If-None-Match: no match, the image
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-None-Match: W/"smallpt1.2.0-64x48-4spp-ppm
--- error_code: 200
