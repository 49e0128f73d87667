# Methods other than GET and HEAD: 405 with Allow, the body discarded.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: POST
--- config
    location = /render {
        smallpt;
    }
--- request
POST /render?spp=4
hello
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: text/plain
--- response_body
method not allowed; use GET or HEAD



=== TEST 2: PUT, DELETE, OPTIONS, PATCH
--- config
    location = /render {
        smallpt;
    }
--- request eval
["PUT /render", "DELETE /render", "OPTIONS /render", "PATCH /render"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD",
 "Allow: GET, HEAD"]



=== TEST 3: a GET with a body is served, the body ignored
--- config
    location = /render {
        smallpt;
    }
--- raw_request eval
"GET /render?spp=4&w=64&h=48&format=ppm HTTP/1.1\r
Host: localhost\r
Connection: close\r
Content-Length: 5\r
\r
hello"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 4: a large POST body is discarded, and the answer is still 405
--- config
    location = /render {
        smallpt;
    }
--- request eval
"POST /render\n" . ("x" x 200000)
--- error_code: 405
--- response_body
method not allowed; use GET or HEAD
