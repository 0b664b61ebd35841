import {activateRelease} from './activate-release.js'
import {command} from './command.js'
import {drains} from './drains.js'
import {ethtool} from './ethtool.js'
import {file} from './file.js'
import {ipvs} from './ipvs.js'
import {packageModule} from './package.js'
import {realserver} from './realserver.js'
import {release} from './release.js'
import {runningConfig} from './running-config.js'
import {service} from './service.js'
import {sysctl} from './sysctl.js'
import {template} from './template.js'
import type {Module} from './types.js'
import {waitFor} from './wait-for.js'

export const MODULES: Record<string, Module<never>> = Object.fromEntries(
  [template, file, service, sysctl, ethtool, ipvs, realserver, packageModule, command, waitFor, release, activateRelease, runningConfig, drains].map((m) => [m.name, m as Module<never>]),
)

export type {HostFacts, HostIO, Module, ModuleContext, Plan, Step} from './types.js'
