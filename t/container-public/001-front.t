# The container as s.yaml deploys its front on Function Compute, public
# but protected (scripts/test-docker-fanout, step 7): SMALLPT_ROLE=front
# with SMALLPT_URL_SECRET and SMALLPT_URL_SECRET_PREVIOUS (the URL secrets,
# given to the tests as TEST_SMALLPT_URL_SECRET and
# TEST_SMALLPT_URL_SECRET_PREVIOUS), SMALLPT_BAND_SECRET shared with a
# private band server, SMALLPT_RATE_LIMIT=1r/m with SMALLPT_RATE_BURST=2,
# and FC_INSTANCE_ID set as FC sets it: the client's address is the last
# one in X-Forwarded-For. Each block is a client of its own (an address
# of its own in X-Forwarded-For), so that the rate limit counts each
# block's renders apart. No nginx is started here; see
# t/container/001-render.t.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

our $Secret = $ENV{TEST_SMALLPT_URL_SECRET} // die "no TEST_SMALLPT_URL_SECRET";
our $Previous = $ENV{TEST_SMALLPT_URL_SECRET_PREVIOUS}
    // die "no TEST_SMALLPT_URL_SECRET_PREVIOUS";

sub signed { Smallpt::sign_url($Secret, '--lifetime', 86400, @_) }

no_nginx_manager();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: signed: smallpt.cpp's image, byte for byte, by fan-out to the private band server
--- request eval
["GET " . main::signed('/?spp=4&w=64&h=48&format=ppm'),
 "GET " . main::signed('/?spp=8&w=160&h=120')]
--- more_headers eval
[("X-Forwarded-For: 192.0.2.1") x 2]
--- error_code eval
[200, 200]
--- response_headers eval
["ETag: \"smallpt1.2.0-64x48-4spp-ppm\"", "Content-Type: image/png"]
--- response_body_filters eval
[[], [\&Smallpt::png_to_ppm]]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("160x120_spp8.ppm")]



=== TEST 2: unsigned, tampered (another spp), expired: 403, 403, 410
--- request eval
["GET /?spp=4&w=64&h=48",
 "GET " . do { (my $u = main::signed('/?spp=4&w=64&h=48')) =~ s/spp=4/spp=5000/; $u },
 "GET " . Smallpt::sign_url($main::Secret, '--expires', 1000000000, '/?spp=4')]
--- more_headers eval
[("X-Forwarded-For: 192.0.2.2") x 3]
--- error_code eval
[403, 403, 410]
--- response_headers eval
[("Content-Type: text/plain") x 3]
--- response_body eval
["md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n",
 "md5: wrong signature; expected the one made with the server's secret for this very URL\n",
 "expires: 1000000000 has passed; expected a signed URL that has not expired\n"]



=== TEST 3: the previous secret, during a rotation: the same bytes
--- request eval
["GET " . Smallpt::sign_url($main::Previous, '/?spp=4&w=64&h=48&format=ppm'),
 "GET " . Smallpt::sign_url('not the secret', '/?spp=4&w=64&h=48&format=ppm')]
--- more_headers eval
[("X-Forwarded-For: 192.0.2.3") x 2]
--- error_code eval
[200, 403]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"),
 "md5: wrong signature; expected the one made with the server's secret for this very URL\n"]



=== TEST 4: a burst over the rate limit: 429 with Retry-After, for the address FC appends
--- request eval
[("GET " . main::signed('/?spp=4&w=8&h=8')) x 6]
--- more_headers eval
["X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 198.51.100.7",
 "X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 198.51.100.7",
 "X-Forwarded-For: 198.51.100.8, 198.51.100.7",
 "X-Forwarded-For: 198.51.100.7, 198.51.100.8"]
--- error_code eval
[200, 200, 200, 429, 429, 200]
--- response_headers eval
["!Retry-After", "", "", "Retry-After: 60\nContent-Type: text/plain",
 "Retry-After: 60", "!Retry-After"]
--- response_body_filters eval
[(sub { $_[0] =~ /^\x89PNG/ ? "a PNG\n" : $_[0] }) x 6]
--- response_body eval
[("a PNG\n") x 3,
 ("too many requests: more than 1r/m from this address; retry after 60 s\n") x 2,
 "a PNG\n"]



=== TEST 5: /health and the viewer page: neither signed nor counted (the client of TEST 4, over its limit)
--- request eval
["GET /health", "GET /health", "GET /health", "GET /health", "GET /view?spp=16"]
--- more_headers eval
[("X-Forwarded-For: 198.51.100.7") x 5]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_headers eval
["", "", "", "", "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
["^ok\n\$", "^ok\n\$", "^ok\n\$", "^ok\n\$", "<title>smallpt</title>"]
