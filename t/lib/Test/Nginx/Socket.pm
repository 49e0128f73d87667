package Test::Nginx::Socket;

# In-repo, core-Perl-only implementation of the commonly used subset of
# CPAN's Test::Nginx::Socket (the CPAN module cannot be installed here).
# Written from CPAN's documented semantics; see the POD after __END__ for
# what is supported.  Server management lives in Test::Nginx::Util.

use Test::Base -base;    # Test::Base subclass: blocks, filters, Test::More

use Digest::MD5 ();
use Digest::SHA ();
use IO::Socket::INET ();
use List::Util qw(min max);
use Time::HiRes qw(sleep time);
use Test::Nginx::Util;

our $VERSION = '0.1';

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test repeat_each config_preamble
    worker_connections master_process_enabled no_long_string workers
    master_on master_off log_level no_shuffle no_root_location use_hup
    server_name server_addr server_root html_dir server_port
    server_port_for_client timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_test_cleanup_handler
    add_cleanup_handler add_response_body_check
);

$RunTestHelper         = \&run_test_helper;
$CheckErrorLog         = \&check_error_log;
$CheckShutdownErrorLog = \&check_shutdown_error_log;

our @ResponseBodyChecks;

sub add_response_body_check ($) { push @ResponseBodyChecks, shift }
sub set_http_config_filter ($) { $FilterHttpConfig = shift }
sub run_test ($) { Test::Nginx::Util::run_test(@_) }

# ---------------------------------------------------------------------------
# String comparison: like Test::LongString's is_string (used by CPAN unless
# no_long_string()): on failure show lengths and where the strings differ
# instead of dumping possibly megabytes of (binary) data.
# ---------------------------------------------------------------------------

sub _excerpt ($$) {
    my ($s, $pos) = @_;
    my $start = max(0, $pos - 10);
    my $e = substr($s, $start, 50);
    $e =~ s/([^\x20-\x7e])/$1 eq "\n" ? '\\n' : sprintf('\\x{%02x}', ord $1)/ge;
    return ($start ? '...' : '') . "\"$e\"" . ($start + 50 < length $s ? '...' : '');
}

sub is_string ($$;$) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (!defined $got || !defined $expected || $got eq $expected
        || (length($got) + length($expected) < 200
            && "$got$expected" !~ /[^\t\n\r\x20-\x7e]/))
    {
        return Test::More::is($got, $expected, $desc);
    }
    my $pos = eval {
        my $x = $got ^ $expected;
        $x =~ /[^\0]/ ? $-[0] : min(length $got, length $expected);
    };
    if (!defined $pos) {    # wide characters: compare char by char
        $pos = 0;
        $pos++ while $pos < length($got) && $pos < length($expected)
                     && substr($got, $pos, 1) eq substr($expected, $pos, 1);
    }
    my $ok = Test::More::ok(0, $desc);
    Test::More::diag(sprintf "         got: %s\n    expected: %s\n      length: %d\n    "
        . "expected: %d\n    strings begin to differ at char %d",
        _excerpt($got, $pos), _excerpt($expected, $pos),
        length $got, length $expected, $pos + 1);
    return $ok;
}

# ---------------------------------------------------------------------------
# Building requests
# ---------------------------------------------------------------------------

# Like expand_env_in_text, but unknown variables are left alone (request
# data may legitimately contain "$TEST_NGINX..." text).
sub expand_env_soft ($) {
    my $s = shift;
    return $s if !defined $s || ref $s;
    my $ports = $Test::Nginx::Util::RandPorts || {};
    $s =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{$ports->{$1} // $ENV{$1} // "\$$1"}ge;
    $s;
}

# "--- more_headers": one "Name: value" per line, "#" comments skipped.
sub parse_more_headers ($) {
    my $in = shift;
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, expand_env_soft($in)) {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v //= '';
        $chunked = 1 if lc $k eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    return ($out, $chunked);
}

# Turn "METHOD [URI [VERSION]]\nbody" into a full HTTP request (CPAN rules:
# Host and Connection headers unless given in more_headers, then the
# more_headers, then a Content-Length computed from the whitespace-trimmed
# body unless the request is chunked or has its own Content-Length).
# $packets is a list of {value, delay_before}; the same packet boundaries
# are kept in the result (boundaries in the body are exact, those inside the
# request line approximate).
sub build_request ($$$$$) {
    my ($name, $hdr, $chunked, $conn, $packets) = @_;
    my $orig = join '', map { $_->{value} } @$packets;

    $orig =~ /\A(\s*)([^\n]*)\n?/ or die;
    my ($lead, $line, $body_start) = (length $1, $2, $+[0]);
    bail_out("$name - Request line should be non-empty") if $line !~ /\S/;
    $line =~ /^(\S+)(?: +(\S+))?(?: +(\S+))? *\s*$/
        or bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' "
                    . "but got \"$line\".");
    my ($meth, $url, $ver) = ($1, $2 // '/', $3 // 'HTTP/1.1');
    my $body = substr $orig, $body_start;

    my $head = "$meth $url $ver\r\n";
    $head .= "Host: $ServerName\r\n" unless $hdr =~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" unless $hdr =~ /(?:^|\n)Connection/i;
    $head .= $hdr;
    my $trimmed = 0;
    if (!$chunked && $body ne '' && $hdr !~ /(?:^|\n)Content-Length:/i) {
        $body =~ s/\A(\s*)//;
        $trimmed = length $1;
        $body =~ s/\s+\z//;
        $head .= "Content-Length: " . length($body) . "\r\n";
    }
    $head .= "\r\n";
    my $full = $head . $body;

    # re-split at the original packet boundaries
    my ($pos, $prev, @out) = (0, 0);
    for my $i (0 .. $#$packets) {
        $pos += length $packets->[$i]{value};
        my $new;
        if ($i == $#$packets) {
            $new = length $full;
        } elsif ($pos < $body_start) {
            $new = min(max($pos - $lead, 0), length($head) - 2);
        } else {
            $new = length($head) + min(max($pos - $body_start - $trimmed, 0), length $body);
        }
        $new = $prev if $new < $prev;
        push @out, { %{ $packets->[$i] }, value => substr($full, $prev, $new - $prev) };
        $prev = $new;
    }
    return \@out;
}

sub _wide_to_bytes ($) {
    my $s = shift;
    utf8::encode($s) if utf8::is_utf8($s) && !utf8::downgrade($s, 1);
    $s;
}

# Returns a list of requests, each a list of packets {value, delay_before}.
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        my @bits = ref $raw eq 'ARRAY' ? @$raw : ($raw);
        return [[ map { ref $_ eq 'HASH' ? { %$_ } : { value => $_ } } @bits ]];
    }

    my $more_headers = $block->more_headers // '';
    my $headers_for = sub {
        my $i = shift;
        my $h = ref $more_headers eq 'ARRAY' ? $more_headers->[$i] : $more_headers;
        bail_out("$name - --- more_headers lacks data for request $i") unless defined $h;
        return parse_more_headers($h);
    };

    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - --- pipelined_requests must be an ARRAY ref") unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my ($hdr, $chunked) = $headers_for->($i);
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request($name, $hdr, $chunked, $conn,
                                  [{ value => expand_env_soft($reqs->[$i]) }])->[0]{value};
        }
        return [[{ value => $all }]];
    }

    my $request = $block->request;
    if (defined(my $code = $block->request_eval)) {    # deprecated form
        $request = eval $code;
        warn $@ if $@;
    }
    bail_out("$name - request empty") unless defined $request;

    my @list;
    if (!ref $request) {
        1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;    # leading comments
        @list = ($request);
    } elsif (ref $request eq 'ARRAY') {
        @list = @$request;
    } else {
        bail_out("$name - invalid --- request: MUST be a string or an ARRAY ref");
    }

    my @out;
    for my $i (0 .. $#list) {
        my $req = $list[$i];
        my @packets;
        if (!ref $req) {
            @packets = ({ value => $req });
        } elsif (ref $req eq 'ARRAY') {
            for my $p (@$req) {
                push @packets, ref $p eq 'HASH' ? { %$p } : { value => $p };
            }
        } else {
            bail_out("$name - invalid request: $req");
        }
        $_->{value} = expand_env_soft($_->{value} // '') for @packets;
        my ($hdr, $chunked) = $headers_for->($i);
        push @out, build_request($name, $hdr, $chunked, 'close', \@packets);
    }
    return \@out;
}

# ---------------------------------------------------------------------------
# The HTTP client: send the packets, read until the server closes the
# connection.  $timeout bounds the wait between two I/O events (as CPAN).
# ---------------------------------------------------------------------------

sub send_request ($$$) {
    my ($packets, $timeout, $block) = @_;
    my $name = $block->name;
    my $head_req = (join '', map { $_->{value} } @$packets) =~ /^\s*HEAD\s+/ ? 1 : 0;
    my $addr = $block->server_addr_for_client // $ServerAddr;

    my $sock;
    my $deadline = time + ($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
    while (1) {
        $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        if (time >= $deadline) {
            Test::More->builder->no_ending(1);
            Test::More::fail("$name - Can't connect to $addr:$ServerPortForClient: $! (aborted)");
            return (undef, $head_req);
        }
        sleep 0.05;
    }
    binmode $sock;
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my @queue = @$packets;
    my ($buf, $off, $writing) = ('', 0, 1);
    my $middle_delay = $block->raw_request_middle_delay;
    my $next_packet = sub {    # returns false when everything is written
        while (@queue) {
            my $p = shift @queue;
            my $delay = $p->{delay_before} // ($buf ne '' ? $middle_delay : undef);
            sleep $delay if $delay;
            ($buf, $off) = (_wide_to_bytes($p->{value} // ''), 0);
            return 1 if length $buf;
        }
        return 0;
    };
    $writing = $next_packet->();

    my ($resp, $timed_out) = ('');
    my $fd = fileno $sock;
    while (1) {
        my ($rin, $win) = ('', '');
        vec($rin, $fd, 1) = 1;
        vec($win, $fd, 1) = 1 if $writing;
        my $n = select(my $rout = $rin, my $wout = $win, undef, $timeout);
        if ($n < 0) {
            next if $!{EINTR};
            warn "WARNING: $name - select() failed: $!\n";
            last;
        }
        if ($n == 0) {
            $timed_out = 1;
            last;
        }
        if ($writing && vec($wout, $fd, 1)) {
            my $w = syswrite $sock, $buf, length($buf) - $off, $off;
            if (defined $w) {
                $off += $w;
                if ($off >= length $buf && !($writing = $next_packet->())) {
                    if (defined(my $how = $block->shutdown)) {
                        shutdown $sock, ($how =~ /^\s*(\d)/ ? $1 : 1);
                    }
                }
            } elsif (!$!{EAGAIN} && !$!{EWOULDBLOCK}) {
                # e.g. the server answered early and closed: read the answer
                warn "WARNING: $name - write failed: $!\n";
                $writing = 0;
            }
        }
        if (vec($rout, $fd, 1)) {
            my $r = sysread $sock, my $chunk, 65536;
            if (!defined $r) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK};
                warn "WARNING: $name - HTTP response read failure: $!\n";
                last;
            }
            last if $r == 0;
            $resp .= $chunk;
        }
    }
    close $sock;

    if ($timed_out) {
        if (defined $block->abort) {
            sleep 0.005;
        } else {
            Test::More->builder->no_ending(1);
            Test::More::fail("ERROR: client socket timed out - $name");
        }
    }
    return ($resp, $head_req);
}

# ---------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------

{
    # Minimal stand-in for HTTP::Response (which CPAN's module uses).
    package Test::Nginx::Socket::Response;

    sub new {
        my ($class, %args) = @_;
        return bless { code => undef, message => '', protocol => '',
                       headers => [], content => '', %args }, $class;
    }
    sub code     { $_[0]{code} }
    sub message  { $_[0]{message} }
    sub protocol { $_[0]{protocol} }
    sub status_line { join ' ', grep { defined && length } $_[0]{code}, $_[0]{message} }
    sub content {
        my $self = shift;
        $self->{content} = shift if @_;
        $self->{content};
    }
    sub header_field_names { map { $_->[0] } @{ $_[0]{headers} } }
    # list context: all values; scalar context: joined by ", " (like
    # HTTP::Headers); undef if absent.  Names are case-insensitive.
    sub header {
        my ($self, $name) = @_;
        my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $self->{headers} };
        return @v if wantarray;
        return @v ? join(', ', @v) : undef;
    }
}

sub _chunk_error ($$) {
    my ($name, $msg) = @_;
    Test::More->builder->no_ending(1);
    Test::More::fail("$name - invalid chunked body received: $msg");
}

# Returns ($res, $raw_headers, $left): $raw_headers is the status line and
# headers (each ending in CRLF), $left whatever follows the response.
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;
    my $res = Test::Nginx::Socket::Response->new;

    my $raw_headers = $raw =~ /\A(.*?\r\n)\r\n/s ? $1 : '';
    my ($head, $rest) = $raw =~ /\A(.*?)\r?\n\r?\n(.*)\z/s ? ($1, $2) : ($raw, '');
    my @lines = split /\r?\n/, $head;
    my $status = shift(@lines) // '';
    if ($status =~ m{^(HTTP/\d+(?:\.\d+)?)\s+(\d{3})(?:\s+(.*))?$}) {
        @$res{qw(protocol code message)} = ($1, $2, $3 // '');
    }
    for my $l (@lines) {
        if ($l =~ /^[ \t]+(.*)/ && @{ $res->{headers} }) {    # continuation line
            $res->{headers}[-1][1] .= " $1";
        } elsif ($l =~ /^([^:]+?)\s*:\s*(.*?)\s*$/) {
            push @{ $res->{headers} }, [$1, $2];
        }
    }

    my $code = $res->code // '';
    my $te  = scalar $res->header("Transfer-Encoding");
    my $len = scalar $res->header("Content-Length");
    my $left;

    if ($code eq '101') {
        $res->content($rest);
    } elsif ($head_req || $code eq '304' || $code eq '204') {
        # no body, whatever the headers say (RFC 9112, 6.3)
        $res->content('');
        $left = $rest if length $rest;
    } elsif (defined $te && $te =~ /\bchunked\b/i) {
        my ($body, $pos, $done) = ('', 0, 0);
        while (1) {
            if ($rest !~ /\G[ \t]*([0-9A-Fa-f]+)[^\r\n]*\r\n/gc) {
                _chunk_error($name, length($rest) > $pos ? "bad chunk size line at offset $pos"
                                                         : "no last chunk found");
                last;
            }
            my $size = hex $1;
            $pos = pos $rest;
            if ($size == 0) {    # last chunk, then trailers up to an empty line
                $pos = pos $rest while $rest =~ /\G[^\r\n]+\r\n/gc;
                if ($rest =~ /\G\r\n/gc) {
                    $done = 1;
                    $pos = pos $rest;
                } else {
                    _chunk_error($name, "expected CRLF after the last chunk");
                }
                last;
            }
            if (length($rest) < $pos + $size + 2) {
                _chunk_error($name, "not enough octets for the data section");
                last;
            }
            $body .= substr $rest, $pos, $size;
            $pos += $size;
            if (substr($rest, $pos, 2) ne "\r\n") {
                _chunk_error($name, "expected CRLF after chunk data");
                last;
            }
            pos($rest) = $pos += 2;
        }
        $res->content($body);
        $left = substr $rest, $pos if $done && $pos < length $rest;
    } elsif (defined $len && $len =~ /^\s*(\d+)\s*$/) {
        $len = $1;
        if (length $rest < $len) {
            warn "WARNING: $name - response body truncated: $len expected, but got ",
                 length $rest, "\n";
            $res->content($rest);
        } else {
            $res->content(substr $rest, 0, $len);
            $left = substr $rest, $len if length $rest > $len;
        }
    } else {
        $res->content($rest);
    }
    return ($res, $raw_headers, $left);
}

# ---------------------------------------------------------------------------
# Checks (each mirrors CPAN's test names and test counts)
# ---------------------------------------------------------------------------

# With several requests, expected values must be array refs (one element
# per request); with one request an array ref's first element is used.
sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if (ref $value eq 'ARRAY') {
        return $value->[$need_array ? $idx : 0];
    }
    bail_out("$name - You asked for many requests, the expected results should be "
             . "arrays as well.") if $need_array;
    return $value;
}

sub check_error_code ($$$$) {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';
    if (defined $block->error_code_like) {
        my $pat = get_indexed_value($name, $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$pat/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($code, get_indexed_value($name, $block->error_code, $idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers ($$$$) {
    my ($block, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        my $pat = get_indexed_value($name, $block->raw_response_headers_like, $idx, $need_array);
        Test::More::like($raw_headers, qr/$pat/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $pat = get_indexed_value($name, $block->raw_response_headers_unlike, $idx, $need_array);
        Test::More::unlike($raw_headers, qr/$pat/s, "$name - raw resp headers unlike");
    }
}

sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->response_headers) {
        my $h = parse_headers(get_indexed_value($name, $block->response_headers, $idx, $need_array));
        for my $key (sort keys %$h) {
            my $val = $h->{$key};
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/mi,
                                   "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            my $actual = $res ? $res->header($key) : undef;
            Test::More::is($actual // '', $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $h = parse_headers(get_indexed_value($name, $block->response_headers_like, $idx,
                                                $need_array));
        for my $key (sort keys %$h) {
            my $val = $h->{$key} // '';
            my $actual = $res ? $res->header($key) : undef;
            Test::More::like($actual // '', qr/^$val$/, "$name - header $key like ok");
        }
    }
}

# --- response_body_filters: names (md5_hex sha1_hex length uc lc ucfirst
# lcfirst, space separated) or code refs, an array ref of them, or a 2-D
# array ref (one filter list per request).
my %BodyFilters = (
    md5_hex => \&Digest::MD5::md5_hex, sha1_hex => \&Digest::SHA::sha1_hex,
    length  => sub { length $_[0] }, uc => sub { uc $_[0] }, lc => sub { lc $_[0] },
    ucfirst => sub { ucfirst $_[0] }, lcfirst => sub { lcfirst $_[0] },
);

sub transform_response_body ($$$) {
    my ($block, $res, $idx) = @_;
    my $filters = $block->response_body_filters;
    return unless defined $filters && $res && defined $res->content;
    my $name = $block->name;
    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$idx];
        bail_out("$name - --- response_body_filters has no filters for request $idx")
            unless ref $filters eq 'ARRAY';
    }
    my $content = $res->content;
    for my $f (@$filters) {
        if (ref $f eq 'CODE') {
            $content = $f->($content);
        } elsif (!ref $f && $BodyFilters{$f}) {
            $content = $BodyFilters{$f}->($content);
        } else {
            bail_out("$name - unknown filter \"$f\" in --- response_body_filters");
        }
    }
    $res->content($content);
}

sub check_response_body ($$$$$) {
    my ($block, $res, $idx, $rep_idx, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->content : undef;

    if (defined $block->response_body || defined $block->response_body_eval) {
        if (defined $block->response_body_json_sort && defined $content) {
            require JSON::PP;
            my $js = JSON::PP->new->canonical(1)->loose(1);
            my $obj = eval { $js->decode($content) };
            $content = $js->encode($obj) . "\n" if !$@;
        }
        my $expected;
        if (defined $block->response_body_eval) {    # deprecated form
            $expected = eval get_indexed_value($name, $block->response_body_eval, $idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body, $idx, $need_array);
        }
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected = expand_env_in_text($expected, $name, $Test::Nginx::Util::RandPorts);
        }
        my $desc = "$name - response_body - response is expected (repeated req $rep_idx, req $idx)";
        if (ref $expected) {
            Test::More::like($content, $expected, "$name - response_body - like (repeated req "
                             . "$rep_idx, req $idx)");
        } elsif ($NoLongString) {
            Test::More::is($content, $expected, $desc);
        } else {
            is_string($content, $expected, $desc);
        }
    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pat = get_indexed_value($name, $block->${\"response_body_$type"}, $idx, $need_array);
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g unless ref $pat;
        $pat =~ s/\$ServerPort\b/$ServerPort/g unless ref $pat;
        my $summary = trim($content) // '';
        $summary = substr($summary, 0, 200) . '...' if length $summary > 200;
        $summary =~ s/([^\x20-\x7e])/sprintf('\\x{%02x}', ord $1)/ge;
        my $cmp = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $cmp->($content, qr/$pat/s, "$name - response_body_$type - response is expected ($summary)");
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $idx, $rep_idx, undef);
    }
}

sub fmt_str ($) {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g;
    $s;
}

# Normalise a log pattern spec into a list: text (one literal substring per
# line) or, with eval, a qr// or an array ref of strings and qr//s.
sub _patterns ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return grep { length } split /\n+/, $pats;
    }
    return ($pats) if ref $pats eq 'Regexp';
    return @$pats;
}

sub _line_matches ($$) {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

# One test per pattern: it must match some line (or, negated, no line).
sub check_log_patterns ($$$$$$) {
    my ($name, $what, $pats, $lines, $negate, $suffix) = @_;
    my $file = $what =~ /access/ ? 'access.log' : 'error.log';
    for my $pat (_patterns($pats)) {
        next unless defined $pat;
        my ($hit) = grep { _line_matches($_, $pat) } @$lines;
        my $p = fmt_str($pat);
        if ($negate) {
            if (defined $hit) {
                Test::More::fail("$name - pattern \"$p\" should not match any line in $file "
                                 . "but matches line \"" . fmt_str($hit) . "\"$suffix");
            } else {
                Test::More::pass("$name - pattern \"$p\" does not match a line in $file$suffix");
            }
        } else {
            Test::More::ok(defined $hit, defined $hit
                ? "$name - pattern \"$p\" matches a line in $file$suffix"
                : "$name - pattern \"$p\" should match a line in $file$suffix");
        }
    }
}

# error_log / no_error_log / grep_error_log(_out), on the part of the error
# log written since the previous check.  Also warns about [alert], [crit]
# and [emerg] lines not asked for, and fails on assertion failures.
sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $rep_idx, $need_array) = @_;
    my $name = $block->name;
    my $suffix = " (req $rep_idx)";

    # what nginx logs after its answer (a worker's exit, a cancelled
    # render's last line) is waited for, not slept for
    wait_for_log_lines([grep { defined } _patterns($block->error_log // [])]);

    my $lines = error_log_data();

    my $grep_pat = $block->grep_error_log;
    if (defined $grep_pat) {
        $grep_pat = $grep_pat->[$rep_idx] if ref $grep_pat eq 'ARRAY';
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined")
            unless defined $expected;
        $expected = $expected->[$rep_idx] if ref $expected eq 'ARRAY';
        $expected = expand_env_in_text($expected, $name, $Test::Nginx::Util::RandPorts);
        my $matched = '';
        for my $line (@$lines) {
            if (ref $grep_pat ? $line =~ $grep_pat : $line =~ /\Q$grep_pat\E/) {
                $matched .= "$&\n" if $& !~ /\n/;
            }
        }
        if (ref $expected eq 'Regexp') {
            Test::More::like($matched, $expected, "$name - grep_error_log_out$suffix");
        } else {
            is_str($matched, $expected, "$name - grep_error_log_out$suffix");
        }
    }

    my %asked;
    for my $sec (qw(error_log no_error_log)) {
        my $pats = $block->$sec;
        next unless defined $pats;
        check_log_patterns($name, $sec, $pats, $lines, $sec eq 'no_error_log', $suffix);
        for my $p (_patterns($pats)) {
            $asked{$1} = 1 if defined $p && !ref $p && $p =~ /\[(alert|crit|emerg)/;
        }
    }

    for my $line (@$lines) {
        if ($line =~ /\[(alert|crit|emerg)\]/ && !$asked{$1}) {
            warn "WARNING: $name - " . fmt_str($line) . "\n";
        }
        if ($line =~ /\bAssertion .*?failed\b/) {
            Test::More->builder->no_ending(1);
            Test::More::fail("$name - " . fmt_str($line));
        }
    }
}

sub check_access_log ($) {
    my $block = shift;
    return unless defined $block->access_log || defined $block->no_access_log;
    sleep sleep_time() * 3;
    open my $in, '<', "$Test::Nginx::Util::LogDir/access.log" or return;
    my @lines = <$in>;
    close $in;
    for my $sec (qw(access_log no_access_log)) {
        next unless defined $block->$sec;
        check_log_patterns($block->name, $sec, $block->$sec, \@lines, $sec eq 'no_access_log', '');
    }
}

# Called by Test::Nginx::Util once the block's nginx has been stopped.
sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines = error_log_data();
    for my $sec (qw(shutdown_error_log no_shutdown_error_log)) {
        my $pats = $block->$sec;
        next unless defined $pats;
        if ($dry_run) {
            SKIP: {
                Test::More::skip("$name - $sec - tests skipped due to $dry_run",
                                 scalar grep { defined } _patterns($pats));
            }
            next;
        }
        check_log_patterns($name, $sec, $pats, $lines, $sec eq 'no_shutdown_error_log', '');
    }
}

# ---------------------------------------------------------------------------
# One run of a block's request(s) and checks (called repeat_each() times)
# ---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $rep_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    my $timeout = parse_time($block->timeout) // timeout();
    # TEST_NGINX_TIMEOUT is a floor for the blocks' own timeouts too: set
    # for runs far slower than usual (valgrind), it keeps a block's
    # "--- timeout: 2" from failing an answer that is merely slow
    $timeout = $ENV{TEST_NGINX_TIMEOUT}
        if $ENV{TEST_NGINX_TIMEOUT} && $ENV{TEST_NGINX_TIMEOUT} > $timeout;
    my $pipelined = $block->pipelined_requests ? scalar @{ $block->pipelined_requests } : 0;
    my $need_array = $pipelined ? 1 : @$reqs > 1;
    my $idx = 0;

    for my $ri (0 .. $#$reqs) {
        my ($raw, $head_req) = send_request($reqs->[$ri], $timeout, $block);
        $raw //= '';
        my $count = $pipelined || 1;
        for my $k (1 .. $count) {
            if (!defined $block->ignore_response) {
                my ($res, $raw_headers, $left);
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(code => 200, content => $raw);
                    $raw_headers = '';
                } else {
                    # each pipelined request is HEAD or not on its own
                    $head_req = $block->pipelined_requests->[$k - 1]
                                =~ /^\s*HEAD\s/ ? 1 : 0
                        if $pipelined;
                    ($res, $raw_headers, $left) = parse_response($name, $raw, $head_req);
                }
                if ($k < $count) {
                    $raw = $left // '';
                } elsif (defined $left && length $left) {
                    warn "WARNING: $name - unexpected extra bytes after the response: \""
                         . fmt_str(substr $left, 0, 100) . "\"\n";
                }
                check_error_code($block, $res, $idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $idx, $need_array);
                transform_response_body($block, $res, $idx);
                check_response_body($block, $res, $idx, $rep_idx, $need_array);
            }
            # CPAN checks the error log after each but the last request too
            if ($k < $count || $ri < $#$reqs) {
                sleep parse_time($block->wait) if $block->wait;
                check_error_log($block, undef, $dry_run, $rep_idx, $need_array);
                check_access_log($block) unless defined $block->ignore_response;
            }
            $idx++;
        }
    }

    sleep parse_time($block->wait) if $block->wait;
    check_error_log($block, undef, $dry_run, $rep_idx, $need_array);
    check_access_log($block) unless defined $block->ignore_response;
}

1;
__END__

=head1 NAME

Test::Nginx::Socket - in-repo, core-Perl subset of CPAN's Test::Nginx::Socket

=head1 SYNOPSIS

    use Test::Nginx::Socket 'no_plan';   # or: plan tests => repeat_each() * 2 * blocks();

    repeat_each(1);
    no_shuffle();
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

Run with C<prove -I t/lib t/>.

=head1 DESCRIPTION

CPAN's Test::Nginx cannot be installed here, so this is a re-implementation
of the part of L<Test::Nginx::Socket> we use, on top of L<Test::Base> and
core Perl only.  A .t file written for CPAN's module runs unchanged.  The
semantics (section meanings, request defaults, test names and test counts
per section) follow CPAN's documentation; see there for details.  Blocks are
shuffled unless C<no_shuffle()> or C<TEST_NGINX_NO_SHUFFLE=1>.

=head2 Exported functions

run_tests, run_test, plan (and all Test::More functions Test::Base
exports), repeat_each, blocks, no_shuffle, master_on, master_off,
master_process_enabled, workers, worker_connections, log_level (default
C<debug>), no_long_string, no_root_location, env_to_nginx, config_preamble,
add_block_preprocessor, add_response_body_check, add_cleanup_handler,
add_test_cleanup_handler, bail_out, is_str, server_port,
server_port_for_client, server_addr, server_name, server_root, html_dir,
timeout, check_accum_error_log, no_nginx_manager, use_hup (accepted but
ignored).  As in CPAN the variables C<$ServerPort>, C<$ServRoot>,
C<$PidFile>, C<$HtmlDir>... are not exported by this module; use
C<$Test::Nginx::Util::PidFile> etc. or the functions above.

=head2 Sections

Server: C<main_config>, C<post_main_config>, C<http_config>, C<config>
(a block without C<config> reuses the running server of the previous block),
C<server_name>, C<log_level>, C<error_log_file>, C<user_files>
(C<< >>> name [YYYYMMDDhhmm.ss] >> text, or with C<eval> an array ref of
C<[name, body, date]>), C<init> (Perl run after nginx started),
C<post_setup_server_root>, C<must_die> (optionally the exit code).

Request: C<request> (C<METHOD [URI [VERSION]]> then an optional body; with
C<eval> an array ref of requests, each a string or an array ref of packets
given as strings or C<< {value => ..., delay_before => secs} >>),
C<request_eval>, C<raw_request> (string or array ref of packets),
C<raw_request_middle_delay>, C<pipelined_requests>, C<more_headers> (string
or one per request), C<timeout> (C<1.5>, C<500ms>; the longest wait between
two I/O events, default 3 s or C<TEST_NGINX_TIMEOUT>), C<abort>, C<shutdown>,
C<server_addr_for_client>, C<http09>, C<ignore_response>, C<wait>.

Checks: C<error_code>, C<error_code_like>, C<response_headers>
(C<Name: value>, C<!Name> = absent), C<response_headers_like>,
C<raw_response_headers_like>, C<raw_response_headers_unlike>,
C<response_body>, C<response_body_eval>, C<response_body_like>,
C<response_body_unlike>, C<response_body_filters>,
C<response_body_json_sort>, C<error_log>, C<no_error_log>,
C<grep_error_log>, C<grep_error_log_out>, C<access_log>, C<no_access_log>,
C<shutdown_error_log>, C<no_shutdown_error_log>.  Conditional: C<SKIP>,
C<ONLY>, C<LAST> (Test::Base), C<skip_nginx>, C<skip_nginx2>, C<skip_eval>,
C<skip_openssl>, C<todo>.

With several requests the expected values must be array refs, one element
per request; error_log checks then run after every request on the log
written since the previous check (CPAN semantics).

=head2 HTTP client

Requests are HTTP/1.1 with C<Host: localhost> and C<Connection: close>
(unless C<more_headers> has them), then C<more_headers>, then a
C<Content-Length> computed from the whitespace-trimmed body (unless chunked
or given).  The response is read until the server closes the connection.
Chunked bodies are decoded; compressed bodies are left as they are; HEAD,
101 and 304 responses have no body.  Everything is binary safe.

=head2 Environment

C<TEST_NGINX_BINARY> (default C<nginx> in PATH), C<TEST_NGINX_PORT> /
C<TEST_NGINX_SERVER_PORT> (default 1984), C<TEST_NGINX_CLIENT_PORT>,
C<TEST_NGINX_SERVROOT> (default F<t/servroot>), C<TEST_NGINX_LOAD_MODULES>
(each path becomes a C<load_module> line at the top of nginx.conf; relative
paths that exist are made absolute), C<TEST_NGINX_NO_CLEAN>,
C<TEST_NGINX_SLEEP> (default 0.015), C<TEST_NGINX_TIMEOUT>,
C<TEST_NGINX_LOG_LEVEL>, C<TEST_NGINX_MASTER_PROCESS>,
C<TEST_NGINX_NO_SHUFFLE>, C<TEST_NGINX_NO_NGINX_MANAGER>,
C<TEST_NGINX_EVENT_TYPE>, C<TEST_NGINX_POSTPONE_OUTPUT>,
C<TEST_NGINX_CHECK_ACCUM_ERR_LOG>, C<TEST_NGINX_ERROR_LOG>,
C<TEST_NGINX_VERBOSE>, C<TEST_NGINX_USE_VALGRIND>.

Every C<$TEST_NGINX_FOO> in the config sections and user files is replaced
by C<$ENV{TEST_NGINX_FOO}> (an undefined one aborts the run, as in CPAN);
in requests and C<more_headers> undefined ones are left as they are.
C<$TEST_NGINX_SERVER_PORT>, C<$TEST_NGINX_SERVER_ROOT> and
C<$TEST_NGINX_HTML_DIR> are always defined, and C<$TEST_NGINX_RAND_PORT_N>
gives a free port.

=head2 nginx lifecycle

For each block with a C<config>, the running nginx (pid from
F<logs/nginx.pid>) gets TERM, is waited for (10 s, then KILL), the server
root is rebuilt (F<conf>, F<logs>, F<html>, F<*_temp>), and nginx is started
as C<nginx -p servroot/ -c servroot/conf/nginx.conf -e servroot/logs/error.log>
(daemon on, master_process off unless master_on()).  Startup output goes to
F<logs/stderr.log>.  If nginx does not come up, the block fails with the tail
of the error log.  nginx is stopped at the end of the run unless
C<TEST_NGINX_NO_CLEAN> is set.

With master_on() the master's pid is in F<logs/nginx.pid>, so a .t file can
signal it, e.g. in an C<--- init> section (run after nginx started):

    --- init
    kill 'HUP', Test::Nginx::Util::get_pid_from_pidfile('') or die $!;

and then wait for the evidence of its effect (a line of the error log,
say), not for a time.

=head2 Valgrind

With C<TEST_NGINX_USE_VALGRIND=1> (or a string of valgrind options replacing
C<--tool=memcheck --leak-check=full>), nginx runs in the foreground (daemon
off, and master_process off unless master_on()) as a child of the test, under
C<valgrind --tool=memcheck --leak-check=full --num-callers=30
--log-file=servroot/logs/valgrind.%p.log>, plus
C<--suppressions=t/valgrind.suppress> (or F<./valgrind.suppress>) when
present; start-up may take up to 60 s.  When the server is stopped (with QUIT,
before the next block with a C<config> starts, or at the end of the run), its
valgrind logs are scanned: records about C<Invalid read/write/free>, C<uninitialised> values,
mismatched frees, or C<definitely/possibly lost> leaks whose stack matches
C<TEST_NGINX_VALGRIND_LEAK_FILTER> (a regex, default C<smallpt>) make one
extra test fail, named after the block(s) that used that server, with the
records as diagnostics.  Leaks inside nginx itself are ignored.  C<must_die>
blocks do not use valgrind.

=head2 Not supported

HTTP/2 and HTTP/3 (C<http2>, C<curl*>), HUP reload mode
(C<TEST_NGINX_USE_HUP>, C<use_hup>, C<reload_fails>), check-leak and
benchmark modes, systemtap (C<stap*>), mock TCP/UDP servers (C<tcp_*>,
C<udp_*>), C<TEST_NGINX_RANDOMIZE>, C<TEST_NGINX_REUSE_PORT>,
C<TEST_NGINX_IGNORE_MISSING_DIRECTIVES>, C<TEST_NGINX_LD_PRELOAD>,
C<TEST_NGINX_USE_RR>, C<charset>, C<curl>, C<suppress_stderr> (stderr is
always captured to F<logs/stderr.log>), C<write_resp_body_file>,
C<todo_nginx>, C<skip_slave>.

=cut
