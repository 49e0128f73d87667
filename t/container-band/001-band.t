# The container as a band server (SMALLPT_ROLE=band, SMALLPT_MAX_SPP=5000;
# scripts/test-docker-fanout): it renders the rows it is asked for, byte
# for byte those rows of smallpt.cpp's image, and refuses whole images.
# No nginx is started here; see t/container/001-render.t.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_nginx_manager();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: rows as raw RGB: those rows of smallpt.cpp's image, exactly
--- request
GET /?spp=4&w=64&h=48&format=rgb&rows=10-12
--- error_code: 200
--- response_headers
Content-Type: application/octet-stream
Content-Length: 576
ETag: "smallpt1.2.0-64x48-4spp-rows10-12-rgb"
--- response_body eval
substr(Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm")), 10 * 64 * 3, 3 * 64 * 3)



=== TEST 2: the band a front asks for, the last rows of the image
--- request
GET /?spp=8&w=160&h=120&format=rgb&rows=103-119
--- error_code: 200
--- response_headers
Content-Length: 8160
ETag: "smallpt1.2.0-160x120-8spp-rows103-119-rgb"
--- response_body eval
substr(Smallpt::ppm_to_rgb(Smallpt::reference("160x120_spp8.ppm")), 103 * 160 * 3)



=== TEST 3: a band as PNG: an image of those rows
--- request
GET /?spp=4&w=64&h=48&rows=0-5
--- error_code: 200
--- response_headers
Content-Type: image/png
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::ppm_band(Smallpt::reference("64x48_spp4.ppm"), 0, 5)



=== TEST 4: without rows=, a whole image: refused, with the reason
--- request
GET /?spp=4&w=64&h=48&format=ppm
--- error_code: 400
--- response_headers
Content-Type: text/plain
!ETag
--- response_body
rows: missing; this is a band server, it renders rows=FIRST-LAST of an image for a front; ask the front for whole images



=== TEST 5: no rows= (matched case-sensitively, as the module does): 400
--- request eval
["GET /", "GET /?ROWS=0-47&w=64&h=48", "GET /?spp=4&xrows=1-2", "HEAD /?spp=4"]
--- error_code eval
[400, 400, 400, 400]



=== TEST 6: a bad range is the module's own 400
--- request
GET /?w=64&h=48&rows=0-48
--- error_code: 400
--- response_body
rows: 0-48 is not within the image; expected FIRST-LAST with 0 <= FIRST <= LAST <= 47



=== TEST 7: all the rows are a whole image, answered like any band
--- request
GET /?spp=4&w=64&h=48&format=ppm&rows=0-47
--- error_code: 200
--- response_headers
ETag: "smallpt1.2.0-64x48-4spp-rows0-47-ppm"
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 8: SMALLPT_MAX_SPP raised the spp limit (5000 here)
--- request
GET /?spp=5000&w=64&h=48&format=rgb&rows=47-47
--- error_code: 200
--- response_headers
Content-Length: 192
ETag: "smallpt1.2.0-64x48-5000spp-rows47-47-rgb"



=== TEST 9: and no further
--- request
GET /?spp=5004&w=64&h=48&format=rgb&rows=47-47
--- error_code: 400
--- response_body
spp: 5004 is too large; expected an integer from 4 to 5000



=== TEST 10: the health check is the same in every role
--- request
GET /health
--- error_code: 200
--- response_body
ok
