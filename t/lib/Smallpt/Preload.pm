package Smallpt::Preload;

# Preloads test shims into the nginx that a .t file starts:
#
#     use Smallpt::Preload qw(gate);         # before Test::Nginx::Socket
#
# gate: t/lib/gate.c, which holds renders at a gate the test opens (see
# Smallpt::close_gate); failalloc: t/lib/failalloc.c, which makes the pool
# threads' allocations fail. `make test` builds them and names them in
# TEST_SMALLPT_GATE and TEST_SMALLPT_FAILALLOC. This must run before the
# harness loads: CPAN's Test::Nginx reads LD_PRELOAD once, then sets it
# again for each nginx it starts.
#
# A shim that is not there is not preloaded, and the blocks that need it
# fail and say so (Smallpt::wait_held); Smallpt::Preload::missing() names
# them, for a file that would rather skip.

use strict;
use warnings;

my %var = (gate => 'TEST_SMALLPT_GATE', failalloc => 'TEST_SMALLPT_FAILALLOC');
my @missing;

sub import {
    my ($class, @shims) = @_;
    my @found;

    for my $shim (@shims) {
        my $var = $var{$shim} or die "Smallpt::Preload: no shim \"$shim\"";
        my $path = $ENV{$var};

        if (defined $path && -f $path) {
            push @found, $path;
        } else {
            push @missing, "$shim ($var names no file)";
        }
    }

    $ENV{LD_PRELOAD} = join ' ', grep { defined && length }
                                 $ENV{LD_PRELOAD}, @found;
}

# The shims asked for that could not be preloaded.
sub missing {
    return @missing;
}

1;
