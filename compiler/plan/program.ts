/**
 * Bridge from the lowered program to the planner: every non-alias value is a
 * buffer, every op a step; ops that may run in place offer their first input.
 */
import type { Program } from '../ir/program.js';
import { valueBytes } from '../ir/program.js';
import { planMemory } from './planner.js';
import type { Plan, PlanBuffer, PlanProblem, PlanStep } from './types.js';

export const ARENA_ALIGNMENT = 16;

export function planProblemOf(program: Program): PlanProblem {
  const buffers: PlanBuffer[] = [...program.values.values()].map((v) => ({ id: v.id, bytes: Math.max(1, valueBytes(v)), kind: v.role }));
  const aliases = [...program.values.values()].filter((v) => v.aliasOf).map((v) => ({ id: v.id, of: v.aliasOf as string }));
  const steps: PlanStep[] = program.ops.map((op) => ({
    name: op.name,
    reads: op.inputs.slice(),
    writes: op.outputs.slice(),
    inPlace: op.inPlace && op.inputs.length > 0 ? [[op.outputs[0], op.inputs[0]]] : undefined,
  }));
  return { buffers, steps, aliases, alignment: ARENA_ALIGNMENT };
}

export function planProgram(program: Program): Plan {
  return planMemory(planProblemOf(program));
}

/** Arena offset of a value (aliases resolve to their base). */
export function offsetOf(plan: Plan, id: string): number {
  const p = plan.placements.get(id);
  if (!p) throw new Error(`internal: value '${id}' was not placed`);
  return p.offset;
}
