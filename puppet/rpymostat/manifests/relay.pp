# @summary A relay node: `rpymostat-relay` under systemd, switching the heating, cooling
#   and fan relays the hub commands.
#
# @param settings Keys of the [relay] section (docs/configuration.md), e.g.
#   { 'enrollment_key' => '...', 'driver' => 'gpio',
#     'driver_settings' => { 'outputs' => [{ 'id' => 'gpio17', 'name' => 'boiler', 'active_low' => true }] } }.
# @param extras The driver's extra: 'gpio' (RPi.GPIO, Pi 4 and older), 'pi5' (rpi-lgpio),
#   'phidget' or 'piface'.
# @param ensure Whether the service runs.
# @param enable Whether it starts at boot.
class rpymostat::relay (
  Hash[String[1], Any] $settings = {},
  Array[String[1]] $extras = ['gpio'],
  Enum['running', 'stopped'] $ensure = 'running',
  Boolean $enable = true,
) {
  rpymostat::daemon { 'relay':
    extras   => ['relay'] + $extras,
    section  => 'relay',
    file     => 'relay.toml',
    settings => $settings,
    ensure   => $ensure,
    enable   => $enable,
  }
}
