# nginx's own directives keep working on renders: expires, add_header,
# gzip, the access log and its variables, Content-Disposition settings.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: expires and add_header
--- config
    location = /render {
        smallpt;
        expires 1h;
        add_header X-Renderer smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Cache-Control: max-age=3600
X-Renderer: smallpt
--- raw_response_headers_like chomp
(?ms)(?=.*^Expires: .+ GMT\r$)
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 2: gzip compresses a PPM when asked to
--- config
    location = /render {
        smallpt;
        gzip on;
        gzip_types image/x-portable-pixmap;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
Accept-Encoding: gzip
--- error_code: 200
--- response_headers
Content-Encoding: gzip
!Content-Length
--- raw_response_headers_like chomp
(?ms)(?=.*^ETag: W/"smallpt1\.2\.0-64x48-4spp-ppm"\r$)
--- response_body_filters eval
sub { Compress::Zlib::memGunzip($_[0]) }
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")



=== TEST 3: the variables in the access log
--- http_config
    log_format render '$status spp=$smallpt_spp size=${smallpt_width}x'
                      '$smallpt_height format=$smallpt_format '
                      'time=$smallpt_render_time';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=9&w=64&h=48
--- error_code: 200
--- error_log eval
qr/200 spp=8 size=64x48 format=png time=\d+\.\d{3}$/m



=== TEST 4: the variables are empty where nothing was rendered
--- http_config
    log_format render '$status spp=$smallpt_spp size=${smallpt_width}x'
                      '$smallpt_height format=$smallpt_format '
                      'time=$smallpt_render_time';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=abc
--- error_code: 400
--- error_log eval
qr/^400 spp=- size=-x- format=- time=-$/m



=== TEST 5: and in other locations
--- http_config
    log_format render '$status spp=$smallpt_spp size=${smallpt_width}x'
                      '$smallpt_height format=$smallpt_format '
                      'time=$smallpt_render_time';
--- config
    location = /other {
        return 204;
        access_log logs/error.log render;
    }
--- request
GET /other
--- error_code: 204
--- error_log eval
qr/^204 spp=- size=-x- format=- time=-$/m



=== TEST 6: smallpt_disposition attachment and smallpt_filename
--- config
    location = /render {
        smallpt;
        smallpt_disposition attachment;
        smallpt_filename smallpt-${smallpt_width}x${smallpt_height}-$smallpt_spp;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Content-Disposition: attachment; filename="smallpt-64x48-4.ppm"



=== TEST 7: a filename from the client is made safe
--- config
    location = /render {
        smallpt;
        smallpt_filename $arg_name;
    }
--- request
GET /render?spp=4&w=64&h=48&name=a%22b%2F..%2Fc
--- error_code: 200
--- response_headers
Content-Disposition: inline; filename="a_22b_2F.._2Fc.png"



=== TEST 8: an empty filename falls back to "image"
--- config
    location = /render {
        smallpt;
        smallpt_filename $arg_name;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- error_code: 200
--- response_headers
Content-Disposition: inline; filename="image.ppm"



=== TEST 9: settings are inherited from the server level
--- config
    smallpt_format ppm;
    smallpt_disposition attachment;
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48
--- error_code: 200
--- response_headers
Content-Type: image/x-portable-pixmap
Content-Disposition: attachment; filename="image.ppm"



=== TEST 10: other locations of the server are untouched
--- config
    location = /render {
        smallpt;
    }
--- user_files
>>> static.txt
hello
--- request
GET /static.txt
--- error_code: 200
--- response_body
hello



=== TEST 11: an SSI include renders, whatever the page's If-None-Match
--- config
    location = /page {
        default_type text/html;
        ssi on;
        return 200 'A<!--#include virtual="/render?w=4&h=3&format=ppm" -->B';
    }
    location = /render {
        smallpt;
    }
--- request
GET /page
--- more_headers
If-None-Match: "smallpt1.2.0-4x3-4spp-ppm"
--- error_code: 200
--- response_body_like chomp
^AP3\n4 3\n255\n(\d+ ){36}B$



=== TEST 12: a page terminated while its SSI include renders: no alert
--- config
    location = /page {
        default_type text/html;
        ssi on;
        return 200 'A<!--#include virtual="/render?w=2048&h=2048&spp=1000000" --><!--#include virtual="/cut" -->B';
    }
    location = /render {
        smallpt;
        smallpt_max_spp 1000000;
    }
    location = /cut {
        return 444;
    }
--- request
GET /page
--- ignore_response
--- error_log
smallpt: request terminated, cancelling the render
smallpt: render cancelled after
--- no_error_log
[alert]
