import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard, ErrorText, Field } from '../components/ui';
import { navigate } from '../router';
import { store } from '../state/app';
import { errorMessage } from '../state/logic';

const USERNAME_HINT = '3–32 characters: lowercase letters, digits, _ . -';

function useSubmit(context: 'login' | 'register' | 'setup') {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (event: FormEvent, action: () => Promise<void>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e, context));
      setBusy(false);
    }
  };
  return { error, busy, run };
}

export function SetupPage() {
  const [form, setForm] = useState({ display_name: '', username: '', password: '', family_name: '' });
  const { error, busy, run } = useSubmit('setup');
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  return (
    <AuthCard title="Welcome! Set up your family chat">
      <p>Create the administrator account and your first family. You can invite everyone else afterwards.</p>
      <form
        onSubmit={(e) =>
          void run(e, async () => {
            const result = await store.api.setup({ ...form, username: form.username.trim().toLowerCase() });
            await store.startSession(result.token);
            navigate('/', { replace: true });
          })
        }
      >
        <Field label="Your name" name="display_name" value={form.display_name} onChange={set('display_name')} autoComplete="name" maxLength={64} autoFocus />
        <Field label="Username" name="username" value={form.username} onChange={set('username')} autoComplete="username" minLength={3} maxLength={32} hint={USERNAME_HINT} />
        <Field label="Password" name="password" type="password" value={form.password} onChange={set('password')} autoComplete="new-password" minLength={8} hint="At least 8 characters" />
        <Field label="Family name" name="family_name" value={form.family_name} onChange={set('family_name')} maxLength={64} />
        <ErrorText message={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create family'}
        </button>
      </form>
    </AuthCard>
  );
}

export function LoginPage() {
  const [form, setForm] = useState({ username: '', password: '' });
  const { error, busy, run } = useSubmit('login');
  return (
    <AuthCard title="Log in">
      <form
        onSubmit={(e) =>
          void run(e, async () => {
            const result = await store.api.login({ username: form.username.trim().toLowerCase(), password: form.password, device_name: deviceName() });
            await store.startSession(result.token);
            navigate('/', { replace: true });
          })
        }
      >
        <Field label="Username" name="username" value={form.username} onChange={(v) => setForm({ ...form, username: v })} autoComplete="username" autoFocus />
        <Field label="Password" name="password" type="password" value={form.password} onChange={(v) => setForm({ ...form, password: v })} autoComplete="current-password" />
        <ErrorText message={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="muted">New here? Ask someone in your family for an invite link.</p>
    </AuthCard>
  );
}

export function InvitePage({ token }: { token: string }) {
  const [form, setForm] = useState({ display_name: '', username: '', password: '' });
  const { error, busy, run } = useSubmit('register');
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  return (
    <AuthCard title="You're invited">
      <p>Pick a username and password to join your family's chat.</p>
      <form
        onSubmit={(e) =>
          void run(e, async () => {
            const result = await store.api.register({ invite_token: token, ...form, username: form.username.trim().toLowerCase() });
            await store.startSession(result.token);
            const family = store.state.families.find((f) => f.id === result.family.id);
            navigate(family ? `/c/${family.conversation_id}` : '/', { replace: true });
          })
        }
      >
        <Field label="Your name" name="display_name" value={form.display_name} onChange={set('display_name')} autoComplete="name" maxLength={64} autoFocus />
        <Field label="Username" name="username" value={form.username} onChange={set('username')} autoComplete="username" minLength={3} maxLength={32} hint={USERNAME_HINT} />
        <Field label="Password" name="password" type="password" value={form.password} onChange={set('password')} autoComplete="new-password" minLength={8} hint="At least 8 characters" />
        <ErrorText message={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Joining…' : 'Join the family'}
        </button>
      </form>
      <p className="muted">
        Already have an account? <a href="/login" onClick={(e) => { e.preventDefault(); navigate('/login'); }}>Log in</a>
      </p>
    </AuthCard>
  );
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox/.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrome/.test(ua) ? 'Chrome' : /Safari/.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
