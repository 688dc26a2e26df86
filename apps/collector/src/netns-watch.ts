// A collector reading a network namespace (`--netns`, a lab node) learns that its node is gone when
// the namespace is deleted: `ip netns del` removes /run/netns/<name>. The monitors still running
// inside keep the namespace alive, so none of them would ever notice.
import { access } from 'node:fs/promises';

export const NETNS_DIR = '/run/netns';

export interface NamespaceWatch {
  /** resolves with a reason once the namespace is gone */
  readonly gone: Promise<string>;
  stop(): void;
}

export function watchNamespace(name: string, everyMs = 500, dir = NETNS_DIR): NamespaceWatch {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const gone = new Promise<string>((resolve) => {
    const check = () => {
      timer = null;
      if (stopped) return;
      access(`${dir}/${name}`).then(
        () => {
          if (!stopped) timer = setTimeout(check, everyMs);
        },
        () => resolve(`network namespace ${name} was deleted`),
      );
    };
    check();
  });
  return {
    gone,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
