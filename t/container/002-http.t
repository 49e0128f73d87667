# The rest of the HTTP interface, from the container (scripts/test-docker):
# health, bad requests, methods, HEAD, conditional requests, other paths,
# cache headers.
# No nginx is started here; see 001-render.t.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_nginx_manager();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the health endpoint (Function Compute's health check)
--- request
GET /health
--- error_code: 200
--- response_headers
Content-Type: text/plain
Content-Length: 3
--- response_body
ok



=== TEST 2: HEAD of /health
--- request
HEAD /health
--- error_code: 200
--- response_body



=== TEST 3: a bad spp: 400 and a one-line reason
--- request
GET /?spp=3
--- error_code: 400
--- response_headers
Content-Type: text/plain
!ETag
!Content-Disposition
--- response_body
spp: 3 is too small; expected an integer from 4 to 1024



=== TEST 4: a size beyond the limits
--- request
GET /?w=4096&spp=4
--- error_code: 400
--- response_body
w: 4096 is too large; expected an integer from 1 to 2048



=== TEST 5: not a number
--- request
GET /?h=abc
--- error_code: 400
--- response_body
h: not a decimal integer; expected an integer from 1 to 2048



=== TEST 6: POST: 405 with Allow
--- request
POST /?spp=4
hello
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: text/plain
--- response_body
method not allowed; use GET or HEAD



=== TEST 7: other methods
--- request eval
["PUT /", "DELETE /", "OPTIONS /?spp=4"]
--- error_code eval
[405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD"]



=== TEST 8: HEAD: the image's headers, nothing rendered
--- request
HEAD /?spp=8&w=160&h=120
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
--- raw_response_headers_like chomp
(?m)^ETag: "smallpt1\.2\.0-160x120-8spp-png-libpng[0-9.]+-zlib[0-9.]+"\r?$
--- response_body



=== TEST 9: If-None-Match with the image's ETag: 304
--- request
GET /?spp=4&w=64&h=48&format=ppm
--- more_headers
If-None-Match: "smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 304
--- response_headers
ETag: "smallpt1.2.0-64x48-4spp-ppm"
!Content-Length
--- response_body



=== TEST 10: any other path: 404 that says what renders
--- request
GET /image.png
--- error_code: 404
--- response_body
not found; GET /?spp=16 renders



=== TEST 11: images may be kept for good (nginx.conf: expires max, immutable)
--- request eval
["HEAD /?spp=8&w=160&h=120", "GET /?spp=4&w=64&h=48&format=ppm"]
--- more_headers eval
["", "If-None-Match: \"smallpt1.2.0-64x48-4spp-ppm\""]
--- error_code eval
[200, 304]
--- response_headers eval
["Cache-Control: max-age=315360000, immutable\nExpires: Thu, 31 Dec 2037 23:55:55 GMT",
 "Cache-Control: max-age=315360000, immutable\nExpires: Thu, 31 Dec 2037 23:55:55 GMT"]



=== TEST 12: errors may not: no Cache-Control on 400, 404 or 405
--- request eval
["GET /?spp=3", "GET /image.png", "POST /?spp=4\nhello"]
--- error_code eval
[400, 404, 405]
--- response_headers eval
["!Cache-Control\n!Expires", "!Cache-Control\n!Expires", "!Cache-Control\n!Expires"]



=== TEST 13: no metrics on the public port (they are on 9145)
--- request
GET /metrics
--- error_code: 404
--- response_body
not found; GET /?spp=16 renders
