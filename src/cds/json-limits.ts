/**
 * Structural limits on parsed JSON. The byte limit (Fastify `bodyLimit`) must admit multi-megabyte
 * prefetch; these bound what a small body could still do: pathological nesting and huge arrays.
 * Iterative, so a deeply nested body cannot overflow the stack while being checked.
 */
export interface JsonLimits {
  maxDepth: number;
  maxArrayLength: number;
}

/** Returns a description of the first limit exceeded, or undefined when the value is within limits. */
export function checkJsonLimits(value: unknown, limits: JsonLimits): string | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limits.maxDepth) return `JSON nesting deeper than ${limits.maxDepth} levels`;
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength) return `a JSON array has more than ${limits.maxArrayLength} items`;
      for (const item of node) stack.push({ node: item, depth: depth + 1 });
    } else {
      for (const key in node) stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}
