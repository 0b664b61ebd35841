export {loadInventory, loadInventoryText, resolveInventoryPath, type Loaded, type LoadOptions} from './load.js'
export {InventoryError, formatProblem, sortProblems, type Problem} from './problems.js'
export {maskSecrets} from './secrets.js'
export type * from './model.js'
