# Renders: the bodies are smallpt.cpp's images, byte for byte.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: PPM, byte for byte smallpt.cpp's image.ppm
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
Content-Length: 22851
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- no_error_log
[error]



=== TEST 2: another size and spp
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /render?format=ppm&h=120&w=160&spp=8
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")
--- no_error_log
[error]



=== TEST 3: spp 11 renders 4 * floor(11 / 4) = 8 samples, like smallpt.cpp
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /render?format=ppm&h=120&w=160&spp=11
--- error_code: 200
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 4: PNG by default; its pixels are the PPM's
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = /render {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
--- raw_response_headers_like chomp
(?ms)(?=.*^Content-Length: \d+\r$)
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 5: format=png asked for explicitly
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?format=png&w=160&h=120&spp=8
--- error_code: 200
--- response_headers
Content-Type: image/png
--- response_body_filters eval
\&Smallpt::png_to_ppm
--- response_body eval
Smallpt::reference("160x120_spp8.ppm")



=== TEST 6: the defaults: smallpt.cpp's own 1024x768 picture at spp 4
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = / {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /?format=ppm
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
Content-Disposition: inline; filename="image.ppm"
--- response_body_filters eval
\&Smallpt::sha256_hex
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- timeout: 60



=== TEST 7: what a browser gets for /?spp=4: that picture as PNG
--- skip_eval: 3: $ENV{TEST_NGINX_USE_VALGRIND}
--- main_config
    thread_pool smallpt threads=2;
--- config
    location = / {
        smallpt;
        smallpt_thread_pool smallpt;
    }
--- request
GET /?spp=4
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
--- response_body_filters eval
[\&Smallpt::png_to_ppm, \&Smallpt::sha256_hex]
--- response_body eval
Smallpt::reference_sha("1024x768_spp4.ppm")
--- timeout: 60



=== TEST 8: the headers of an image
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
Content-Length: 22851
Content-Disposition: inline; filename="image.ppm"
--- raw_response_headers_like chomp
(?ms)(?=.*^ETag: "smallpt1\.2\.0-64x48-4spp-ppm"\r$)(?=.*^Server-Timing: queue;dur=\d+\.\d{3}, render;dur=\d+\.\d{3}\r$)
--- no_error_log
[error]



=== TEST 9: two renders in a row
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm", "GET /render?spp=8&w=160&h=120&format=ppm"]
--- error_code eval
[200, 200]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("160x120_spp8.ppm")]
