# @summary The RPyMostat hub: `rpymostat hub` under systemd, its database in
#   /var/lib/rpymostat/hub.
#
# @param settings Keys of the [hub] section (docs/configuration.md), e.g.
#   { 'port' => 8573, 'db' => 'postgresql+psycopg://rpymostat@/rpymostat' }.
# @param extras Extras beyond 'hub', e.g. ['postgres'].
# @param ensure Whether the service runs.
# @param enable Whether it starts at boot.
class rpymostat::hub (
  Hash[String[1], Any] $settings = {},
  Array[String[1]] $extras = [],
  Enum['running', 'stopped'] $ensure = 'running',
  Boolean $enable = true,
) {
  rpymostat::daemon { 'hub':
    extras   => ['hub'] + $extras,
    section  => 'hub',
    file     => 'rpymostat.toml',
    settings => $settings,
    ensure   => $ensure,
    enable   => $enable,
  }
}
