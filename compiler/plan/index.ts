/** The memory planner's public surface (design.md, pipeline step 4). */
export type { Placement, Plan, PlanAlias, PlanBuffer, PlanBufferKind, PlanOverlap, PlanProblem, PlanStep } from './types.js';
export { planMemory } from './planner.js';
export { PlanError } from './lifetimes.js';
export { chooseExecutionOrder, peakOfOrder } from './order.js';
export type { OrderNode, OrderProblem, OrderResult } from './order.js';
