# @summary One RPyMostat daemon: its extras installed into the venv, its TOML file from
#   parameters, its systemd unit (written by `rpymostat install-units`) and its service.
#   Used by rpymostat::hub, rpymostat::sensor and rpymostat::relay.
#
# @param extras The pyproject extras this daemon needs, such as ['relay', 'gpio'].
# @param section The TOML section the daemon reads.
# @param file The TOML file's name in the config directory.
# @param settings The section's keys and values; nested hashes (driver_settings) become
#   inline tables.
# @param ensure Whether the service runs.
# @param enable Whether it starts at boot.
define rpymostat::daemon (
  Array[String[1], 1] $extras,
  String[1] $section,
  String[1] $file,
  Hash[String[1], Any] $settings = {},
  Enum['running', 'stopped'] $ensure = 'running',
  Boolean $enable = true,
) {
  include rpymostat
  $venv = $rpymostat::venv
  $unit = "rpymostat-${title}"
  $spec = shellquote("${rpymostat::package}[${extras.join(',')}]")
  $pip = "${venv}/bin/python -m pip install ${rpymostat::pip_options.map |$o| { shellquote($o) }.join(' ')}"
  $install_units = "${venv}/bin/rpymostat install-units --venv ${venv} --only ${title} --user ${rpymostat::user} --config-dir ${rpymostat::config_dir}"

  # pip's dry run prints "Would install" when something is missing; a pip that fails
  # makes the install run (and fail) in plain sight. Each check first tests that the venv
  # has the program: Puppet takes a check's "not found" (status 127) for an error.
  exec { "${unit} pip install":
    command  => "${pip} ${spec}",
    unless   => "test -x ${venv}/bin/python && out=\$(${pip} --dry-run ${spec}) && ! printf '%s' \"\$out\" | grep -q 'Would install'",
    provider => shell,
    timeout  => 1800,
    require  => Exec['rpymostat venv'],
  }

  file { "${rpymostat::config_dir}/${file}":
    ensure  => file,
    owner   => 'root',
    group   => $rpymostat::user,
    mode    => '0640',
    content => epp('rpymostat/config.toml.epp', { 'section' => $section, 'settings' => $settings }),
  }

  exec { "${unit} unit":
    command  => $install_units,
    unless   => "test -x ${venv}/bin/rpymostat && ${install_units} --check",
    provider => shell,
    require  => [Exec["${unit} pip install"], User[$rpymostat::user]],
    notify   => Exec['rpymostat systemd reload'],
  }

  service { $unit:
    ensure    => $ensure,
    enable    => $enable,
    require   => Exec['rpymostat systemd reload'],
    subscribe => [Exec["${unit} pip install"], Exec["${unit} unit"], File["${rpymostat::config_dir}/${file}"]],
  }
}
