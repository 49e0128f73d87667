package Test::Nginx::Util;

# In-repo re-implementation of the server-management half of CPAN's
# Test::Nginx (settings, nginx.conf generation, server root layout, starting
# and stopping nginx, valgrind, error log access and the per-block driver).
# The HTTP client and the response checks live in Test::Nginx::Socket, which
# plugs itself in through $RunTestHelper / $CheckErrorLog /
# $CheckShutdownErrorLog, as CPAN's does.  Only core Perl modules are used.
# See the POD of Test::Nginx::Socket for the user-facing documentation.

use strict;
use warnings;

use Cwd ();
use Exporter 'import';
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX qw(SIGKILL SIGQUIT SIGTERM WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

our $VERSION = '0.1';

# ---------------------------------------------------------------------------
# Settings (same environment variables and defaults as CPAN's Test::Nginx)
# ---------------------------------------------------------------------------

our $NginxBinary          = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers              = 1;
our $WorkerConnections    = 64;
our $LogLevel             = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled        = 'on';
our $ServerPort           = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient  = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr           = '127.0.0.1';
our $ServerName           = 'localhost';
our $NoRootLocation       = 0;
our $TestNginxSleep       = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Timeout              = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $RepeatEach           = 1;
our $NoShuffle            = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoNginxManager       = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $UseValgrind          = $ENV{TEST_NGINX_USE_VALGRIND};
our $LoadModules          = $ENV{TEST_NGINX_LOAD_MODULES};
our $EventType            = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput       = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $CheckAccumErrLog     = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $Verbose              = $ENV{TEST_NGINX_VERBOSE};
our $NoLongString;
our $ConfigPreamble       = '';
our $FilterHttpConfig;
# Leak records in valgrind reports only count when their stack matches this
# (leaks inside nginx itself are not ours); invalid accesses always count.
our $ValgrindLeakFilter   = $ENV{TEST_NGINX_VALGRIND_LEAK_FILTER} || 'smallpt';

our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers, @TestCleanupHandlers);

# Hooks filled in by Test::Nginx::Socket.
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);

# Server root layout.
our $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
our $LogDir   = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir  = "$ServRoot/html";
our $ConfDir  = "$ServRoot/conf";
our $ConfFile = "$ConfDir/nginx.conf";
our $PidFile  = "$LogDir/nginx.pid";
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
$ENV{TEST_NGINX_HTML_DIR} //= $HtmlDir;

# Run-time state.
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion, $NginxV);
our ($PrevConfig, $PrevBlock, $RandPorts, $ChildPid, $InSubprocess);
our $ErrLogFilePos = 0;
our $PendingShutdownBlock;   # block whose shutdown_error_log awaits the stop
our @ServerBlocks;           # names of the blocks that used the running nginx
our $ValgrindStarted;        # the running nginx is ours, under valgrind

our @EXPORT = qw(
    expand_env_in_text env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string $ServerAddr server_addr $ServerName
    server_name parse_time verbose sleep_time bail_out add_cleanup_handler
    add_test_cleanup_handler error_log_data setup_server_root
    write_config_file get_canon_version get_nginx_version trim show_all_chars
    parse_headers run_tests get_pid_from_pidfile $ServerPortForClient
    $ServerPort $NginxVersion $PidFile $ServRoot $ConfFile $HtmlDir $LogDir
    $ErrLogFile $RunTestHelper $CheckErrorLog $CheckShutdownErrorLog
    $FilterHttpConfig $NoNginxManager $RepeatEach add_block_preprocessor
    timeout worker_connections workers master_on master_off config_preamble
    repeat_each master_process_enabled log_level no_shuffle no_root_location
    wait_for_log_lines
    html_dir server_root server_port server_port_for_client no_nginx_manager
    use_hup
);

# ---------------------------------------------------------------------------
# Setters/getters called from .t files before run_tests()
# ---------------------------------------------------------------------------

sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }
sub workers { if (@_) { $Workers = shift } else { $Workers } }
sub worker_connections { if (@_) { $WorkerConnections = shift } else { $WorkerConnections } }
sub log_level { if (@_) { $LogLevel = shift } else { $LogLevel } }
sub timeout { if (@_) { $Timeout = shift } else { $Timeout } }
sub server_port { if (@_) { $ServerPort = shift } else { $ServerPort } }
sub server_port_for_client {
    if (@_) { $ServerPortForClient = shift } else { $ServerPortForClient }
}
sub server_addr { if (@_) { $ServerAddr = shift } else { $ServerAddr } }
sub server_name { if (@_) { $ServerName = shift } else { $ServerName } }
sub master_on () { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }
sub master_process_enabled {
    if (@_) { $MasterProcessEnabled = shift() ? 'on' : 'off' }
    else { $MasterProcessEnabled }
}
sub no_shuffle () { $NoShuffle = 1 }
sub no_root_location () { $NoRootLocation = 1 }
sub no_long_string () { $NoLongString = 1 }
sub no_nginx_manager () { $NoNginxManager = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub config_preamble ($) { $ConfigPreamble = shift }
sub env_to_nginx { push @EnvToNginx, @_ }
sub add_block_preprocessor (&) { push @BlockPreprocessors, shift }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }
sub html_dir () { $HtmlDir }
sub server_root () { $ServRoot }
sub sleep_time () { $TestNginxSleep }
sub verbose () { $Verbose }

# HUP-reload test mode (TEST_NGINX_USE_HUP) is not implemented: every block
# with a config gets a freshly started nginx.
sub use_hup () { warn "Test::Nginx: use_hup() is not supported; ignored\n" }

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# String comparison honouring no_long_string() (see Socket.pm's is_string).
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::like($got, $expected, $desc) if ref $expected eq 'Regexp';
    return Test::More::is($got, $expected, $desc) if $NoLongString;
    return Test::Nginx::Socket::is_string($got, $expected, $desc);
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

# "50ms" -> 0.05, "2s" / "2" -> 2
sub parse_time ($) {
    my $t = shift;
    return undef unless defined $t;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^([\d.]+)ms$/;
    $t =~ s/s$//;
    return $t;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\s+/ /g;
    $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/g; $s =~ s/\r/\\r/g; $s =~ s/\t/\\t/g;
    $s;
}

# Parse a response_headers(_like) spec: "Name: value" per line, "!Name" for
# "must be absent" (value undef).
sub parse_headers ($) {
    my $s = shift;
    my %h;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            $h{$line} = undef;
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            $h{$k} = $v // '';
        }
    }
    \%h;
}

sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid;
    # reap it first if it is our own (valgrind) child, so a zombie is "gone"
    waitpid($pid, WNOHANG) if defined $ChildPid && $pid == $ChildPid;
    return 0 unless kill 0, $pid;
    # a zombie (daemons are reaped by init, which can take a while) has
    # already released its sockets: count it as gone
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in> // '';
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }
    return 1;
}

sub get_pid_from_pidfile ($) {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;
    return undef unless defined $pid;
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

sub get_canon_version (@) { sprintf "%d.%03d%03d", @_[0 .. 2] }

sub get_nginx_version () {
    $NginxV = `$NginxBinary -V 2>&1`;
    if (!defined $NginxV || $? != 0) {
        bail_out("Failed to run \"$NginxBinary -V\": " . ($NginxV // $!));
    }
    if ($NginxV =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)}) {
        $OpenSSLVersion = get_canon_version($1, $2, $3);
    }
    if ($NginxV =~ m{\w+/(\d+)\.(\d+)\.(\d+)}) {
        $NginxRawVersion = "$1.$2.$3";
        return $NginxVersion = get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"$NginxBinary -V\": $NginxV");
}

sub port_in_use ($) {
    my $port = shift;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Proto => 'tcp', ReuseAddr => 1, Listen => 1);
    return 1 unless $s;
    close $s;
    return 0;
}

# Replace $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO}; $TEST_NGINX_RAND_PORT_N
# by a free port (the same one for the whole block).  Undefined variables
# abort the run, as in CPAN.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return $text if !defined $text || ref $text;
    $rand_ports //= $RandPorts // {};
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $rand_ports->{$var} //= do {
                my %used = map { $_ => 1 } $ServerPort,
                    grep { defined } values %$rand_ports;
                my $p;
                for (1 .. 1000) {
                    $p = 1985 + int rand(65535 - 1985);
                    last if !$used{$p} && !port_in_use($p);
                    undef $p;
                }
                $p // bail_out("$name - no free port found for $var");
            };
        } else {
            defined $ENV{$var} or bail_out("$name - No environment $var defined.\n");
            $ENV{$var};
        }
    }ge;
    $text;
}

# Lines of error.log written since the last call (or the whole file with
# check_accum_error_log()).
sub error_log_data () {
    # the log phase runs after the answer is written: what a no_error_log
    # check must not find may be a few milliseconds behind the answer
    sleep $TestNginxSleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogFilePos, 0 if !$CheckAccumErrLog && $ErrLogFilePos > 0;
    my @lines = <$in>;
    $ErrLogFilePos = tell $in unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

# Waits until every pattern (a string or a Regexp) matches a line of the
# error log written since the last check; gives up after a while (the
# checks that follow then fail and show the log). A line expected after
# the answer comes when nginx writes it, not after a fixed time.
sub wait_for_log_lines ($) {
    my $pats = shift;
    return unless @$pats;

    my $deadline = time + ($UseValgrind ? 120 : 10);
    while (time < $deadline) {
        open my $in, '<', $ErrLogFile or return;
        seek $in, $ErrLogFilePos, 0 if !$CheckAccumErrLog && $ErrLogFilePos > 0;
        my @lines = <$in>;
        close $in;
        my $missing = grep {
            my $p = $_;
            !grep { ref $p ? $_ =~ $p : index($_, $p) >= 0 } @lines;
        } @$pats;
        return unless $missing;
        sleep 0.01;
    }
}

sub error_log_tail ($) {
    my $n = shift;
    my @lines;
    for my $f ($ErrLogFile, "$LogDir/stderr.log") {
        open my $in, '<', $f or next;
        push @lines, <$in>;
    }
    splice @lines, 0, @lines - $n if @lines > $n;
    return join '', @lines;
}

# ---------------------------------------------------------------------------
# Server root, user files, nginx.conf
# ---------------------------------------------------------------------------

sub setup_server_root () {
    # only remove what we create ourselves, in case TEST_NGINX_SERVROOT is
    # pointed somewhere unexpected
    remove_tree($ConfDir, $HtmlDir, $LogDir, "$ServRoot/cache",
                glob("$ServRoot/*_temp"), glob("$ServRoot/*_cache"));
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        -d $d or make_path($d) or bail_out("Failed to mkdir $d: $!");
    }
    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("Can't write $HtmlDir/index.html: $!");
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
}

# --- user_files: either ">>> name [YYYYMMDDhhmm.ss]" text or (with eval) an
# array ref of [name, body, date] entries.  Relative names go to html/.
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name  = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - --- user_files must be a string or an ARRAY ref");
    }

    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        (my $dir = $path) =~ s{/[^/]*$}{};
        -d $dir or make_path($dir) or bail_out("$name - cannot mkdir $dir");
        $body = expand_env_in_text($body // '', $name, $rand_ports);
        open my $out, '>', $path or bail_out("$name - cannot write $path: $!");
        binmode $out;
        print $out $body;
        close $out;
        if ($date && $date =~ /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d\d))?$/) {
            my $t = timegm($6 // 0, $5, $4, $3, $2 - 1, $1);
            utime $t, $t, $path;
        }
    }
}

sub load_module_lines () {
    return '' unless $LoadModules;
    my $out = '';
    for my $m (grep { length } split /\s+/, $LoadModules) {
        # relative paths are taken relative to the current directory when the
        # file exists there (else left to nginx, i.e. relative to the prefix)
        $m = Cwd::abs_path($m) if !File::Spec->file_name_is_absolute($m) && -e $m;
        $out .= "load_module $m;\n";
    }
    $out;
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config // '', $name, $rand_ports);
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;
    my $main_config = expand_env_in_text($block->main_config // '', $name, $rand_ports);
    my $post_main_config = expand_env_in_text($block->post_main_config // '', $name, $rand_ports);
    my $err_log_file = expand_env_in_text($block->error_log_file || $ErrLogFile, $name, $rand_ports);
    (my $server_name = $block->server_name // $ServerName) =~ s/(['\\])/\\$1/g;
    $config //= '';

    my $daemon = $UseValgrind ? 'off' : $DaemonEnabled;
    # under valgrind keep a single process unless the test asked for a master
    my $master = $MasterProcessEnabled;

    my $env = join '', map { "env $_;\n" } qw(
        MOCKEAGAIN_VERBOSE MOCKEAGAIN MOCKEAGAIN_WRITE_TIMEOUT_PATTERN
        LD_PRELOAD LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
        DYLD_FORCE_FLAT_NAMESPACE ASAN_OPTIONS MOCKNOEAGAIN_VERBOSE MOCKNOEAGAIN);
    $env .= join '', map { /\s/ ? "env '$_';\n" : "env $_;\n" } @EnvToNginx;

    # keep every temp dir inside the server root (Debian's defaults point
    # to /var/lib/nginx)
    my $temp = '';
    for my $t (qw(client_body proxy fastcgi scgi uwsgi)) {
        next if $http_config =~ /\b${t}_temp_path\b/;
        next if $t ne 'client_body' && $t ne 'proxy'
                && ($NginxV // '') =~ /--without-http_${t}_module/;
        $temp .= "    ${t}_temp_path $ServRoot/${t}_temp;\n";
    }
    my $postpone = (defined $PostponeOutput && $http_config !~ /\bpostpone_output\b/)
                 ? "    postpone_output $PostponeOutput;\n" : '';
    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    my $use_event = $EventType ? "    use $EventType;\n" : '';
    my $user = $> == 0 ? "user root;\n" : '';
    my $modules = load_module_lines();

    open my $out, '>', $ConfFile or bail_out("Can't open $ConfFile for writing: $!");
    print $out <<"_EOC_";
${modules}worker_processes  $Workers;
daemon $daemon;
master_process $master;
error_log $err_log_file $LogLevel;
pid       $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;
$temp$postpone
    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
$use_event}

$user
_EOC_
    close $out;
}

# ---------------------------------------------------------------------------
# Starting and stopping nginx
# ---------------------------------------------------------------------------

sub shell_quote ($) {
    my $s = shift;
    return $s if $s =~ m{^[-\w./=:,+@]+$};
    $s =~ s/'/'\\''/g;
    return "'$s'";
}

sub nginx_args () {
    my @args = ('-p', "$ServRoot/", '-c', $ConfFile);
    # -e (startup error log) exists since nginx 1.19.5; Debian's binary logs
    # startup errors to stderr otherwise
    push @args, '-e', $ErrLogFile if ($NginxVersion // 0) >= 1.019005;
    return @args;
}

# Is something listening on $port?  Read /proc so nginx never sees (and
# logs) a probe connection; fall back to a connect() elsewhere.
sub port_listening ($) {
    my $port = shift;
    my $hex = sprintf '%04X', $port;
    my $have_proc;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $in, '<', $f or next;
        $have_proc = 1;
        while (<$in>) {
            my @f = split;
            return 1 if @f > 3 && $f[1] =~ /:$hex$/ && $f[3] eq '0A';
        }
    }
    return 0 if $have_proc;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 0.2);
    return $s ? 1 : 0;
}

sub valgrind_command () {
    my $opts = $UseValgrind =~ /^\d+$/ ? '--tool=memcheck --leak-check=full' : $UseValgrind;
    my @cmd = ('valgrind', split(' ', $opts), '--num-callers=30',
               "--log-file=$LogDir/valgrind.%p.log");
    for my $supp ('t/valgrind.suppress', 'valgrind.suppress') {
        if (-f $supp) {
            push @cmd, '--suppressions=' . File::Spec->rel2abs($supp);
            last;
        }
    }
    return @cmd;
}

# Start nginx for a block; returns true on success.  On failure a failing
# test is emitted with the tail of the error log.
sub start_nginx ($) {
    my $name = shift;
    warn sprintf("[%.3f] starting nginx for %s\n", time, $name) if $Verbose;
    my $deadline = time + ($UseValgrind ? 60 : 10);
    @ServerBlocks = ($name);

    if ($UseValgrind) {
        # nginx in the foreground (daemon off) as our own child
        my @cmd = (valgrind_command(), split(' ', $NginxBinary), nginx_args());
        warn "$name\n" if $Verbose;
        my $pid = fork;
        bail_out("$name - fork() failed: $!") unless defined $pid;
        if ($pid == 0) {
            $InSubprocess = 1;
            open STDOUT, '>', '/dev/null';
            open STDERR, '>>', "$LogDir/stderr.log";
            exec @cmd or POSIX::_exit(127);
        }
        $ChildPid = $pid;
        $ValgrindStarted = 1;
        while (time < $deadline) {
            return 1 if port_listening($ServerPort);
            if (waitpid($pid, WNOHANG) == $pid) {
                undef $ChildPid;
                last;
            }
            sleep 0.1;
        }
        return start_failed($name, "nginx (under valgrind) did not come up");
    }

    my $cmd = join ' ', $NginxBinary, map(shell_quote($_), nginx_args()),
              '>/dev/null', '2>>' . shell_quote("$LogDir/stderr.log");
    my $retry_until = time + 3;
    while (1) {
        system $cmd;
        last if $? == 0;
        # the port may still be held by a process that is going away
        # (nginx itself retries bind() for 2.5 s; give it one more round)
        if (time < $retry_until && error_log_tail(5) =~ /Address already in use/) {
            sleep 0.2;
            next;
        }
        return start_failed($name, "\"$cmd\" failed (status $?)");
    }
    # daemon mode: the listening socket is bound once the command returned;
    # wait for the daemon's pid file too
    while (time < $deadline) {
        my $pid = get_pid_from_pidfile($name);
        return 1 if $pid && is_running($pid) && port_listening($ServerPort);
        sleep $TestNginxSleep;
    }
    return start_failed($name, "nginx did not come up");
}

sub start_failed ($$) {
    my ($name, $why) = @_;
    Test::More->builder->no_ending(1);
    Test::More::fail("$name - failed to start nginx: $why");
    Test::More::diag("last lines of the error log:\n" . error_log_tail(20));
    return 0;
}

# Stop the running nginx (if any): TERM (QUIT under valgrind so it can
# report leaks), wait for the pid to go away, then KILL.  Afterwards run the
# shutdown_error_log checks and the valgrind report of the stopped server.
sub stop_nginx () {
    my $pid = get_pid_from_pidfile('') // $ChildPid;
    warn sprintf("[%.3f] stopping nginx %s\n", time, $pid // '(none)') if $Verbose;
    if ($pid && is_running($pid)) {
        my $wait = $UseValgrind ? 60 : 10;
        kill($UseValgrind ? SIGQUIT : SIGTERM, $pid);
        my $deadline = time + $wait;
        sleep 0.02 while is_running($pid) && time < $deadline;
        if (is_running($pid)) {
            warn "WARNING: nginx $pid did not exit in ${wait}s; killing it\n";
            # a daemonized master is a process group leader: kill its workers too
            my $pgrp = getpgrp($pid);
            kill SIGKILL, (defined $pgrp && $pgrp == $pid) ? -$pid : $pid;
            sleep 0.05 while is_running($pid);
        }
    }
    if (defined $ChildPid) {
        waitpid($ChildPid, 0);
        undef $ChildPid;
    }
    unlink $PidFile;

    if (my $block = $PendingShutdownBlock) {
        undef $PendingShutdownBlock;
        $CheckShutdownErrorLog->($block, undef) if $CheckShutdownErrorLog;
    }
    if ($ValgrindStarted) {
        undef $ValgrindStarted;
        check_valgrind_report(join ' + ', @ServerBlocks);
    }
    @ServerBlocks = ();
}

# Fail (one extra test, only when something is found) if the valgrind logs
# of the server that was just stopped show memory errors.
sub check_valgrind_report ($) {
    my $name = shift;
    my $report = '';
    my $leak_re = qr/$ValgrindLeakFilter/;
    for my $file (sort glob("$LogDir/valgrind.*.log")) {
        open my $in, '<', $file or next;
        my $text = do { local $/; <$in> };
        close $in;
        # records are separated by "==PID== " blank lines
        for my $rec (split /^==\d+==\s*\n/m, $text) {
            next unless $rec =~ /\S/;
            if ($rec =~ /Invalid (?:read|write|free)|uninitialised|Mismatched free|overlap in memcpy/
                || ($rec =~ /are (?:definitely|possibly) lost/ && $rec =~ $leak_re))
            {
                $report .= "$file:\n$rec\n";
            }
        }
    }
    return unless $report;
    Test::More::fail("$name - valgrind reported memory errors");
    Test::More::diag($report);
}

sub cleanup () {
    $_->() for @CleanupHandlers;
}

# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

# Kills every nginx still running from this server root, and its workers
# (a daemon master leads its process group): one that a failed or killed
# run left behind would hold the port for every run after it.
sub stop_strays () {
    my $root = "-p $ServRoot/";
    for my $dir (glob '/proc/[0-9]*') {
        my ($pid) = $dir =~ m{(\d+)$};
        next if $pid == $$;
        open my $in, '<', "$dir/cmdline" or next;
        my $cmd = do { local $/; <$in> } // '';
        close $in;
        $cmd =~ tr/\0/ /;
        next unless index($cmd, $root) >= 0 && $cmd =~ /nginx/;
        warn "WARNING: stopping nginx $pid left from an earlier run: $cmd\n";
        my $pgrp = getpgrp($pid);
        kill SIGKILL, (defined $pgrp && $pgrp == $pid) ? -$pid : $pid;
    }
}

sub run_tests () {
    get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;
    stop_strays() unless $NoNginxManager;

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', "$0 " . $block->name);
        run_test($block);
        $_->($block) for @TestCleanupHandlers;
        $PrevBlock = $block;
    }
    cleanup();
}

# Decide whether (and how many tests) to skip: skip_nginx, skip_nginx2,
# skip_eval, skip_openssl and todo.  Returns (count, reason, is_todo).
sub skip_info ($) {
    my $block = shift;
    my $name = $block->name;
    my $cmp = sub {
        my ($have, $op, @v) = @_;
        return 1 if !defined $have && $op =~ /^</;
        return 0 if !defined $have;
        my $want = get_canon_version(@v);
        return $op eq '<' ? $have < $want : $op eq '<=' ? $have <= $want
             : $op eq '>' ? $have > $want : $have >= $want;
    };
    my $ver = qr/([<>]=?)\s*(\d+)\.(\d+)\.(\d+)/;

    if (defined(my $s = $block->skip_eval)) {
        $s =~ /^\s*(\d+)\s*:\s*(.*)/s or bail_out("$name - invalid --- skip_eval: $s");
        my ($n, $code) = ($1, $2);
        my $skip = eval $code;
        bail_out("$name - skip_eval failed: $@") if $@;
        return ($n, 'skip_eval') if $skip;
    }
    if (defined(my $s = $block->skip_nginx)) {
        $s =~ /^\s*(\d+)\s*:\s*$ver(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - invalid --- skip_nginx: $s");
        return ($1, $6 || "nginx version $2 $3.$4.$5")
            if $cmp->($NginxVersion, $2, $3, $4, $5);
    } elsif (defined(my $s2 = $block->skip_nginx2)) {
        $s2 =~ /^\s*(\d+)\s*:\s*$ver\s*(or|and)\s*$ver(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - invalid --- skip_nginx2: $s2");
        my $a = $cmp->($NginxVersion, $2, $3, $4, $5);
        my $b = $cmp->($NginxVersion, $7, $8, $9, $10);
        return ($1, $11 || 'nginx version') if $6 eq 'or' ? ($a || $b) : ($a && $b);
    }
    if (defined(my $s = $block->skip_openssl)) {
        $s =~ /^\s*(\d+)\s*:\s*$ver/ or bail_out("$name - invalid --- skip_openssl: $s");
        return ($1, "OpenSSL version $2 $3.$4.$5")
            if $cmp->($OpenSSLVersion, $2, $3, $4, $5);
    }
    if (defined(my $s = $block->todo)) {
        $s =~ /^\s*(\d+)\s*:\s*(.*)/s or bail_out("$name - invalid --- todo: $s");
        return ($1, $2, 1);
    }
    return;
}

sub run_test ($) {
    my $block = shift;
    my $name = $block->name;

    my ($skip_count, $skip_reason, $todo) = skip_info($block);
    if (defined $skip_count) {
        if ($todo) {
            TODO: { Test::More::todo_skip("$name - $skip_reason", $skip_count) }
        } else {
            SKIP: { Test::More::skip("$name - $skip_reason", $skip_count) }
        }
        return;
    }

    my $rand_ports = $RandPorts = {};
    local $LogLevel = $block->log_level || $LogLevel;
    my $config = expand_env_in_text($block->config, $name, $rand_ports);
    my $must_die = $block->must_die;

    if (!$NoNginxManager) {
        if (defined $config) {
            stop_nginx();
            # must_die blocks never run under valgrind (nginx must be a
            # daemon there, or a config that does not fail would block us)
            local $UseValgrind = defined $must_die ? undef : $UseValgrind;
            setup_server_root();
            if (defined(my $code = $block->post_setup_server_root)) {
                eval $code;
                bail_out("$name - post_setup_server_root failed: $@") if $@;
            }
            write_user_files($block, $rand_ports);
            write_config_file($block, $config, $rand_ports);
            $PrevConfig = $config;
            $ErrLogFilePos = 0;

            if (defined $must_die) {
                run_must_die($block, $must_die);
                return;
            }
            # start_nginx() returns once nginx listens: no sleep after it
            start_nginx($name) or return;

        } else {
            # CPAN semantics: a block without --- config reuses the server
            # (and configuration) of the previous block
            bail_out("$name - No '--- config' section specified and no "
                     . "previous one to reuse") unless defined $PrevConfig;
            write_user_files($block, $rand_ports);
            $ErrLogFilePos = -s $ErrLogFile || 0;
            push @ServerBlocks, $name;
        }
    }

    if (defined(my $code = $block->init)) {
        eval $code;
        bail_out("$name - init failed: $@") if $@;
    }

    for my $i (0 .. $RepeatEach - 1) {
        write_user_files($block, $rand_ports) if $i > 0;
        $RunTestHelper->($block, undef, $i);
    }

    if (defined $block->shutdown_error_log || defined $block->no_shutdown_error_log) {
        $PendingShutdownBlock = $block;
    }

    if (my $all = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (open my $out, '>>', $all) {
            print $out "\n=== $name\n";
            if (open my $in, '<', $ErrLogFile) { local $/; print $out scalar <$in> }
        }
    }
}

# --- must_die: nginx has to fail to start; the error_log checks then apply
# to what it logged.  Valgrind is not used for these (as in CPAN).
sub run_must_die ($$) {
    my ($block, $must_die) = @_;
    my $name = $block->name;
    my $cmd = join ' ', $NginxBinary, map(shell_quote($_), nginx_args()),
              '>/dev/null', '2>>' . shell_quote("$LogDir/stderr.log");
    @ServerBlocks = ($name);
    for my $i (0 .. $RepeatEach - 1) {
        system $cmd;
        my $status = $?;
        if ($status == -1) {
            Test::More::fail("$name - failed to execute the nginx command line");
        } elsif ($status & 127) {
            Test::More::fail("$name - nginx was killed by signal " . ($status & 127));
        } elsif ($must_die =~ /^\d+$/) {
            Test::More::is($status >> 8, $must_die, "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }
        $CheckErrorLog->($block, undef, undef, $i, 0);
        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; killing it\n";
            my $deadline = time + 5;
            sleep $TestNginxSleep until -f $PidFile || time > $deadline;
            stop_nginx();
        }
    }
}

END {
    return if $InSubprocess;
    local $?;    # keep Test::Builder's exit status
    cleanup();
    return if $NoNginxManager;
    if ($ENV{TEST_NGINX_NO_CLEAN} && !$UseValgrind) {
        # nginx stays up for inspection: shutdown checks cannot run
        if (my $block = $PendingShutdownBlock) {
            undef $PendingShutdownBlock;
            $CheckShutdownErrorLog->($block, 'TEST_NGINX_NO_CLEAN') if $CheckShutdownErrorLog;
        }
        return;
    }
    stop_nginx() if -f $PidFile || defined $ChildPid || $PendingShutdownBlock
                    || $ValgrindStarted;
    # whatever the verdict: nothing this file started keeps running
    stop_strays();
}

1;
