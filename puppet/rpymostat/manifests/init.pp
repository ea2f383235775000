# @summary What the RPyMostat daemons on one machine share: the system user, the
#   configuration directory and the venv they run from.
#
# rpymostat::hub, ::sensor and ::relay include it with these defaults; to change them,
# declare it before those classes (or set its parameters in Hiera).
#
# @param venv Where the venv lives. It must be a path systemd takes unquoted (letters,
#   digits and . _ + @ - /).
# @param package What pip installs: 'rpymostat', 'rpymostat==1.2.0', or a wheel's path or URL.
#   The extras each daemon needs are added to it.
# @param python The interpreter the venv is made with (3.11 or newer).
# @param user The system user (and group) the daemons run as.
# @param config_dir Where the daemons' TOML files go.
# @param manage_python Install Debian's python3-venv, which `python3 -m venv` needs.
# @param pip_options More options for pip install, such as ['--index-url', 'https://...'].
class rpymostat (
  Pattern[/\A\/[A-Za-z0-9._+@\/-]*\z/] $venv = '/opt/rpymostat',
  String[1] $package = 'rpymostat',
  Pattern[/\A\/\S+\z/] $python = '/usr/bin/python3',
  Pattern[/\A[a-z_][a-z0-9_-]{0,31}\z/] $user = 'rpymostat',
  Pattern[/\A\/[A-Za-z0-9._+@\/-]*\z/] $config_dir = '/etc/rpymostat',
  Boolean $manage_python = true,
  Array[String[1]] $pip_options = [],
) {
  if $manage_python {
    package { 'python3-venv':
      ensure => installed,
      before => Exec['rpymostat venv'],
    }
  }

  group { $user:
    ensure => present,
    system => true,
  }

  user { $user:
    ensure     => present,
    system     => true,
    gid        => $user,
    home       => '/var/lib/rpymostat',
    shell      => '/usr/sbin/nologin',
    managehome => false,
    require    => Group[$user],
  }

  file { $config_dir:
    ensure => directory,
    owner  => 'root',
    group  => $user,
    mode   => '0750',
  }

  exec { 'rpymostat venv':
    command  => "${python} -m venv ${venv}",
    creates  => "${venv}/bin/python",
    provider => shell,
  }

  exec { 'rpymostat systemd reload':
    command     => 'systemctl daemon-reload',
    path        => ['/usr/bin', '/bin'],
    refreshonly => true,
    provider    => shell,
  }
}
