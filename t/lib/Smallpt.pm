package Smallpt;

# Helpers for the module's .t files (they work the same with CPAN's
# Test::Nginx::Socket): reference data, a PNG decoder to compare pixels,
# and clients and signals that act while a block's request is running.

use strict;
use warnings;

use Compress::Zlib qw(uncompress);
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);

use Exporter 'import';
our @EXPORT = qw(reference png_to_ppm ppm_to_rgb ppm_band sha256_hex
                 reference_sha in_background get_in_background
                 signal_master);

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


# Runs $code in a child process after $delay seconds; returns at once.
sub in_background {
    my ($delay, $code) = @_;

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return $pid if $pid;

    sleep $delay;
    $code->();
    _exit(0);
}


# $n clients GET $uri from the test server after $delay seconds and read
# their whole answers, in the background (the block's own request runs
# meanwhile); with $abort, each closes its connection $abort seconds after
# sending instead. Connecting is retried for a few seconds: nginx may be
# starting.
sub get_in_background {
    my ($uri, $n, $delay, $abort) = @_;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;

    for (1 .. $n) {
        in_background($delay || 0, sub {
            my $sock;
            for (1 .. 50) {
                $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $port);
                last if $sock;
                sleep 0.1;
            }
            return unless $sock;
            print $sock "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";
            if (defined $abort) {
                sleep $abort;
                close $sock;
                return;
            }
            1 while <$sock>;
        });
    }
}


# Sends $signal to nginx's master process after $delay seconds, in the
# background.
sub signal_master {
    my ($signal, $delay) = @_;

    my $root = $ENV{TEST_NGINX_SERVROOT} || 't/servroot';

    in_background($delay, sub {
        open my $fh, '<', "$root/logs/nginx.pid" or return;
        my $pid = <$fh>;
        chomp $pid;
        kill $signal, $pid if $pid;
    });
}

1;
