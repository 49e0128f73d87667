# ETag, If-None-Match and HEAD: answered from the parameters alone, without
# rendering. The access log goes to the error log here, so that a block can
# see whether a render ran ($smallpt_render_time is "-" when none did).

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the ETag names what determines the bytes
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=7&w=64&h=48&format=ppm",
 "GET /render?spp=8&w=64&h=48&format=ppm",
 "GET /render?spp=4&w=64&h=48"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["ETag: \"smallpt1.2.0-64x48-4spp-ppm\"",
 "ETag: \"smallpt1.2.0-64x48-4spp-ppm\"",
 "ETag: \"smallpt1.2.0-64x48-8spp-ppm\"",
 "Content-Type: image/png"]
--- raw_response_headers_like eval
["(?m)^ETag: ", "(?m)^ETag: ", "(?m)^ETag: ",
 "(?m)^ETag: \"smallpt1\\.2\\.0-64x48-4spp-png-libpng[0-9.]+-zlib[0-9.]+\"\r\$"]



=== TEST 2: If-None-Match with the image's ETag: 304, nothing rendered
--- http_config
    log_format render 'render=$smallpt_render_time status=$status';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-None-Match: "smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 304
--- response_headers
ETag: "smallpt1.2.0-64x48-4spp-ppm"
!Content-Length
!Server-Timing
--- response_body
--- error_log
render=- status=304
--- no_error_log
[error]



=== TEST 3: a weak match and a list match too
--- http_config
    log_format render 'render=$smallpt_render_time status=$status';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-None-Match: "other", W/"smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 304
--- error_log
render=- status=304



=== TEST 4: If-None-Match: * matches any image
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=16&w=640&h=480
--- more_headers
If-None-Match: *
--- error_code: 304
--- response_body



=== TEST 5: another ETag: the image is rendered and sent
--- http_config
    log_format render 'render=$smallpt_render_time status=$status';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-None-Match: "smallpt1.2.0-64x48-8spp-ppm"
--- error_code: 200
--- response_body eval
Smallpt::reference("64x48_spp4.ppm")
--- error_log eval
qr/render=\d+\.\d{3} status=200/



=== TEST 6: HEAD: the image's headers, nothing rendered
--- http_config
    log_format render 'render=$smallpt_render_time status=$status';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
HEAD /render?spp=1024&w=2048&h=2048
--- error_code: 200
--- response_headers
Content-Type: image/png
Content-Disposition: inline; filename="image.png"
!Content-Length
!Server-Timing
--- raw_response_headers_like chomp
(?ms)(?=.*^ETag: "smallpt1\.2\.0-2048x2048-1024spp-png-libpng[0-9.]+-zlib[0-9.]+"\r$)
--- response_body
--- error_log
render=- status=200
--- timeout: 2



=== TEST 7: HEAD with bad parameters: 400, as GET
--- config
    location = /render {
        smallpt;
    }
--- request
HEAD /render?spp=2
--- error_code: 400
--- response_headers
Content-Type: text/plain
--- response_body



=== TEST 8: HEAD with a matching If-None-Match: 304
--- config
    location = /render {
        smallpt;
    }
--- request
HEAD /render?format=ppm
--- more_headers
If-None-Match: "smallpt1.2.0-1024x768-4spp-ppm"
--- error_code: 304



=== TEST 9: If-Match that does not match: 412 at once, nothing rendered
--- http_config
    log_format render 'render=$smallpt_render_time status=$status';
--- config
    location = /render {
        smallpt;
        access_log logs/error.log render;
    }
--- request
GET /render?spp=1024&w=2048&h=2048&format=ppm
--- more_headers
If-Match: "smallpt1.2.0-2048x2048-512spp-ppm"
--- error_code: 412
--- response_body_like chomp
<title>412 Precondition Failed</title>
--- error_log
render=- status=412
--- timeout: 2



=== TEST 10: If-Match that names the image, or "*": rendered
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=4&w=64&h=48&format=ppm"]
--- more_headers eval
["If-Match: \"other\", \"smallpt1.2.0-64x48-4spp-ppm\"", "If-Match: *"]
--- error_code eval
[200, 200]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm")]



=== TEST 11: If-Match compares strongly: a weak tag is a mismatch
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-Match: W/"smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 412



=== TEST 12: If-Match is evaluated first: a mismatch wins over a 304
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-Match: "smallpt1.2.0-64x48-8spp-ppm"
If-None-Match: "smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 412



=== TEST 13: If-Match passes, If-None-Match matches: 304
--- config
    location = /render {
        smallpt;
    }
--- request
GET /render?spp=4&w=64&h=48&format=ppm
--- more_headers
If-Match: *
If-None-Match: "smallpt1.2.0-64x48-4spp-ppm"
--- error_code: 304



=== TEST 14: no modification date: If-Unmodified-Since and If-Modified-Since are ignored
--- config
    location = /render {
        smallpt;
    }
--- request eval
["GET /render?spp=4&w=64&h=48&format=ppm",
 "GET /render?spp=4&w=64&h=48&format=ppm",
 "HEAD /render?spp=4&w=64&h=48&format=ppm"]
--- more_headers eval
["If-Unmodified-Since: Thu, 01 Jan 1970 00:00:01 GMT",
 "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT",
 "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:01 GMT"]
--- error_code eval
[200, 200, 200]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm"),
 ""]
