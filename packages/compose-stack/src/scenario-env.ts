/**
 * A scenario's environment for a service, with the file variable of each secret it sets emptied:
 * the users' file gives the watchdog WATCHDOG_OPERATOR_TOKEN_FILE, a scenario its own
 * WATCHDOG_OPERATOR_TOKEN, and a secret given both ways is refused (empty counts as unset).
 */
export function overrideEnvironment(users: Record<string, unknown> | undefined, env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const name of Object.keys(env)) if (users && `${name}_FILE` in users && !(`${name}_FILE` in env)) out[`${name}_FILE`] = '';
  return out;
}
