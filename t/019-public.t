# A public endpoint (docs/public-endpoint.md): signed URLs, private
# band servers and a per-client rate limit, as container/serve configures
# them with nginx's own modules (secure_link, map, limit_req, realip)
# around the module. The configuration is container/serve's own: it is run
# here with NGINX_BIN=true, which writes every file and starts nothing, and
# the blocks include what it wrote. The URLs are signed with
# scripts/sign-url, the command the docs document, and checked against its
# one-line openssl equivalent.
#
# Each way around the signature that was considered has a block: the
# signature moved, repeated, percent-encoded, padded or spelled otherwise,
# parameters added after it or before the signed ones, another path, a
# repeated spp, another secret.

use Test::Nginx::Socket 'no_plan';
use Smallpt;

use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;

our $Dir = tempdir('smallpt-public-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# the smallpt program beside the module, as container/serve looks for it,
# or the build's
our $Module = (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '')[0]
    // 'build/ngx_http_smallpt_module.so';
our $Smallpt = $ENV{SMALLPT}
    // (grep { -x } dirname($Module) . '/smallpt', 'build/smallpt')[0]
    // 'smallpt';

# secrets with what a configuration file would take for syntax: the
# container writes them as they are
our $Secret = q{new "secret" $with \\t a backslash; and {braces}};
our $Previous = 'the-previous-secret-0123456789';
our $BandSecret = 'band-secret-0123456789abcdef';
our $BandPrevious = 'band-previous-0123456789abcdef';

# a port for the band server of the fan-out blocks
our $BandPort = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    $p;
};


# serve(NAME, VAR => VALUE...): container/serve's files for that
# environment, in $Dir/NAME; (exit status, what it printed)
sub serve {
    my ($name, %env) = @_;

    my $pid = open my $out, '-|' // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        delete @ENV{grep { /^(SMALLPT_|FC_)/ } keys %ENV};
        @ENV{keys %env} = values %env;
        $ENV{NGINX_BIN} = 'true';
        $ENV{SMALLPT} = $Smallpt;
        exec 'container/serve', "$Dir/$name", $Module or die "exec: $!";
    }
    local $/;
    my $said = <$out> // '';
    close $out;
    return ($? >> 8, $said);
}

sub configure {
    my ($name, %env) = @_;
    my ($rc, $said) = serve($name, %env);
    die "container/serve for $name: exit $rc: $said" if $rc;
}

# include lines for a block: the pool (main), the http part, the locations
sub main_conf { "include $Dir/$_[0]/smallpt-cpus.conf;" }
sub http_conf { "include $Dir/$_[0]/smallpt-http.conf;" }
sub role_conf { "include $Dir/$_[0]/smallpt-role.conf;" }

# the fan-out blocks' http part: the private band server, on $BandPort
# (its http part holds the one band secret it and the front share), and
# the front's log format
sub band_server {
    return http_conf('band') . "
    server {
        listen 127.0.0.1:$BandPort;
        " . role_conf('band') . "
    }
    log_format smallpt_fanout 'bands=\$smallpt_bands';";
}

sub sign { Smallpt::sign_url(@_) }

# a day to spare: no block takes that long
sub signed { sign($Secret, '--lifetime', 86400, @_) }
sub expired { sign($Secret, '--expires', 1000000000, @_) }

# the signature of a URL, replaced by another
sub with_sig {
    my ($url, $sig) = @_;
    $url =~ s/&md5=[^&]*$/&md5=$sig/ or die "no md5= in $url";
    return $url;
}

sub sig_of { ($_[0] =~ /&md5=([^&]*)$/)[0] }

# the same 16 bytes in another spelling: the last character's low 4 bits,
# which nginx's base64url decoding drops
sub respelled {
    my ($sig) = @_;
    my $abc = join '', 'A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_';
    my $last = index $abc, substr($sig, -1);
    return substr($sig, 0, -1) . substr($abc, $last + 1, 1);
}

configure('none');
configure('signed', SMALLPT_URL_SECRET => $Secret);
configure('rotated', SMALLPT_URL_SECRET => $Secret,
          SMALLPT_URL_SECRET_PREVIOUS => $Previous);
configure('limited', SMALLPT_RATE_LIMIT => '1r/m', SMALLPT_RATE_BURST => 2,
          SMALLPT_REAL_IP_FROM => '127.0.0.1');
configure('fc', SMALLPT_RATE_LIMIT => '1r/m', FC_INSTANCE_ID => 'c-test');
configure('untrusted', SMALLPT_RATE_LIMIT => '1r/m',
          SMALLPT_REAL_IP_FROM => '192.0.2.1');
configure('public', SMALLPT_URL_SECRET => $Secret,
          SMALLPT_RATE_LIMIT => '1r/m', SMALLPT_REAL_IP_FROM => '127.0.0.1');
configure('band', SMALLPT_ROLE => 'band', SMALLPT_BAND_SECRET => $BandSecret,
          SMALLPT_BAND_SECRET_PREVIOUS => $BandPrevious);
for my $secret ($BandSecret, '') {
    configure($secret ? 'front' : 'front-open', SMALLPT_ROLE => 'front',
              SMALLPT_BAND_URL => "http://127.0.0.1:$BandPort",
              SMALLPT_BANDS => 3, SMALLPT_RESOLVER => '127.0.0.1',
              $secret ? (SMALLPT_BAND_SECRET => $secret) : ());
}


# --- container/serve: what it writes, and what it refuses

{
    my @nothing = grep { !/^\s*(#|$)/ } do {
        open my $fh, '<', "$Dir/none/smallpt-http.conf" or die $!;
        <$fh>;
    };
    is(join('', @nothing), '',
       'no variable set: smallpt-http.conf is comments only');
    ok(!-e "$Dir/none/smallpt-secrets.conf", 'no variable set: no secrets');
    my $role = do {
        open my $fh, '<', "$Dir/none/smallpt-role.conf" or die $!;
        local $/;
        <$fh>;
    };
    unlike($role, qr/secure_link|limit_req|error_page|\bif\b/,
           'no variable set: the render location as it always was');

    my $mode = (stat "$Dir/signed/smallpt-secrets.conf")[2] & 07777;
    is(sprintf('%o', $mode), '600', 'the secrets are readable by root only');

    # scripts/sign-url against its one-line equivalent, from its --help
    my ($line) = grep { /openssl md5/ } `scripts/sign-url --help`;
    $line =~ s/^\s+//;
    $line =~ s/^e=.*? u='[^']*';/e=1900000000 u='\/?spp=16&w=640&h=480';/
        or die "no e= u= in the one-liner: $line";
    local $ENV{SMALLPT_URL_SECRET} = $Secret;
    open my $sh, '-|', 'sh', '-c', $line or die "sh: $!";
    my $by_shell = <$sh> // '';
    close $sh;
    chomp $by_shell;
    is($by_shell, sign($Secret, '--expires', 1900000000, '/?spp=16&w=640&h=480'),
       'scripts/sign-url gives what its one-line openssl equivalent gives');

    my @refused = (
        [{SMALLPT_URL_SECRET => ''}, 'SMALLPT_URL_SECRET is set but empty'],
        [{SMALLPT_URL_SECRET => "two\nlines0123456789"},
         'SMALLPT_URL_SECRET: a control character'],
        [{SMALLPT_URL_SECRET => q{${env('SMALLPT_URL_SECRET')}}},
         q{SMALLPT_URL_SECRET=${env('SMALLPT_URL_SECRET')}: a variable that was not replaced}],
        [{SMALLPT_URL_SECRET_PREVIOUS => $Previous},
         'SMALLPT_URL_SECRET_PREVIOUS is accepted beside SMALLPT_URL_SECRET'],
        [{SMALLPT_RATE_LIMIT => '30/m'},
         "SMALLPT_RATE_LIMIT's number=30/m: expected an integer"],
        [{SMALLPT_RATE_LIMIT => '30r/h'},
         'SMALLPT_RATE_LIMIT=30r/h: expected requests a second or a minute'],
        [{SMALLPT_RATE_LIMIT => '0r/s'},
         "SMALLPT_RATE_LIMIT's number=0: expected an integer from 1"],
        [{SMALLPT_RATE_BURST => 5}, 'SMALLPT_RATE_BURST is a burst beyond'],
        [{SMALLPT_RATE_LIMIT => '1r/s', SMALLPT_RATE_BURST => 'x'},
         'SMALLPT_RATE_BURST=x: expected an integer from 0 to 100000'],
        [{SMALLPT_REAL_IP_FROM => 'gateway'},
         'SMALLPT_REAL_IP_FROM=gateway: expected addresses'],
        [{SMALLPT_ROLE => 'band', SMALLPT_BAND_SECRET => 'has space 0123456789'},
         'SMALLPT_BAND_SECRET: expected printable ASCII without spaces'],
        [{SMALLPT_ROLE => 'band', SMALLPT_BAND_SECRET => ''},
         'SMALLPT_BAND_SECRET is set but empty'],
        # a protection the role does not apply: refused, not ignored
        [{SMALLPT_ROLE => 'band', SMALLPT_URL_SECRET => $Secret},
         'SMALLPT_URL_SECRET is not used by SMALLPT_ROLE=band'],
        [{SMALLPT_ROLE => 'band', SMALLPT_RATE_LIMIT => '1r/m'},
         'SMALLPT_RATE_LIMIT is not used by SMALLPT_ROLE=band'],
        [{SMALLPT_BAND_SECRET => $Secret},
         'SMALLPT_BAND_SECRET is not used by SMALLPT_ROLE=single'],
        [{SMALLPT_ROLE => 'front', SMALLPT_BAND_URL => 'https://bands',
          SMALLPT_BAND_SECRET => $Secret,
          SMALLPT_BAND_SECRET_PREVIOUS => $Previous},
         'SMALLPT_BAND_SECRET_PREVIOUS is not used by SMALLPT_ROLE=front'],
    );
    for my $case (@refused) {
        my ($env, $want) = @$case;
        my ($rc, $said) = serve('refused', %$env);
        my $what = join ' ', map { "$_=$env->{$_}" } sort keys %$env;
        $what =~ s/\n/\\n/g;
        ok($rc == 2 && index($said, "serve: $want") >= 0,
           "refused: $what") or diag("exit $rc: $said");
    }

    my (undef, $said) = serve('short', SMALLPT_URL_SECRET => 'short');
    like($said, qr/SMALLPT_URL_SECRET has 5 characters: anyone may guess/,
         'a short secret is taken, with a warning');

    # nginx makes the previous secret's socket writable by all: its folder
    # keeps out all but the workers
    my $private = (stat "$Dir/rotated/private")[2] // 0;
    is(sprintf('%04o', $private & 07777), '0750',
       "the previous secret's socket is in a folder of mode 0750");
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: no variable set: renders as always, exact, whatever the query
--- main_config eval: main::main_conf('none')
--- http_config eval: main::http_conf('none')
--- config eval: main::role_conf('none')
--- request eval
["GET /?spp=4&w=64&h=48&format=ppm",
 "GET /?spp=4&w=64&h=48&format=ppm&expires=1000000000&md5=AAAAAAAAAAAAAAAAAAAAAA",
 "GET /?spp=8&w=160&h=120"]
--- more_headers eval
["", "X-Forwarded-For: 192.0.2.1", ""]
--- error_code eval
[200, 200, 200]
--- response_body_filters eval
[[], [], [\&Smallpt::png_to_ppm]]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm"),
 Smallpt::reference("160x120_spp8.ppm")]



=== TEST 2: signed: rendered, byte for byte, PPM and PNG, GET and HEAD
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
["GET " . main::signed('/?spp=4&w=64&h=48&format=ppm'),
 "GET " . main::signed('/?spp=8&w=160&h=120'),
 "HEAD " . main::signed('/?spp=8&w=160&h=120')]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["ETag: \"smallpt1.2.0-64x48-4spp-ppm\"\nCache-Control: max-age=315360000, immutable",
 "Content-Type: image/png", "Content-Type: image/png"]
--- response_body_filters eval
[[], [\&Smallpt::png_to_ppm], []]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("160x120_spp8.ppm"), ""]



=== TEST 3: unsigned, tampered (another spp), expired: 403, 403, 410, one line each
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
["GET /?spp=4&w=64&h=48",
 "GET " . do { (my $u = main::signed('/?spp=4&w=64&h=48')) =~ s/spp=4/spp=1000/; $u },
 "GET " . main::expired('/?spp=4&w=64&h=48'),
 "HEAD /?spp=4&w=64&h=48"]
--- error_code eval
[403, 403, 410, 403]
--- response_headers eval
["Content-Type: text/plain\n!Cache-Control\n!ETag",
 "Content-Type: text/plain", "Content-Type: text/plain\n!Cache-Control",
 "Content-Type: text/plain"]
--- response_body eval
["md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n",
 "md5: wrong signature; expected the one made with the server's secret for this very URL\n",
 "expires: 1000000000 has passed; expected a signed URL that has not expired\n",
 ""]



=== TEST 4: the signature must end the URL: nothing after it, not first, not twice
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
my $u = main::signed('/?spp=4&w=64&h=48');
my ($e) = $u =~ /expires=(\d+)/;
my $sig = main::sig_of($u);
["GET $u&spp=1000",
 "GET $u&w=2048",
 "GET /?md5=$sig&expires=$e&spp=4&w=64&h=48",
 "GET /?expires=$e&md5=$sig&spp=4&w=64&h=48",
 "GET $u&expires=$e&md5=$sig",
 "GET $u#",
 "GET $u&"]
--- error_code eval
[403, 403, 403, 403, 403, 403, 403]
--- response_body eval
[("md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n") x 4,
 "md5: given more than once; expected one expires= and one md5=, at the end of the URL\n",
 ("md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n") x 2]



=== TEST 5: only the one spelling of expires= and md5=: no escapes, case, padding, other spellings of the bytes
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
my $u = main::signed('/?spp=4&w=64&h=48');
my $sig = main::sig_of($u);
(my $escaped = $u) =~ s/&expires=/&%65xpires=/;
(my $upper = $u) =~ s/&expires=(\d+)&md5=/&EXPIRES=$1&MD5=/;
(my $zero = $u) =~ s/&expires=/&expires=0/;
(my $plus = $u) =~ s/&expires=/&expires=+/;
["GET $escaped", "GET $upper", "GET $u==", "GET $u%3D%3D",
 "GET " . main::with_sig($u, main::respelled($sig)),
 "GET " . main::with_sig($u, substr($sig, 0, 21)),
 "GET $zero", "GET $plus"]
--- error_code eval
[(403) x 8]
--- response_body eval
[("md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n") x 8]



=== TEST 6: what the signature covers: the query before it, the path, and nothing else
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
my $u = main::signed('/?spp=4&w=64&h=48');
(my $first = $u) =~ s/\?/?spp=1000&/;
(my $escaped = $u) =~ s/\?spp=/?%73pp=/;
(my $path = $u) =~ s{^/}{//};
(my $other = main::signed('/view?spp=4&w=64&h=48')) =~ s{^/view}{/};
my $flipped = main::with_sig($u, do { my $s = main::sig_of($u);
    substr($s, 5, 1) = substr($s, 5, 1) eq 'A' ? 'B' : 'A'; $s });
["GET $first", "GET $escaped", "GET $path", "GET $other", "GET $flipped",
 "GET " . main::sign('another secret', '/?spp=4&w=64&h=48')]
--- error_code eval
[(403) x 6]
--- response_body eval
[("md5: wrong signature; expected the one made with the server's secret for this very URL\n") x 6]



=== TEST 7: what was signed is what the module parses: a signed repeated spp is its 400, an escaped name is spp
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
["GET " . main::signed('/?spp=4&spp=1000&w=64&h=48'),
 "GET " . main::signed('/?%73pp=4&w=64&h=48&format=ppm'),
 "GET " . main::signed('/')]
--- error_code eval
[400, 200, 200]
--- response_headers eval
["", "ETag: \"smallpt1.2.0-64x48-4spp-ppm\"", "Content-Type: image/png"]
--- response_body_filters eval
[[], [], [sub { length($_[0]) > 1000 ? "a PNG\n" : $_[0] }]]
--- response_body eval
["spp: given more than once; expected one integer from 4 to 1024\n",
 Smallpt::reference("64x48_spp4.ppm"), "a PNG\n"]



=== TEST 8: expires= or md5= inside the signed part: refused, even signed
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
# scripts/sign-url refuses to sign these: signed here as a server would check
use Digest::MD5 qw(md5_base64);
my $e = time + 86400;
[map {
    my $s = md5_base64("$e $_ $main::Secret");
    $s =~ tr{+/}{-_};
    "GET $_&expires=$e&md5=$s";
} '/?expires=1&spp=4', '/?spp=4&MD5=x']
--- error_code eval
[403, 403]
--- response_body eval
[("md5: given more than once; expected one expires= and one md5=, at the end of the URL\n") x 2]



=== TEST 9: a conditional request is checked first: no 304 for an unsigned URL
--- main_config eval: main::main_conf('signed')
--- http_config eval: main::http_conf('signed')
--- config eval: main::role_conf('signed')
--- request eval
["GET /?spp=4&w=64&h=48&format=ppm",
 "GET " . main::signed('/?spp=4&w=64&h=48&format=ppm')]
--- more_headers eval
[("If-None-Match: \"smallpt1.2.0-64x48-4spp-ppm\"") x 2]
--- error_code eval
[403, 304]



=== TEST 10: rotation: the current and the previous secret both render, exactly; any other is refused
--- main_config eval: main::main_conf('rotated')
--- http_config eval: main::http_conf('rotated')
--- config eval: main::role_conf('rotated')
--- request eval
["GET " . main::signed('/?spp=4&w=64&h=48&format=ppm'),
 "GET " . main::sign($main::Previous, '/?spp=4&w=64&h=48&format=ppm'),
 "GET " . main::sign($main::Previous, '/?spp=8&w=160&h=120'),
 "GET " . main::sign($main::Previous, '--expires', 1000000000, '/?spp=4'),
 "GET " . main::sign('a third secret', '/?spp=4'),
 "GET /?spp=4"]
--- error_code eval
[200, 200, 200, 410, 403, 403]
--- response_headers eval
["ETag: \"smallpt1.2.0-64x48-4spp-ppm\"", "ETag: \"smallpt1.2.0-64x48-4spp-ppm\"",
 "Content-Type: image/png", "Content-Type: text/plain", "Content-Type: text/plain",
 "Content-Type: text/plain"]
--- response_body_filters eval
[[], [], [\&Smallpt::png_to_ppm], [], [], []]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("64x48_spp4.ppm"),
 Smallpt::reference("160x120_spp8.ppm"),
 "expires: 1000000000 has passed; expected a signed URL that has not expired\n",
 "md5: wrong signature; expected the one made with the server's secret for this very URL\n",
 "md5: missing; expected a signed URL, ending in expires=EXPIRES&md5=SIGNATURE\n"]



=== TEST 11: a burst over the rate limit: 429 with Retry-After, per client address as FC passes it
--- main_config eval: main::main_conf('limited')
--- http_config eval: main::http_conf('limited')
--- config eval: main::role_conf('limited')
--- request eval
[("GET /?spp=4&w=8&h=8") x 6]
--- more_headers eval
# 1r/m with a burst of 2: three renders at once, then one a minute. FC
# appends the address it took the request from to X-Forwarded-For; what
# comes before it is whatever the client sent.
["X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 203.0.113.7",
 "X-Forwarded-For: 198.51.100.1, 203.0.113.7",
 "X-Forwarded-For: 203.0.113.7",
 "X-Forwarded-For: 198.51.100.1",
 "X-Forwarded-For: 203.0.113.7, 198.51.100.1"]
--- error_code eval
[200, 200, 200, 429, 200, 200]
--- response_headers eval
["!Retry-After", "", "", "Retry-After: 60\nContent-Type: text/plain", "", ""]
--- response_body_filters eval
[(sub { $_[0] =~ /^\x89PNG/ ? "a PNG\n" : $_[0] }) x 6]
--- response_body eval
[("a PNG\n") x 3,
 "too many requests: more than 1r/m from this address; retry after 60 s\n",
 ("a PNG\n") x 2]



=== TEST 12: on Function Compute (FC_INSTANCE_ID set) the gateway is trusted by default
--- main_config eval: main::main_conf('fc')
--- http_config eval: main::http_conf('fc')
--- config eval: main::role_conf('fc')
--- request eval
[("GET /?spp=4&w=8&h=8") x 3]
--- more_headers eval
["X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 203.0.113.7",
 "X-Forwarded-For: 198.51.100.1"]
--- error_code eval
[200, 429, 200]
--- response_headers eval
["", "Retry-After: 60", ""]



=== TEST 13: X-Forwarded-For from a peer that is not trusted: ignored, the peer is the client
--- main_config eval: main::main_conf('untrusted')
--- http_config eval: main::http_conf('untrusted')
--- config eval: main::role_conf('untrusted')
--- request eval
[("GET /?spp=4&w=8&h=8") x 2]
--- more_headers eval
["X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 198.51.100.1"]
--- error_code eval
[200, 429]



=== TEST 14: only renders count: refused signatures are not counted, and are refused first
--- main_config eval: main::main_conf('public')
--- http_config eval: main::http_conf('public')
--- config eval: main::role_conf('public')
--- request eval
["GET /?spp=4&w=8&h=8", "GET /?spp=4&w=8&h=8",
 "GET " . main::signed('/?spp=4&w=8&h=8'),
 "GET " . main::expired('/?spp=4&w=8&h=8'),
 "GET " . main::signed('/?spp=4&w=8&h=9')]
--- error_code eval
[403, 403, 200, 410, 429]
--- response_headers eval
["!Retry-After", "!Retry-After", "", "!Retry-After", "Retry-After: 60"]



=== TEST 15: a private band server: the band with the secret, the current or the previous; 403 without
--- main_config eval: main::main_conf('band')
--- http_config eval: main::http_conf('band')
--- config eval: main::role_conf('band')
--- request eval
[("GET /?spp=4&w=64&h=48&format=rgb&rows=10-12") x 4, "GET /?spp=4", "GET /?spp=4"]
--- more_headers eval
["X-Smallpt-Band-Secret: $main::BandSecret",
 "X-Smallpt-Band-Secret: $main::BandPrevious",
 "", "X-Smallpt-Band-Secret: " . uc $main::BandSecret, "",
 "X-Smallpt-Band-Secret: $main::BandSecret"]
--- error_code eval
[200, 200, 403, 403, 403, 400]
--- response_body eval
[(substr(Smallpt::ppm_to_rgb(Smallpt::reference("64x48_spp4.ppm")), 10 * 64 * 3, 3 * 64 * 3)) x 2,
 ("X-Smallpt-Band-Secret: missing or wrong; this band server renders for its front only\n") x 3,
 "rows: missing; this is a band server, it renders rows=FIRST-LAST of an image for a front; ask the front for whole images\n"]



=== TEST 16: the front sends the secret with every band: the exact image, by fan-out
--- main_config eval: main::main_conf('front')
--- http_config eval: main::band_server()
--- config eval: main::role_conf('front')
--- request eval
["GET /?spp=4&w=64&h=48&format=ppm", "GET /?spp=8&w=160&h=120"]
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [\&Smallpt::png_to_ppm]]
--- response_body eval
[Smallpt::reference("64x48_spp4.ppm"), Smallpt::reference("160x120_spp8.ppm")]
--- no_error_log
[error]



=== TEST 17: a front without the secret gets no band from a private band server: 502
--- main_config eval: main::main_conf('front-open')
--- http_config eval: main::band_server()
--- config eval: main::role_conf('front-open')
--- request
GET /?spp=4&w=64&h=48&format=ppm
--- error_code: 502
--- response_body
a band of the image could not be rendered
--- error_log
not 200 (status 403
