/**
 * What the host names in the test fixtures resolve to, for the loads that need them (no test asks DNS): every-field.yaml
 * writes a director and a client by name.
 */
import {tableResolver} from '../../src/inventory/names.js'

export const FIXTURE_HOSTS: Readonly<Record<string, string>> = {'lb2.example.com': '10.0.0.12', 'probe.example.com': '10.0.0.5'}

export const fixtureResolver = tableResolver(FIXTURE_HOSTS)
