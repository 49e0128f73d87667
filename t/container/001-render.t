# Renders from the container (scripts/test-docker): the images are
# smallpt.cpp's, byte for byte, with the headers a browser needs. The
# container's role streams (smallpt_stream on): chunked, no Content-Length,
# and Server-Timing as a trailer to who asks for one (TEST 3).
#
# No nginx is started here: the blocks have no config sections and the
# requests go to the server already listening on 127.0.0.1:$TEST_NGINX_PORT
# (the container's published port 9000), e.g.
#
#   TEST_NGINX_NO_NGINX_MANAGER=1 TEST_NGINX_PORT=9000 \
#   TEST_NGINX_BINARY='docker exec CONTAINER nginx' prove -I t/lib t/container/
#
# (the harness runs "$TEST_NGINX_BINARY -V" once; any nginx 1.22 will do).
#
# A block with --- response_headers ignores its --- response_headers_like
# (as CPAN's Test::Nginx::Socket does): patterns go to
# --- raw_response_headers_like or to a block of their own.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_nginx_manager();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: PPM, byte for byte smallpt.cpp's image, and its headers
--- request
GET /?spp=4&w=64&h=48&format=ppm
--- more_headers
X-Fc-Request-Id: docker-test-ppm
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
Transfer-Encoding: chunked
!Content-Length
!Server-Timing
Content-Disposition: inline; filename="image.ppm"
ETag: "smallpt1.2.0-64x48-4spp-ppm"
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 2: PNG by default; its pixels are smallpt.cpp's
--- request
GET /?spp=8&w=160&h=120
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
--- raw_response_headers_like chomp
(?m)^ETag: "smallpt1\.2\.0-160x120-8spp-png-libpng[0-9.]+-zlib[0-9.]+"\r?$
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 3: Server-Timing comes after the image, to who asks for trailers
--- request
GET /?spp=8&w=160&h=120
--- more_headers
TE: trailers
--- error_code: 200
--- response_headers
Transfer-Encoding: chunked
Trailer: Server-Timing
!Content-Length
--- raw_response_headers_unlike
Server-Timing: queue
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 4: the defaults: smallpt.cpp's own 1024x768 picture at spp 4
--- request
GET /?format=ppm
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
!Content-Length
Content-Disposition: inline; filename="image.ppm"
ETag: "smallpt1.2.0-1024x768-4spp-ppm"
--- response_body_filters eval
\&Smallpt::sha256_hex
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- timeout: 120



=== TEST 5: what a browser gets for /: that picture as PNG
--- request
GET /
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
--- response_body_filters eval
[\&Smallpt::png_to_ppm, \&Smallpt::sha256_hex]
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- timeout: 120
