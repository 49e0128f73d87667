package Smallpt;

# Helpers for the module's .t files (they work the same with CPAN's
# Test::Nginx::Socket): reference data, a PNG decoder to compare pixels,
# clients and signals that act while a block's request is running, and
# readers of the metrics (the Prometheus text format).

use strict;
use warnings;

use Compress::Zlib qw(uncompress);
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempfile);
use IO::Select;
use IO::Socket::INET;
use Socket ();
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);

use Exporter 'import';
our @EXPORT = qw(reference png_to_ppm ppm_to_rgb ppm_band sha256_hex
                 reference_sha in_background get_in_background
                 signal_master);

# what the last Smallpt::fire saw, and lengths noted by note_length
our (%fired, %noted);

# the pids of the children in_background started
my @background;

my $DATA = 'tracer/tests/data';


# The bytes of a reference image from smallpt.cpp, e.g. "64x48_spp4.ppm".
sub reference {
    my ($name) = @_;
    open my $fh, '<:raw', "$DATA/$name" or die "$DATA/$name: $!";
    local $/;
    return scalar <$fh>;
}


# The SHA-256 of a reference image listed in SHA256SUMS.
sub reference_sha {
    my ($name) = @_;
    open my $fh, '<', "$DATA/SHA256SUMS" or die "$DATA/SHA256SUMS: $!";
    while (<$fh>) {
        return $1 if /^([0-9a-f]{64})\s+\Q$name\E$/;
    }
    die "$name is not in SHA256SUMS";
}


# Decodes an 8-bit RGB, non-interlaced PNG and writes its pixels as the P3
# PPM smallpt.cpp would: equal strings mean equal pixels. Anything else
# comes back as an error string, so a comparison fails and shows why.
sub png_to_ppm {
    my ($png) = @_;

    return "not a PNG" unless substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n";

    my ($pos, $idat, $w, $h) = (8, '', 0, 0);

    while ($pos + 8 <= length $png) {
        my ($len, $type) = unpack 'N a4', substr($png, $pos, 8);
        my $data = substr($png, $pos + 8, $len);
        $pos += 12 + $len;

        if ($type eq 'IHDR') {
            my ($depth, $color, $interlace);
            ($w, $h, $depth, $color, undef, undef, $interlace)
                = unpack 'N N C C C C C', $data;
            return "not 8-bit RGB" unless $depth == 8 && $color == 2;
            return "interlaced" if $interlace;

        } elsif ($type eq 'IDAT') {
            $idat .= $data;

        } elsif ($type eq 'IEND') {
            last;
        }
    }

    my $raw = uncompress($idat);
    return "bad zlib data" unless defined $raw;

    my $stride = $w * 3;
    return "wrong size" unless length $raw == $h * ($stride + 1);

    my @prev = (0) x $stride;
    my @pixels;

    for my $y (0 .. $h - 1) {
        my $filter = ord substr($raw, $y * ($stride + 1), 1);
        my @cur = unpack 'C*', substr($raw, $y * ($stride + 1) + 1, $stride);

        for my $i (0 .. $stride - 1) {
            my $a = $i >= 3 ? $cur[$i - 3] : 0;
            my $b = $prev[$i];
            my $c = $i >= 3 ? $prev[$i - 3] : 0;

            if ($filter == 1) {
                $cur[$i] += $a;
            } elsif ($filter == 2) {
                $cur[$i] += $b;
            } elsif ($filter == 3) {
                $cur[$i] += ($a + $b) >> 1;
            } elsif ($filter == 4) {
                my $p = $a + $b - $c;
                my ($pa, $pb, $pc) = (abs($p - $a), abs($p - $b),
                                      abs($p - $c));
                $cur[$i] += $pa <= $pb && $pa <= $pc ? $a
                          : $pb <= $pc ? $b : $c;
            } elsif ($filter != 0) {
                return "unknown filter $filter";
            }

            $cur[$i] &= 0xff;
        }

        push @pixels, @cur;
        @prev = @cur;
    }

    return "P3\n$w $h\n255\n" . join('', map { "$_ " } @pixels);
}


# The pixels of a P3 PPM as raw 8-bit RGB, top row first (format=rgb).
sub ppm_to_rgb {
    my ($ppm) = @_;

    my (undef, $w, $h, undef, @samples) = split /\s+/, $ppm;
    return pack 'C*', @samples;
}


# Rows $first to $last of a P3 PPM, as the P3 PPM of that band.
sub ppm_band {
    my ($ppm, $first, $last) = @_;

    my (undef, $w, $h, undef, @samples) = split /\s+/, $ppm;
    my @band = @samples[$first * $w * 3 .. ($last + 1) * $w * 3 - 1];
    return "P3\n$w " . ($last - $first + 1) . "\n255\n"
           . join('', map { "$_ " } @band);
}


# Runs $code in a child process; returns at once. The child is stopped,
# if it still runs, before the next block that starts a server of its
# own, and when the test file ends: a block leaves no client behind (a
# block that reuses the server keeps them). $code acts on evidence
# (wait_log, wait_held...), never after a delay.
sub in_background {
    my ($code) = @_;

    reap_at_block_end();

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        push @background, $pid;
        return $pid;
    }

    $code->();
    _exit(0);
}


# Stops and reaps the background children of the block before.
sub stop_background {
    kill 'TERM', @background if @background;
    waitpid $_, 0 for @background;
    @background = ();
}


my $reaping;

sub reap_at_block_end {
    return if $reaping++;
    Test::Nginx::Util::add_block_preprocessor(sub {
        stop_background() if defined $_[0]->config;
    });
    Test::Nginx::Util::add_cleanup_handler(sub { stop_background() });
}


# $n clients GET $uri from the test server and read their whole answers,
# in the background (the block's own request runs meanwhile). Connecting
# is retried for a few seconds: nginx may be starting.
sub get_in_background {
    my ($uri, $n) = @_;

    for (1 .. $n) {
        in_background(sub {
            my $sock;
            for (1 .. 50) {
                $sock = send_request("GET $uri");
                last if $sock;
                sleep 0.1;
            }
            return unless $sock;
            1 while <$sock>;
        });
    }
}


# A connection to the test server on which $request went (the raw bytes;
# "GET URI" for a plain HTTP/1.0 GET): read it, or close it to leave.
sub send_request {
    my ($request) = @_;

    $request = "$request HTTP/1.0\r\nHost: localhost\r\n\r\n"
        if $request =~ m{^GET \S+\z};

    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port)
        or return undef;
    print $sock $request;
    return $sock;
}


# A client in the background connects, sends $request (the raw bytes;
# "GET URI" for a plain HTTP/1.0 GET) and, once the error log has $n lines
# (1 if not given) that match $re, closes its connection without reading.
sub leave_when {
    my ($request, $re, $n) = @_;

    in_background(sub {
        my $sock = send_request($request) or return;
        wait_log($re, $n);
        close $sock;
    });
}


# A client in the background GETs $uri (HTTP/1.0) and closes its
# connection once it has read the headers and more than $bytes bytes of
# the body: the first rows of a streamed image, say.
sub leave_after_body {
    my ($uri, $bytes) = @_;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;

    in_background(sub {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => $port)
            or return;
        print $sock "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";

        my $got = '';
        while (sysread $sock, $got, 65536, length $got) {
            my $end = index $got, "\r\n\r\n";
            last if $end >= 0 && length($got) - $end - 4 > $bytes;
        }
        close $sock;
    });
}


# A server of one's own on 127.0.0.1:$port, for the block's nginx to ask
# (a band server that answers as nginx cannot): it takes each connection,
# reads the request's head, waits until the error log has $n lines (1 if
# not given) that match $re, then writes $response (or what the code ref
# $response gives for the request's head) and closes. Listening before this
# returns: nginx never finds the port closed.
sub serve_when {
    my ($port, $re, $response, $n) = @_;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $port, Listen => 16,
                                       ReuseAddr => 1)
        or die "listen on $port: $!";

    in_background(sub {
        while (my $c = $listen->accept) {
            my $head = '';
            while ($head !~ /\r\n\r\n/) {
                sysread($c, $head, 4096, length $head) or last;
            }
            wait_log($re, $n);
            print $c ref $response ? $response->($head) : $response;
            close $c;
        }
    });

    close $listen;
}


# The answer a band server gives to the band request in $head, made of
# a reference image ($name, e.g. "64x48_spp4.ppm", rendered at spp $spp):
# its rows as raw RGB, the ETag the module gives them.
sub band_answer {
    my ($name, $spp, $head) = @_;

    my ($w, $h) = $name =~ /^(\d+)x(\d+)_/;
    my ($first, $last) = $head =~ /[?&]rows=(\d+)-(\d+)/
        or return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    my $rows = substr ppm_to_rgb(reference($name)), $first * $w * 3,
                      ($last - $first + 1) * $w * 3;

    return "HTTP/1.1 200 OK\r\nContent-Length: " . length($rows) . "\r\n"
           . 'ETag: "smallpt' . smallpt_version()
           . "-${w}x$h-${spp}spp-rows$first-$last-rgb\"\r\n\r\n$rows";
}


# The port the harness chose for $TEST_NGINX_RAND_PORT_$n in this block.
sub rand_port {
    my ($n) = @_;
    no warnings 'once';
    return $Test::Nginx::Util::RandPorts->{"TEST_NGINX_RAND_PORT_$n"}
        // die "no TEST_NGINX_RAND_PORT_$n in this block's configuration";
}


# Clients that never read: each connects to 127.0.0.1:$port with a small
# receive buffer, asks for $uri and keeps the connection, unread, in
# @Smallpt::slow until drop_slow() closes them all.
our @slow;

sub slow_clients {
    my ($port, $uri, $n) = @_;

    for (1 .. $n) {
        my $sock = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
        # before connect: the window the kernel offers is set then
        setsockopt($sock, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096)
            or die "SO_RCVBUF: $!";
        $sock->connect(Socket::pack_sockaddr_in($port,
                                                Socket::inet_aton('127.0.0.1')))
            or die "connect to $port: $!";
        print $sock "GET $uri HTTP/1.1\r\nHost: localhost\r\n\r\n";
        push @slow, $sock;
    }
}

sub drop_slow {
    close $_ for @slow;
    @slow = ();
}


# Sends $signal to nginx's master process in the background: at once, or
# when the error log has a line that matches $after (see wait_log).
sub signal_master {
    my ($signal, $after) = @_;

    in_background(sub {
        return if defined $after && !wait_log($after, 1);
        open my $fh, '<', servroot() . '/logs/nginx.pid' or return;
        my $pid = <$fh>;
        chomp $pid;
        kill $signal, $pid if $pid;
    });
}


# --- signed URLs (docs/public-endpoint.md)

# PATH?QUERY signed with $secret by scripts/sign-url, the command the docs
# documents, the secret in the environment as it says; @args are its
# options (--lifetime, --expires, --view) and the URL.
sub sign_url {
    my ($secret, @args) = @_;

    local $ENV{SMALLPT_URL_SECRET} = $secret;
    open my $out, '-|', 'scripts/sign-url', @args or die "sign-url: $!";
    my $url = <$out>;
    close $out;
    die "scripts/sign-url @args: exit " . ($? >> 8) if $? || !defined $url;
    chomp $url;
    return $url;
}


# --- waiting for evidence, never for a time

# The test server's root folder, as the harness set it up.
sub servroot {
    return $ENV{TEST_NGINX_SERVER_ROOT} || $ENV{TEST_NGINX_SERVROOT}
           || 't/servroot';
}


# How long a wait for evidence may take before the premise is called
# broken: long, since only a broken premise ever waits that long.
sub patience {
    return $ENV{TEST_NGINX_USE_VALGRIND} ? 120 : 20;
}


# Polls $cond until it is true: 1; or, after patience() seconds, fails a
# test named for the premise that did not hold ("the pool was not full")
# and says why: 0.
sub wait_for {
    my ($cond, $premise, $why) = @_;

    my $deadline = time + patience();

    while (1) {
        return 1 if $cond->();
        last if time > $deadline;
        sleep 0.01;
    }

    Test::More::fail("premise: $premise");
    Test::More::diag("$premise: " . (ref $why ? $why->() : $why));
    return 0;
}


# The lines of the test server's error log that match $re.
sub log_lines {
    my ($re) = @_;

    open my $fh, '<', servroot() . '/logs/error.log' or return ();
    return grep { /$re/ } <$fh>;
}


# Waits until the error log has $n lines (1 if not given) that match $re;
# 1, or 0 after failing the premise $premise (quietly without one: for
# background children, whose failures the block's own checks show).
sub wait_log {
    my ($re, $n, $premise) = @_;

    $n //= 1;

    if (!defined $premise) {
        my $deadline = time + patience();
        while (log_lines($re) < $n) {
            return 0 if time > $deadline;
            sleep 0.01;
        }
        return 1;
    }

    return wait_for(sub { log_lines($re) >= $n }, $premise,
                    sub { "the error log has " . log_lines($re) . " of $n"
                          . " lines that match $re" });
}


# --- work long by construction

# A render that outlasts any test: 2048x2048 at spp 1000000 is 4.2 * 10^12
# samples, days of a CPU today and hours at a hundred times the speed. A
# test ends it itself (its client leaves, a time limit, a shutdown); its
# location needs `smallpt_max_spp 1000000;`.
sub endless {
    my ($location) = @_;
    return "$location?spp=1000000&w=2048&h=2048";
}


# --- the gate (t/lib/gate.c, preloaded into nginx with Smallpt::Gate)
#
# With `env SMALLPT_GATE=$TEST_NGINX_SERVER_ROOT/gate;` in main_config, a
# closed gate holds every render at its start (or its end): held, it is
# neither finished nor answered, however fast the CPU.

sub gate_dir {
    return servroot() . '/gate';
}


# Closes the gate: renders that begin from now on are held.
sub close_gate {
    my $dir = gate_dir();

    -d $dir or mkdir $dir or die "$dir: $!";
    unlink "$dir/held";
    open my $fh, '>', "$dir/closed" or die "$dir/closed: $!";
    close $fh;
}


# Opens the gate: the held renders go on.
sub open_gate {
    unlink gate_dir() . '/closed';
}


# Opens the gate in the background once the error log has $n lines that
# match $re: the block's own request has been answered, say.
sub open_gate_when {
    my ($re, $n) = @_;

    in_background(sub {
        wait_log($re, $n);
        open_gate();
    });
}


# How many pool threads are held at the gate now.
sub held {
    open my $fh, '<', gate_dir() . '/held' or return 0;
    my @lines = <$fh>;
    return scalar @lines;
}


# Waits until $n pool threads are held at the gate; 1, or 0 after failing
# the premise $premise.
sub wait_held {
    my ($n, $premise) = @_;

    return wait_for(sub { held() >= $n }, $premise,
                    sub { held() . " of $n renders reached the gate"
                          . " (is gate.so preloaded, SMALLPT_GATE set?)" });
}


# Fills a thread pool of $threads threads and a queue of $queue tasks
# with renders of $uri (one task each: smallpt_render_threads 1), held at
# the gate: then the pool is full, as a fact. The gate must be closed.
sub fill_pool {
    my ($uri, $threads, $queue) = @_;

    # nginx's own debug line, whatever the location's error_log level
    my $posted = qr/task #\d+ added to thread pool/;

    # one at a time: a render posted before a thread took the one before
    # would find the queue full
    for my $i (1 .. $threads) {
        get_in_background($uri, 1);
        wait_held($i, "the pool was not full: render $i did not start")
            or return 0;
    }

    for my $i (1 .. $queue) {
        get_in_background($uri, 1);
        wait_log($posted, $threads + $i,
                 "the pool was not full: render $i was not queued")
            or return 0;
    }

    return 1;
}

# --- metrics

# SMALLPT_VERSION, from tracer/smallpt.h.
sub smallpt_version {
    open my $fh, '<', 'tracer/smallpt.h' or die "tracer/smallpt.h: $!";
    while (<$fh>) {
        return $1 if /^#define SMALLPT_VERSION\s+"([^"]+)"/;
    }
    die "no SMALLPT_VERSION in tracer/smallpt.h";
}


# A response body filter: smallpt_build_info's labels, when right, become
# VERSION (SMALLPT_VERSION), ISA (an instruction set smallpt has) and NGINX
# (the version `nginx -V` prints); a wrong one stays as it is.
sub normalize_build_info {
    my ($body) = @_;

    my $version = smallpt_version();
    my $nginx = do { no warnings 'once'; $Test::Nginx::Util::NginxRawVersion }
                // 'unknown';

    $body =~ s/^(smallpt_build_info\{)version="\Q$version\E"/$1version="VERSION"/m;
    $body =~ s/^(smallpt_build_info\{.*?)isa="(?:scalar|avx2|avx512)"/$1isa="ISA"/m;
    $body =~ s/^(smallpt_build_info\{.*?)nginx_version="\Q$nginx\E"/$1nginx_version="NGINX"/m;

    return $body;
}


# A response body filter: the lines of an exposition that begin with one of
# the prefixes, in their order. Anything else (an image, an error page)
# becomes '', so that one filter serves a block's every request.
sub metrics_lines {
    my @prefixes = @_;

    return sub {
        my ($body) = @_;
        return '' unless $body =~ /^# TYPE /m;
        return join '', grep {
            my $line = $_;
            grep { index($line, $_) == 0 } @prefixes;
        } split /^/m, $body;
    };
}


# The value of one sample, named with its labels as the exposition writes
# them: metric($body, 'smallpt_requests_total{location="/r",outcome="ok"}');
# undef if there is no such line.
sub metric {
    my ($body, $series) = @_;
    return $1 if $body =~ /^\Q$series\E (\S+)\n/m;
    return undef;
}


# A response body filter that adds the body's length to $noted{$key} and
# gives ''.
sub note_length {
    my ($key) = @_;
    return sub {
        $noted{$key} += length $_[0];
        return '';
    };
}


# promtool's verdict on an exposition: "promtool: exit CODE" and what it
# printed. `promtool check metrics` exits 0 when the text parses and
# passes its lint, 1 when it does not parse, 3 on lint problems.
sub promtool_check {
    my ($body) = @_;

    my ($fh, $file) = tempfile(UNLINK => 1);
    binmode $fh;
    print $fh $body;
    close $fh;

    my $out = `promtool check metrics < '$file' 2>&1`;
    my $rc = $? == -1 ? 'not run (is promtool installed?)' : $? >> 8;
    return "promtool: exit $rc\n$out";
}


# Checks a histogram of durations against those measured by other means
# (in milliseconds, to the microsecond, e.g. from Server-Timing): the
# count, the sum, and every cumulative bucket. Gives "NAME: ok" or what
# differs.
sub check_histogram {
    my ($body, $name, $location, @ms) = @_;

    my $lab = "location=\"$location\"";
    my @problems;
    my $n = @ms;
    my $sum = 0;
    $sum += $_ for @ms;

    my $count = metric($body, "${name}_count{$lab}") // 'none';
    push @problems, "count $count, expected $n" if $count ne $n;

    my $got = metric($body, "${name}_sum{$lab}") // 'none';
    # each duration rounded to the microsecond, here and there
    push @problems, "sum $got, expected " . sprintf('%.6f', $sum / 1000)
        if $got eq 'none' || abs($got - $sum / 1000) > 1e-6 * ($n + 1);

    my $prev = 0;
    while ($body =~ /^\Q${name}_bucket{$lab,le="\E([^"]+)"\} (\d+)\n/mg) {
        my ($le, $cum) = ($1, $2);
        my $bound = $le eq '+Inf' ? 9**9**9 : $le * 1000;
        # a duration within a microsecond of a bound may fall either side
        my $low = grep { $_ <= $bound - 0.001 } @ms;
        my $high = grep { $_ <= $bound + 0.001 } @ms;
        push @problems, "le=$le: $cum, expected $low to $high"
            if $cum < $low || $cum > $high || $cum < $prev;
        $prev = $cum;
        push @problems, "+Inf $cum, count $count"
            if $le eq '+Inf' && $cum ne $count;
    }

    return "$name: " . (@problems ? join('; ', @problems) : 'ok') . "\n";
}


# The durations in an access log written with log_format
# '$sent_http_server_timing' ("queue;dur=0.071, render;dur=2298.044"):
# ([queue ms...], [render ms...]).
sub server_timings {
    my ($file) = @_;
    my (@queue, @render);

    open my $fh, '<', $file or die "$file: $!";
    while (<$fh>) {
        next unless /^queue;dur=([\d.]+), render;dur=([\d.]+)$/;
        push @queue, $1;
        push @render, $2;
    }

    return (\@queue, \@render);
}


# Sends the requests, $concurrency at a time, each on a connection of its
# own, and waits for every answer. A request is "METHOD URI", optionally
# followed by header lines, or "abort SECONDS METHOD URI": that client
# closes its connection if no answer came within SECONDS. Returns and keeps
# in %fired the outcomes seen, as the module names them: a GET's 200 is
# "ok", a HEAD's "head", 304 "not_modified", 400 and 405 "bad_request",
# 503 with Retry-After "refused", 503 without and 504 "timed_out", 500 and
# 502 "failed", a connection closed first "cancelled"; "other" is anything
# else (no answer within patience() seconds too).
sub fire {
    my ($concurrency, @requests) = @_;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my (@pipes, @pids);

    for my $k (0 .. $concurrency - 1) {
        pipe my $r, my $w or die "pipe: $!";
        my $pid = fork;
        die "fork: $!" unless defined $pid;

        if ($pid == 0) {
            close $r;
            for (my $i = $k; $i < @requests; $i += $concurrency) {
                print $w fire_one($port, $requests[$i]), "\n";
            }
            close $w;
            _exit(0);
        }

        close $w;
        push @pipes, $r;
        push @pids, $pid;
    }

    %fired = ();
    for my $r (@pipes) {
        while (my $outcome = <$r>) {
            chomp $outcome;
            $fired{$outcome}++;
        }
        close $r;
    }
    waitpid $_, 0 for @pids;

    return %fired;
}


sub fire_one {
    my ($port, $request) = @_;

    my $abort = $request =~ s/^abort ([\d.]+) // ? $1 : undef;
    my ($line, @headers) = split /\n/, $request;
    my ($method) = split / /, $line;

    my $sock;
    for (1 .. 50) {
        $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port);
        last if $sock;
        sleep 0.1;
    }
    return 'other' unless $sock;

    print $sock "$line HTTP/1.0\r\nHost: localhost\r\n",
                map({ "$_\r\n" } @headers), "\r\n";

    if (defined $abort
        && !IO::Select->new($sock)->can_read($abort))
    {
        close $sock;
        return 'cancelled';
    }

    # a server that never answers gives 'other', not a test that hangs
    my ($response, $deadline) = ('', time + patience());
    my $select = IO::Select->new($sock);
    while (time < $deadline && $select->can_read($deadline - time)) {
        sysread($sock, $response, 65536, length $response) or last;
    }
    close $sock;

    my ($status) = $response =~ m{^HTTP/1\.\d (\d{3})};
    return 'other' unless defined $status;
    return $method eq 'HEAD' ? 'head' : 'ok' if $status eq '200';
    return 'not_modified' if $status eq '304';
    return 'bad_request' if $status eq '400' || $status eq '405';
    if ($status eq '503') {
        return $response =~ /^Retry-After: \d+\r$/mi ? 'refused' : 'timed_out';
    }
    return 'timed_out' if $status eq '504';
    return 'failed' if $status eq '500' || $status eq '502';
    return 'other';
}


# GET $uri from the test server: (status, body).
sub get {
    my ($uri) = @_;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port)
        or return (0, '');

    print $sock "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";
    local $/;
    my $response = <$sock> // '';
    close $sock;

    my ($status, $body) = $response =~ m{^HTTP/1\.\d (\d{3}).*?\r\n\r\n(.*)\z}s;
    return ($status // 0, $body // '');
}


# Polls /metrics until the sample $series has the value $want, for at most
# $seconds; returns the last value seen.
sub wait_metric {
    my ($series, $want, $seconds) = @_;

    my $deadline = time + $seconds;
    my $got;

    while (1) {
        my ($status, $body) = get('/metrics');
        $got = metric($body, $series) // 'none';
        return $got if $got eq $want || time > $deadline;
        sleep 0.1;
    }
}


# Compares the outcomes counted for a location with %fired: "OUTCOME: ok"
# a line, or what differs; then the sum.
sub check_fired {
    my ($body, $location) = @_;

    my $out = '';
    my ($sent, $counted) = (0, 0);

    for my $o (qw(ok not_modified head bad_request refused cancelled
                  timed_out failed other))
    {
        my $want = $fired{$o} // 0;
        my $got = $o eq 'other' ? 0
                : metric($body, "smallpt_requests_total{location=\"$location\","
                                . "outcome=\"$o\"}") // 'none';
        $sent += $want;
        $counted += $got if $got ne 'none';
        $out .= $got eq $want ? "$o: ok\n" : "$o: sent $want, counted $got\n";
    }

    return $out . ($sent == $counted ? "sum: ok\n"
                                     : "sum: sent $sent, counted $counted\n");
}

1;
