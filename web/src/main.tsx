import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { store } from './state/app';
import './styles.css';

void store.boot();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  });
}

// "Follow the system": re-resolve the theme when the system's scheme or contrast changes.
for (const query of ['(prefers-color-scheme: dark)', '(prefers-contrast: more)']) {
  window.matchMedia?.(query).addEventListener('change', () => {
    if (store.state.themePref === 'system') void store.setTheme('system').catch(() => undefined);
  });
}
