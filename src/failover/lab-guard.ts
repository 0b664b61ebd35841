/**
 * Whether an inventory describes a lab of this machine, where killing daemons harms nobody: it still carries the
 * line `lbctl lab up` writes at its top, and that lab is up here (its state file exists). A copy of a lab inventory
 * with edits (a test's variant) still counts; a production inventory never carries the line.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {inventoryMarker} from '../lab/inventory.js'
import {stateDirOf} from '../lab/plan.js'

export function labNameOf(text: string): string | undefined {
  const m = /^# Written by `lbctl lab up --name ([A-Za-z0-9_-]+)`/m.exec(text.split('\n').slice(0, 5).join('\n'))
  return m && text.includes(inventoryMarker(m[1])) ? m[1] : undefined
}

export function isLabInventory(file: string): {lab: boolean; name?: string} {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {lab: false}
  }
  const name = labNameOf(text)
  return {lab: Boolean(name && existsSync(join(stateDirOf(name), 'lab.json'))), name}
}
