import type { RootCause } from "../domain/root-cause.ts";
import { isRootCauseId } from "../domain/root-causes.ts";
import type { ReasonerOutput } from "./reasoner.ts";

export class GroundingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GroundingError";
  }
}

/**
 * Rejects an answer that cites a finding that does not exist, a root cause outside the catalog, or
 * breaks the report's rules (never empty; `none` alone when nothing was found). Pure.
 */
export function checkGrounding(
  output: ReasonerOutput,
  findingIds: ReadonlySet<string>,
  nodes: ReadonlySet<string>,
  customIds: ReadonlySet<string> = new Set(),
): void {
  const known = (id: string) => isRootCauseId(id) || customIds.has(id);
  if (output.rootCauses.length === 0)
    throw new GroundingError("rootCauses is empty: when nothing explains the incident the answer is `none`");
  for (const cause of output.rootCauses) checkCause(cause, findingIds, nodes, known);
  const [first] = output.rootCauses;
  if (output.verdict === "explained" && first?.id === "none")
    throw new GroundingError("verdict explained but the best answer is none");
  if (output.verdict !== "explained" && first?.id !== "none")
    throw new GroundingError(`verdict ${output.verdict} needs none as the answer`);
  if (first && first.id !== "none" && first.supporting.length === 0)
    throw new GroundingError(`${first.id} cites no supporting finding`);
}

function checkCause(
  cause: RootCause,
  findingIds: ReadonlySet<string>,
  nodes: ReadonlySet<string>,
  known: (id: string) => boolean,
): void {
  if (!known(cause.id)) throw new GroundingError(`"${cause.id}" is not a root cause in the catalog`);
  for (const id of [...cause.supporting, ...cause.contrary])
    if (!findingIds.has(id)) throw new GroundingError(`${cause.id} cites ${id}, which no tool reported`);
  for (const node of cause.nodes)
    if (!nodes.has(node)) throw new GroundingError(`${cause.id} names node ${node}, which is not in the investigation`);
  for (const ruled of cause.ruledOut)
    if (!known(ruled.id)) throw new GroundingError(`ruled-out "${ruled.id}" is not in the catalog`);
  if (!(cause.confidence >= 0 && cause.confidence <= 1))
    throw new GroundingError(`${cause.id} has confidence ${cause.confidence} outside 0–1`);
}
