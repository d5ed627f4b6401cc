// A minimal observable value: components subscribe through useSignal (no extra dependency).
import { useEffect, useState } from "preact/hooks";

export function signal(initial) {
  const listeners = new Set();
  let value = initial;
  return {
    get value() {
      return value;
    },
    set value(next) {
      value = next;
      listeners.forEach((fn) => fn(next));
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

export function useSignal(sig) {
  const [value, setValue] = useState(sig.value);
  useEffect(() => sig.subscribe(setValue), [sig]);
  return value;
}
