import type { FormEvent } from 'react';
import { ApiError } from '@famichat/client';
import { useEffect, useState } from 'react';
import { AuthCard, ErrorText, Field } from '../components/ui';
import { navigate } from '../router';
import { store } from '../state/app';
import { errorMessage } from '../state/logic';

const USERNAME_HINT = '3–32 characters: lowercase letters, digits, _ . -';

function useSubmit(context: 'login' | 'register' | 'setup' | 'reset') {
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

/** What a link (an invite or a password reset) turned out to be when its page opened. */
type LinkCheck<T> = { state: 'checking' } | { state: 'open'; preview: T } | { state: 'gone'; askWhom?: string } | { state: 'invalid' } | { state: 'error'; message: string };

/** Checks a link once when its page opens (`GET /invites/:token` or `/password-resets/:token`). */
function useLinkCheck<T>(check: () => Promise<T>, key: string): LinkCheck<T> {
  const [result, setResult] = useState<{ key: string; check: LinkCheck<T> }>({ key, check: { state: 'checking' } });
  useEffect(() => {
    let live = true;
    check().then(
      (preview) => live && setResult({ key, check: { state: 'open', preview } }),
      (e: unknown) => {
        if (!live) return;
        const gone = e instanceof ApiError && e.code === 'gone';
        const askWhom = gone && typeof e.details?.invited_by === 'string' ? e.details.invited_by : undefined;
        const outcome: LinkCheck<T> = gone
          ? { state: 'gone', ...(askWhom ? { askWhom } : {}) }
          : e instanceof ApiError && e.code === 'not_found'
            ? { state: 'invalid' }
            : { state: 'error', message: errorMessage(e) };
        setResult({ key, check: outcome });
      },
    );
    return () => {
      live = false;
    };
    // `check` is a new function each render; the link (`key`) is what decides.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return result.key === key ? result.check : { state: 'checking' };
}

/** The page of a link that cannot be used (or could not be checked): why, and what to do. */
function DeadLink({ check, what, askFallback }: { check: LinkCheck<unknown>; what: string; askFallback: string }) {
  if (check.state === 'checking') return <AuthCard title={`Checking the ${what}…`}><p role="status">One moment…</p></AuthCard>;
  if (check.state === 'gone') {
    return (
      <AuthCard title={`This ${what} can no longer be used`}>
        <p>This {what} has expired or was already used. Ask {check.askWhom ?? askFallback} for a new one.</p>
        <LoginLink />
      </AuthCard>
    );
  }
  if (check.state === 'invalid') {
    return (
      <AuthCard title={`This ${what} is not valid`}>
        <p>Check that you opened the whole link, or ask {askFallback} for a new one.</p>
        <LoginLink />
      </AuthCard>
    );
  }
  return (
    <AuthCard title={`The ${what} could not be checked`}>
      <ErrorText message={check.state === 'error' ? check.message : undefined} />
      <button className="primary" onClick={() => location.reload()}>Try again</button>
    </AuthCard>
  );
}

function LoginLink() {
  return (
    <p className="muted">
      Already have an account? <a href="/login" onClick={(e) => { e.preventDefault(); navigate('/login'); }}>Log in</a>
    </p>
  );
}

/** The invite page: who invites you to which family (checked on opening), then the registration form. */
export function InvitePage({ token }: { token: string }) {
  const check = useLinkCheck(() => store.api.previewInvite(token), token);
  const [form, setForm] = useState({ display_name: '', username: '', password: '' });
  const { error, busy, run } = useSubmit('register');
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  if (check.state !== 'open') return <DeadLink check={check} what="invite link" askFallback="a family admin" />;
  const { preview } = check;
  return (
    <AuthCard title="You're invited">
      <p className="invite-preview">
        <strong>{preview.invited_by}</strong> invites you to <strong>{preview.family_name}</strong>
        {preview.role === 'admin' ? ', as an admin' : ''}.
      </p>
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
      <LoginLink />
    </AuthCard>
  );
}

/** The password-reset page (`/reset/:token`): whose password (checked on opening), a new one, and in. */
export function ResetPasswordPage({ token }: { token: string }) {
  const check = useLinkCheck(() => store.api.previewPasswordReset(token), token);
  const [password, setPassword] = useState('');
  const { error, busy, run } = useSubmit('reset');
  if (check.state !== 'open') return <DeadLink check={check} what="password reset link" askFallback="a family admin" />;
  const { preview } = check;
  return (
    <AuthCard title="Choose a new password">
      <p>
        Choose a new password for <strong>{preview.display_name}</strong> <span className="muted">(@{preview.username})</span>.
      </p>
      <form
        onSubmit={(e) =>
          void run(e, async () => {
            const result = await store.api.resetPassword({ token, password });
            // Whoever was logged in on this device, it is now the link's person.
            store.endSession();
            await store.startSession(result.token);
            navigate('/', { replace: true });
          })
        }
      >
        <Field label="New password" name="password" type="password" value={password} onChange={setPassword} autoComplete="new-password" minLength={8} hint="At least 8 characters" autoFocus />
        <ErrorText message={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Set password and log in'}
        </button>
      </form>
    </AuthCard>
  );
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox/.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrome/.test(ua) ? 'Chrome' : /Safari/.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
