# The viewer page at /view, from the container (scripts/test-docker): the
# image carries html/view.html and nginx.conf serves it. What the page does
# in a browser is tested by scripts/test-browser (make test-browser).

use Test::Nginx::Socket 'no_plan';
use Smallpt;

no_nginx_manager();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the page, as HTML in UTF-8
--- request
GET /view
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
--- response_body_like chomp
^<!DOCTYPE html>\n.*<canvas id="canvas".*</html>\n$



=== TEST 2: a shared view's URL: the same page, whatever the query
--- request
GET /view?spp=16&w=640&h=480&format=png
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
--- response_body_like chomp
<title>smallpt</title>



=== TEST 3: only /view: not a prefix
--- request
GET /viewer
--- error_code: 404
