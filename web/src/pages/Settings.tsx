// Settings: one's profile picture, name, password, devices (sessions) and theme, and logging out.
import type { Me, Session } from '@famichat/client';
import { ApiError } from '@famichat/client';
import type { FormEvent } from 'react';
import { useEffect, useRef, useState } from 'react';
import { removeProfilePicture, setProfilePicture } from '../chat/media/profile-picture';
import { Avatar } from '../components/Avatar';
import { dateTimeText } from '../components/share';
import { BackLink, ErrorText, Field } from '../components/ui';
import { navigate } from '../router';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

/** The settings page. */
export function SettingsPage() {
  const branding = useApp((s) => s.branding);
  const pref = useApp((s) => s.themePref);
  const me = useApp((s) => s.me);
  const [error, setError] = useState<string>();
  const options = [{ id: 'system', name: 'Follow the system' }, ...(branding?.themes ?? []).map((t) => ({ id: t.id, name: t.name }))];
  // Bumped after a password change, which logs the other devices out: the device list reloads.
  const [devicesVersion, setDevicesVersion] = useState(0);

  return (
    <section className="page">
      <header className="chat-header">
        <BackLink />
        <h1>Settings</h1>
      </header>
      <div className="page-body settings">
        <p>
          Logged in as <strong>{me?.display_name}</strong> <span className="muted">@{me?.username}</span>
        </p>
        {me ? <ProfilePicture me={me} /> : null}
        {me ? <DisplayNameForm current={me.display_name} /> : null}
        <PasswordForm onChanged={() => setDevicesVersion((v) => v + 1)} />
        <Devices version={devicesVersion} />
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

/** The problems a form's fields have, from an API error (`details.fields`), and the rest as one message. */
function formErrors(e: unknown, fields: string[]): { fields: Record<string, string>; message?: string } {
  if (e instanceof ApiError && e.code === 'validation_failed') {
    const known = Object.fromEntries(Object.entries(e.fields).filter(([f]) => fields.includes(f)));
    if (Object.keys(known).length > 0) return { fields: known };
  }
  return { fields: {}, message: errorMessage(e) };
}

/** A status line that says a form's change was saved. */
function Saved({ message }: { message: string | undefined }) {
  return (
    <p className="success" role="status">
      {message}
    </p>
  );
}

/** "Profile picture": the current one (or the initials), Choose a picture, and Remove. */
function ProfilePicture({ me }: { me: Me }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<'choose' | 'remove'>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const apply = async (kind: 'choose' | 'remove', change: () => Promise<Me>, done: string) => {
    setBusy(kind);
    setError(undefined);
    setSaved(undefined);
    try {
      store.set({ me: await change() });
      // The picture appears in the list, chats and member lists: reload them with it.
      await Promise.all([store.reloadConversations(), store.reloadFamilies()]);
      setSaved(done);
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'validation_failed' ? 'That file is not a picture this app can show. Choose a JPEG, PNG, WebP or GIF.' : errorMessage(e));
    } finally {
      setBusy(undefined);
      if (input.current) input.current.value = '';
    }
  };
  const chosen = (file: File | undefined) => {
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      setError('Choose a picture (a JPEG, PNG, WebP or GIF).');
      return;
    }
    void apply('choose', () => setProfilePicture(file), 'Your profile picture was updated.');
  };
  return (
    <section className="settings-section profile-picture" aria-labelledby="settings-picture">
      <h2 id="settings-picture">Profile picture</h2>
      <div className="profile-picture-row">
        <Avatar id={me.id} name={me.display_name} url={me.avatar_url} size="large" labelled />
        <div className="profile-picture-actions">
          <input ref={input} id="profile-picture-file" className="sr-only" type="file" accept="image/*" onChange={(e) => chosen(e.target.files?.[0])} disabled={busy !== undefined} />
          <label htmlFor="profile-picture-file" className={`button-link${busy ? ' disabled' : ''}`}>
            {busy === 'choose' ? 'Uploading…' : me.avatar_url ? 'Choose another picture' : 'Choose a picture'}
          </label>
          {me.avatar_url ? (
            <button type="button" className="danger" disabled={busy !== undefined} onClick={() => void apply('remove', removeProfilePicture, 'Your profile picture was removed.')}>
              {busy === 'remove' ? 'Removing…' : 'Remove picture'}
            </button>
          ) : null}
        </div>
      </div>
      <ErrorText message={error} />
      <Saved message={saved} />
    </section>
  );
}

function DisplayNameForm({ current }: { current: string }) {
  const [name, setName] = useState(current);
  const [errors, setErrors] = useState<{ fields: Record<string, string>; message?: string }>({ fields: {} });
  const [saved, setSaved] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    setErrors({ fields: {} });
    try {
      const me = await store.api.updateMe({ display_name: name });
      // Names appear in the list and the family: reload them with the new one.
      store.set({ me });
      await Promise.all([store.reloadConversations(), store.reloadFamilies()]);
      setSaved(`Your name is now ${me.display_name}.`);
    } catch (e) {
      setErrors(formErrors(e, ['display_name']));
    }
  };
  return (
    <form className="settings-section" aria-labelledby="settings-name" onSubmit={(e) => void submit(e)}>
      <h2 id="settings-name">Your name</h2>
      <Field label="Display name" name="display_name" value={name} onChange={setName} autoComplete="name" maxLength={64} error={errors.fields.display_name} hint="What your family sees" />
      <ErrorText message={errors.message} />
      <button type="submit" className="primary">Save name</button>
      <Saved message={saved} />
    </form>
  );
}

const PASSWORD_FIELDS = ['current_password', 'new_password'];

function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [form, setForm] = useState({ current_password: '', new_password: '' });
  const [errors, setErrors] = useState<{ fields: Record<string, string>; message?: string }>({ fields: {} });
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    setErrors({ fields: {} });
    setBusy(true);
    try {
      await store.api.changePassword(form);
      setForm({ current_password: '', new_password: '' });
      setSaved('Password changed. Your other devices were logged out.');
      onChanged();
    } catch (e) {
      const found = formErrors(e, PASSWORD_FIELDS);
      // The server's reason ("is not your current password") reads as a sentence beside its field.
      setErrors({ ...found, fields: Object.fromEntries(Object.entries(found.fields).map(([f, why]) => [f, sentence(f, why)])) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="settings-section" aria-labelledby="settings-password" onSubmit={(e) => void submit(e)}>
      <h2 id="settings-password">Password</h2>
      <Field label="Current password" name="current_password" type="password" value={form.current_password} onChange={(v) => setForm({ ...form, current_password: v })} autoComplete="current-password" error={errors.fields.current_password} />
      <Field label="New password" name="new_password" type="password" value={form.new_password} onChange={(v) => setForm({ ...form, new_password: v })} autoComplete="new-password" minLength={8} hint="At least 8 characters" error={errors.fields.new_password} />
      <ErrorText message={errors.message} />
      <button type="submit" className="primary" disabled={busy}>{busy ? 'Changing…' : 'Change password'}</button>
      <Saved message={saved} />
    </form>
  );
}

function sentence(field: string, why: string): string {
  if (field === 'current_password') return why === 'is not your current password' ? 'That is not your current password.' : `The current password ${why}.`;
  return `The new password ${why}.`;
}

function deviceLabel(s: Session): string {
  return s.device_name ?? 'Unknown device';
}

function Devices({ version }: { version: number }) {
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  // Bumped after logging a device out here: the list reloads.
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let live = true;
    store.api.sessions().then(
      (list) => live && setSessions(list),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [version, reloads]);
  const act = async (action: () => Promise<void>, message: string) => {
    setError(undefined);
    setDone(undefined);
    try {
      await action();
      setDone(message);
      setReloads((n) => n + 1);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const others = (sessions ?? []).filter((s) => !s.current);
  return (
    <section className="settings-section" aria-labelledby="settings-devices">
      <h2 id="settings-devices">Devices</h2>
      {sessions === undefined ? <p className="muted" role="status">Loading devices…</p> : null}
      <ul className="sessions" aria-label="Devices logged in to your account">
        {(sessions ?? []).map((s, i) => (
          <li key={s.id} className="session" data-session={s.id}>
            <span className="session-text">
              <strong>{deviceLabel(s)}</strong>
              {s.current ? <span className="this-device"> · This device</span> : null}
              <span className="muted">Last seen {dateTimeText(s.last_seen_at)}</span>
            </span>
            {s.current ? null : (
              <button type="button" onClick={() => void act(() => store.api.revokeSession(s.id), `${deviceLabel(s)} was logged out.`)}>
                Log out<span className="sr-only"> device {i + 1}, {deviceLabel(s)}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      {others.length > 0 ? (
        <button
          type="button"
          className="danger"
          onClick={() =>
            void act(() => store.api.revokeOtherSessions(), others.length === 1 ? 'Your other device was logged out.' : `Your ${others.length} other devices were logged out.`)
          }
        >
          Log out other devices
        </button>
      ) : null}
      <ErrorText message={error} />
      <Saved message={done} />
    </section>
  );
}
