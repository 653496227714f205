/**
 * Structural limits on parsed JSON. The byte limit (Fastify `bodyLimit`) must admit multi-megabyte
 * prefetch; these bound what a small body could still do: pathological nesting and huge arrays.
 *
 * Recursive on purpose: the walk stops as soon as it is deeper than `maxDepth`, so its own stack is
 * bounded by the limit (≤ 1000 frames), and recursion allocates nothing per node (this runs over
 * every value of a multi-megabyte prefetch on each call).
 */
export interface JsonLimits {
  maxDepth: number;
  maxArrayLength: number;
}

/** Returns a description of the first limit exceeded, or undefined when the value is within limits. */
export function checkJsonLimits(value: unknown, limits: JsonLimits): string | undefined {
  return walk(value, 1, limits);
}

function walk(node: unknown, depth: number, limits: JsonLimits): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  if (depth > limits.maxDepth) return `JSON nesting deeper than ${limits.maxDepth} levels`;
  if (Array.isArray(node)) {
    if (node.length > limits.maxArrayLength) return `a JSON array has more than ${limits.maxArrayLength} items`;
    for (let i = 0; i < node.length; i++) {
      const problem = walk(node[i], depth + 1, limits);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in node) {
    const problem = walk((node as Record<string, unknown>)[key], depth + 1, limits);
    if (problem) return problem;
  }
  return undefined;
}
