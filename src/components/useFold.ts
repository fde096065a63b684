// A <details> section unfolded by the panel (kept across visits to a group's details) or, when
// the panel does not hold it, by the section itself.
import * as React from 'react';

/** Whether the section is unfolded, and the <details> onToggle that follows the user. */
export function useFold(
  open: boolean | undefined,
  onToggle: ((open: boolean) => void) | undefined
): {
  open: boolean;
  onToggle: (event: React.SyntheticEvent<HTMLDetailsElement>) => void;
} {
  const [ownOpen, setOwnOpen] = React.useState(false);
  const shown = open ?? ownOpen;
  return {
    open: shown,
    onToggle: event => {
      const now = (event.target as HTMLDetailsElement).open;
      if (now !== shown) {
        setOwnOpen(now);
        onToggle?.(now);
      }
    }
  };
}
