import type { ReactNode } from 'react';
import { navigate } from '../router';
import { useApp } from '../state/app';

export function Logo({ size = 32 }: { size?: number }) {
  const branding = useApp((s) => s.branding);
  const src = branding?.logo_url ?? '/icon.svg';
  return <img className="logo" src={src} width={size} height={size} alt="" />;
}

export function ErrorText({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value: string;
  onChange: (v: string) => void;
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  hint?: string;
  /** A problem with the value, shown beside the field (and announced with it). */
  error?: string;
  autoFocus?: boolean;
}) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete={props.autoComplete}
        required={props.required ?? true}
        minLength={props.minLength}
        maxLength={props.maxLength}
        autoFocus={props.autoFocus}
        aria-describedby={described || undefined}
        aria-invalid={props.error ? true : undefined}
      />
      {props.hint ? (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      ) : null}
      {props.error ? (
        <small id={`${id}-error`} className="field-error">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  const branding = useApp((s) => s.branding);
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand">
          <Logo size={48} />
          <div>
            <div className="app-name">{branding?.app_name ?? 'Famichat'}</div>
            {branding?.tagline ? <div className="tagline">{branding.tagline}</div> : null}
          </div>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function BackLink() {
  return (
    <a href="/" className="back" aria-label="Back to conversations" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
      ←
    </a>
  );
}
