import { useState } from 'react';
import { BackLink, ErrorText } from '../components/ui';
import { navigate } from '../router';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

export function SettingsPage() {
  const branding = useApp((s) => s.branding);
  const pref = useApp((s) => s.themePref);
  const me = useApp((s) => s.me);
  const [error, setError] = useState<string>();
  const options = [{ id: 'system', name: 'Follow the system' }, ...(branding?.themes ?? []).map((t) => ({ id: t.id, name: t.name }))];

  return (
    <section className="page">
      <header className="chat-header">
        <BackLink />
        <h1>Settings</h1>
      </header>
      <div className="page-body">
        <p>
          Logged in as <strong>{me?.display_name}</strong> <span className="muted">@{me?.username}</span>
        </p>
        <fieldset className="themes">
          <legend>Theme</legend>
          {options.map((o) => (
            <label key={o.id} className="check">
              <input
                type="radio"
                name="theme"
                value={o.id}
                checked={pref === o.id}
                onChange={() => void store.setTheme(o.id).catch((e: unknown) => setError(errorMessage(e)))}
              />
              {o.name}
            </label>
          ))}
        </fieldset>
        <ErrorText message={error} />
        <button
          onClick={() => {
            void store.logout().then(() => navigate('/login', { replace: true }));
          }}
        >
          Log out
        </button>
      </div>
    </section>
  );
}
