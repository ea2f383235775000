# @summary A sensor node: `rpymostat-sensor` under systemd, reading 1-Wire sensors (or
#   another driver) and sending the readings to the hub.
#
# @param settings Keys of the [sensor] section (docs/configuration.md), e.g.
#   { 'enrollment_key' => '...', 'driver' => 'w1',
#     'driver_settings' => { 'names' => { '28-0316a2795aff' => 'living room' } } }.
# @param extras Extras beyond 'sensor'.
# @param ensure Whether the service runs.
# @param enable Whether it starts at boot.
class rpymostat::sensor (
  Hash[String[1], Any] $settings = {},
  Array[String[1]] $extras = [],
  Enum['running', 'stopped'] $ensure = 'running',
  Boolean $enable = true,
) {
  rpymostat::daemon { 'sensor':
    extras   => ['sensor'] + $extras,
    section  => 'sensor',
    file     => 'sensor.toml',
    settings => $settings,
    ensure   => $ensure,
    enable   => $enable,
  }
}
