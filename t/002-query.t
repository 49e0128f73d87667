# The query string: defaults, every parameter, and a 400 with a one-line
# reason for each kind of bad value.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: unknown parameters are ignored
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?color=red&spp=4&x=1&w=64&SPP=99&h=48&format=ppm&
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 2: %-encoded names and values are decoded
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?%73pp=%34&w=%36%34&h=48&format=%50%50%4D
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 3: smallpt_format sets the default format
--- config
    location = /render {
        smallpt;
        smallpt_format ppm;
    }
--- request
GET /render?w=64&h=48
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 4: ?format= overrides smallpt_format
--- config
    location = /render {
        smallpt;
        smallpt_format ppm;
    }
--- request
GET /render?w=64&h=48&format=png
--- error_code: 200
--- response_headers
Content-Type: image/png
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 5: spp below 4
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=3
--- error_code: 400
--- response_headers
Content-Type: text/plain
--- response_body
spp: 3 is too small; expected an integer from 4 to 1024
--- error_log
smallpt: bad request: spp: 3 is too small; expected an integer from 4 to 1024



=== TEST 6: spp zero
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=0
--- error_code: 400
--- response_body
spp: 0 is too small; expected an integer from 4 to 1024



=== TEST 7: spp above smallpt_max_spp
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=1025
--- error_code: 400
--- response_body
spp: 1025 is too large; expected an integer from 4 to 1024



=== TEST 8: integer overflow
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=18446744073709551620
--- error_code: 400
--- response_body
spp: too large; expected an integer from 4 to 1024



=== TEST 9: negative
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?w=-64
--- error_code: 400
--- response_body
w: not a decimal integer; expected an integer from 1 to 2048



=== TEST 10: not a number
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?h=abc
--- error_code: 400
--- response_body
h: not a decimal integer; expected an integer from 1 to 2048



=== TEST 11: empty value
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=
--- error_code: 400
--- response_body
spp: empty; expected an integer from 4 to 1024



=== TEST 12: a name without a value
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?w
--- error_code: 400
--- response_body
w: empty; expected an integer from 1 to 2048



=== TEST 13: zero width
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?w=0
--- error_code: 400
--- response_body
w: 0 is too small; expected an integer from 1 to 2048



=== TEST 14: unknown format
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?format=gif
--- error_code: 400
--- response_body
format: unknown format; expected png, ppm or rgb



=== TEST 15: a repeated parameter is refused, not guessed at
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&spp=16
--- error_code: 400
--- response_body
spp: given more than once; expected one integer from 4 to 1024



=== TEST 16: a repeated format
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?format=png&format=png
--- error_code: 400
--- response_body
format: given more than once; expected one of png, ppm or rgb



=== TEST 17: floats, signs and hex are not integers
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4.0", "GET /render?spp=%2B4", "GET /render?spp=0x10",
 "GET /render?spp=1e3", "GET /render?spp=+4"]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body eval
["spp: not a decimal integer; expected an integer from 4 to 1024\n",
 "spp: not a decimal integer; expected an integer from 4 to 1024\n",
 "spp: not a decimal integer; expected an integer from 4 to 1024\n",
 "spp: not a decimal integer; expected an integer from 4 to 1024\n",
 "spp: not a decimal integer; expected an integer from 4 to 1024\n"]



=== TEST 18: the first bad parameter is the one reported
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?w=64&format=jpeg&spp=2
--- error_code: 400
--- response_body
format: unknown format; expected png, ppm or rgb
