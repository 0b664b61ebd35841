export {loadInventory, loadInventoryText, resolveInventoryPath, type Loaded, type LoadOptions} from './load.js'
export {InventoryError, formatProblem, problemText, sortProblems, type Problem} from './problems.js'
export {MASK, maskSecrets} from './secrets.js'
export type * from './model.js'
