// One computation per object: the caches the panel keeps by a scan's arrays and maps (which
// never change once made), so a render or a plan does not redo a pass over a million points.

/** `make()` for `key`, computed the first time and then taken from `known`. */
export function onceFor<K extends object, V>(
  known: WeakMap<K, V>,
  key: K,
  make: () => V
): V {
  if (known.has(key)) {
    return known.get(key) as V;
  }
  const value = make();
  known.set(key, value);
  return value;
}
