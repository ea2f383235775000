# @summary A value as TOML: strings quoted and escaped, arrays, and hashes as inline
#   tables with quoted keys, so that any key or string reaches the daemon as given.
# @param value The value.
# @return [String] Its TOML text.
function rpymostat::toml_value(Variant[String, Boolean, Integer, Float, Array, Hash] $value) >> String {
  case $value {
    String: {
      $escaped = regsubst(regsubst(regsubst($value, '\\\\', '\\\\\\\\', 'G'), '"', '\\"', 'G'), '\n', '\\n', 'G')
      "\"${escaped}\""
    }
    Array: {
      $items = $value.map |$item| { rpymostat::toml_value($item) }
      "[${items.join(', ')}]"
    }
    Hash: {
      $pairs = $value.map |$key, $item| { "${rpymostat::toml_value(String($key))} = ${rpymostat::toml_value($item)}" }
      "{ ${pairs.join(', ')} }"
    }
    default: { String($value) }
  }
}
