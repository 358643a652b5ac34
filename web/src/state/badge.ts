// The unread total outside the page: the tab title ("(3) Famichat") and the installed app's badge.
import { useEffect } from 'react';
import { useApp } from './app';
import { unreadTitle, unreadTotal } from './logic';

/** Badging API methods, where the browser has them (Chromium on desktop and Android, Safari). */
interface Badging {
  setAppBadge?: (count?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
}

/** Keeps the tab title and the app badge at the unread total of the conversation list. */
export function useUnreadBadge(): void {
  const total = useApp((s) => unreadTotal(s.conversations));
  const appName = useApp((s) => s.branding?.app_name ?? 'Famichat');
  useEffect(() => {
    document.title = unreadTitle(appName, total);
    const badging = navigator as Navigator & Badging;
    // A badge the platform refuses (not installed, no permission) is no error for the user.
    const done = total > 0 ? badging.setAppBadge?.(total) : badging.clearAppBadge?.();
    done?.catch(() => undefined);
  }, [appName, total]);
}
