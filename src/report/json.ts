/**
 * Every --json document lbctl prints uses one naming style: snake_case keys (`schema_version`, `duration_ms`,
 * `exit_code`), and carries `schema_version`, which changes only when a field changes meaning or goes away.
 * Internal records are camelCase; they are renamed here, at the edge, so no command can print the other style.
 */
export const SCHEMA_VERSION = 1

/**
 * Objects whose keys are data — host, director, VIP, scenario or phase names — keep their keys as written
 * (a host may be called `lbA`); what they hold is renamed as usual.
 */
const DATA_KEYED = new Set(['hosts', 'on', 'instruments', 'initialHolders', 'finalHolders', 'clocks', 'terms', 'phasesMs', 'vmBootMs', 'sysctls'])

const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()

export function snakeKeys(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v))
  if (value === null || typeof value !== 'object' || value instanceof Date) return value
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [keepKeys ? k : snake(k), snakeKeys(v, !keepKeys && DATA_KEYED.has(k) && !Array.isArray(v))]))
}

/** A --json document: schema_version first, every key snake_case. */
export function jsonText(value: object): string {
  return JSON.stringify(snakeKeys({schema_version: SCHEMA_VERSION, ...value}), null, 2)
}

/** What oclif prints for `lab … --json`: the command's result in the same style. */
export function labJson(result: unknown): unknown {
  return snakeKeys({schema_version: SCHEMA_VERSION, ...(result as object)})
}
