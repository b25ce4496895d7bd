#!/usr/bin/perl
# One system call, then its outcome: OK (with a value for some calls) or the errno name
# (ENOENT, ...). The POSIX checklist uses this because the shell cannot see errno.
#   sys.pl OP ARGS...   one call, answer on stdout
#   sys.pl --serve      one request a line on stdin: CWD<TAB>OP<TAB>ARGS...; one answer a line
# Serving saves a perl start per check, which costs most of a second under TCG.
use strict;
use warnings;
use Errno ();
use Fcntl ();
use Socket ();

sub errname {
  my $n = $! + 0;
  for my $name (keys %!) { return $name if $!{$name} }
  return "E#$n";
}
sub flags {
  my $v = 0;
  for my $f (split /\|/, shift) {
    my $c = Fcntl->can($f) or die "sys.pl: unknown open flag $f\n";
    $v |= $c->();
  }
  return $v;
}

# Each op returns (success, value).
my %ops = (
  rename   => sub { rename($_[0], $_[1]) },
  unlink   => sub { unlink($_[0]) == 1 },
  rmdir    => sub { rmdir($_[0]) },
  mkdir    => sub { mkdir($_[0], oct($_[1] // '755')) },
  link     => sub { link($_[0], $_[1]) },
  symlink  => sub { symlink($_[0], $_[1]) },
  readlink => sub { my $t = readlink($_[0]); (defined $t, $t) },
  chmod    => sub { chmod(oct($_[0]), $_[1]) == 1 },
  chown    => sub { chown($_[0], $_[1], $_[2]) == 1 },
  truncate => sub { truncate($_[0], $_[1]) },
  stat     => sub { my @s = stat($_[0]); scalar @s },
  lstat    => sub { my @s = lstat($_[0]); scalar @s },
  # open PATH FLAGS [MODE]
  open     => sub { sysopen(my $fh, $_[0], flags($_[1]), oct($_[2] // '644')) },
  # ftruncate PATH FLAGS LEN [MODE]: open with FLAGS (and MODE when creating), then ftruncate the fd
  ftruncate => sub { sysopen(my $fh, $_[0], flags($_[1]), oct($_[3] // '644')) or return 0; truncate($fh, $_[2]) },
  # fchmod-ftruncate PATH MODE LEN: open read-write (create 0644), fchmod the fd to MODE, ftruncate it
  'fchmod-ftruncate' => sub {
    sysopen(my $fh, $_[0], Fcntl::O_RDWR() | Fcntl::O_CREAT(), 0644) or return 0;
    chmod(oct($_[1]), $fh) == 1 or return 0;
    truncate($fh, $_[2]);
  },
  # bindsock PATH: bind a unix stream socket there (the socket file stays after close)
  bindsock => sub {
    socket(my $s, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or return 0;
    bind($s, Socket::pack_sockaddr_un($_[0]));
  },
  # write PATH FLAGS DATA [SEEK]: open, seek, write
  write    => sub {
    sysopen(my $fh, $_[0], flags($_[1]), 0644) or return 0;
    if (defined $_[3]) { sysseek($fh, $_[3], 0) or return 0 }
    my $n = syswrite($fh, $_[2]);
    defined $n && $n == length $_[2];
  },
  # Extended attributes through the raw x86-64 system calls (the guest is x86-64).
  # setxattr PATH NAME VALUE FLAGS (1 XATTR_CREATE, 2 XATTR_REPLACE); getxattr PATH NAME
  setxattr => sub { my $v = $_[2]; syscall(188, $_[0], $_[1], $v, length($v), 0 + ($_[3] // 0)) == 0 },
  getxattr => sub {
    my $buf = "\0" x 65536;
    my $n = syscall(191, $_[0], $_[1], $buf, length($buf));
    $n >= 0 ? (1, substr($buf, 0, $n)) : 0;
  },
  removexattr => sub { syscall(197, $_[0], $_[1]) == 0 },
  # open-unlinked PATH: create, unlink, then write, read back and fstat through the fd
  'open-unlinked' => sub {
    sysopen(my $fh, $_[0], Fcntl::O_RDWR() | Fcntl::O_CREAT() | Fcntl::O_TRUNC(), 0644) or return 0;
    unlink($_[0]) == 1 or return 0;
    defined syswrite($fh, 'still here') or return 0;
    sysseek($fh, 0, 0) or return 0;
    my $buf = '';
    defined sysread($fh, $buf, 64) or return 0;
    my @s = stat($fh) or return 0;
    ($buf eq 'still here' && $s[3] == 0, "read=$buf nlink=$s[3]");
  },
);

sub call {
  my ($op, @args) = @_;
  my $f = $ops{$op} or return "EUSAGE unknown op $op";
  $! = 0;
  my ($ok, $value) = eval { $f->(@args) };
  return "EUSAGE $@" if $@;
  return $ok ? (defined $value ? "OK $value" : 'OK') : errname();
}

if (($ARGV[0] // '') eq '--serve') {
  $| = 1;
  while (my $line = <STDIN>) {
    chomp $line;
    my ($cwd, @req) = split /\t/, $line, -1;
    my $answer = chdir($cwd) ? call(@req) : 'ECWD ' . errname();
    $answer =~ s/[\t\n]/ /g;
    print "$answer\n";
  }
  exit 0;
}
@ARGV or die "usage: sys.pl OP ARGS... | sys.pl --serve\n";
print call(@ARGV), "\n";
